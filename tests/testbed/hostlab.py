"""Realistic test hosts for the integration tests: podman containers running systemd, reached over SSH.

Every node is a Debian bookworm container with systemd as PID 1, its own fixed IP and MAC on a private
10.89.K.0/24 bridge, sshd with the lab's key for root, and a directory shared by all nodes of a cluster.
All podman state (storage, networks, configuration) lives under the lab's work directory, so the
machine's /var/lib/containers and /etc/containers stay untouched.

    lab = Lab()
    lab.ensure_image()
    with lab.up("demo", 3, lb=True) as cluster:
        cluster.nodes[0].exec(["systemctl", "is-system-running"])

Standard library only: this runs in the controller venv and in plain python3.
"""
import atexit
import concurrent.futures
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

IMAGE_REPO = "localhost/distsql-testbed"
IMAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "image")
IMAGE_INPUTS = ("packages.txt", "dpkg.cfg", "customize.sh")
SUITE = "bookworm"
LABEL_CLUSTER = "distsql-testbed.cluster"
LABEL_PID = "distsql-testbed.pid"
SUBNET_PREFIX = "10.89"
SUBNET_INDEX_RANGE = range(100, 200)
LB_HOST_OCTET = 10
FIRST_NODE_OCTET = 11
MAX_NODES = 254 - FIRST_NODE_OCTET
READY_STATES = ("running", "degraded")
SSH_OPTIONS = (
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR",
    "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=2",
)
INVENTORY_SSH_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ControlMaster=auto -o ControlPersist=60s"
MACHINE_LOCK = os.path.join(tempfile.gettempdir(), "distsql-testbed-subnets.lock")
CLUSTER_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class LabError(Exception):
    """A lab operation failed; the message says what was done and what was observed."""


def log(message):
    print("[hostlab] %s" % message, file=sys.stderr, flush=True)


def default_work_dir():
    return os.environ.get("TESTBED_WORK") or os.path.join(os.path.expanduser("~"), ".cache", "distsql-testbed")


