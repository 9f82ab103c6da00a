"""container_image through Ansible against a stateful fake docker CLI (tests/modules/fake_docker.py): the vendor's
docker run line swapped onto a new image with every parameter kept, a re-run, a resumed swap, a failing image
reverted to the very same old container, the cleanup, loading and pulling, stop and start, and the refusals; then
deploy.sh's docker-compose service (tests/modules/fake_compose.py, docker-compose 1.29 on the same fake daemon):
only the image line of its file, line 3 of MODE and .version change, and reverted puts every byte back."""
import os
import time

import pytest

VENDOR_LINE = ["run", "--detach", "--name", "kwdb", "--privileged", "--ulimit", "memlock=-1:-1",
               "--ulimit", "nofile=1048576:1048576", "--publish", "26257:26257/tcp", "--publish", "8080:8080/tcp",
               "--volume", "/var/lib/kaiwudb:/kaiwudb/deploy/kwdb-container", "--volume", "/etc/kaiwudb/certs:/kaiwudb/certs",
               "--ipc", "shareable", "--workdir", "/kaiwudb/bin", "--restart", "always", "--env", "LD_LIBRARY_PATH=/kaiwudb/lib",
               "kwdb:3.0.0", "./kwbase", "start-single-node", "--certs-dir=/kaiwudb/certs", "--listen-addr=0.0.0.0:26257",
               "--http-addr=0.0.0.0:8080", "--store=/kaiwudb/deploy/kwdb-container"]
WAIT = {"interval": 0.1, "timeout": 5, "stable_checks": 2}
FAILURE_LOG = ["kwbase: starting", "ERROR: the store is locked by another process", "kwbase: exiting"]


@pytest.fixture
def docker(fake_docker):
    fake_docker("load", "--input", fake_docker.archive("KaiwuDB-3.0.0.tar", fake_docker.image("kwdb:3.0.0", "3.0.0")))
    fake_docker(*VENDOR_LINE)
    return fake_docker


def module(docker, module_runner, state, check_mode=False, **extra):
    args = dict({"name": "kwdb", "state": state, "docker": docker.path}, **WAIT)
    args.update(extra)
    return module_runner("container_image", args, check_mode=check_mode)


def swap(docker, module_runner, **extra):
    return module(docker, module_runner, "swapped", **extra)


def succeeded(result):
    assert result.get("failed") is not True, result
    return result


def new_archive(docker, *images):
    return docker.archive("KaiwuDB.tar", *(images or [docker.image("kwdb:3.1.0", "3.1.0")]))


def test_the_vendor_container_is_swapped_with_every_parameter_kept(docker, module_runner):
    before = docker.inspect("kwdb")
    result = succeeded(swap(docker, module_runner, image_file=new_archive(docker)))
    assert result["changed"] is True and result["loaded"] == ["kwdb:3.1.0"] and result["resumed"] is False
    # the env differs only by the new image's own default (KWDB_VERSION), which is not a lost parameter
    assert result["differences"] == [], result["differences"]
    assert "KWDB_VERSION=3.1.0" in docker.inspect("kwdb")["Config"]["Env"]
    after = docker.inspect("kwdb")
    assert after["Config"]["Image"] == "kwdb:3.1.0" and after["State"]["Running"] is True
    assert after["HostConfig"] == before["HostConfig"] and after["Config"]["Cmd"] == before["Config"]["Cmd"]
    assert after["Config"]["WorkingDir"] == "/kaiwudb/bin" and "LD_LIBRARY_PATH=/kaiwudb/lib" in after["Config"]["Env"]
    assert result["previous"]["id"] == before["Id"] and result["previous"]["running"] is False
    assert docker.names() == ["kwdb", "kwdb-distsql-previous"]


def test_labels_the_new_image_brings_are_its_defaults_not_lost_parameters(docker, module_runner):
    newer = docker.image("kwdb:3.1.0", "3.1.0")
    newer["Config"]["Labels"].update({"org.opencontainers.image.version": "3.1.0", "vendor": "KaiwuDB"})
    result = succeeded(swap(docker, module_runner, image_file=new_archive(docker, newer)))
    assert result["differences"] == [], result["differences"]


def test_a_rerun_on_the_new_image_changes_nothing(docker, module_runner):
    swap(docker, module_runner, image_file=new_archive(docker))
    again = swap(docker, module_runner, image="kwdb:3.1.0")
    assert again["changed"] is False and again["already_on_image"] is True


