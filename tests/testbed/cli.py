"""Command line for the test hosts: `python -m tests.testbed SUBCOMMAND ...`.

Each subcommand is one function decorated with @command, which declares its arguments;
it receives the Lab and the parsed arguments and returns the exit code.
"""
import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading

from . import faults, jobs, workload
from .hostlab import Lab, LabError
from .provision import ProvisionError, release_dir
from .provision_kwdb import kwdb_packages
from .upgrade_lab import ENGINES, bring_up
from sim import databend_releases, releases  # noqa: E402  pylint: disable=wrong-import-order
from sim.build import build_zipapp  # noqa: E402  pylint: disable=wrong-import-order

COMMANDS = []


def command(name, help_text, *arguments):
    """Register a subcommand; each argument is (flags tuple, add_argument keyword dict)."""
    def register(function):
        COMMANDS.append((name, help_text, arguments, function))
        return function
    return register


def arg(*flags, **options):
    return flags, options


NAME = arg("--name", required=True, help="cluster name (also the podman network name)")


@command("check", "write the lab configuration and check that podman runs with it")
def check(lab, args):
    info = lab.info()
    runtime = info["host"]["ociRuntime"]["name"]
    if runtime != "runc":
        raise LabError("podman uses OCI runtime %s, expected runc from %s" % (runtime, lab.containers_conf))
    print("podman %s, runtime %s, storage %s, work dir %s" % (info["version"]["Version"], runtime, info["store"]["graphRoot"], lab.work_dir))
    return 0


@command("image", "build the test host image unless it is cached; prints its name")
def image(lab, args):
    print(lab.ensure_image())
    return 0


def _sim_option(text):
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError("%r must look like NAME=VALUE" % text)
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("simulator option %s needs a number, got %r" % (name, value)) from None


@command("up", "start a cluster and leave it running; prints the inventory path (with --engine: inventory.yml)",
         NAME,
         arg("--nodes", type=int, help="number of nodes node1..nodeN (default 3; standalone: 1; databend: use "
                                       "--meta and --query)"),
         arg("--lb", action="store_true", help="add a load balancer host named lb (haproxy in front of the nodes)"),
         arg("--subnet-index", type=int, help="K in 10.89.K.0/24 (default: from the name)"),
         arg("--engine", choices=sorted(ENGINES), help="install and start this database on the nodes"),
         arg("--version", help="release to install with --engine, e.g. v23.2.9 (cockroachdb), V3.0.0 (kwdb), "
                               "1.2.680-nightly (databend)"),
         arg("--meta", type=int, help="with --engine databend: databend-meta on node1..nodeM (default 3)"),
         arg("--query", type=int, help="with --engine databend: databend-query on the next Q hosts (default 2)"),
         arg("--query-version", help="with --engine databend: the release databend-query runs (default --version, "
                                     "which databend-meta runs)"),
         arg("--topology", choices=["multi-replica", "single-replica", "standalone"], default="multi-replica",
             help="with --engine: nodes joined with `cockroach start` / `deploy.sh install --multi-replica` / a "
                  "databend-meta raft cluster (default), `deploy.sh install --single-replica` (kwdb only), or one node "
                  "(`start-single-node` / `--single` / databend-meta and databend-query on one host)"),
         arg("--secure", action="store_true",
             help="with --engine: certificates (cockroachdb: the securecockroachdb unit; kwdb: secure_mode=tls; "
                  "not databend)"),
         arg("--sim", action="append", default=[], type=_sim_option, metavar="NAME=SECONDS",
             help="simulator timing knob (liveness_ttl, catchup_seconds, finalize_delay, schema_change_seconds, "
                  "ranges; none for databend); repeatable"))
def up(lab, args):
    if bool(args.engine) != bool(args.version):
        raise SystemExit("--engine and --version go together")
    if not args.engine:
        if args.topology != "multi-replica" or args.secure or args.sim or args.meta is not None \
                or args.query is not None or args.query_version is not None:
            raise SystemExit("--topology, --secure, --sim, --meta, --query and --query-version need --engine")
        cluster = lab.up(args.name, args.nodes or 3, lb=args.lb, subnet_index=args.subnet_index, keep=True)
        print(cluster.inventory_path)
        return 0
    try:
        path = bring_up(lab, args.name, nodes=args.nodes, lb=args.lb, version=args.version, engine=args.engine,
                        topology=args.topology.replace("-", "_"), secure=args.secure, subnet_index=args.subnet_index,
                        meta=args.meta, query=args.query, query_version=args.query_version, **dict(args.sim))[3]
    except (ProvisionError, ValueError) as error:
        raise LabError(str(error)) from None
    print(path)
    return 0


