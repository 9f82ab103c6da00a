"""A stateful stand-in for docker-compose 1.29 (`[--file F] up -d`, `[--file F] down [--timeout N]`), sharing the
fake docker's state ($FAKE_DOCKER_STATE; fake_docker.py must sit beside this script). It reads docker-compose.yml
(or F) from its working directory with PyYAML, interpolates $VAR / ${VAR} from its own environment (an unset one is
blank, with 1.29's warning) and `$$`, and:

- `up -d` creates each service's container (container_name, else <project>_<service>_1) the way dockerd records
  what 1.29 sends: image, hostname, ports, ulimits, volumes as "src:dst:rw" binds, env_file then environment (then
  the image's env), restart, ipc, privileged, tty, working_dir, command, the network <project>_default, and the
  com.docker.compose.* labels, config-hash being the sha256 of the service's config (options and image id) as 1.29
  computes it. 1.29 lists a service's volumes in set order, which changes from one run to the next: here the
  binds come in the file's order on every other `up` and reversed on the others. A container of the service that
  is up to date is only started; one whose config-hash differs is recreated; a container of that name that is not
  the project's is a conflict.
- `down` stops and removes the containers of the project (by label).

The project is the compose file's directory name, lowercased, keeping [-_a-z0-9]. Each call is appended to
compose_calls.jsonl beside the state as {"argv": ..., "cwd": ...}."""
import hashlib
import json
import os
import re
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import yaml  # noqa: E402

import fake_docker as docker  # noqa: E402

VERSION = "1.29.2"
_VARIABLE = re.compile(r"\$(?:\$|\{(?P<braced>\w+)\}|(?P<named>\w+))")


def interpolate(value, warned):
    if isinstance(value, dict):
        return dict((key, interpolate(item, warned)) for key, item in value.items())
    if isinstance(value, list):
        return [interpolate(item, warned) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match):
        name = match.group("braced") or match.group("named")
        if name is None:
            return "$"
        if name not in os.environ and name not in warned:
            warned.add(name)
            sys.stderr.write("WARNING: The %s variable is not set. Defaulting to a blank string.\n" % name)
        return os.environ.get(name, "")

    return _VARIABLE.sub(substitute, value)


def env_file_entries(path):
    """KEY=VALUE lines of an env_file, quotes around the value removed (python-dotenv, as 1.29 reads them)."""
    if not os.path.exists(path):
        docker.fail("ERROR: Couldn't find env file: %s" % path)
    entries = {}
    with open(path, encoding="utf-8") as source:
        for line in source:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                entries[key.strip()] = value.strip().strip("'\"")
    return entries


def service_env(service):
    env = {}
    for path in service.get("env_file") or []:
        env.update(env_file_entries(path))
    environment = service.get("environment") or []
    if isinstance(environment, dict):
        env.update((key, "" if value is None else str(value)) for key, value in environment.items())
    else:
        env.update(entry.split("=", 1) if "=" in entry else (entry, os.environ.get(entry, "")) for entry in environment)
    return ["%s=%s" % item for item in env.items()]


def port_bindings(service):
    bindings = {}
    for item in service.get("ports") or []:
        *published, container_port = str(item).split(":")
        host_ip = published[0] if len(published) == 2 else ""
        host_port = published[-1] if published else ""
        key = container_port if "/" in container_port else container_port + "/tcp"
        bindings.setdefault(key, []).append({"HostIp": host_ip, "HostPort": host_port})
    return bindings


def ulimits(service):
    limits = []
    for name, value in (service.get("ulimits") or {}).items():
        soft, hard = (value["soft"], value["hard"]) if isinstance(value, dict) else (value, value)
        limits.append({"Name": name, "Soft": int(soft), "Hard": int(hard)})
    return limits or None


def binds(service, reverse):
    found = []
    for item in service.get("volumes") or []:
        parts = item.split(":")
        found.append(":".join(parts) if len(parts) == 3 else "%s:%s:rw" % (parts[0], parts[1]))
    return list(reversed(found)) if reverse else found


def restart_policy(service):
    name, _sep, count = str(service.get("restart") or "").partition(":")
    return {"Name": "" if name == "no" else name, "MaximumRetryCount": int(count or 0)}


def command(service):
    value = service.get("command")
    return shlex.split(value) if isinstance(value, str) else value


def config_hash(service, image, network):
    """1.29's json_hash of Service.config_dict()."""
    config = {"options": service, "image_id": image["Id"], "links": [], "net": network,
              "ipc_mode": service.get("ipc"), "networks": {network: None}, "secrets": [], "volumes_from": []}
    dump = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(dump.encode("utf8")).hexdigest()