def test_an_interrupted_swap_is_resumed_from_the_kept_container(docker, module_runner):
    """The swap stopped and renamed the old container, then was cut off before the new one ran."""
    original = docker.inspect("kwdb")
    docker("load", "--input", new_archive(docker))
    docker("stop", "--time", "60", "kwdb")
    docker("rename", "kwdb", "kwdb-distsql-previous")
    result = succeeded(swap(docker, module_runner, image="kwdb:3.1.0"))
    assert result["changed"] is True and result["resumed"] is True and result["differences"] == []
    resumed = docker.inspect("kwdb")
    assert resumed["Name"] == "/kwdb" and resumed["Id"] != original["Id"] and resumed["State"]["Running"] is True
    assert resumed["Config"]["Image"] == "kwdb:3.1.0" and resumed["HostConfig"] == original["HostConfig"]
    for key in ("Cmd", "WorkingDir", "Entrypoint"):
        assert resumed["Config"][key] == original["Config"][key], key
    assert resumed["Config"]["Env"] == ["LD_LIBRARY_PATH=/kaiwudb/lib", "PATH=/usr/bin:/bin", "KWDB_VERSION=3.1.0"]
    assert result["previous"]["id"] == original["Id"]
    assert docker.names() == ["kwdb", "kwdb-distsql-previous"]


def test_a_loaded_image_that_took_the_running_images_name_is_refused(docker, module_runner):
    before = docker.inspect("kwdb")
    retagged = docker.image("kwdb:3.0.0", "3.0.1")
    result = swap(docker, module_runner, image="kwdb:3.0.0", image_file=new_archive(docker, retagged))
    assert result["failed"] is True
    assert result["msg"] == ("kwdb:3.0.0 now names another image (%s) than the one kwdb runs (%s): the old image would "
                             "have no name to come back to; give the new image its own tag" % (retagged["Id"], before["Image"]))
    assert docker.inspect("kwdb")["Id"] == before["Id"] and docker.names() == ["kwdb"]


def test_a_new_image_that_exits_fails_and_the_old_container_comes_back(docker, module_runner):
    before = docker.inspect("kwdb")
    archive = new_archive(docker, docker.image("kwdb:3.1.0", "3.1.0", exits=True))
    result = swap(docker, module_runner, image_file=archive)
    assert result["failed"] is True
    # the vendor line's --restart always: dockerd restarts the exited process, so the container is restarting
    assert result["msg"] == ("container kwdb exited with code 1, restarted 1 times by its restart policy, which "
                             "waiting will not change: the new container does not keep running; its last log lines: "
                             "kwbase: simulated start failure"), result["msg"]
    reverted = succeeded(module(docker, module_runner, "reverted"))
    assert reverted["changed"] is True
    now = docker.inspect("kwdb")
    assert now["Id"] == before["Id"] and now["State"]["Running"] is True and now["Config"]["Image"] == "kwdb:3.0.0"
    assert docker.names() == ["kwdb"]


def test_reverted_without_a_kept_container_changes_nothing(docker, module_runner):
    result = succeeded(module(docker, module_runner, "reverted"))
    assert result["changed"] is False and result["previous"] is None and result["container"]["running"] is True


def test_cleaned_removes_the_old_container_and_its_image(docker, module_runner):
    old_image = docker.inspect("kwdb")["Image"]
    swap(docker, module_runner, image_file=new_archive(docker))
    cleaned = succeeded(module(docker, module_runner, "cleaned", remove_old_image=True))
    assert cleaned["changed"] is True and cleaned["removed_image"] == old_image
    assert docker.names() == ["kwdb"] and old_image not in docker.image_ids()
    again = module(docker, module_runner, "cleaned")
    assert again["changed"] is False


def test_check_mode_only_reads(docker, module_runner):
    docker("load", "--input", new_archive(docker))
    calls = len(docker.calls())
    result = module(docker, module_runner, "swapped", check_mode=True, image="kwdb:3.1.0")
    assert result["changed"] is True and result["run_argv"][-7] == "kwdb:3.1.0"
    assert set(docker.calls()[calls:]) == {"inspect", "image"}


