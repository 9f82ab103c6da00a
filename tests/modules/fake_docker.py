"""A stateful stand-in for the docker CLI subset the collection calls (inspect, image inspect, load, pull, info, stop,
rename, run, run --rm, exec, start, rm, rmi, logs), keeping containers, images and a registry to pull from in
$FAKE_DOCKER_STATE (JSON). `run` parses the flags the way dockerd stores them in `docker inspect` (HostConfig/Config,
the run's env before the image's), so a run argv round-trips; fake_compose.py creates containers through
new_container() too. Every call is appended to calls.jsonl beside the state.

Processes: an image lists the programs it holds under "FakeFiles" (path in the image -> an executable on this host,
such as a fake kwbase); `exec` and `run --rm` run that program with the container's env and pass its output and exit
code on. An image whose config has the label fake.exits makes its containers exit at once with exit code 1 and its
"FakeLogs" lines (default: one line) in the log: with restart policy no the container is exited; with any other
policy dockerd has restarted it once and shows it restarting. `start` resets the restart count, as dockerd does.

The output formats are docker 20.10's: a JSON array for inspect, "Loaded image: NAME" for load (a loaded tag moves
from the image that had it), the id for run, "Error: No such object: NAME" (rc 1) for an unknown name, and the
daemon's "Error response from daemon: ..." for the rest."""
import json
import os
import subprocess
import sys
import uuid

STATE = os.environ["FAKE_DOCKER_STATE"]
FLAGS_WITH_VALUE = {"--name", "--workdir", "--env", "--publish", "--volume", "--mount", "--ulimit", "--device",
                    "--restart", "--ipc", "--pid", "--network", "--shm-size", "--memory", "--cpus", "--cap-add",
                    "--cap-drop", "--security-opt", "--add-host", "--dns", "--sysctl", "--tmpfs", "--log-driver",
                    "--log-opt", "--hostname", "--user", "--stop-signal", "--label", "--entrypoint"}
RESTARTING_POLICIES = ("always", "unless-stopped", "on-failure")
DEFAULT_FAILURE_LOG = ["kwbase: simulated start failure"]
DAEMON = "Error response from daemon: "


def load_state():
    state = {"containers": {}, "images": {}, "registry": {}}
    if os.path.exists(STATE):
        with open(STATE, encoding="utf-8") as source:
            state.update(json.load(source))
    return state


def save_state(state):
    with open(STATE, "w", encoding="utf-8") as out:
        json.dump(state, out, indent=1)


def fail(message, rc=1):
    sys.stderr.write(message + "\n")
    sys.exit(rc)


def find_image(state, ref):
    for image_id, image in state["images"].items():
        if ref == image_id or ref in image["RepoTags"]:
            return image
    return None


def add_image(state, image):
    """A loaded or pulled image takes its tags from any other image that had them (which keeps only its id)."""
    for other in state["images"].values():
        if other["Id"] != image["Id"]:
            other["RepoTags"] = [tag for tag in other["RepoTags"] if tag not in image["RepoTags"]]
    state["images"][image["Id"]] = image


def merged_env(own, image_env):
    """dockerd's merge: the container's own entries, then each image entry whose name they do not set."""
    names = set(entry.split("=", 1)[0] for entry in own)
    return list(own) + [entry for entry in image_env or [] if entry.split("=", 1)[0] not in names]


def parse_run(args):
    """(flags as {flag: [values]} / {flag: True}, image, command)."""
    flags, position = {}, 0
    while position < len(args) and args[position].startswith("--"):
        flag = args[position]
        if flag in FLAGS_WITH_VALUE:
            flags.setdefault(flag, []).append(args[position + 1])
            position += 2
        else:
            flags[flag] = True
            position += 1
    return flags, args[position], args[position + 1:]


def host_config(flags):
    ports = {}
    for item in flags.get("--publish", []):
        *published, container_port = item.split(":")
        host_ip, host_port = (published[0], published[1]) if len(published) == 2 else ("", published[0] if published else "")
        ports.setdefault(container_port, []).append({"HostIp": host_ip, "HostPort": host_port})
    restart = flags.get("--restart", ["no"])[0].split(":")
    return {
        "Binds": flags.get("--volume") or None, "NetworkMode": flags.get("--network", ["default"])[0],
        "PortBindings": ports, "RestartPolicy": {"Name": restart[0], "MaximumRetryCount": int(restart[1]) if len(restart) > 1 else 0},
        "IpcMode": flags.get("--ipc", ["private"])[0], "Privileged": bool(flags.get("--privileged")),
        "ShmSize": 67108864, "LogConfig": {"Type": "json-file", "Config": {}}, "CapAdd": flags.get("--cap-add"),
        "Ulimits": [{"Name": name, "Soft": int(limits.split(":")[0]), "Hard": int(limits.split(":")[1])}
                    for name, limits in (item.split("=") for item in flags.get("--ulimit", []))] or None,
    }


