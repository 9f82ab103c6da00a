"""A KWDB cluster in docker on this machine, started the vendor's way (flow-surfaces-kwdb §2.10, §3).

``run`` mode: the docs' ``docker run -d`` lines, one container per node (``<lab>-kwdb<i>``): ``--privileged``,
``--ulimit memlock=-1 --ulimit nofile=1048576``, ports (SQL and HTTP published from the fixed container ports 26257 and
8080; the brpc port the same on both sides, as the docs require), the data dir bound to
``/kaiwudb/deploy/kwdb-container``, secure: the certificates bound to ``/kaiwudb/certs`` and ``--certs-dir``,
``--ipc shareable``, ``-w /kaiwudb/bin``, ``-e LD_LIBRARY_PATH=/kaiwudb/lib``, ``--restart on-failure``, then
``./kwbase start-single-node`` (one node) or ``./kwbase start ... --join <node1>`` and ``docker exec <node1> ./kwbase
init`` (several). ``compose`` mode: one node from deploy.sh's docker-compose.yml template in the lab's
``etc/kaiwudb/script`` with ``etc/kaiwudb/info/MODE`` and ``.version`` beside it, ``docker-compose up -d`` there
(the docs' manual procedure); the container is ``kaiwudb-container``, as deploy.sh names it, so one compose lab at a
time. ``mixed`` mode: a cluster of ``docker run`` nodes whose last node is deploy.sh's compose install (``start
--join <node1>``, MODE line 2 ``multi-replication``): deploy.sh's container name allows one compose node per docker
host, and this machine is the one docker host, so a cluster can hold one compose node beside its run nodes.

Testbed-only additions, each marked where it is written: the lab's ``shared/`` directory bound to
``/testbed/shared`` (the simulator's stand-in for replication, as on the podman hosts) and the label
``distsql-containers.lab=<lab>`` on run-mode containers. Nodes advertise the docker0 address and their host port: the
address both this machine's clients and the other containers reach (the docs advertise the host's address).

Everything of a lab lives in ``<work dir>/labs/<name>/``: lab.json, inventory.yml, bin/kwbase (the simulated kwbase
CLI of the lab's version, for this machine), certs/, data dirs and the compose tree.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from . import images
from .docker import (COMPOSE, DOCKER, LABEL, ContainerLabError, bridge_gateway, check_daemon, compose, docker, log,
                     poll, work_dir)
from tests.testbed.hostlab import CLUSTER_NAME_RE, _write_if_changed, yaml_dump
from tests.testbed.provision_kwdb import make_certs_tarball
from sim import kwdb_packages, releases  # pylint: disable=wrong-import-order
from sim.build import build_zipapp  # pylint: disable=wrong-import-order

MODES = ("run", "compose", "mixed")
SQL_PORT, HTTP_PORT, BRPC_PORT = 26257, 8080, 27257
RUN_DATA_MOUNT = "/kaiwudb/deploy/kwdb-container"          # docs' docker run lines
COMPOSE_DATA_MOUNT = "/kaiwudb/deploy/kaiwudb-container"   # deploy.sh's compose template
CERTS_MOUNT = "/kaiwudb/certs"
SHARED_MOUNT = "/testbed/shared"
COMPOSE_CONTAINER = "kaiwudb-container"
MANAGEMENT_USER = "kaiwudb"
READY_TIMEOUT = 90

# deploy.sh's create_compose, rendered (flow-surfaces-kwdb §2.10): whitespace kept, a 4-space line where $cpus is
# empty, trailing spaces after `networks:` and `command:`, two spaces after kwbase and before the join option.
COMPOSE_TEMPLATE = "\n".join((
    "version: '3.3'",
    'services:',
    '  kaiwudb-container:',
    '    image: %(image)s',
    '    container_name: kaiwudb-container',
    '    hostname: kaiwudb-container',
    '    ports:',
    '      - %(http)d:8080',
    '      - %(sql)d:26257',
    '      - %(brpc)d:%(brpc)d',
    '    ',
    '    ulimits:',
    '      memlock: -1',
    '      nofile: 1048576',
    '    volumes:',
    '      - %(certs)s:/kaiwudb/certs',
    '      - %(data)s:/kaiwudb/deploy/kaiwudb-container',
    '      - /dev:/dev',
    "      # testbed: the simulator's shared state (its stand-in for replication), as on the podman hosts",
    '      - %(shared)s:/testbed/shared',
    '    networks: ',
    '      - default',
    '    restart: on-failure',
    '    ipc: shareable',
    '    privileged: true',
    '    environment:',
    '      - LD_LIBRARY_PATH=/kaiwudb/lib',
    '%(env_file)s    tty: true',
    '    working_dir: /kaiwudb/bin',
    '    command: ',
    '      - /bin/bash',
    '      - -c',
    '      - |',
    '        /kaiwudb/bin/kwbase  %(start_type)s %(start_arg)s%(secure)s'
    ' --listen-addr=0.0.0.0:26257 --advertise-addr=%(addr)s:%(sql)d --http-addr=0.0.0.0:8080'
    ' --brpc-addr=0.0.0.0:%(brpc)d --store=/kaiwudb/deploy/kaiwudb-container  %(join)s',
    '',
))


def labs_dir():
    return os.path.join(work_dir(), "labs")


def lab_dir(name):
    return os.path.join(labs_dir(), name)


def lab_names():
    try:
        return sorted(n for n in os.listdir(labs_dir()) if os.path.exists(os.path.join(lab_dir(n), "lab.json")))
    except FileNotFoundError:
        return []


def read_lab(name):
    try:
        with open(os.path.join(lab_dir(name), "lab.json"), encoding="utf-8") as source:
            return json.load(source)
    except FileNotFoundError:
        raise ContainerLabError("no container lab %r (labs: %s)" % (name, ", ".join(lab_names()) or "none")) from None


def _port_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _taken_ports():
    taken = set()
    for name in lab_names():
        for node in read_lab(name)["nodes"]:
            taken.update((node["sql_port"], node["http_port"], node["brpc_port"]))
    return taken


def allocate_ports(count):
    """(sql, http, brpc) host ports per node: the vendor's defaults when free, else the next free ones."""
    taken = _taken_ports()
    result = []
    for preferred in (SQL_PORT, HTTP_PORT, BRPC_PORT):
        ports, port = [], preferred
        while len(ports) < count:
            if port not in taken and _port_free(port):
                ports.append(port)
                taken.add(port)
            port += 1
        result.append(ports)
    return list(zip(*result))