@pytest.mark.parametrize("setup, args, message", [
    (None, {"name": "nosuch"}, "there is no container nosuch to swap"),
    ("previous", {}, "kwdb-distsql-previous exists already (an earlier swap was neither reverted nor cleaned): run "
                     "state reverted or cleaned first"),
    (None, {"image": None}, "state swapped needs image (or an image_file that loads exactly one image)"),
])
def test_refusals(docker, module_runner, setup, args, message):
    docker("load", "--input", new_archive(docker))
    if setup == "previous":
        docker("run", "--detach", "--name", "kwdb-distsql-previous", "kwdb:3.0.0")
    result = swap(docker, module_runner, **dict({"image": "kwdb:3.1.0"}, **args))
    assert result["failed"] is True and result["msg"] == message


# inspected


def free_bytes(path):
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def test_inspected_reads_the_container_the_run_line_and_the_free_space(docker, module_runner):
    result = succeeded(module(docker, module_runner, "inspected", image="kwdb:3.1.0"))
    container = docker.inspect("kwdb")
    assert result["changed"] is False and result["previous"] is None
    assert result["container"] == {"name": "kwdb", "id": container["Id"], "image": "kwdb:3.0.0",
                                   "image_id": container["Image"], "status": "running", "running": True,
                                   "exit_code": 0, "restart_count": 0}
    assert result["run_argv"][:5] == [docker.path, "run", "--detach", "--name", "kwdb"]
    assert result["run_argv"][-7:] == ["kwdb:3.1.0"] + VENDOR_LINE[-6:]
    # the fake daemon keeps its root in its own directory; other tests may write meanwhile
    assert abs(result["free_bytes"] - free_bytes(docker.directory)) < 64 * 1024 * 1024


def test_inspected_after_an_interrupted_swap_reads_the_kept_container(docker, module_runner):
    original = docker.inspect("kwdb")
    docker("stop", "--time", "60", "kwdb")
    docker("rename", "kwdb", "kwdb-distsql-previous")
    result = succeeded(module(docker, module_runner, "inspected", image="kwdb:3.1.0"))
    assert result["container"] is None and "run_argv" not in result and result["free_bytes"] > 0
    assert result["previous"]["id"] == original["Id"] and result["previous"]["name"] == "kwdb-distsql-previous"
    assert result["previous"]["image_id"] == original["Image"] and result["previous"]["running"] is False


def test_inspected_without_any_container_is_refused(docker, module_runner):
    result = module(docker, module_runner, "inspected", name="nosuch")
    assert result["failed"] is True and result["msg"] == "there is no container nosuch to inspect"


# loaded


def test_loaded_from_a_file(docker, module_runner):
    newer = docker.image("kwdb:3.1.0", "3.1.0")
    result = succeeded(module(docker, module_runner, "loaded", image_file=new_archive(docker, newer)))
    assert result["changed"] is True and result["loaded"] == ["kwdb:3.1.0"]
    assert result["image"] == {"name": "kwdb:3.1.0", "id": newer["Id"]}
    assert newer["Id"] in docker.image_ids()


def test_loaded_pulls_an_image_that_is_not_on_the_host_once(docker, module_runner):
    published = docker.image("kwdb/kwdb:3.1.0", "3.1.0")
    docker.publish(published)
    result = succeeded(module(docker, module_runner, "loaded", image="kwdb/kwdb:3.1.0"))
    assert result["changed"] is True and result["image"] == {"name": "kwdb/kwdb:3.1.0", "id": published["Id"]}
    assert ["pull", "kwdb/kwdb:3.1.0"] in docker.argvs()
    calls = len(docker.calls())
    again = succeeded(module(docker, module_runner, "loaded", image="kwdb/kwdb:3.1.0"))
    assert again["changed"] is False and again["image"]["id"] == published["Id"]
    assert "pull" not in docker.calls()[calls:]


def test_loaded_check_mode_with_a_file_loads_nothing_and_says_it_would(docker, module_runner):
    calls = len(docker.calls())
    result = succeeded(module(docker, module_runner, "loaded", check_mode=True, image_file=new_archive(docker)))
    assert result["changed"] is True and result["image"] == {"name": None, "id": None}
    assert "load" not in docker.calls()[calls:]


def test_loaded_check_mode_pulls_nothing(docker, module_runner):
    docker.publish(docker.image("kwdb/kwdb:3.1.0", "3.1.0"))
    result = succeeded(module(docker, module_runner, "loaded", check_mode=True, image="kwdb/kwdb:3.1.0"))
    assert result["changed"] is True and result["image"] == {"name": "kwdb/kwdb:3.1.0", "id": None}
    assert "pull" not in docker.calls()