def _run(argv, env=None, check=True, input=None, timeout=None):
    """Run argv and capture text output; a failure raises LabError with the command and its stderr."""
    try:
        result = subprocess.run(argv, env=env, input=input, timeout=timeout, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise LabError("%s is not installed (run tests/testbed/setup-host.sh)" % argv[0]) from None
    except subprocess.TimeoutExpired:
        raise LabError("%s timed out after %s s" % (shlex.join(argv), timeout)) from None
    if check and result.returncode != 0:
        raise LabError("%s failed with exit code %d: %s" % (shlex.join(argv), result.returncode, (result.stderr or result.stdout).strip()))
    return result


def _poll(what, probe, timeout, interval=0.1):
    """Call probe() -> (done, observed) until done; returns observed, or raises LabError with the last observation."""
    deadline = time.monotonic() + timeout
    while True:
        done, observed = probe()
        if done:
            return observed
        if time.monotonic() >= deadline:
            raise LabError("timed out after %s s waiting for %s; last observed: %s" % (timeout, what, observed))
        time.sleep(interval)


def mac_for_ip(ip):
    """A locally administered MAC derived from the IPv4 address: 10.89.150.11 -> 02:00:0a:59:96:0b."""
    return "02:00:" + ":".join("%02x" % int(octet) for octet in ip.split("."))


def subnet_index_for(name):
    """The preferred third octet for a cluster name, stable across runs."""
    digest = hashlib.sha256(name.encode()).digest()
    return SUBNET_INDEX_RANGE[int.from_bytes(digest[:4], "big") % len(SUBNET_INDEX_RANGE)]


def _routed_subnet_indexes():
    """Third octets of 10.89.K.0/24 routes present on this machine (bridges of any podman setup)."""
    indexes = set()
    try:
        with open("/proc/net/route", encoding="utf-8") as routes:
            lines = routes.readlines()[1:]
    except OSError:
        return indexes
    for line in lines:
        fields = line.split()
        destination = bytes.fromhex(fields[1])[::-1]  # little-endian hex in /proc/net/route
        if "%d.%d" % (destination[0], destination[1]) == SUBNET_PREFIX:
            indexes.add(destination[2])
    return indexes


def read_apt_sources(suite=SUITE, deb822_path="/etc/apt/sources.list.d/debian.sources", list_path="/etc/apt/sources.list"):
    """apt source lines ("deb [signed-by=...] URI SUITE COMPONENTS") of this machine for the suite and its updates."""
    entries = deb822_entries(deb822_path) or one_line_entries(list_path)
    lines = []
    for entry in entries:
        options = " [signed-by=%s]" % entry["signed_by"] if entry.get("signed_by") else ""
        for entry_suite in entry["suites"]:
            if entry_suite == suite or entry_suite.startswith(suite + "-"):
                lines.append("deb%s %s %s %s" % (options, entry["uri"], entry_suite, " ".join(entry["components"])))
    if not lines:
        raise LabError("no apt source for %s in %s or %s" % (suite, deb822_path, list_path))
    return lines


def deb822_entries(path):
    try:
        with open(path, encoding="utf-8") as sources:
            text = sources.read()
    except OSError:
        return []
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or "uris" not in fields:
            continue
        for uri in fields["uris"].split():
            entries.append({"uri": uri, "suites": fields.get("suites", "").split(),
                            "components": fields.get("components", "main").split(), "signed_by": fields.get("signed-by")})
    return entries


def one_line_entries(path):
    try:
        with open(path, encoding="utf-8") as sources:
            lines = sources.read().splitlines()
    except OSError:
        return []
    entries = []
    for line in lines:
        match = re.match(r"^\s*deb\s+(?:\[(?P<options>[^]]*)\]\s+)?(?P<uri>\S+)\s+(?P<suite>\S+)\s*(?P<components>.*)$", line)
        if not match:
            continue
        signed_by = re.search(r"signed-by=(\S+)", match.group("options") or "")
        entries.append({"uri": match.group("uri"), "suites": [match.group("suite")],
                        "components": match.group("components").split() or ["main"], "signed_by": signed_by and signed_by.group(1)})
    return entries


class Lab:
    """Podman configuration, SSH key and image cache under one work directory."""

    def __init__(self, work_dir=None):
        self.work_dir = os.path.abspath(work_dir or default_work_dir())
        self.storage_conf = os.path.join(self.work_dir, "storage.conf")
        self.containers_conf = os.path.join(self.work_dir, "containers.conf")
        self.networks_dir = os.path.join(self.work_dir, "networks")
        self.clusters_dir = os.path.join(self.work_dir, "clusters")
        self.key_path = os.path.join(self.work_dir, "ssh", "id_ed25519")
        self.env = dict(os.environ, CONTAINERS_CONF=self.containers_conf, CONTAINERS_STORAGE_CONF=self.storage_conf)
        self._image_ready = False
        self._write_config()
        self._ensure_key()

    def _write_config(self):
        for directory in (self.networks_dir, self.clusters_dir, os.path.join(self.work_dir, "storage"), os.path.join(self.work_dir, "runroot")):
            os.makedirs(directory, exist_ok=True)
        _write_if_changed(self.storage_conf, '[storage]\ndriver = "overlay"\ngraphroot = "%s/storage"\nrunroot = "%s/runroot"\n'
                          % (self.work_dir, self.work_dir))
        # crun 1.8 rejects hybrid cgroups and root may lack CAP_SYS_RESOURCE for podman's default rlimits.
        _write_if_changed(self.containers_conf, '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n'
                          '[network]\nnetwork_config_dir = "%s"\n' % self.networks_dir)

    def _ensure_key(self):
        if os.path.exists(self.key_path) and os.path.exists(self.key_path + ".pub"):
            return
        os.makedirs(os.path.dirname(self.key_path), mode=0o700, exist_ok=True)
        for path in (self.key_path, self.key_path + ".pub"):
            if os.path.exists(path):
                os.unlink(path)
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "distsql-testbed", "-f", self.key_path])

    @property
    def public_key(self):
        with open(self.key_path + ".pub", encoding="utf-8") as key:
            return key.read()

    def podman(self, *args, check=True, input=None, timeout=120):
        return _run(["podman"] + list(args), env=self.env, check=check, input=input, timeout=timeout)

    def info(self):
        """`podman info` as a dict; raises LabError when podman cannot run with the lab's configuration."""
        return json.loads(self.podman("info", "--format", "json").stdout)

    def ssh_argv(self, ip, *command):
        return ["ssh", "-i", self.key_path] + list(SSH_OPTIONS) + ["root@%s" % ip] + list(command)

    # image

    @property
    def image(self):
        """The content-addressed image name for the current package list, hooks and public key."""
        digest = hashlib.sha256(SUITE.encode())
        for name in IMAGE_INPUTS:
            with open(os.path.join(IMAGE_DIR, name), "rb") as source:
                digest.update(b"\0%s\0" % name.encode() + source.read())
        digest.update(self.public_key.encode())
        return "%s:%s" % (IMAGE_REPO, digest.hexdigest()[:16])

    def image_exists(self):
        return self.podman("image", "exists", self.image, check=False).returncode == 0

    def ensure_image(self):
        """Build the image unless it exists; returns its name. Old tags of the same repository are removed."""
        with self._lock("image"):
            if self.image_exists():
                log("image %s cached" % self.image)
                self._image_ready = True
                return self.image
            self._build_image()
            self._remove_other_images()
        self._image_ready = True
        return self.image

    def _build_image(self):
        build_dir = tempfile.mkdtemp(prefix="image-", dir=self.work_dir)
        rootfs = os.path.join(build_dir, "rootfs.tar")
        try:
            started = time.monotonic()
            _run(self._mmdebstrap_argv(rootfs), timeout=1800)
            built = time.monotonic()
            log("mmdebstrap %.1f s (%d MB)" % (built - started, os.path.getsize(rootfs) // 2 ** 20))
            self.podman("import", "--quiet", "--change", 'CMD ["/sbin/init"]', rootfs, self.image, timeout=600)
            log("podman import %.1f s; image %s built in %.1f s" % (time.monotonic() - built, self.image, time.monotonic() - started))
        finally:
            shutil.rmtree(build_dir, ignore_errors=True)

    def _mmdebstrap_argv(self, rootfs):
        with open(os.path.join(IMAGE_DIR, "packages.txt"), encoding="utf-8") as listing:
            packages = [line.strip() for line in listing if line.strip() and not line.startswith("#")]
        hook = "sh %s \"$1\" %s" % (shlex.quote(os.path.join(IMAGE_DIR, "customize.sh")), shlex.quote(self.key_path + ".pub"))
        return (["mmdebstrap", "--quiet", "--mode=root", "--variant=minbase", "--format=tar", "--include=" + ",".join(packages),
                 "--dpkgopt=" + os.path.join(IMAGE_DIR, "dpkg.cfg"), "--customize-hook=" + hook, SUITE, rootfs]
                + read_apt_sources())

    def _remove_other_images(self):
        listed = self.podman("images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE_REPO, check=False).stdout.split()
        for name in listed:
            if name != self.image:
                self.podman("rmi", name, check=False)

    def _lock(self, name):
        return _FileLock(os.path.join(self.work_dir, name + ".lock"))

    # clusters

    def cluster_dir(self, name):
        return os.path.join(self.clusters_dir, name)

    def up(self, name, n_nodes, lb=False, subnet_index=None, keep=False, timeout=120, mounts=None):
        """Start a fresh cluster (leftovers of the same name are removed first) and wait until every host answers SSH.

        keep=False registers the cluster for teardown at exit and on SIGTERM/SIGINT; keep=True leaves it running.
        mounts: {hostname: [(controller path, container path, "ro" or "rw")]}, extra bind mounts per host.
        """
        if not CLUSTER_NAME_RE.match(name):
            raise LabError("cluster name %r must match %s" % (name, CLUSTER_NAME_RE.pattern))
        if not 1 <= n_nodes <= MAX_NODES:
            raise LabError("n_nodes must be between 1 and %d, got %d" % (MAX_NODES, n_nodes))
        started = time.monotonic()
        if not self._image_ready:
            self.ensure_image()
        self.down(name)
        if not keep:
            _TEARDOWN.register_name(self, name)
        try:
            # Machine-wide: the subnet counts as taken once its bridge route exists, i.e. after the first podman run.
            with _FileLock(MACHINE_LOCK):
                cluster = Cluster.plan(self, name, n_nodes, lb, self._choose_subnet_index(name, subnet_index))
                self._create_network(name, cluster.subnet_index)
                cluster.create_containers(owner_pid=0 if keep else os.getpid(), mounts=mounts)
            cluster.wait_ready(timeout)
        except BaseException:
            self.down(name)
            raise
        log("cluster %s up: %d hosts in %.1f s" % (name, len(cluster.hosts), time.monotonic() - started))
        return cluster

    def cluster(self, name):
        """The cluster of that name started earlier (by this or another process)."""
        path = os.path.join(self.cluster_dir(name), "cluster.json")
        try:
            with open(path, encoding="utf-8") as state:
                return Cluster.from_state(self, json.load(state))
        except FileNotFoundError:
            raise LabError("no cluster named %r under %s" % (name, self.clusters_dir)) from None

    def cluster_names(self):
        return sorted(entry for entry in os.listdir(self.clusters_dir) if os.path.isdir(self.cluster_dir(entry)))

    def down(self, name):
        """Remove the cluster of that name, whether or not its state file survived; no error when it is gone."""
        Cluster.from_labels(self, name).down()

    def down_all(self, prefix=""):
        """Remove every cluster whose name starts with prefix (containers, networks, files, stale netavark state)."""
        names = set(name for name in self.cluster_names() if name.startswith(prefix))
        names.update(name for name in self._labelled_cluster_names() if name.startswith(prefix))
        names.update(network for network in self.network_names() if network.startswith(prefix))
        for name in sorted(names):
            self.down(name)
        remove_idle_netavark_chains()
        return sorted(names)

    def reap_orphans(self):
        """Remove clusters whose owning process died without tearing them down (clusters started with keep=True stay)."""
        reaped = []
        for name, pid in self._cluster_owner_pids().items():
            if pid and not _process_alive(pid):
                self.down(name)
                reaped.append(name)
        return reaped

    def _labelled_cluster_names(self):
        return set(self._cluster_owner_pids())

    def _cluster_owner_pids(self):
        listed = self.podman("ps", "-a", "--filter", "label=" + LABEL_CLUSTER, "--format", "json").stdout
        owners = {}
        for container in json.loads(listed or "[]"):
            labels = container.get("Labels") or {}
            owners[labels[LABEL_CLUSTER]] = int(labels.get(LABEL_PID, "0"))
        return owners

    def network_names(self):
        return [entry[:-len(".json")] for entry in os.listdir(self.networks_dir) if entry.endswith(".json")]

    def network_indexes(self):
        indexes = {}
        for name in self.network_names():
            with open(os.path.join(self.networks_dir, name + ".json"), encoding="utf-8") as config:
                subnet = json.load(config)["subnets"][0]["subnet"]
            indexes[name] = int(subnet.split(".")[2])
        return indexes

    def _choose_subnet_index(self, name, requested):
        taken = set(self.network_indexes().values()) | _routed_subnet_indexes()
        if requested is not None:
            if not 1 <= requested <= 254 or requested in taken:
                raise LabError("subnet %s is %s" % (subnet_cidr(requested), "in use on this machine" if requested in taken else "out of range"))
            return requested
        preferred = subnet_index_for(name)
        span = len(SUBNET_INDEX_RANGE)
        for offset in range(span):
            index = SUBNET_INDEX_RANGE[(preferred - SUBNET_INDEX_RANGE[0] + offset) % span]
            if index not in taken:
                return index
        raise LabError("no free subnet in %s.%d-%d.0/24" % (SUBNET_PREFIX, SUBNET_INDEX_RANGE[0], SUBNET_INDEX_RANGE[-1]))

    def _create_network(self, name, index):
        self.podman("network", "create", "--disable-dns", "--subnet", subnet_cidr(index), "--gateway", "%s.%d.1" % (SUBNET_PREFIX, index),
                    "--label", "%s=%s" % (LABEL_CLUSTER, name), name)
        # podman 4.3 has no --interface-name and numbers bridges per config dir (podman1, ...), which would
        # collide between work dirs; a bridge named after the subnet is unique on the machine.
        config_path = os.path.join(self.networks_dir, name + ".json")
        with open(config_path, encoding="utf-8") as config:
            network = json.load(config)
        network["network_interface"] = bridge_name(index)
        _write_if_changed(config_path, json.dumps(network, indent=5) + "\n")


def subnet_cidr(index):
    return "%s.%d.0/24" % (SUBNET_PREFIX, index)


def bridge_name(index):
    return "dtb%d" % index


class Host:
    """One container of a cluster. `name` is the container name, `hostname` the name the other hosts resolve."""

    def __init__(self, lab, name, hostname, ip, mac, role):
        self.lab = lab
        self.name = name
        self.hostname = hostname
        self.ip = ip
        self.mac = mac
        self.role = role

    def __repr__(self):
        return "Host(name=%r, hostname=%r, ip=%r, mac=%r)" % (self.name, self.hostname, self.ip, self.mac)

    def as_dict(self):
        return {"name": self.name, "hostname": self.hostname, "ip": self.ip, "mac": self.mac, "role": self.role}

    def exec_argv(self, argv, interactive=False):
        """The podman exec arguments (after `podman`) that run argv, a list or a string for `sh -c`, as root."""
        if isinstance(argv, str):
            argv = ["sh", "-c", argv]
        return ["exec"] + (["--interactive"] if interactive else []) + [self.name] + list(argv)

    def exec(self, argv, check=True, input=None, timeout=120):
        """Run argv (a list, or a string for `sh -c`) in the container as root; returns CompletedProcess (text)."""
        return self.lab.podman(*self.exec_argv(argv, interactive=input is not None), check=check, input=input, timeout=timeout)

    def ssh(self, argv, check=True, input=None, timeout=120):
        """Run a command over SSH as root, the way Ansible reaches the host."""
        command = argv if isinstance(argv, str) else shlex.join(argv)
        return _run(self.lab.ssh_argv(self.ip, command), check=check, input=input, timeout=timeout)

    def put(self, local_path, remote_path, mode=None):
        """Copy a controller file into the container (`podman cp`); mode is an int (0o644) or a chmod string."""
        self.lab.podman("cp", local_path, "%s:%s" % (self.name, remote_path))
        self._chmod(remote_path, mode)

    def get(self, remote_path, local_path):
        self.lab.podman("cp", "%s:%s" % (self.name, remote_path), local_path)

    def read_file(self, remote_path):
        return self.exec(["cat", remote_path]).stdout

    def write_file(self, remote_path, content, mode=None):
        self.exec(["sh", "-c", 'cat > "$1"', "write_file", remote_path], input=content)
        self._chmod(remote_path, mode)

    def _chmod(self, remote_path, mode):
        if mode is not None:
            self.exec(["chmod", "%o" % mode if isinstance(mode, int) else mode, remote_path])

    def systemctl(self, *args, check=True, timeout=120):
        return self.exec(["systemctl"] + list(args), check=check, timeout=timeout)

    def system_state(self):
        result = self.exec(["systemctl", "is-system-running"], check=False, timeout=10)
        return result.stdout.strip()

    def wait_ready(self, timeout=120):
        """Wait until sshd accepts the lab key and systemd has booted (running or degraded); returns the state."""
        def booted():
            # is-system-running --wait returns once boot has finished; refused connections fail fast before sshd is up.
            result = _run(self.lab.ssh_argv(self.ip, "systemctl is-system-running --wait"), check=False, timeout=timeout)
            state = result.stdout.strip()
            return state in READY_STATES, state or result.stderr.strip()
        return _poll("SSH on %s (%s) and systemd reaching running/degraded" % (self.name, self.ip), booted, timeout)

    def restart_container(self, timeout=120):
        """Simulated reboot (`podman restart`); returns the seconds until SSH answered again."""
        started = time.monotonic()
        self.lab.podman("restart", "--time", "10", self.name, timeout=timeout)
        self.wait_ready(timeout)
        return time.monotonic() - started

    def stop_container(self, timeout=60):
        self.lab.podman("stop", "--time", "10", self.name, timeout=timeout)

    def start_container(self, timeout=120):
        self.lab.podman("start", self.name, timeout=timeout)
        self.wait_ready(timeout)

    def run_argv(self, image, shared_dir, cluster, owner_pid, all_hosts, mounts=()):
        argv = ["run", "--detach", "--name", self.name, "--hostname", self.hostname, "--network", cluster,
                "--ip", self.ip, "--mac-address", self.mac, "--systemd=always", "--dns", "127.0.0.1",
                "--label", "%s=%s" % (LABEL_CLUSTER, cluster), "--label", "%s=%d" % (LABEL_PID, owner_pid),
                "--volume", "%s:/testbed/shared" % shared_dir]
        for source, target, mode in mounts:
            argv += ["--volume", "%s:%s:%s" % (source, target, mode)]
        for other in all_hosts:
            if other is not self:
                argv += ["--add-host", "%s:%s" % (other.hostname, other.ip), "--add-host", "%s:%s" % (other.name, other.ip)]
        return argv + [image, "/sbin/init"]


class Cluster:
    """Nodes (and an optional load balancer) on one podman network; a context manager that tears down."""

    def __init__(self, lab, name, subnet_index, nodes, lb):
        self.lab = lab
        self.name = name
        self.subnet_index = subnet_index
        self.nodes = nodes
        self.lb = lb
        self.dir = lab.cluster_dir(name)
        self.shared_dir = os.path.join(self.dir, "shared")
        self.inventory_path = os.path.join(self.dir, "inventory.ini")
        self.yaml_inventory_path = os.path.join(self.dir, "inventory.yml")
        self._torn_down = False

    @classmethod
    def plan(cls, lab, name, n_nodes, lb, subnet_index):
        def host(hostname, octet, role):
            ip = "%s.%d.%d" % (SUBNET_PREFIX, subnet_index, octet)
            return Host(lab, "%s-%s" % (name, hostname), hostname, ip, mac_for_ip(ip), role)
        nodes = [host("node%d" % number, FIRST_NODE_OCTET + number - 1, "node") for number in range(1, n_nodes + 1)]
        return cls(lab, name, subnet_index, nodes, host("lb", LB_HOST_OCTET, "lb") if lb else None)

    @classmethod
    def from_state(cls, lab, state):
        hosts = [Host(lab, **host) for host in state["hosts"]]
        lb = [host for host in hosts if host.role == "lb"]
        return cls(lab, state["name"], state["subnet_index"], [host for host in hosts if host.role == "node"], lb[0] if lb else None)

    @classmethod
    def from_labels(cls, lab, name):
        """A handle for tearing down whatever exists under the name, even without a state file."""
        return cls(lab, name, None, [], None)

    def __repr__(self):
        return "Cluster(name=%r, subnet=%s, hosts=%r)" % (self.name, self.subnet, self.hosts)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.down()

    @property
    def hosts(self):
        return self.nodes + ([self.lb] if self.lb else [])

    @property
    def subnet(self):
        return subnet_cidr(self.subnet_index) if self.subnet_index is not None else None

    def host(self, hostname):
        for host in self.hosts:
            if hostname in (host.hostname, host.name):
                return host
        raise LabError("cluster %s has no host %r (hosts: %s)" % (self.name, hostname, ", ".join(h.hostname for h in self.hosts)))

    def create_containers(self, owner_pid, mounts=None):
        os.makedirs(self.shared_dir, exist_ok=True)
        self.save_state()
        mounts = mounts or {}
        unknown = sorted(set(mounts) - set(host.hostname for host in self.hosts))
        if unknown:
            raise LabError("mounts name hosts not in cluster %s: %s" % (self.name, ", ".join(unknown)))
        run_argvs = [host.run_argv(self.lab.image, self.shared_dir, self.name, owner_pid, self.hosts,
                                   mounts.get(host.hostname, ())) for host in self.hosts]
        _in_parallel([lambda argv=argv: self.lab.podman(*argv) for argv in run_argvs])

    def wait_ready(self, timeout=120):
        _in_parallel([lambda host=host: host.wait_ready(timeout) for host in self.hosts])
        self.write_inventory()

    def save_state(self):
        state = {"name": self.name, "subnet_index": self.subnet_index, "hosts": [host.as_dict() for host in self.hosts]}
        _write_if_changed(os.path.join(self.dir, "cluster.json"), json.dumps(state, indent=1) + "\n")

    def default_groups(self):
        groups = {"nodes": [node.hostname for node in self.nodes]}
        if self.lb:
            groups["lb"] = [self.lb.hostname]
        return groups

    def inventory_dict(self, groups=None, extra_vars=None):
        """A YAML-style inventory: {"all": {"vars": {...}, "hosts": {...}, "children": {group: {"hosts": {...}}}}}.

        ``extra_vars`` (an ordered dict) follow the connection variables in all.vars.
        """
        groups = groups or self.default_groups()
        known = set(host.hostname for host in self.hosts)
        for group, members in groups.items():
            unknown = sorted(set(members) - known)
            if unknown:
                raise LabError("inventory group %s names hosts not in cluster %s: %s" % (group, self.name, ", ".join(unknown)))
        return {"all": {
            "vars": {
                "ansible_user": "root",
                "ansible_ssh_private_key_file": self.lab.key_path,
                "ansible_ssh_common_args": INVENTORY_SSH_ARGS,
                "ansible_ssh_pipelining": True,
                "ansible_python_interpreter": "/usr/bin/python3",
                **(extra_vars or {}),
            },
            "hosts": {host.hostname: {"ansible_host": host.ip} for host in self.hosts},
            "children": {group: {"hosts": {member: {} for member in members}} for group, members in groups.items()},
        }}

    def write_inventory(self, path=None, groups=None, extra_vars=None):
        """Write an Ansible INI inventory (default: <cluster dir>/inventory.ini); returns its path.

        INI holds scalars only: list and dict values of ``extra_vars`` are left out (the YAML inventory has them).
        """
        path = path or self.inventory_path
        inventory = self.inventory_dict(groups, extra_vars)["all"]
        lines = ["%s ansible_host=%s" % (hostname, hostvars["ansible_host"]) for hostname, hostvars in inventory["hosts"].items()]
        for group, members in inventory["children"].items():
            lines += ["", "[%s]" % group] + list(members["hosts"])
        scalars = [(name, value) for name, value in inventory["vars"].items() if not isinstance(value, (list, dict))]
        lines += ["", "[all:vars]"] + ["%s=%s" % (name, _ini_value(value)) for name, value in scalars]
        _write_if_changed(path, "\n".join(lines) + "\n")
        return path

    def write_yaml_inventory(self, path=None, groups=None, extra_vars=None):
        """Write the inventory as YAML (default: <cluster dir>/inventory.yml); returns its path."""
        path = path or self.yaml_inventory_path
        _write_if_changed(path, "---\n" + yaml_dump(self.inventory_dict(groups, extra_vars)))
        return path

    def down(self):
        """Remove containers, network, bridge leftovers and the cluster directory; safe to call again."""
        if self._torn_down:
            return
        started = time.monotonic()
        podman = self.lab.podman
        names = podman("ps", "-a", "--filter", "label=%s=%s" % (LABEL_CLUSTER, self.name), "--format", "{{.Names}}", check=False).stdout.split()
        names = sorted(set(names) | set(host.name for host in self.hosts))
        if names:
            podman("rm", "--force", "--ignore", "--time", "0", *names, check=False)
        index = self.subnet_index if self.subnet_index is not None else self.lab.network_indexes().get(self.name)
        network_existed = self.name in self.lab.network_names()
        podman("network", "rm", "--force", self.name, check=False)
        if index is not None:
            remove_stale_subnet_state(index)
        shutil.rmtree(self.dir, ignore_errors=True)
        self._torn_down = True
        _TEARDOWN.unregister(self)
        if names or network_existed:
            log("cluster %s down in %.1f s" % (self.name, time.monotonic() - started))


def _ini_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_YAML_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./@+-]*$")
_HEX = re.compile(r"^[0-9a-f]{16,}$")  # digests: always quoted, some would read as numbers
_YAML_WORDS = {"y", "yes", "n", "no", "true", "false", "on", "off", "null", "~"}


def _yaml_scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if _YAML_PLAIN.match(text) and text.lower() not in _YAML_WORDS and not _HEX.match(text):
        return text
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def _yaml_flow(value):
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (_yaml_scalar(k), _yaml_flow(v)) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_flow(item) for item in value) + "]"
    return _yaml_scalar(value)


def yaml_dump(value, indent=0):
    """Block-style YAML for dicts and lists of scalars; an empty dict or list, and a list's dict items whose
    values are all scalars, are written in flow style (`{}`, `- {version: v1, url: "..."}`)."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append("%s%s:\n%s" % (pad, _yaml_scalar(key), yaml_dump(item, indent + 1)))
            else:
                lines.append("%s%s: %s\n" % (pad, _yaml_scalar(key), _yaml_flow(item)))
        return "".join(lines)
    for item in value:
        if isinstance(item, dict) and item and any(isinstance(v, (dict, list)) for v in item.values()):
            nested = yaml_dump(item, indent + 1)
            lines.append("%s- %s\n" % (pad, nested.strip("\n").lstrip(" ")))
        else:
            lines.append("%s- %s\n" % (pad, _yaml_flow(item)))
    return "".join(lines)


def remove_stale_subnet_state(index):
    """Delete what netavark may leave behind for one of our subnets after an unclean container exit."""
    bridge = bridge_name(index)
    if os.path.isdir("/sys/class/net/%s" % bridge) and not os.listdir("/sys/class/net/%s/brif" % bridge):
        _run(["ip", "link", "delete", bridge], check=False)
    subnet = subnet_cidr(index)
    for table in ("nat", "filter"):
        for rule in _iptables_rules(table):
            if rule[0] == "-A" and subnet in rule:
                _run(["iptables", "-t", table, "-D"] + rule[1:], check=False)


def remove_idle_netavark_chains():
    """Netavark keeps its NETAVARK_* chains after its last network is gone; drop them when no network uses them.

    Idle means: no per-network chain (NETAVARK-<id>) in nat and no rule in NETAVARK_FORWARD. Netavark
    recreates the chains with the next network.
    """
    rules = {table: _iptables_rules(table) for table in ("nat", "filter")}
    chains = {table: [rule[1] for rule in table_rules if rule[0] == "-N" and rule[1].startswith("NETAVARK")] for table, table_rules in rules.items()}
    per_network = [chain for chain in chains["nat"] if re.match(r"^NETAVARK-[0-9A-F]+$", chain)]
    forwarding = [rule for rule in rules["filter"] if rule[:2] == ["-A", "NETAVARK_FORWARD"]]
    if per_network or forwarding:
        return
    for table, table_rules in rules.items():
        for rule in table_rules:
            if rule[0] == "-A" and not rule[1].startswith("NETAVARK") and rule[-2:-1] == ["-j"] and rule[-1] in chains[table]:
                _run(["iptables", "-t", table, "-D"] + rule[1:], check=False)
        for chain in chains[table]:
            _run(["iptables", "-t", table, "-F", chain], check=False)
        for chain in chains[table]:
            _run(["iptables", "-t", table, "-X", chain], check=False)


def _iptables_rules(table):
    """`iptables -S` of a table as argument lists (comments are quoted in its output)."""
    if not shutil.which("iptables"):
        return []
    return [shlex.split(line) for line in _run(["iptables", "-t", table, "-S"], check=False).stdout.splitlines()]


def _in_parallel(calls):
    """Run the calls in threads; re-raise the first failure after all have finished."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.result() for future in futures]


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_if_changed(path, content):
    try:
        with open(path, encoding="utf-8") as current:
            if current.read() == content:
                return
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as new:
        new.write(content)
    os.replace(path + ".tmp", path)


class _FileLock:
    """An exclusive flock on a file, for processes sharing one work dir or one machine."""

    def __init__(self, path):
        self.path = path
        self._fd = None

    def __enter__(self):
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o666)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info):
        os.close(self._fd)