def bind_mounts(binds):
    return [{"Type": "bind", "Source": bind.split(":")[0], "Destination": bind.split(":")[1], "RW": True}
            for bind in binds]


def new_container(state, name, image, config, host, mounts):
    """Create and start a container the way dockerd records it; the hostname defaults to the id's first 12."""
    if name in state["containers"]:
        fail('%sConflict. The container name "/%s" is already in use by container "%s". You have to remove (or '
             'rename) that container to be able to reuse that name.' % (DAEMON, name, state["containers"][name]["Id"]))
    container_id = uuid.uuid4().hex + uuid.uuid4().hex
    entry = {
        "Id": container_id, "Name": "/" + name, "Created": "2026-12-01T10:00:%02dZ" % len(state["containers"]),
        "Image": image["Id"], "RestartCount": 0, "Config": dict(config, Hostname=config.get("Hostname") or container_id[:12]),
        "HostConfig": host, "Mounts": mounts, "State": {},
        "NetworkSettings": {"IPAddress": "172.17.0.%d" % (len(state["containers"]) + 2)}, "Logs": []}
    state["containers"][name] = entry
    start_process(entry, image)
    return entry


def start_process(entry, image):
    entry["RestartCount"] = 0
    if "fake.exits" not in (image["Config"].get("Labels") or {}):
        entry["State"] = {"Status": "running", "Running": True, "Paused": False, "Restarting": False, "ExitCode": 0}
        entry["Logs"].append("node started")
        return
    restarted = entry["HostConfig"]["RestartPolicy"]["Name"] in RESTARTING_POLICIES
    for _run in range(2 if restarted else 1):
        entry["Logs"].extend(image.get("FakeLogs") or DEFAULT_FAILURE_LOG)
    entry["RestartCount"] = 1 if restarted else 0
    entry["State"] = {"Status": "restarting" if restarted else "exited", "Running": restarted, "Paused": False,
                      "Restarting": restarted, "ExitCode": 1}


def run(state, args):
    flags, ref, command = parse_run([arg for arg in args if arg != "--detach"])
    image = find_image(state, ref) or fail("Unable to find image '%s' locally" % ref, 125)
    image_config = image["Config"]
    entrypoint = [flags["--entrypoint"][0]] if flags.get("--entrypoint") else image_config.get("Entrypoint")
    cmd = command or ([] if flags.get("--entrypoint") else image_config.get("Cmd"))
    env = merged_env(flags.get("--env", []), image_config.get("Env"))
    if flags.get("--rm"):
        return run_program(image, env, (entrypoint or []) + (cmd or []), 127, "docker: " + DAEMON + "OCI runtime create failed: ")
    config = {"Hostname": flags.get("--hostname", [""])[0], "User": image_config.get("User", ""), "Tty": False,
              "OpenStdin": False, "Env": env, "Cmd": cmd, "Image": ref,
              "WorkingDir": flags.get("--workdir", [image_config.get("WorkingDir", "")])[0], "Entrypoint": entrypoint,
              "Labels": dict(image_config.get("Labels") or {})}
    entry = new_container(state, flags["--name"][0], image, config, host_config(flags),
                          bind_mounts(flags.get("--volume", [])))
    print(entry["Id"])
    return 0


def run_program(image, env, argv, missing_rc, missing_prefix):
    """Run the image's program for argv[0] with the container's env; its output and exit code are the call's."""
    program = (image.get("FakeFiles") or {}).get(argv[0]) if argv else None
    if program is None:
        path = argv[0] if argv else ""
        fail('%scontainer_linux.go:380: starting container process caused: exec: "%s": stat %s: no such file or '
             'directory: unknown' % (missing_prefix, path, path), missing_rc)
    environment = dict(os.environ, **dict(entry.split("=", 1) for entry in env if "=" in entry))
    return subprocess.run([program] + argv[1:], env=environment, check=False).returncode