@pytest.mark.parametrize("args, message", [
    ({}, "state loaded needs image_file or image"),
    ({"image": "kwdb/kwdb:9.9.9"}, "{docker} pull kwdb/kwdb:9.9.9 failed (rc 1): Error response from daemon: manifest "
                                   "for kwdb/kwdb:9.9.9 not found: manifest unknown: manifest unknown"),
    ({"image": "kwdb:3.2.0", "image_file": "archive"}, "{archive} loaded kwdb:3.1.0, not kwdb:3.2.0"),
])
def test_loaded_refusals(docker, module_runner, args, message):
    archive = new_archive(docker)
    if args.get("image_file"):
        args = dict(args, image_file=archive)
    result = module(docker, module_runner, "loaded", **args)
    assert result["failed"] is True
    assert result["msg"] == message.format(docker=docker.path, archive=archive)


# stopped and started


def test_stopped_then_started(docker, module_runner):
    stopped = succeeded(module(docker, module_runner, "stopped", stop_timeout=30))
    assert stopped["changed"] is True and stopped["container"]["running"] is False
    assert ["stop", "--time", "30", "kwdb"] in docker.argvs()
    assert module(docker, module_runner, "stopped")["changed"] is False
    started = succeeded(module(docker, module_runner, "started"))
    assert started["changed"] is True and started["container"]["status"] == "running"
    again = succeeded(module(docker, module_runner, "started"))
    assert again["changed"] is False and again["container"]["running"] is True


def broken_container(docker, restart):
    broken = docker.image("kwdb:broken", "3.1.0", exits=True, logs=FAILURE_LOG)
    docker("load", "--input", docker.archive("broken.tar", broken))
    docker("run", "--detach", "--name", "kwdb-broken", "--restart", restart, "kwdb:broken")


def test_started_of_a_container_whose_image_exits_fails_at_once(docker, module_runner):
    broken_container(docker, "no")
    start = time.monotonic()
    result = module(docker, module_runner, "started", name="kwdb-broken", timeout=60)
    took = time.monotonic() - start
    assert result["failed"] is True
    # two starts wrote the same three lines twice; the message names each once
    assert result["msg"] == ("container kwdb-broken exited with code 1, which waiting will not "
                             "change: the new container does not keep running; its last log lines: kwbase: starting / "
                             "ERROR: the store is locked by another process / kwbase: exiting")
    assert result["container"]["exit_code"] == 1 and took < 30


def test_stopped_stops_a_restarting_container(docker, module_runner):
    broken_container(docker, "always")
    assert docker.inspect("kwdb-broken")["State"]["Status"] == "restarting"
    result = succeeded(module(docker, module_runner, "stopped", name="kwdb-broken"))
    assert result["changed"] is True and result["container"]["status"] == "exited"


@pytest.mark.parametrize("state, verb", [("stopped", "stop"), ("started", "start")])
def test_stop_and_start_need_the_container(docker, module_runner, state, verb):
    result = module(docker, module_runner, state, name="nosuch")
    assert result["failed"] is True and result["msg"] == "there is no container nosuch to %s" % verb


# docker-compose: deploy.sh's container mode

COMPOSE_NAME = "kaiwudb-container"
OLD, NEW = "kwdb/kwdb:3.2.1", "kwdb/kwdb:3.2.2"
# deploy.sh's create_compose, rendered (flow-surfaces-kwdb.md section 2.10), its whitespace kept; the env_file path
# is the node directory's (%(env_file)s)
COMPOSE_TEMPLATE = (
    "version: '3.3'\n"
    "services:\n"
    "  kaiwudb-container:\n"
    "    image: kwdb/kwdb:3.2.1\n"
    "    container_name: kaiwudb-container\n"
    "    hostname: kaiwudb-container\n"
    "    ports:\n"
    "      - 8080:8080\n"
    "      - 26257:26257\n"
    "      - 27257:27257\n"
    "    \n"
    "    ulimits:\n"
    "      memlock: -1\n"
    "      nofile: 1048576\n"
    "    volumes:\n"
    "      - /etc/kaiwudb/certs:/kaiwudb/certs\n"
    "      - /var/lib/kaiwudb:/kaiwudb/deploy/kaiwudb-container\n"
    "      - /dev:/dev\n"
    "    networks: \n"
    "      - default\n"
    "    restart: on-failure\n"
    "    ipc: shareable\n"
    "    privileged: true\n"
    "    environment:\n"
    "      - LD_LIBRARY_PATH=/kaiwudb/lib\n"
    "    env_file:\n"
    "      - %(env_file)s\n"
    "    tty: true\n"
    "    working_dir: /kaiwudb/bin\n"
    "    command: \n"
    "      - /bin/bash\n"
    "      - -c\n"
    "      - |\n"
    "        /kaiwudb/bin/kwbase  start $KAIWUDB_START_ARG --certs-dir=/kaiwudb/certs --listen-addr=0.0.0.0:26257 "
    "--advertise-addr=10.0.0.2:26257 --http-addr=0.0.0.0:8080 --brpc-addr=0.0.0.0:27257 "
    "--store=/kaiwudb/deploy/kaiwudb-container  --join 10.0.0.1:26257\n")
