"""What every node of a container scenario looks like, to compare before and after a run.

    python -m tests.molecule_support.container_state --inventory MOLECULE_EPHEMERAL/inventory/lab.yml --out state/before.json

The container host is this machine (tests/containers), so everything is read here, with Debian's docker client: per
node (the hosts of the lab inventory's kwdb group) the container's ``docker inspect`` entry (or null), the image it
runs, the ``KaiwuDB Version:`` line of ``kwbase version`` run inside it (``docker exec``; null when it does not run),
every entry of the data directory (path and type: the node writes while it runs, so sizes and sums change) and, in
compose mode, the text of docker-compose.yml, MODE and .version and the names in their directories (a copy the
flow kept would show there). Also every container and image docker knows, by name.
"""
import argparse
import json
import os
import subprocess

import yaml

DOCKER = "/usr/bin/docker"


def docker(*args):
    done = subprocess.run([DOCKER] + list(args), capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def inspect(name):
    rc, out, _err = docker("inspect", "--type", "container", name)
    return json.loads(out)[0] if rc == 0 else None


def version_inside(name, binary):
    rc, out, _err = docker("exec", name, binary, "version")
    if rc != 0:
        return None
    named = [line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("KaiwuDB Version:")]
    return named[0] if named else None


def data_entries(root):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            found.append([os.path.relpath(path, root), "dir" if os.path.isdir(path) else "file"])
    return sorted(found)


def read(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as source:
        return source.read()


def compose_files(variables):
    script, info = variables["distsql_kwdb_container_compose_dir"], variables["distsql_kwdb_container_info_dir"]
    return {"compose": read(os.path.join(script, "docker-compose.yml")), "mode": read(os.path.join(info, "MODE")),
            "version_file": read(os.path.join(info, ".version")),
            "listing": {"script": sorted(os.listdir(script)), "info": sorted(os.listdir(info))}}


def node(variables):
    name = variables["distsql_kwdb_container_name"]
    entry = inspect(name)
    running = bool(entry and entry["State"]["Running"])
    found = {"container": name, "inspect": entry, "image": entry["Config"]["Image"] if entry else None,
             "version": version_inside(name, variables["distsql_binary"]) if running else None,
             "data": data_entries(variables["distsql_data_dir"])}
    if variables.get("distsql_kwdb_container_mode") == "compose":
        found["files"] = compose_files(variables)
    return found


def lab_hosts(inventory_file):
    with open(inventory_file, encoding="utf-8") as source:
        inventory = yaml.safe_load(source)["all"]
    return {name: dict(inventory["vars"], **inventory["hosts"][name]) for name in inventory["children"]["kwdb"]["hosts"]}


def everything_docker_knows():
    _rc, containers, _err = docker("ps", "--all", "--format", "{{.Names}} {{.Image}}")
    _rc, images, _err = docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
    return {"containers": sorted(containers.split("\n")[:-1]), "images": sorted(images.split("\n")[:-1])}


def snapshot(inventory_file):
    nodes = {name: node(variables) for name, variables in lab_hosts(inventory_file).items()}
    return {"nodes": nodes, "docker": everything_docker_knows()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", required=True, help="the lab inventory (molecule's inventory/lab.yml)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(snapshot(args.inventory), out, indent=1, sort_keys=True)
    print(args.out)


if __name__ == "__main__":
    main()
