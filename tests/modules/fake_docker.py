"""A stateful stand-in for the docker CLI subset container_image calls (inspect, image inspect, load, stop, rename,
run, start, rm, rmi, logs), keeping containers and images in $FAKE_DOCKER_STATE (JSON). `run` parses the flags the
way dockerd stores them in `docker inspect` (HostConfig/Config), so a run argv round-trips. An image whose config
has the label fake.exits makes its containers exit at once. Every call is appended to calls.jsonl beside the state.
The output formats are docker 20.10's: a JSON array for inspect, "Loaded image: NAME" for load, the id for run, and
"Error: No such object: NAME" (rc 1) for an unknown name."""
import json
import os
import sys
import uuid

STATE = os.environ["FAKE_DOCKER_STATE"]
FLAGS_WITH_VALUE = {"--name", "--workdir", "--env", "--publish", "--volume", "--mount", "--ulimit", "--device",
                    "--restart", "--ipc", "--pid", "--network", "--shm-size", "--memory", "--cpus", "--cap-add",
                    "--cap-drop", "--security-opt", "--add-host", "--dns", "--sysctl", "--tmpfs", "--log-driver",
                    "--log-opt", "--hostname", "--user", "--stop-signal", "--label", "--entrypoint"}


def load_state():
    if not os.path.exists(STATE):
        return {"containers": {}, "images": {}}
    with open(STATE, encoding="utf-8") as source:
        return json.load(source)


def save_state(state):
    with open(STATE, "w", encoding="utf-8") as out:
        json.dump(state, out, indent=1)


def fail(message):
    sys.stderr.write("Error: %s\n" % message)
    sys.exit(1)


def find_image(state, ref):
    for image_id, image in state["images"].items():
        if ref == image_id or ref in image["RepoTags"]:
            return image
    return None


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


def run(state, args):
    flags, ref, command = parse_run([arg for arg in args if arg != "--detach"])
    image = find_image(state, ref) or fail("Unable to find image '%s' locally" % ref)
    name = flags["--name"][0]
    if name in state["containers"]:
        fail('Conflict. The container name "/%s" is already in use' % name)
    image_config = image["Config"]
    container_id = uuid.uuid4().hex + uuid.uuid4().hex
    config = {"Hostname": container_id[:12], "User": image_config.get("User", ""), "Tty": False, "OpenStdin": False,
              "Env": image_config.get("Env", []) + flags.get("--env", []),
              "Cmd": command or ([] if flags.get("--entrypoint") else image_config.get("Cmd")),
              "Image": ref, "WorkingDir": flags.get("--workdir", [image_config.get("WorkingDir", "")])[0],
              "Entrypoint": [flags["--entrypoint"][0]] if flags.get("--entrypoint") else image_config.get("Entrypoint"),
              "Labels": dict(image_config.get("Labels") or {})}
    exits = "fake.exits" in (image_config.get("Labels") or {})
    binds = flags.get("--volume", [])
    state["containers"][name] = {
        "Id": container_id, "Name": "/" + name, "Created": "2026-12-01T10:00:%02dZ" % len(state["containers"]),
        "Image": image["Id"], "Config": config, "HostConfig": host_config(flags),
        "State": {"Status": "exited" if exits else "running", "Running": not exits, "Restarting": False,
                  "ExitCode": 1 if exits else 0},
        "Mounts": [{"Type": "bind", "Source": bind.split(":")[0], "Destination": bind.split(":")[1], "RW": True}
                   for bind in binds],
        "NetworkSettings": {"IPAddress": "172.17.0.%d" % (len(state["containers"]) + 2)},
        "Logs": ["kwbase: simulated start failure"] if exits else ["node started"]}
    print(container_id)


def main():
    args = sys.argv[1:]
    with open(os.path.join(os.path.dirname(STATE), "calls.jsonl"), "a", encoding="utf-8") as calls:
        calls.write(json.dumps(args) + "\n")
    state = load_state()
    containers, verb = state["containers"], args[0]
    if verb == "inspect":
        name = args[-1]
        if name not in containers:
            fail("No such object: %s" % name)
        print(json.dumps([dict((key, value) for key, value in containers[name].items() if key != "Logs")]))
    elif verb == "image" and args[1] == "inspect":
        print(json.dumps([find_image(state, args[2]) or fail("No such image: %s" % args[2])]))
    elif verb == "load":
        with open(args[2], encoding="utf-8") as archive:
            images = json.load(archive)
        for image in images:
            state["images"][image["Id"]] = image
            print("Loaded image: %s" % image["RepoTags"][0])
    elif verb == "stop":
        containers[args[-1]]["State"].update(Status="exited", Running=False)
    elif verb == "rename":
        entry = containers.pop(args[1])
        entry["Name"] = "/" + args[2]
        containers[args[2]] = entry
    elif verb == "run":
        run(state, args[1:])
    elif verb == "start":
        containers[args[1]]["State"].update(Status="running", Running=True)
    elif verb == "rm":
        containers.pop(args[-1], None) or fail("No such container: %s" % args[-1])
    elif verb == "rmi":
        if any(entry["Image"] == args[1] for entry in containers.values()):
            fail("conflict: unable to delete %s (cannot be forced) - image is being used by running container" % args[1][:12])
        state["images"].pop(args[1])
    elif verb == "logs":
        print("\n".join(containers[args[-1]]["Logs"]))
    else:
        fail("fake docker does not know %s" % " ".join(args))
    save_state(state)


if __name__ == "__main__":
    main()