# /etc/kaiwudb/info/MODE (section 2.9) for the same node
MODE = "container\nmulti-replication\nkwdb/kwdb:3.2.1\n/var/lib/kaiwudb\n26257\n8080\nkaiwudb\ntls\nfalse\n10.0.0.2\n"


class ComposeNode:
    """deploy.sh's tree under a directory: etc/kaiwudb/{script,info} and the new release's packages/."""

    def __init__(self, root, docker, newline="\n"):
        self.docker = docker
        self.script_dir = os.path.join(root, "etc", "kaiwudb", "script")
        self.info_dir = os.path.join(root, "etc", "kaiwudb", "info")
        self.packages = os.path.join(root, "packages")
        for directory in (self.script_dir, self.info_dir, self.packages):
            os.makedirs(directory)
        self.compose_file = os.path.join(self.script_dir, "docker-compose.yml")
        self.env_file = os.path.join(self.script_dir, "kaiwudb_env")
        self.mode_file = os.path.join(self.info_dir, "MODE")
        self.installed_version = os.path.join(self.info_dir, ".version")
        self.new_version = os.path.join(self.packages, ".version")
        write(self.compose_file, (COMPOSE_TEMPLATE % {"env_file": self.env_file}).replace("\n", newline))
        write(self.env_file, 'KAIWUDB_START_ARG=""\n')
        write(self.mode_file, MODE)
        write(self.installed_version, "3.2.1\n\n")
        write(self.new_version, "3.2.2\n\n")

    def files(self):
        """Every file deploy.sh's tree holds, by path, byte for byte."""
        found = {}
        for directory in (self.script_dir, self.info_dir):
            for name in os.listdir(directory):
                with open(os.path.join(directory, name), "rb") as source:
                    found[os.path.join(directory, name)] = source.read()
        return found

    def kept(self):
        return [self.compose_file, self.mode_file, self.installed_version]

    def archive(self, *images):
        return self.docker.archive(os.path.join(self.packages, "KaiwuDB.tar"), *images)


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(text)


@pytest.fixture
def node(fake_docker, tmp_path):
    fake_docker("load", "--input", fake_docker.archive("KaiwuDB-3.2.1.tar", fake_docker.image(OLD, "3.2.1")))
    installed = ComposeNode(str(tmp_path / "node"), fake_docker)
    fake_docker.compose(installed.script_dir, "up", "-d")
    return installed


def compose_module(node, module_runner, state, **extra):
    args = dict({"name": COMPOSE_NAME, "state": state, "docker": node.docker.path, "compose": node.docker.compose_path,
                 "compose_file": node.compose_file, "mode_file": node.mode_file}, **WAIT)
    args.update(extra)
    return module_runner("container_image", args)


def compose_swap(node, module_runner, *images):
    return compose_module(node, module_runner, "swapped", version_file=node.new_version,
                          image_file=node.archive(*(images or [node.docker.image(NEW, "3.2.2")])))


def only_image_changed(before, after):
    return before.replace(OLD.encode(), NEW.encode(), 1) == after and before != after