def exec_in(state, args):
    name, argv = args[0], args[1:]
    entry = state["containers"].get(name) or fail("%sNo such container: %s" % (DAEMON, name))
    if entry["State"]["Restarting"]:
        fail("%sContainer %s is restarting, wait until the container is running" % (DAEMON, entry["Id"]))
    if not entry["State"]["Running"]:
        fail("%sContainer %s is not running" % (DAEMON, entry["Id"]))
    return run_program(state["images"][entry["Image"]], entry["Config"]["Env"], argv, 126, "OCI runtime exec failed: exec failed: ")


def pull(state, ref):
    image = state["registry"].get(ref) or fail("%smanifest for %s not found: manifest unknown: manifest unknown" % (DAEMON, ref))
    add_image(state, image)
    repository, tag = ref.rsplit(":", 1)
    print("%s: Pulling from %s\nDigest: sha256:%s\nStatus: Downloaded newer image for %s\ndocker.io/%s"
          % (tag, repository, image["Id"].split(":")[-1], ref, ref))


def load(state, path):
    with open(path, encoding="utf-8") as archive:
        images = json.load(archive)
    for image in images:
        add_image(state, image)
        print("Loaded image: %s" % image["RepoTags"][0])


def remove_image(state, ref):
    """rmi: a name loses its tag (the image goes with its last one); an image a container uses stays."""
    image = find_image(state, ref) or fail("%sNo such image: %s" % (DAEMON, ref))
    users = [entry["Id"][:12] for entry in state["containers"].values() if entry["Image"] == image["Id"]]
    if users:
        fail("%sconflict: unable to remove repository reference \"%s\" (must force) - container %s is using its "
             "referenced image %s" % (DAEMON, ref, users[0], image["Id"][7:19]))
    if ref in image["RepoTags"] and len(image["RepoTags"]) > 1:
        image["RepoTags"].remove(ref)
        print("Untagged: %s" % ref)
        return
    del state["images"][image["Id"]]
    print("Deleted: %s" % image["Id"])


def stop(entry):
    entry["State"].update(Status="exited", Running=False, Restarting=False)


def start(state, entry):
    if not entry["State"]["Running"]:
        start_process(entry, state["images"][entry["Image"]])


def public(entry):
    return dict((key, value) for key, value in entry.items() if key != "Logs" and not key.startswith("Fake"))


def container(state, name):
    return state["containers"].get(name) or fail("%sNo such container: %s" % (DAEMON, name))


def dispatch(state, args):
    containers, verb = state["containers"], args[0]
    if verb == "inspect":
        print(json.dumps([public(containers.get(args[-1]) or fail("Error: No such object: %s" % args[-1]))]))
    elif verb == "image" and args[1] == "inspect":
        print(json.dumps([public(find_image(state, args[2]) or fail("Error: No such image: %s" % args[2]))]))
    elif verb == "info" and args[1:] == ["--format", "{{.DockerRootDir}}"]:
        print(state.get("DockerRootDir") or os.path.dirname(STATE))
    elif verb in ("load", "pull", "rmi"):
        {"load": load, "pull": pull, "rmi": remove_image}[verb](state, args[-1])
    elif verb in ("stop", "start"):
        stop(container(state, args[-1])) if verb == "stop" else start(state, container(state, args[-1]))
        print(args[-1])
    elif verb == "rename":
        entry = containers.pop(args[1], None) or fail("%sNo such container: %s" % (DAEMON, args[1]))
        entry["Name"] = "/" + args[2]
        containers[args[2]] = entry
    elif verb in ("run", "exec"):
        return (run if verb == "run" else exec_in)(state, args[1:])
    elif verb == "rm":
        containers.pop(args[-1], None) or fail("Error: No such container: %s" % args[-1])
    elif verb == "logs":
        tail = int(args[args.index("--tail") + 1]) if "--tail" in args else 0
        print("\n".join(container(state, args[-1])["Logs"][-tail:]))
    else:
        fail("fake docker does not know %s" % " ".join(args))
    return 0


def main():
    args = sys.argv[1:]
    with open(os.path.join(os.path.dirname(STATE), "calls.jsonl"), "a", encoding="utf-8") as calls:
        calls.write(json.dumps(args) + "\n")
    state = load_state()
    rc = dispatch(state, args)
    save_state(state)
    return rc


if __name__ == "__main__":
    sys.exit(main())