class _Teardown:
    """Tears down this process's clusters at exit and on SIGTERM/SIGINT, so no container outlives its creator.

    Entries are (lab, cluster name); a cluster being started is registered before its first container exists.
    """

    def __init__(self):
        self._entries = []
        self._lock = threading.RLock()  # the signal handler may run while the main thread holds it
        self._installed = False

    def unregister(self, cluster):
        self.unregister_name(cluster.lab, cluster.name)

    def register_name(self, lab, name):
        with self._lock:
            self._entries.append((lab, name))
            if not self._installed:
                self._install()
                self._installed = True

    def unregister_name(self, lab, name):
        with self._lock:
            if (lab, name) in self._entries:
                self._entries.remove((lab, name))

    def run(self):
        with self._lock:
            entries = list(self._entries)
        for lab, name in reversed(entries):
            try:
                lab.down(name)
            except (LabError, OSError) as error:  # keep tearing down the others
                log("teardown of %s failed: %s" % (name, error))
            self.unregister_name(lab, name)

    def _install(self):
        atexit.register(self.run)
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)
            signal.signal(signum, self._handler(previous))

    def _handler(self, previous):
        def handle(signum, frame):
            self.run()
            if callable(previous):
                previous(signum, frame)
            elif previous != signal.SIG_IGN:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
        return handle


_TEARDOWN = _Teardown()