def test_compose_swapped_changes_the_image_line_mode_line_3_and_version_and_keeps_copies(node, module_runner):
    before, old = node.files(), node.docker.inspect(COMPOSE_NAME)
    result = succeeded(compose_swap(node, module_runner))
    assert result["changed"] is True and result["loaded"] == [NEW] and result["differences"] == []
    assert result["container"]["image"] == NEW and result["container"]["running"] is True
    assert result["previous"] == {"image": OLD}
    after = node.files()
    assert only_image_changed(before[node.compose_file], after[node.compose_file])
    assert after[node.compose_file].splitlines()[3] == b"    image: kwdb/kwdb:3.2.2"
    assert only_image_changed(before[node.mode_file], after[node.mode_file])
    assert after[node.mode_file].splitlines()[2] == NEW.encode()
    assert after[node.installed_version] == b"3.2.2\n\n"
    assert set(after) == set(before) | set(path + "-distsql-previous" for path in node.kept())
    for path in node.kept():
        assert after[path + "-distsql-previous"] == before[path], path
    assert node.docker.compose_calls()[1:] == [{"argv": ["down", "--timeout", "60"], "cwd": node.script_dir},
                                               {"argv": ["up", "-d"], "cwd": node.script_dir}]
    new = node.docker.inspect(COMPOSE_NAME)
    # docker-compose listed the volumes in another order, and its config hash changed with the image
    assert new["HostConfig"]["Binds"] != old["HostConfig"]["Binds"]
    assert sorted(new["HostConfig"]["Binds"]) == sorted(old["HostConfig"]["Binds"])
    old_labels, new_labels = old["Config"]["Labels"], new["Config"]["Labels"]
    assert new_labels.pop("com.docker.compose.config-hash") != old_labels.pop("com.docker.compose.config-hash")
    assert new_labels == old_labels


def test_compose_rerun_on_the_new_image_changes_nothing(node, module_runner):
    succeeded(compose_swap(node, module_runner))
    files = node.files()
    again = succeeded(compose_module(node, module_runner, "swapped", image=NEW))
    assert again["changed"] is False and again["already_on_image"] is True and node.files() == files


def test_compose_reverted_puts_every_file_and_the_old_image_back(node, module_runner):
    before, old = node.files(), node.docker.inspect(COMPOSE_NAME)
    succeeded(compose_swap(node, module_runner))
    reverted = succeeded(compose_module(node, module_runner, "reverted"))
    assert reverted["changed"] is True and reverted["previous"] is None
    assert node.files() == before
    now = node.docker.inspect(COMPOSE_NAME)
    assert now["Image"] == old["Image"] and now["Config"]["Image"] == OLD and now["State"]["Running"] is True


def test_compose_cleaned_lets_the_copies_and_the_old_image_go(node, module_runner):
    old_image = node.docker.inspect(COMPOSE_NAME)["Image"]
    succeeded(compose_swap(node, module_runner))
    swapped = node.files()
    cleaned = succeeded(compose_module(node, module_runner, "cleaned", remove_old_image=True))
    assert cleaned["changed"] is True and cleaned["removed_image"] == OLD and cleaned["previous"] is None
    assert node.files() == dict((path, text) for path, text in swapped.items() if not path.endswith("-distsql-previous"))
    assert old_image not in node.docker.image_ids()
    again = succeeded(compose_module(node, module_runner, "cleaned", remove_old_image=True))
    assert again["changed"] is False


def test_compose_cleaned_keeps_an_old_image_another_container_runs(node, module_runner):
    succeeded(compose_swap(node, module_runner))
    node.docker("run", "--detach", "--name", "kwdb-other", OLD)
    other = node.docker.inspect("kwdb-other")
    cleaned = succeeded(compose_module(node, module_runner, "cleaned", remove_old_image=True))
    assert cleaned["changed"] is True and "removed_image" not in cleaned
    assert cleaned["warnings"] == [
        "the old image %s was kept: %s rmi %s failed (rc 1): Error response from daemon: conflict: unable to remove "
        "repository reference \"%s\" (must force) - container %s is using its referenced image %s"
        % (OLD, node.docker.path, OLD, OLD, other["Id"][:12], other["Image"][7:19])]
    assert other["Image"] in node.docker.image_ids()


def test_compose_new_image_that_exits_fails_and_reverted_restores_every_byte(node, module_runner):
    before, old = node.files(), node.docker.inspect(COMPOSE_NAME)
    result = compose_swap(node, module_runner, node.docker.image(NEW, "3.2.2", exits=True, logs=FAILURE_LOG))
    assert result["failed"] is True and result["changed"] is True
    # restart: on-failure, so dockerd restarted the exited process; the log holds both runs
    assert result["msg"] == ("container kaiwudb-container exited with code 1, restarted 1 times by its restart policy, "
                             "which waiting will not change: the new container does not keep running; its last log lines: "
                             "kwbase: starting / ERROR: the store is locked by another process / kwbase: exiting")
    assert result["previous"] == {"image": OLD}
    reverted = succeeded(compose_module(node, module_runner, "reverted"))
    assert reverted["changed"] is True
    assert node.files() == before
    now = node.docker.inspect(COMPOSE_NAME)
    assert now["Image"] == old["Image"] and now["State"]["Status"] == "running" and now["RestartCount"] == 0