@command("down", "remove a cluster, or all clusters",
         arg("--name", help="cluster name"),
         arg("--all", action="store_true", help="remove every cluster (with --prefix: those whose name starts with it)"),
         arg("--prefix", default="", help="with --all: only names starting with this"))
def down(lab, args):
    if args.all == bool(args.name):
        raise LabError("down needs exactly one of --name NAME or --all")
    if args.all:
        removed = lab.down_all(args.prefix)
    else:
        lab.down(args.name)
        removed = [args.name]
    for name in removed:
        print(name)
    return 0


@command("list", "list the clusters with their hosts")
def list_clusters(lab, args):
    for name in lab.cluster_names():
        cluster = lab.cluster(name)
        print("%s %s %s" % (name, cluster.subnet, " ".join("%s=%s" % (host.hostname, host.ip) for host in cluster.hosts)))
    return 0


@command("inventory", "print the inventory path of a cluster (or the inventory as JSON)",
         NAME,
         arg("--json", action="store_true", help="print the inventory as YAML-style JSON instead"))
def inventory(lab, args):
    cluster = lab.cluster(args.name)
    saved = saved_inventory(cluster)
    if saved is not None:  # written by `up --engine`: its inventory.yml is the one to use
        print(json.dumps(saved, indent=1) if args.json else cluster.yaml_inventory_path)
        return 0
    print(json.dumps(cluster.inventory_dict(), indent=1) if args.json else cluster.write_inventory())
    return 0


def saved_inventory(cluster):
    """The inventory `up --engine` saved as inventory.json, or None for a cluster without an engine."""
    try:
        with open(os.path.join(cluster.dir, "inventory.json"), encoding="utf-8") as source:
            return json.load(source)
    except FileNotFoundError:
        return None


def saved_engine(cluster):
    """The engine `up --engine` installed on the cluster (distsql_engine of its inventory), or None."""
    saved = saved_inventory(cluster)
    return saved["all"]["vars"].get("distsql_engine") if saved else None


@command("exec", "run a command in a host of a cluster (podman exec); exits with its code",
         NAME,
         arg("--node", required=True, help="hostname (node1, lb) or container name"),
         arg("argv", nargs=argparse.REMAINDER, help="-- COMMAND ARGS..."))
def exec_command(lab, args):
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        raise LabError("exec needs a command after --")
    host = lab.cluster(args.name).host(args.node)
    return subprocess.call(["podman"] + host.exec_argv(argv, interactive=not sys.stdin.isatty()), env=lab.env)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m tests.testbed", description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", help="lab state directory (default: $TESTBED_WORK or ~/.cache/distsql-testbed)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text, arguments, function in COMMANDS:
        subparser = subparsers.add_parser(name, help=help_text, description=help_text)
        for flags, options in arguments:
            subparser.add_argument(*flags, **options)
        subparser.set_defaults(function=function)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.function(Lab(args.work_dir), args)
    except LabError as error:
        print("error: %s" % error, file=sys.stderr)
        return 1


@command("workload", "run a client workload against a cluster (default: through its lb) and write a JSON summary",
         NAME,
         arg("--duration", type=float, default=30.0, help="seconds to run (SIGTERM/SIGINT end it early)"),
         arg("--rate", type=float, default=50.0, help="operations per second"),
         arg("--out", required=True, help="path of the JSON summary"),
         arg("--node", default="lb", help="host to send the workload to (default lb)"),
         arg("--connections", type=int, default=1,
             help="pooled pgwire connections (Databend: concurrent HTTP clients)"),
         arg("--databend", action="store_true",
             help="Databend HTTP handler on :8000 instead of pgwire on :26257 (the default for a cluster of "
                  "`up --engine databend`)"))