def security_flags(secure, certs_dir=CERTS_MOUNT):
    return ["--certs-dir=%s" % certs_dir] if secure else ["--insecure"]


class ContainerLab:
    """One lab (read from or written to its lab.json)."""

    def __init__(self, state):
        self.state = state

    name = property(lambda self: self.state["name"])
    dir = property(lambda self: lab_dir(self.state["name"]))
    nodes = property(lambda self: self.state["nodes"])
    secure = property(lambda self: self.state["secure"])
    client = property(lambda self: os.path.join(self.dir, "bin", "kwbase"))
    inventory_path = property(lambda self: os.path.join(self.dir, "inventory.yml"))

    @classmethod
    def load(cls, name):
        return cls(read_lab(name))

    def save(self):
        _write_if_changed(os.path.join(self.dir, "lab.json"), json.dumps(self.state, indent=1) + "\n")

    # ------------------------------------------------------------------ client on this machine
    def kwbase(self, *args, node=0, check=True, timeout=60):
        """The simulated kwbase CLI on this machine against node ``node``'s published SQL port."""
        argv = [self.client] + list(args) + ["--host=127.0.0.1:%d" % self.nodes[node]["sql_port"]]
        argv += security_flags(self.secure, os.path.join(self.dir, "certs"))
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise ContainerLabError("%s failed (exit %d): %s" % (" ".join(argv), result.returncode,
                                                                 (result.stderr or result.stdout).strip()))
        return result

    def sql(self, statement, node=0):
        return self.kwbase("sql", "--format=tsv", "-e", statement, node=node).stdout

    def node_status(self, node=0):
        """Rows of ``kwbase node status --format=csv`` as dicts, or None when it fails."""
        result = self.kwbase("node", "status", "--format=csv", node=node, check=False, timeout=15)
        if result.returncode != 0:
            return None
        lines = result.stdout.splitlines()
        return [dict(zip(lines[0].split(","), line.split(","))) for line in lines[1:]]

    def container_state(self, container):
        result = docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}", container,
                        check=False)
        return result.stdout.strip() if result.returncode == 0 else "missing"

    def wait_live(self, timeout=READY_TIMEOUT):
        """Setup helper: poll until every node is available and live (fails early when a container stopped)."""
        def probe():
            for node in self.nodes:
                state = self.container_state(node["container"])
                if not state.startswith("running"):
                    logs = docker("logs", "--tail", "20", node["container"], check=False)
                    raise ContainerLabError("container %s is %s; its log ends:\n%s%s" % (
                        node["container"], state, logs.stdout, logs.stderr))
            rows = self.node_status()
            done = bool(rows) and len(rows) == len(self.nodes) and all(
                r.get("is_available") == "true" and r.get("is_live") == "true" for r in rows)
            return done, rows
        return poll("%d live KWDB node(s) in lab %s" % (len(self.nodes), self.name), probe, timeout)

    # ------------------------------------------------------------------ inventory
    def inventory(self):
        state = self.state
        hosts = {}
        for node in self.nodes:
            compose_mode = node_mode(state, node) == "compose"
            host = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                    # the address node status shows: every node advertises docker0 with its own host port
                    "distsql_node_address": "%s:%d" % (state["address"], node["sql_port"]),
                    "distsql_sql_port": node["sql_port"], "distsql_http_port": node["http_port"],
                    "distsql_data_dir": node["data_dir"],
                    # the published SQL port, where this machine's client reaches the node
                    "distsql_sql_address": "127.0.0.1:%d" % node["sql_port"],
                    "distsql_kwdb_container_name": node["container"],
                    "distsql_kwdb_container_brpc_port": node["brpc_port"]}
            if compose_mode:
                host["distsql_kwdb_container_mode"] = "compose"
                host["distsql_kwdb_container_compose_dir"] = os.path.join(self.dir, "etc", "kaiwudb", "script")
                host["distsql_kwdb_container_info_dir"] = os.path.join(self.dir, "etc", "kaiwudb", "info")
                host["distsql_kwdb_container_data_mount"] = COMPOSE_DATA_MOUNT
            else:
                host["distsql_kwdb_container_run_options"] = node["run_options"]
                host["distsql_kwdb_container_command"] = node["command"]
            hosts[node["host"]] = host
        variables = {
            "distsql_engine": "kwdb",
            "distsql_topology": state["topology"],
            "distsql_group": "kwdb",
            "distsql_binary": images.KWBASE_IN_IMAGE,
            "distsql_insecure": not self.secure,
        }
        if self.secure:
            variables["distsql_certs_dir"] = os.path.join(self.dir, "certs")
        variables.update({
            "distsql_kwdb_deploy_mode": "container",
            "distsql_kwdb_container_mode": "run",
            "distsql_kwdb_container_docker": DOCKER,
            "distsql_kwdb_container_compose": COMPOSE,
            "distsql_kwdb_container_version": state["version"],
            "distsql_kwdb_container_image": state["image"],
            "distsql_kwdb_container_image_files": state["image_files"],
            "distsql_kwdb_container_broken_image_files": state["broken_image_files"],
            "distsql_kwdb_container_data_mount": RUN_DATA_MOUNT,
            "distsql_kwdb_container_certs_mount": CERTS_MOUNT,
            "distsql_client_binary": self.client,
        })
        return {"all": {"vars": variables, "hosts": hosts,
                        "children": {"kwdb": {"hosts": {node["host"]: {} for node in self.nodes}}}}}

    def write_inventory(self):
        _write_if_changed(self.inventory_path, "---\n" + yaml_dump(self.inventory()))
        return self.inventory_path