def test_compose_file_with_crlf_line_endings_keeps_them(fake_docker, tmp_path, module_runner):
    fake_docker("load", "--input", fake_docker.archive("KaiwuDB-3.2.1.tar", fake_docker.image(OLD, "3.2.1")))
    crlf = ComposeNode(str(tmp_path / "node"), fake_docker, newline="\r\n")
    fake_docker.compose(crlf.script_dir, "up", "-d")
    before = crlf.files()
    succeeded(compose_swap(crlf, module_runner))
    assert only_image_changed(before[crlf.compose_file], crlf.files()[crlf.compose_file])


def test_compose_short_mode_is_refused_before_anything_changes(node, module_runner):
    write(node.mode_file, "container\nmulti-replication\n")
    before, old = node.files(), node.docker.inspect(COMPOSE_NAME)
    result = compose_swap(node, module_runner)
    assert result["failed"] is True and result["msg"] == "MODE has 2 lines; line 3 is the container image"
    assert node.files() == before and node.docker.inspect(COMPOSE_NAME)["Id"] == old["Id"]
    assert len(node.docker.compose_calls()) == 1


# a rolling upgrade: --upgrade-complete in the new container's command, and in the old one's on the way back

FLAG = "--upgrade-complete"


def test_a_rolling_swap_ends_the_command_with_the_start_flag_and_nothing_else_changes(docker, module_runner):
    before = docker.inspect("kwdb")
    result = succeeded(swap(docker, module_runner, image_file=new_archive(docker), start_flag=FLAG))
    assert result["start_flag_added"] is True and result["differences"] == [], result
    after = docker.inspect("kwdb")
    assert after["Config"]["Cmd"] == before["Config"]["Cmd"] + [FLAG]
    assert after["HostConfig"] == before["HostConfig"] and after["Config"]["Image"] == "kwdb:3.1.0"
    again = succeeded(swap(docker, module_runner, image="kwdb:3.1.0", start_flag=FLAG))
    assert again["changed"] is False and docker.inspect("kwdb")["Config"]["Cmd"].count(FLAG) == 1


def test_a_rolling_swap_of_a_command_with_the_flag_already_adds_it_no_second_time(docker, module_runner):
    succeeded(swap(docker, module_runner, image_file=new_archive(docker), start_flag=FLAG))
    succeeded(module(docker, module_runner, "cleaned"))
    newer = docker.archive("KaiwuDB-3.2.0.tar", docker.image("kwdb:3.2.0", "3.2.0"))
    result = succeeded(swap(docker, module_runner, image_file=newer, start_flag=FLAG))
    assert result["start_flag_added"] is False and result["differences"] == []
    assert docker.inspect("kwdb")["Config"]["Cmd"].count(FLAG) == 1


def test_a_failed_rolling_swap_brings_the_old_image_back_with_its_parameters_and_the_flag(docker, module_runner):
    before = docker.inspect("kwdb")
    archive = new_archive(docker, docker.image("kwdb:3.1.0", "3.1.0", exits=True))
    assert swap(docker, module_runner, image_file=archive, start_flag=FLAG)["failed"] is True
    reverted = succeeded(module(docker, module_runner, "reverted", start_flag=FLAG))
    assert reverted["changed"] is True and reverted["start_flag_added"] is True and reverted["previous"] is None
    now = docker.inspect("kwdb")
    # a new container (only a start with the flag clears the UPGRADING mark) of the old image, its parameters kept
    assert now["Id"] != before["Id"] and now["Image"] == before["Image"] and now["Config"]["Image"] == "kwdb:3.0.0"
    assert now["Config"]["Cmd"] == before["Config"]["Cmd"] + [FLAG] and now["State"]["Running"] is True
    assert now["HostConfig"] == before["HostConfig"] and now["Config"]["WorkingDir"] == before["Config"]["WorkingDir"]
    assert sorted(now["Config"]["Env"]) == sorted(before["Config"]["Env"])
    assert docker.names() == ["kwdb"]