def workload_command(lab, args):
    cluster = lab.cluster(args.name)
    host = cluster.host(args.node)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        if args.databend or saved_engine(cluster) == "databend":
            runner = workload.DatabendWorkload("http://%s:8000" % host.ip, args.rate, workers=args.connections,
                                               duration=args.duration, out_path=args.out).start()
            while runner.running() and not stop.is_set():
                runner.wait(0.2)
            summary = runner.stop()
        else:
            dsn = "host=%s port=26257 user=root dbname=defaultdb sslmode=disable" % host.ip
            summary = workload.run_workload(dsn, args.duration, args.rate, args.out, stop_event=stop,
                                            connections=args.connections)
    except workload.WorkloadError as error:
        raise LabError(str(error)) from None
    print(workload.summary_line(summary))
    return 0


@command("fault", "set or clear simulator faults (<shared dir>/faults/<node>.json, format in faults.py); prints them",
         NAME,
         arg("--node", help="hostname (node1, node2, ...); default: every node"),
         arg("--set", action="append", default=[], metavar="NAME=VALUE",
             help="crash_on_start, never_ready, hang_on_stop (true/false), slow_catchup_seconds or "
                  "slow_drain_seconds (seconds); repeatable"),
         arg("--version", help="limit the faults to the build with this tag (e.g. v24.1.4); with --clear: clear "
                               "only that version's"),
         arg("--clear", action="store_true", help="remove the faults of the node(s)"))
def fault_command(lab, args):
    if bool(args.set) == args.clear:
        raise LabError("fault needs --set NAME=VALUE (repeatable) or --clear")
    cluster = lab.cluster(args.name)
    hosts = [cluster.host(args.node)] if args.node else cluster.nodes
    assignments = dict(faults.parse_assignment(text) for text in args.set)
    for host in hosts:
        if args.clear:
            faults.clear_faults(cluster, host, version=args.version)
        else:
            faults.set_fault(cluster, host, version=args.version, **assignments)
    if args.node:
        print(json.dumps(faults.read_faults(cluster, args.node), sort_keys=True))
    else:
        print(json.dumps({host.hostname: faults.read_faults(cluster, host) for host in hosts}, sort_keys=True))
    return 0


@command("package", "build a KWDB release package on the controller (a fault variant for failure tests); prints "
                    "{path, sha256} as JSON",
         arg("--version", required=True, help="KWDB tag, e.g. V3.1.0"),
         arg("--full-disk", action="store_true", help="the server package's preinst fails: No space left on device"),
         arg("--corrupt", action="store_true", help="the tarball is damaged after its checksum was taken"),
         arg("--container", action="store_true", help="the container-mode package (packages/KaiwuDB.tar, no .debs)"),
         arg("--extended", default="", help="extended tag written as line 2 of packages/.version, e.g. hotfix1"))
def package_command(lab, args):
    try:
        path = kwdb_packages.build_kwdb_package(args.version, os.path.join(release_dir(lab), "kwdb"),
                                                corrupt=args.corrupt, full_disk=args.full_disk, extended=args.extended,
                                                container=args.container)
    except ValueError as error:
        raise LabError(str(error)) from None
    with open(path + ".sha256sum", encoding="utf-8") as source:
        sha256 = source.read().split()[0]
    print(json.dumps({"path": path, "sha256": sha256}))
    return 0


FAILING_BUILD = """#!/bin/bash
# testbed: a kwbase build linked against a libkwdbts2.so the node lacks (it answers version, then fails at start)
case "$1" in
version) cat <<'VERSION'
%s
VERSION
    ;;
*)  echo "$0: error while loading shared libraries: libkwdbts2.so: cannot open shared object file: No such file or directory" >&2
    exit 127 ;;
esac
"""


def write_failing_build(path):
    """Replace the simulated kwbase at ``path`` by a script that prints its `version` output and fails otherwise."""
    printed = subprocess.run([path, "version"], capture_output=True, text=True, check=True).stdout.rstrip("\n")
    with open(path, "w", encoding="utf-8") as out:
        out.write(FAILING_BUILD % printed)
    os.chmod(path, 0o755)