class Project:
    def __init__(self, path, state):
        self.path, self.state = path, state
        self.directory = os.path.dirname(path)
        self.name = re.sub(r"[^-_a-z0-9]", "", os.path.basename(self.directory).lower())
        self.network = self.name + "_default"
        with open(path, encoding="utf-8") as source:
            self.services = interpolate(yaml.safe_load(source).get("services") or {}, set())

    def container_name(self, service_name):
        return self.services[service_name].get("container_name") or "%s_%s_1" % (self.name, service_name)

    def labels(self, service_name, image):
        return {"com.docker.compose.config-hash": config_hash(self.services[service_name], image, self.network),
                "com.docker.compose.container-number": "1", "com.docker.compose.oneoff": "False",
                "com.docker.compose.project": self.name, "com.docker.compose.project.config_files": self.path,
                "com.docker.compose.project.working_dir": self.directory, "com.docker.compose.service": service_name,
                "com.docker.compose.version": VERSION}

    def image(self, service_name):
        ref = self.services[service_name]["image"]
        found = docker.find_image(self.state, ref)
        if found is None:
            sys.stderr.write("Pulling %s (%s)...\n" % (service_name, ref))
            found = self.state["registry"].get(ref) or docker.fail(
                "ERROR: manifest for %s not found: manifest unknown: manifest unknown" % ref)
            docker.add_image(self.state, found)
        return found

    def create(self, service_name, image):
        service = self.services[service_name]
        image_config = image["Config"]
        labels = dict(image_config.get("Labels") or {}, **self.labels(service_name, image))
        config = {"Hostname": service.get("hostname", ""), "User": service.get("user", image_config.get("User", "")),
                  "Tty": bool(service.get("tty")), "OpenStdin": bool(service.get("stdin_open")),
                  "Env": docker.merged_env(service_env(service), image_config.get("Env")),
                  "Cmd": command(service) or image_config.get("Cmd"), "Image": service["image"],
                  "WorkingDir": service.get("working_dir") or image_config.get("WorkingDir", ""),
                  "Entrypoint": service.get("entrypoint") or image_config.get("Entrypoint"), "Labels": labels}
        self.state["compose_ups"] = self.state.get("compose_ups", 0) + 1
        volume_binds = binds(service, reverse=self.state["compose_ups"] % 2 == 0)
        host = {"Binds": volume_binds or None, "NetworkMode": self.network, "PortBindings": port_bindings(service),
                "RestartPolicy": restart_policy(service), "IpcMode": service.get("ipc") or "private",
                "Privileged": bool(service.get("privileged")), "ShmSize": 67108864,
                "LogConfig": {"Type": "json-file", "Config": {}}, "CapAdd": service.get("cap_add"),
                "Ulimits": ulimits(service)}
        mounts = [dict(mount, Mode="rw", Propagation="rprivate") for mount in docker.bind_mounts(volume_binds)]
        docker.new_container(self.state, self.container_name(service_name), image, config, host, mounts)

    def up(self):
        for service_name in self.services:
            name, image = self.container_name(service_name), self.image(service_name)
            existing = self.state["containers"].get(name)
            labels = (existing or {}).get("Config", {}).get("Labels") or {}
            if existing is not None and labels.get("com.docker.compose.project") != self.name:
                docker.fail('ERROR: for %s  Cannot create container for service %s: Conflict. The container name '
                            '"/%s" is already in use by container "%s". You have to remove (or rename) that '
                            'container to be able to reuse that name.' % (name, service_name, name, existing["Id"]))
            if existing is not None and labels["com.docker.compose.config-hash"] == self.labels(service_name, image)[
                    "com.docker.compose.config-hash"]:
                docker.start(self.state, existing)
                sys.stderr.write("%s is up-to-date\n" % name)
                continue
            if existing is not None:
                del self.state["containers"][name]
                sys.stderr.write("Recreating %s ... done\n" % name)
            else:
                sys.stderr.write("Creating %s ... done\n" % name)
            self.create(service_name, image)

    def down(self):
        containers = self.state["containers"]
        for name in [name for name, entry in containers.items()
                     if (entry["Config"].get("Labels") or {}).get("com.docker.compose.project") == self.name]:
            docker.stop(containers[name])
            del containers[name]
            sys.stderr.write("Stopping %s ... done\nRemoving %s ... done\n" % (name, name))
        sys.stderr.write("Removing network %s\n" % self.network)


def main():
    args = sys.argv[1:]
    with open(os.path.join(os.path.dirname(docker.STATE), "compose_calls.jsonl"), "a", encoding="utf-8") as calls:
        calls.write(json.dumps({"argv": args, "cwd": os.getcwd()}) + "\n")
    file_name = "docker-compose.yml"
    if args[:1] == ["--file"]:
        file_name, args = args[1], args[2:]
    path = os.path.abspath(file_name)
    if not os.path.exists(path):
        docker.fail("ERROR: .FileNotFoundError: [Errno 2] No such file or directory: '%s'" % file_name)
    state = docker.load_state()
    project = Project(path, state)
    if args == ["up", "-d"]:
        project.up()
    elif args[:1] == ["down"] and args[1:2] in ([], ["--timeout"]):
        project.down()
    else:
        docker.fail("fake docker-compose does not know %s" % " ".join(args))
    docker.save_state(state)


if __name__ == "__main__":
    main()