def test_a_rolling_revert_of_a_kept_container_that_has_the_flag_renames_it_back(docker, module_runner):
    succeeded(swap(docker, module_runner, image_file=new_archive(docker), start_flag=FLAG))
    succeeded(module(docker, module_runner, "cleaned"))
    flagged = docker.inspect("kwdb")
    newer = docker.archive("KaiwuDB-3.2.0.tar", docker.image("kwdb:3.2.0", "3.2.0", exits=True))
    assert swap(docker, module_runner, image_file=newer, start_flag=FLAG)["failed"] is True
    reverted = succeeded(module(docker, module_runner, "reverted", start_flag=FLAG))
    assert "start_flag_added" not in reverted and docker.inspect("kwdb")["Id"] == flagged["Id"]


def flagged_line(text):
    return text.replace(b"kaiwudb-container  --join 10.0.0.1:26257\n",
                        b"kaiwudb-container  --join 10.0.0.1:26257 --upgrade-complete\n")


def test_a_rolling_compose_swap_adds_the_flag_to_the_kwbase_line_as_deploy_sh_does(node, module_runner):
    before, old = node.files(), node.docker.inspect(COMPOSE_NAME)
    result = succeeded(compose_module(node, module_runner, "swapped", version_file=node.new_version, start_flag=FLAG,
                                      image_file=node.archive(node.docker.image(NEW, "3.2.2"))))
    assert result["start_flag_added"] is True and result["differences"] == [], result
    after = node.files()
    assert after[node.compose_file] == flagged_line(before[node.compose_file]).replace(OLD.encode(), NEW.encode(), 1)
    assert after[node.compose_file + "-distsql-previous"] == before[node.compose_file]
    script = node.docker.inspect(COMPOSE_NAME)["Config"]["Cmd"][-1]
    assert script == old["Config"]["Cmd"][-1][:-1] + " --upgrade-complete\n"


def test_a_failed_rolling_compose_swap_comes_back_on_the_old_file_with_the_flag(node, module_runner):
    before, old = node.files(), node.docker.inspect(COMPOSE_NAME)
    failing = node.archive(node.docker.image(NEW, "3.2.2", exits=True, logs=FAILURE_LOG))
    assert compose_module(node, module_runner, "swapped", image_file=failing, start_flag=FLAG,
                          version_file=node.new_version)["failed"] is True
    reverted = succeeded(compose_module(node, module_runner, "reverted", start_flag=FLAG))
    assert reverted["changed"] is True and reverted["start_flag_added"] is True
    now = node.files()
    assert now[node.compose_file] == flagged_line(before[node.compose_file])
    assert dict(now, **{node.compose_file: before[node.compose_file]}) == before
    container = node.docker.inspect(COMPOSE_NAME)
    assert container["Image"] == old["Image"] and container["State"]["Status"] == "running"
    assert container["Config"]["Cmd"][-1].endswith("--join 10.0.0.1:26257 --upgrade-complete\n")


def test_inspected_for_a_rolling_upgrade_refuses_a_compose_file_that_starts_no_kwbase(node, module_runner):
    text = node.files()[node.compose_file].decode().replace("/kaiwudb/bin/kwbase  start", "/kaiwudb/bin/run.sh")
    write(node.compose_file, text)
    before = node.files()
    result = compose_module(node, module_runner, "inspected", start_flag=FLAG)
    assert result["failed"] is True and result["msg"] == (
        "%s: no line starts kwbase (kwbase start...) to add --upgrade-complete to, which the node needs to clear its "
        "UPGRADING mark in a rolling upgrade" % node.compose_file)
    assert node.files() == before
    assert succeeded(compose_module(node, module_runner, "inspected"))["changed"] is False


def test_compose_revert_removes_a_version_file_the_swap_created(node, module_runner):
    """An install without /etc/kaiwudb/info/.version (deploy.sh then treats any package as newer): the swap writes
    one; the way back must not leave it saying the new version while the old image runs."""
    os.remove(node.installed_version)
    before = node.files()
    failing = node.archive(node.docker.image(NEW, "3.2.2", exits=True, logs=FAILURE_LOG))
    assert compose_module(node, module_runner, "swapped", image_file=failing, version_file=node.new_version)["failed"]
    assert node.files()[node.installed_version] == b"3.2.2\n\n"
    succeeded(compose_module(node, module_runner, "reverted"))
    assert node.files() == before


def test_compose_cleaned_lets_the_marker_of_an_absent_version_file_go(node, module_runner):
    os.remove(node.installed_version)
    succeeded(compose_swap(node, module_runner))
    assert os.path.exists(node.installed_version + "-distsql-previous.absent")
    succeeded(compose_module(node, module_runner, "cleaned"))
    assert sorted(os.listdir(node.info_dir)) == [".version", "MODE"]