# ---------------------------------------------------------------------- up
def node_mode(state, node):
    """run or compose: a lab's nodes are all of its mode, but for a mixed lab's compose node."""
    return node.get("mode") or ("compose" if state["mode"] == "compose" else "run")


def has_compose_node(state):
    return any(node_mode(state, node) == "compose" for node in state["nodes"])


def _image_files(out_dir):
    found, broken = {}, {}
    for version in images.VERSIONS:
        for is_broken, into in ((False, found), (True, broken)):
            path = images.image_file(out_dir, version, is_broken)
            if os.path.exists(path):
                into[version] = path
    return found, broken


def _certs(lab_root, target, address):
    os.makedirs(target, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kwdb-certs-") as workdir:
        tarball = make_certs_tarball(os.path.join(workdir, "certs.tar.gz"), [address])
        subprocess.run(["tar", "-xzf", tarball, "-C", target], check=True)
    for name in os.listdir(target):
        os.chmod(os.path.join(target, name), 0o600 if name.endswith(".key") else 0o644)
    return target


def run_node_argv(lab, index, node, image, address, first, secure, multi):
    """(docker run options, command) of node ``index`` as the docs' docker run lines give them."""
    options = ["-d", "--name", node["container"], "--privileged",
               "--ulimit", "memlock=-1", "--ulimit", "nofile=1048576",
               "-p", "%d:%d" % (node["sql_port"], SQL_PORT), "-p", "%d:%d" % (node["brpc_port"], node["brpc_port"]),
               "-p", "%d:%d" % (node["http_port"], HTTP_PORT),
               "-v", "%s:%s" % (node["data_dir"], RUN_DATA_MOUNT)]
    if secure:
        options += ["-v", "%s:%s" % (os.path.join(lab_dir(lab), "certs"), CERTS_MOUNT)]
    options += ["--ipc", "shareable", "-w", "/kaiwudb/bin", "-e", "LD_LIBRARY_PATH=/kaiwudb/lib",
                "--restart", "on-failure",
                # testbed: the simulator's shared state, and the lab's label (teardown finds the containers by it)
                "-v", "%s:%s" % (os.path.join(lab_dir(lab), "shared"), SHARED_MOUNT),
                "--label", "%s=%s" % (LABEL, lab)]
    command = ["./kwbase", "start" if multi else "start-single-node"] + security_flags(secure) + [
        "--listen-addr=0.0.0.0:%d" % SQL_PORT, "--advertise-addr=%s:%d" % (address, node["sql_port"]),
        "--brpc-addr=:%d" % node["brpc_port"], "--http-addr=0.0.0.0:%d" % HTTP_PORT, "--store=%s" % RUN_DATA_MOUNT]
    if multi:
        command += ["--join", "%s:%d" % (address, first["sql_port"])]
    return options, command


def compose_files(lab, version, image, node, address, secure, join=None):
    """deploy.sh's install of a container node: info files, kaiwudb_env and docker-compose.yml under the lab; with
    ``join`` (host:port) a node of a multi-replica cluster."""
    root = lab.dir
    info_dir = os.path.join(root, "etc", "kaiwudb", "info")
    script_dir = os.path.join(root, "etc", "kaiwudb", "script")
    certs = os.path.join(root, "etc", "kaiwudb", "certs")
    os.makedirs(info_dir, exist_ok=True)
    os.makedirs(script_dir, exist_ok=True)
    os.makedirs(certs, exist_ok=True)
    if secure:
        os.rmdir(certs)
        os.symlink(os.path.join(root, "certs"), certs)
    secure_mode = "tls" if secure else "insecure"
    mode = ["container", "multi-replication" if join else "single", image, node["data_dir"], str(node["sql_port"]), str(node["http_port"]),
            MANAGEMENT_USER, secure_mode, "false", address]
    _write_if_changed(os.path.join(info_dir, "MODE"), "\n".join(mode) + "\n")
    _write_if_changed(os.path.join(info_dir, ".version"), kwdb_packages.basic_version(version) + "\n")
    _write_if_changed(os.path.join(script_dir, "kaiwudb_env"), 'KAIWUDB_START_ARG=""\n')
    # V3.0.0's template has no env_file and no $KAIWUDB_START_ARG; from V3.1.0 both (flow-surfaces-kwdb §2.10)
    v31 = tuple(int(part) for part in kwdb_packages.basic_version(version).split(".")) >= (3, 1, 0)
    text = COMPOSE_TEMPLATE % {
        "image": image, "http": node["http_port"], "sql": node["sql_port"], "brpc": node["brpc_port"],
        "certs": certs, "data": node["data_dir"], "shared": os.path.join(root, "shared"),
        "env_file": ("    env_file:\n      - %s\n" % os.path.join(script_dir, "kaiwudb_env")) if v31 else "",
        "start_type": "start" if join else "start-single-node", "start_arg": "$KAIWUDB_START_ARG " if v31 else "",
        "secure": " ".join(security_flags(secure)), "addr": address, "join": "--join %s" % join if join else ""}
    _write_if_changed(os.path.join(script_dir, "docker-compose.yml"), text)
    return script_dir


def up(name, mode="run", version="V3.0.0", secure=False, nodes=1, images_dir=None, timeout=READY_TIMEOUT):
    """Start the lab and write its inventory; returns the ContainerLab. A failure removes what was started."""
    if not CLUSTER_NAME_RE.match(name or ""):
        raise ContainerLabError("bad lab name %r (lowercase letters, digits, '-', at most 40)" % name)
    if mode not in MODES:
        raise ContainerLabError("unknown mode %r (known: %s)" % (mode, ", ".join(MODES)))
    if version not in images.VERSIONS:
        raise ContainerLabError("unknown KWDB version %r (known: %s)" % (version, ", ".join(images.VERSIONS)))
    if nodes < 1 or (mode == "compose" and nodes != 1) or (mode == "mixed" and nodes < 2):
        raise ContainerLabError({"compose": "compose mode runs one node per host (deploy.sh's kaiwudb-container), not %d",
                                 "mixed": "mixed mode is a cluster: run nodes and one compose node, at least 2, not %d"
                                 }.get(mode, "at least one node, not %d") % nodes)
    if name in lab_names():
        raise ContainerLabError("container lab %s exists (down --name %s first)" % (name, name))
    if mode != "run" and any(has_compose_node(read_lab(n)) for n in lab_names()):
        raise ContainerLabError("a compose lab exists already: its container is kaiwudb-container, one per host")
    check_daemon()
    images_dir = os.path.abspath(images_dir or images.default_out_dir())
    image_files, broken_files = _image_files(images_dir)
    if version not in image_files:
        raise ContainerLabError("no %s (run: python -m tests.containers images --versions %s --out %s)"
                                % (images.image_file(images_dir, version), version, images_dir))
    root = lab_dir(name)
    os.makedirs(os.path.join(root, "shared"), exist_ok=True)
    os.chmod(os.path.join(root, "shared"), 0o1777)
    address = bridge_gateway()
    nodes_state = []
    for index, (sql, http, brpc) in enumerate(allocate_ports(nodes), start=1):
        node_is_compose = mode == "compose" or (mode == "mixed" and index == nodes)
        container = COMPOSE_CONTAINER if node_is_compose else "%s-kwdb%d" % (name, index)
        data = (os.path.join(root, "var", "lib", "kaiwudb") if node_is_compose
                else os.path.join(root, "var", "lib", "kaiwudb%s" % (index if nodes > 1 else "")))
        os.makedirs(data, exist_ok=True)
        nodes_state.append({"host": container, "container": container, "sql_port": sql, "http_port": http,
                            "brpc_port": brpc, "data_dir": data, "mode": "compose" if node_is_compose else "run"})
    lab = ContainerLab({"name": name, "mode": mode, "version": version, "secure": secure, "address": address,
                        "topology": "multi_replica" if nodes > 1 else "standalone", "nodes": nodes_state,
                        "image": images.image_name(version), "images_dir": images_dir,
                        "image_files": image_files, "broken_image_files": broken_files})
    lab.save()
    started = time.monotonic()
    try:
        os.makedirs(os.path.dirname(lab.client), exist_ok=True)
        build_zipapp(releases.kwbase_buildinfo(version), lab.client)
        if secure:
            _certs(root, os.path.join(root, "certs"), address)
        lab.state["image"] = images.load(image_files[version])
        first = nodes_state[0]
        for index, node in enumerate(nodes_state):
            if node["mode"] == "compose":
                join = "%s:%d" % (address, first["sql_port"]) if nodes > 1 else None
                script_dir = compose_files(lab, version, lab.state["image"], node, address, secure, join)
                compose(script_dir, "up", "-d", timeout=300)
            else:
                node["run_options"], node["command"] = run_node_argv(name, index, node, lab.state["image"], address,
                                                                     first, secure, nodes > 1)
                docker("run", *node["run_options"], lab.state["image"], *node["command"], timeout=120)
        if nodes > 1:
            docker("exec", first["container"], "./kwbase", "init", *security_flags(secure),
                   "--host=%s:%d" % (address, first["sql_port"]), timeout=60)
        lab.save()
        lab.wait_live(timeout)
        lab.write_inventory()
    except BaseException:
        down(name)
        raise
    log("lab %s: KWDB %s in docker (%s mode, %d node(s)%s) live in %.1f s; inventory %s" % (
        name, version, mode, nodes, ", tls" if secure else "", time.monotonic() - started, lab.inventory_path))
    return lab


# ---------------------------------------------------------------------- down / inspect
def containers_of(lab):
    """Names of the lab's containers in the daemon (by label, by compose project, by the names it recorded)."""
    names = set(docker("ps", "-a", "--filter", "label=%s=%s" % (LABEL, lab.name), "--format", "{{.Names}}",
                       check=False).stdout.split())
    for node in lab.nodes:
        if docker("inspect", "--format", "{{.Name}}", node["container"], check=False).returncode == 0:
            names.add(node["container"])
    return sorted(names)


def down(name):
    """Remove the lab: compose down (compose mode), its containers, the images no other container uses, its dir."""
    try:
        lab = ContainerLab.load(name)
    except ContainerLabError:
        shutil.rmtree(lab_dir(name), ignore_errors=True)
        return
    script_dir = os.path.join(lab.dir, "etc", "kaiwudb", "script")
    if has_compose_node(lab.state) and os.path.exists(os.path.join(script_dir, "docker-compose.yml")):
        compose(script_dir, "down", "--volumes", check=False, timeout=120)
    used = set()
    for container in containers_of(lab):
        image = docker("inspect", "--format", "{{.Config.Image}}", container, check=False).stdout.strip()
        used.add(image)
        docker("rm", "-f", "-v", container, check=False)
    for image in used | {lab.state.get("image")}:
        if image and not docker("ps", "-aq", "--filter", "ancestor=%s" % image, check=False).stdout.strip():
            docker("rmi", image, check=False)
    # the data and certificate files were written by root in the containers: plain rmtree as root removes them
    shutil.rmtree(lab.dir, ignore_errors=True)
    log("lab %s removed" % name)


def down_all():
    for name in lab_names():
        down(name)


def inspect(name):
    """``docker inspect`` of the lab's containers (JSON text)."""
    lab = ContainerLab.load(name)
    return docker("inspect", *[node["container"] for node in lab.nodes]).stdout
