"""Install simulated KWDB releases on lab hosts the way the vendor's docs do it (bare-metal deploy.sh).

The release tarball (sim/kwdb_packages.py, the copy the release mirror serves) is copied to every node, checked
against its ``.sha256sum`` and unpacked in root's home, giving ``/root/kwdb_install`` (INSTALL_DIR) with the
installed release's ``deploy.sh`` on each node. On the first node ``deploy.cfg`` names the local node and, for the
cluster modes, the other nodes with passwordless root SSH from the first node (the documented prerequisite, set up
here). ``./deploy.sh install --single|--single-replica|--multi-replica [--use-certs <tar>]`` (certificates unless
secure_mode is insecure) then installs every node over SSH; ``./deploy.sh cluster -i`` (or ``./deploy.sh start``
in single mode) starts the services and initializes the cluster.

Testbed-only adaptations (see sim/kwdb_deploy/FIDELITY.md): a systemd drop-in makes the unit's
``ExecStartPre`` sysctl optional (containers cannot set vm.max_map_count), certificates come from a
tarball made with openssl on the controller (the simulated kwbase has no ``cert`` command), and
/etc/testbed/sim.json holds the simulator's timings.
"""
import json
import os
import posixpath
import subprocess
import tempfile
import time

from .mirror import KWDB_RELEASES, ReleaseCatalog
from .provision import MULTI_REPLICA, SIM_CONFIG_PATH, STANDALONE, ProvisionError, release_dir, sim_config
# `sim` is importable once .provision has put the testbed directory on sys.path
from sim import kwdb_packages  # pylint: disable=wrong-import-order

MODE_OPTIONS = {"single": "--single", "single-replication": "--single-replica", "multi-replication": "--multi-replica"}
SINGLE_REPLICA = "single_replica"
TOPOLOGY_MODES = {MULTI_REPLICA: "multi-replication", SINGLE_REPLICA: "single-replication", STANDALONE: "single"}
DEPLOY_MODE = "bare"  # line 1 of /etc/kaiwudb/info/MODE: packages installed with dpkg (the other is container)
UNIT = "kaiwudb"
CERTS_DIR = "/etc/kaiwudb/certs"
DATA_DIR = "/var/lib/kaiwudb"
INSTALL_ROOT = "/root"
INSTALL_DIR = posixpath.join(INSTALL_ROOT, kwdb_packages.TOP_DIR)
KWBASE = "/usr/local/kaiwudb/bin/kwbase"
MANAGEMENT_USER = "kaiwudb"
MANAGEMENT_PASSWORD = "Testbed#2024"
DROPIN_PATH = "/etc/systemd/system/kaiwudb.service.d/testbed.conf"
DROPIN = ("[Service]\n# testbed: containers cannot set vm.max_map_count; the real unit's sysctl is kept, "
          "its failure ignored\nExecStartPre=\nExecStartPre=-/usr/bin/sudo /usr/sbin/sysctl -w vm.max_map_count=10000000\n")
REMOTE_CERTS_TARBALL = "/root/kw-certs.tar.gz"


def _openssl(workdir, *args):
    subprocess.run(["openssl"] + list(args), cwd=workdir, check=True, capture_output=True)


def _signed_pair(workdir, name, subject, extensions):
    """EC key ``<name>.key`` and ``<name>.crt`` signed by the CA in ``workdir``."""
    _openssl(workdir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject)
    with open(os.path.join(workdir, name + ".ext"), "w") as out:
        out.write(extensions)
    _openssl(workdir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "3650", "-out", name + ".crt", "-extfile", name + ".ext")


