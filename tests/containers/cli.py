"""python -m tests.containers images / up / down / inspect / list / inventory

    python -m tests.containers images --versions V3.0.0 V3.1.0 [--broken V3.1.0] [--out DIR]
    python -m tests.containers up --name N --mode run|compose --version V3.0.0 [--secure] [--nodes 1] [--images DIR]
    python -m tests.containers down --name N | --all
    python -m tests.containers inspect --name N
    python -m tests.containers workload --name N --out SUMMARY.json [--duration 30] [--rate 50] [--connections 3]
`up` prints the path of the lab's inventory.yml (and nothing else on stdout).
"""
import argparse
import signal
import sys
import threading

from . import images, lab
from .docker import ContainerLabError
from tests.testbed import workload  # pylint: disable=wrong-import-order


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.containers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("images", help="build KWDB images and write <out>/<V>/KaiwuDB.tar")
    build.add_argument("--versions", nargs="+", default=["V3.0.0", "V3.1.0"], metavar="V")
    build.add_argument("--broken", nargs="*", default=[], metavar="V", help="also a broken image: <out>/<V>-broken/")
    build.add_argument("--out", default=None, help="default: <work dir>/images")
    start = commands.add_parser("up", help="start a KWDB lab in docker and write its inventory")
    start.add_argument("--name", required=True)
    start.add_argument("--mode", choices=lab.MODES, default="run")
    start.add_argument("--version", default="V3.0.0")
    start.add_argument("--secure", action="store_true")
    start.add_argument("--nodes", type=int, default=1)
    start.add_argument("--images", default=None, help="where KaiwuDB.tar files are (default: <work dir>/images)")
    stop = commands.add_parser("down", help="remove a lab")
    which = stop.add_mutually_exclusive_group(required=True)
    which.add_argument("--name")
    which.add_argument("--all", action="store_true")
    show = commands.add_parser("inspect", help="docker inspect of the lab's containers")
    show.add_argument("--name", required=True)
    commands.add_parser("list", help="the labs")
    inventory = commands.add_parser("inventory", help="the path of a lab's inventory.yml")
    inventory.add_argument("--name", required=True)
    load = commands.add_parser("workload", help="a pgwire client workload against every node of a lab (a multi-host "
                                                "connection string: the client fails over as an application does)")
    load.add_argument("--name", required=True)
    load.add_argument("--out", required=True, help="path of the JSON summary")
    load.add_argument("--duration", type=float, default=30.0, help="seconds to run (SIGTERM/SIGINT end it early)")
    load.add_argument("--rate", type=float, default=50.0)
    load.add_argument("--connections", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        if args.command == "images":
            for path in images.build_images(args.versions, args.out, args.broken).values():
                print(path)
        elif args.command == "up":
            print(lab.up(args.name, args.mode, args.version, args.secure, args.nodes, args.images).inventory_path)
        elif args.command == "down":
            if args.all:
                lab.down_all()
            else:
                lab.down(args.name)
        elif args.command == "inspect":
            print(lab.inspect(args.name), end="")
        elif args.command == "list":
            for name in lab.lab_names():
                state = lab.read_lab(name)
                print("%s\t%s\t%s\t%s" % (name, state["mode"], state["version"],
                                          ",".join(node["container"] for node in state["nodes"])))
        elif args.command == "inventory":
            print(lab.ContainerLab.load(args.name).inventory_path)
        elif args.command == "workload":
            print(workload.summary_line(run_workload(lab.ContainerLab.load(args.name), args)))
    except (ContainerLabError, ValueError, workload.WorkloadError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 1
    return 0


def run_workload(the_lab, args):
    """The testbed's pgwire workload with every node's published SQL port in one conninfo: psycopg tries the hosts in
    order on each connect, so a node that is down or refuses sessions sends the client to the next one."""
    if the_lab.secure:
        raise ContainerLabError("the workload speaks plain pgwire: lab %s is secure" % the_lab.name)
    dsn = "host=%s port=%s user=root dbname=defaultdb sslmode=disable" % (
        ",".join("127.0.0.1" for _node in the_lab.nodes), ",".join(str(node["sql_port"]) for node in the_lab.nodes))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return workload.run_workload(dsn, args.duration, args.rate, args.out, stop_event=stop, connections=args.connections)