@command("built-binary", "write the simulated kwbase of a KWDB version (or cockroach of a CockroachDB one) to a file, "
                         "or the binaries of a Databend version to a directory, on the controller, as binaries an "
                         "operator built from source (the source-built upgrade path); prints {path, sha256} as JSON",
         arg("--engine", choices=["kwdb", "cockroachdb", "databend"], default="kwdb",
             help="kwdb (default): one kwbase at --out; cockroachdb: one cockroach at --out; databend: --out is a "
                  "directory (cargo's target/release) that gets databend-meta, databend-query and databend-metactl"),
         arg("--version", required=True, help="KWDB tag, e.g. V3.1.0, CockroachDB tag, e.g. v24.1.4, or Databend "
                                              "release, e.g. 1.2.828-nightly"),
         arg("--out", required=True, help="where to write it (mode 0755; databend: the directory, created)"),
         arg("--fails-at-start", action="store_true",
             help="kwdb only: a build that answers `version` but exits 127 at every start command with the loader's "
                  "error for libkwdbts2.so (a build linked against a library the node lacks)"),
         arg("--min-compatible-metasrv", metavar="VERSION",
             help="databend only: a build of a branch whose databend-query prints this min-compatible-metasrv-version "
                  "instead of the published one"))
def built_binary_command(lab, args):  # pylint: disable=unused-argument
    if args.engine == "databend":
        return built_databend_binaries(args)
    if args.fails_at_start and args.engine != "kwdb":
        raise LabError("--fails-at-start is for kwbase only; for a cockroach build that exits at start set the fault "
                       "crash_on_start for its version (fault --set crash_on_start=true --version %s)" % args.version)
    if args.min_compatible_metasrv:
        raise LabError("--min-compatible-metasrv is for databend only")
    buildinfo = releases.cockroach_buildinfo if args.engine == "cockroachdb" else releases.kwbase_buildinfo
    try:
        build_zipapp(buildinfo(args.version), args.out)
    except ValueError as error:
        raise LabError(str(error)) from None
    if args.fails_at_start:
        write_failing_build(args.out)
    with open(args.out, "rb") as source:
        sha256 = hashlib.sha256(source.read()).hexdigest()
    print(json.dumps({"path": os.path.abspath(args.out), "sha256": sha256}))
    return 0


def built_databend_binaries(args):
    """The bin/ of the simulated Databend release ``args.version`` written into directory ``args.out``: the same
    bytes as the release tarball's binaries, so they print what the released ones print."""
    if args.fails_at_start:
        raise LabError("--fails-at-start is for kwbase only: a Databend build that cannot load fails `--cmd ver` as "
                       "well; for a build that exits at start set the fault crash_on_start for its version (fault "
                       "--set crash_on_start=true --version %s)" % args.version)
    try:
        infos = {name: databend_releases.databend_buildinfo(component, args.version)
                 for component, name in databend_releases.COMPONENTS.items()}
    except ValueError as error:
        raise LabError(str(error)) from None
    if args.min_compatible_metasrv:
        infos[databend_releases.COMPONENTS["query"]]["min_compatible_metasrv_version"] = args.min_compatible_metasrv
    os.makedirs(args.out, exist_ok=True)
    written = {}
    for name, info in sorted(infos.items()):
        path = os.path.join(args.out, name)
        build_zipapp(info, path)
        with open(path, "rb") as source:
            written[name] = hashlib.sha256(source.read()).hexdigest()
    print(json.dumps({"path": os.path.abspath(args.out), "sha256": written}))
    return 0


@command("job", "add job rows to a simulated CockroachDB cluster (what SHOW JOBS lists), or remove them",
         NAME,
         arg("--add", metavar="JOB_TYPE", help="job type as SHOW JOBS prints it, e.g. \"NEW SCHEMA CHANGE\""),
         arg("--status", default="running", help="job status (default running)"),
         arg("--description", help="job description (default: a statement fitting the type)"),
         arg("--user", default="root", help="user_name of the job (default root)"),
         arg("--clear-added", action="store_true", help="remove every job added with --add"))
def job_command(lab, args):
    if bool(args.add) == args.clear_added:
        raise LabError("job needs --add JOB_TYPE or --clear-added")
    cluster = lab.cluster(args.name)
    if args.add:
        print(jobs.add_job(cluster, args.add, status=args.status, description=args.description,
                           user=args.user)["job_id"])
    else:
        for job_id in jobs.clear_added(cluster):
            print(job_id)
    return 0