def make_certs_tarball(path, addresses):
    """A ``--use-certs`` tarball (ca, node for ``addresses``, client.root) at ``path``; returns ``path``."""
    with tempfile.TemporaryDirectory(prefix="kwdb-certs-") as workdir:
        _openssl(workdir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/O=KaiwuDB/CN=KaiwuDB CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        sans = ",".join(["IP:%s" % a for a in addresses] + ["IP:127.0.0.1", "IP:0.0.0.0", "DNS:localhost"])
        _signed_pair(workdir, "node", "/O=KaiwuDB/CN=node", "subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n" % sans)
        _signed_pair(workdir, "client.root", "/O=KaiwuDB/CN=root", "extendedKeyUsage=clientAuth\n")
        names = ["ca.crt", "ca.key", "node.crt", "node.key", "client.root.crt", "client.root.key"]
        subprocess.run(["tar", "-czf", path, "-C", workdir] + names, check=True, capture_output=True)
    return path


class KwdbDeployment:
    """A simulated KWDB installation (deploy.sh, bare mode) on the nodes of a lab cluster."""

    unit = UNIT

    def __init__(self, lab, cluster, secure_mode="tls", **sim_options):
        self.lab = lab
        self.cluster = cluster
        self.secure_mode = secure_mode
        self.sim_options = sim_options
        self.mode = None
        self.hosts = []

    @property
    def nodes(self):
        return self.cluster.nodes

    @property
    def secure(self):
        return self.secure_mode != "insecure"

    @property
    def topology(self):
        """The collection's name of the install mode (multi_replica, single_replica, standalone)."""
        return {mode: topology for topology, mode in TOPOLOGY_MODES.items()}[self.mode]

    # ---------------------------------------------------------------- packages
    def package(self, version, **variant):
        """Local path of the release tarball: the release catalog's, or a variant (corrupt, full_disk, extended)."""
        kwdb_packages.basic_version(version)  # ValueError for an unknown version
        if not variant:
            return ReleaseCatalog.ensure(self.lab, KWDB_RELEASES).path(version)
        return kwdb_packages.build_kwdb_package(version, os.path.join(release_dir(self.lab), "kwdb"), **variant)

    def stage(self, host, version, into=None, **variant):
        """Copy, verify (sha256sum -c) and unpack a release on ``host`` in directory ``into`` (default: one per
        version and variant); returns its kwdb_install directory."""
        tarball = self.package(version, **variant)
        variant_name = os.path.basename(os.path.dirname(tarball)) if variant else "release"
        remote_dir = into or "/root/kwdb-%s-%s" % (kwdb_packages.basic_version(version), variant_name)
        remote = posixpath.join(remote_dir, os.path.basename(tarball))
        host.exec(["mkdir", "-p", remote_dir])
        host.put(tarball, remote)
        host.put(tarball + ".sha256sum", remote + ".sha256sum")
        check = host.exec(["sh", "-c", 'cd "$1" && sha256sum -c "$2"', "sh", remote_dir, remote + ".sha256sum"],
                          check=False)
        if check.returncode != 0:
            raise ProvisionError("checksum of %s on %s does not match:\n%s%s"
                                 % (os.path.basename(tarball), host.name, check.stdout, check.stderr))
        host.exec(["tar", "-xzf", remote, "-C", remote_dir])
        return posixpath.join(remote_dir, kwdb_packages.TOP_DIR)

    # ---------------------------------------------------------------- deploy.sh
    def deploy_cfg(self, mode, local, others):
        lines = ["[global]", "secure_mode=%s" % self.secure_mode, "management_user=%s" % MANAGEMENT_USER,
                 "rest_port=8080", "kaiwudb_port=26257", "brpc_port=27257", "data_root=%s" % DATA_DIR,
                 "[local]", "node_addr=%s" % local.ip]
        if mode != "single":
            lines += ["[cluster]", "node_addr=%s" % ",".join(h.ip for h in others), "ssh_port=22", "ssh_user=root"]
        return "\n".join(lines) + "\n"

    def deploy_sh(self, host, deploy_dir, *args, stdin=None, timeout=300):
        """Run ``deploy.sh ARGS`` on ``host`` as root (not checked); returns the CompletedProcess."""
        return host.exec([posixpath.join(deploy_dir, "deploy.sh")] + list(args), check=False, input=stdin,
                         timeout=timeout)

    def _checked(self, host, deploy_dir, *args, stdin=None):
        proc = self.deploy_sh(host, deploy_dir, *args, stdin=stdin)
        if proc.returncode != 0:
            raise ProvisionError("deploy.sh %s failed on %s (exit %d):\n%s%s"
                                 % (" ".join(args), host.name, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def _trust_first_node(self, first, others):
        """Passwordless root SSH from the first node to the others (the vendor's documented prerequisite)."""
        first.exec("test -f /root/.ssh/id_ed25519 || ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519")
        public_key = first.read_file("/root/.ssh/id_ed25519.pub")
        for host in others:
            host.exec(["sh", "-c", 'cat >> /root/.ssh/authorized_keys'], input=public_key)
            first.exec("ssh-keyscan -H %s >> /root/.ssh/known_hosts 2>/dev/null" % host.ip)

    def _prepare_hosts(self):
        os.makedirs(self.cluster.shared_dir, exist_ok=True)
        os.chmod(self.cluster.shared_dir, 0o1777)  # kwbase runs as the management user on every host
        config = json.dumps(sim_config(**self.sim_options), indent=1) + "\n"
        for host in self.hosts:
            host.write_file(SIM_CONFIG_PATH, config)
            host.exec(["mkdir", "-p", posixpath.dirname(DROPIN_PATH)])
            host.write_file(DROPIN_PATH, DROPIN)

    def install(self, version, mode="multi-replication"):
        """Unpack ``version`` to INSTALL_DIR on every node and run ``deploy.sh install`` on the first; returns
        INSTALL_DIR."""
        if mode not in MODE_OPTIONS:
            raise ValueError("unknown KWDB install mode %r" % mode)
        self.mode = mode
        # single mode is one standalone node: the lab cluster's shared state belongs to one KWDB cluster
        self.hosts = self.nodes[:1] if mode == "single" else list(self.nodes)
        first, others = self.hosts[0], self.hosts[1:]
        if others:
            self._trust_first_node(first, others)
        self._prepare_hosts()
        for host in self.hosts:
            self.stage(host, version, into=INSTALL_ROOT)
        first.write_file(posixpath.join(INSTALL_DIR, "deploy.cfg"), self.deploy_cfg(mode, first, others))
        self._checked(first, INSTALL_DIR, "install", MODE_OPTIONS[mode], *self._use_certs(first),
                      stdin="y\n%s\n" % MANAGEMENT_PASSWORD)
        return INSTALL_DIR

    def _use_certs(self, first):
        """``--use-certs <tarball on first>`` for a secure mode (an insecure install makes no certificates)."""
        if not self.secure:
            return []
        with tempfile.TemporaryDirectory(prefix="kwdb-certs-") as workdir:
            first.put(make_certs_tarball(os.path.join(workdir, "kw-certs.tar.gz"), [h.ip for h in self.hosts]),
                      REMOTE_CERTS_TARBALL)
        return ["--use-certs", REMOTE_CERTS_TARBALL]

    def deploy(self, version, mode="multi-replication"):
        """Install ``version`` in ``mode``, start every node, initialize the cluster and wait until all are live."""
        deploy_dir = self.install(version, mode)
        if mode == "single":
            self._checked(self.hosts[0], deploy_dir, "start")
        else:
            self._checked(self.hosts[0], deploy_dir, "cluster", "-i")
        self.wait_all_live()
        return self

    # ---------------------------------------------------------------- kwbase
    def client_security(self):
        """The kwbase client flags of this cluster (what deploy.sh's ``secure_opt`` gives)."""
        return ["--certs-dir=%s" % CERTS_DIR] if self.secure else ["--insecure"]

    def kwbase(self, host, *args, check=True, timeout=60):
        """``kwbase ARGS --host=127.0.0.1:26257 <secure>`` as the management user on ``host``."""
        argv = ["sudo", "-u", MANAGEMENT_USER, KWBASE, *args, "--host=127.0.0.1:26257", *self.client_security()]
        return host.exec(argv, check=check, timeout=timeout)

    def sql(self, host, statement):
        return self.kwbase(host, "sql", "--format=tsv", "-e", statement).stdout

    def node_status(self, host=None, check=True):
        """Rows of ``kwbase node status`` (csv) as dicts, or None when the command fails and check is False."""
        proc = self.kwbase(host or self.hosts[0], "node", "status", "--format=csv", check=check)
        if proc.returncode != 0:
            return None
        lines = proc.stdout.splitlines()
        header = lines[0].split(",")
        return [dict(zip(header, line.split(","))) for line in lines[1:]]

    def wait_all_live(self, timeout=60):
        """Setup helper (not the product's wait): poll until every node is available and live."""
        deadline = time.monotonic() + timeout
        rows = None
        while time.monotonic() < deadline:
            rows = self.node_status(check=False)
            if rows and len(rows) == len(self.hosts) and all(
                    r["is_available"] == "true" and r["is_live"] == "true" for r in rows):
                return rows
            time.sleep(0.5)
        raise ProvisionError("KWDB cluster %s did not become live within %ss; last status: %r"
                             % (self.cluster.name, timeout, rows))
