"""container_image through Ansible against a stateful fake docker CLI (tests/modules/fake_docker.py): the vendor's
docker run line swapped onto a new image with every parameter kept, a re-run, a failing image reverted to the very
same old container, the cleanup, and the refusals."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
VENDOR_LINE = ["run", "--detach", "--name", "kwdb", "--privileged", "--ulimit", "memlock=-1:-1",
               "--ulimit", "nofile=1048576:1048576", "--publish", "26257:26257/tcp", "--publish", "8080:8080/tcp",
               "--volume", "/var/lib/kaiwudb:/kaiwudb/deploy/kwdb-container", "--volume", "/etc/kaiwudb/certs:/kaiwudb/certs",
               "--ipc", "shareable", "--workdir", "/kaiwudb/bin", "--restart", "always", "--env", "LD_LIBRARY_PATH=/kaiwudb/lib",
               "kwdb:3.0.0", "./kwbase", "start-single-node", "--certs-dir=/kaiwudb/certs", "--listen-addr=0.0.0.0:26257",
               "--http-addr=0.0.0.0:8080", "--store=/kaiwudb/deploy/kwdb-container"]


def image(tag, version, exits=False):
    labels = {"vendor": "kaiwudb"}
    if exits:
        labels["fake.exits"] = "1"
    return {"Id": "sha256:%s" % tag.replace(":", "-").replace(".", ""), "RepoTags": [tag],
            "Config": {"Env": ["PATH=/usr/bin:/bin", "KWDB_VERSION=%s" % version], "Cmd": ["bash"], "Entrypoint": None,
                       "WorkingDir": "/", "Labels": labels}}


class Docker:
    def __init__(self, directory):
        self.directory = directory
        self.state = os.path.join(directory, "state.json")
        self.path = os.path.join(directory, "docker")
        with open(os.path.join(HERE, "fake_docker.py"), encoding="utf-8") as source:
            body = source.read()
        with open(self.path, "w", encoding="utf-8") as script:
            script.write("#!%s\n%s" % (sys.executable, body))
        os.chmod(self.path, 0o755)
        os.environ["FAKE_DOCKER_STATE"] = self.state

    def archive(self, name, *images):
        path = os.path.join(self.directory, name)
        with open(path, "w", encoding="utf-8") as out:
            json.dump(list(images), out)
        return path

    def __call__(self, *args):
        return subprocess.run([self.path] + list(args), check=True, capture_output=True, text=True).stdout

    def inspect(self, name):
        return json.loads(self(*["inspect", "--type", "container", name]))[0]

    def names(self):
        with open(self.state, encoding="utf-8") as source:
            return sorted(json.load(source)["containers"])

    def calls(self):
        with open(os.path.join(self.directory, "calls.jsonl"), encoding="utf-8") as source:
            return [json.loads(line)[0] for line in source]


@pytest.fixture
def docker(tmp_path):
    fake = Docker(str(tmp_path))
    fake("load", "--input", fake.archive("KaiwuDB-3.0.0.tar", image("kwdb:3.0.0", "3.0.0")))
    fake(*VENDOR_LINE)
    yield fake
    os.environ.pop("FAKE_DOCKER_STATE", None)


def swap(docker, module_runner, **extra):
    args = {"name": "kwdb", "state": "swapped", "docker": docker.path, "interval": 0.1, "timeout": 5, "stable_checks": 2}
    args.update(extra)
    return module_runner("container_image", args)


def test_the_vendor_container_is_swapped_with_every_parameter_kept(docker, module_runner):
    before = docker.inspect("kwdb")
    archive = docker.archive("KaiwuDB.tar", image("kwdb:3.1.0", "3.1.0"))
    result = swap(docker, module_runner, image_file=archive)
    assert result.get("failed") is not True, result
    assert result["changed"] is True and result["loaded"] == ["kwdb:3.1.0"]
    # the env differs only by the new image's own default (KWDB_VERSION), which is not a lost parameter
    assert result["differences"] == [], result["differences"]
    assert "KWDB_VERSION=3.1.0" in docker.inspect("kwdb")["Config"]["Env"]
    after = docker.inspect("kwdb")
    assert after["Config"]["Image"] == "kwdb:3.1.0" and after["State"]["Running"] is True
    assert after["HostConfig"] == before["HostConfig"] and after["Config"]["Cmd"] == before["Config"]["Cmd"]
    assert after["Config"]["WorkingDir"] == "/kaiwudb/bin" and "LD_LIBRARY_PATH=/kaiwudb/lib" in after["Config"]["Env"]
    assert result["previous"]["id"] == before["Id"] and result["previous"]["running"] is False
    assert docker.names() == ["kwdb", "kwdb-distsql-previous"]


def test_a_rerun_on_the_new_image_changes_nothing(docker, module_runner):
    archive = docker.archive("KaiwuDB.tar", image("kwdb:3.1.0", "3.1.0"))
    swap(docker, module_runner, image_file=archive)
    again = swap(docker, module_runner, image="kwdb:3.1.0")
    assert again["changed"] is False and again["already_on_image"] is True


def test_a_new_image_that_exits_fails_and_the_old_container_comes_back(docker, module_runner):
    before = docker.inspect("kwdb")
    archive = docker.archive("KaiwuDB.tar", image("kwdb:3.1.0", "3.1.0", exits=True))
    result = swap(docker, module_runner, image_file=archive)
    assert result["failed"] is True
    assert result["msg"] == ("container kwdb exited (exit code 1, restarted 0 times), which waiting will not change: "
                             "the new container does not keep running; its last log lines: "
                             "kwbase: simulated start failure"), result["msg"]
    reverted = module_runner("container_image", {"name": "kwdb", "state": "reverted", "docker": docker.path,
                                                 "interval": 0.1, "timeout": 5, "stable_checks": 2})
    assert reverted.get("failed") is not True and reverted["changed"] is True, reverted
    now = docker.inspect("kwdb")
    assert now["Id"] == before["Id"] and now["State"]["Running"] is True and now["Config"]["Image"] == "kwdb:3.0.0"
    assert docker.names() == ["kwdb"]


def test_cleaned_removes_the_old_container_and_its_image(docker, module_runner):
    swap(docker, module_runner, image_file=docker.archive("KaiwuDB.tar", image("kwdb:3.1.0", "3.1.0")))
    cleaned = module_runner("container_image", {"name": "kwdb", "state": "cleaned", "remove_old_image": True,
                                                "docker": docker.path})
    assert cleaned["changed"] is True and cleaned["removed_image"] == "sha256:kwdb-300"
    assert docker.names() == ["kwdb"]
    again = module_runner("container_image", {"name": "kwdb", "state": "cleaned", "docker": docker.path})
    assert again["changed"] is False


def test_check_mode_only_reads(docker, module_runner):
    docker("load", "--input", docker.archive("KaiwuDB.tar", image("kwdb:3.1.0", "3.1.0")))
    calls = len(docker.calls())
    result = module_runner("container_image", {"name": "kwdb", "state": "swapped", "image": "kwdb:3.1.0",
                                               "docker": docker.path}, check_mode=True)
    assert result["changed"] is True and result["run_argv"][-7] == "kwdb:3.1.0"
    assert set(docker.calls()[calls:]) == {"inspect", "image"}


@pytest.mark.parametrize("setup, args, message", [
    (None, {"name": "nosuch"}, "there is no container nosuch to swap"),
    ("previous", {}, "kwdb-distsql-previous exists already (an earlier swap was neither reverted nor cleaned): run "
                     "state reverted or cleaned first"),
    (None, {"image": None}, "state swapped needs image (or an image_file that loads exactly one image)"),
])
def test_refusals(docker, module_runner, setup, args, message):
    docker("load", "--input", docker.archive("KaiwuDB.tar", image("kwdb:3.1.0", "3.1.0")))
    if setup == "previous":
        docker("run", "--detach", "--name", "kwdb-distsql-previous", "kwdb:3.0.0")
    result = swap(docker, module_runner, **dict({"image": "kwdb:3.1.0"}, **args))
    assert result["failed"] is True and result["msg"] == message
