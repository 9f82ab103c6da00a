"""The Docker engine of the container lab: Debian's docker.io (dockerd 20.10) and docker-compose 1.29, started by
tests/containers/setup-docker.sh. Always Debian's client /usr/bin/docker, never the Docker 28 client that comes
first in PATH (/usr/local/bin/docker): the lab speaks to its daemon with the daemon's own client.
"""
import os
import shlex
import subprocess
import sys

from tests.testbed.hostlab import LabError
from tests.testbed.hostlab import _poll as hostlab_poll

DOCKER = "/usr/bin/docker"
COMPOSE = "/usr/bin/docker-compose"
LABEL = "distsql-containers.lab"


class ContainerLabError(Exception):
    """A lab operation failed; the message says what was done and what was observed."""


def log(message):
    print("[containers] %s" % message, file=sys.stderr, flush=True)


def work_dir():
    return os.path.abspath(os.environ.get("DISTSQL_CONTAINERS_WORK")
                           or os.path.join(os.path.expanduser("~"), ".cache", "distsql-containers"))


def run(argv, check=True, stdin=None, timeout=120, cwd=None, env=None):
    """Run argv (text output captured); a failure raises ContainerLabError with the command and its output."""
    try:
        result = subprocess.run(argv, stdin=stdin, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env,
                                check=False)
    except FileNotFoundError:
        raise ContainerLabError("%s is not installed (run tests/containers/setup-docker.sh)" % argv[0]) from None
    except subprocess.TimeoutExpired:
        raise ContainerLabError("%s timed out after %s s" % (shlex.join(argv), timeout)) from None
    if check and result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise ContainerLabError("%s failed with exit code %d: %s" % (shlex.join(argv), result.returncode, output))
    return result


def docker(*args, **kwargs):
    return run([DOCKER] + list(args), **kwargs)


def compose(project_dir, *args, **kwargs):
    """``docker-compose ARGS`` in ``project_dir`` (the vendor's /etc/kaiwudb/script), as the docs run it."""
    env = {name: value for name, value in os.environ.items() if name != "KAIWUDB_START_ARG"}
    return run([COMPOSE] + list(args), cwd=project_dir, env=env, **kwargs)


def poll(what, probe, timeout, interval=0.2):
    """The testbed's poll (probe() -> (done, observed) until done, against a deadline), failing as this lab does."""
    try:
        return hostlab_poll(what, probe, timeout, interval)
    except LabError as error:
        raise ContainerLabError(str(error)) from None


def check_daemon():
    """Server version of the daemon; ContainerLabError when it does not answer."""
    result = docker("version", "--format", "{{.Server.Version}}", check=False, timeout=30)
    if result.returncode != 0:
        raise ContainerLabError("the docker daemon does not answer (run tests/containers/setup-docker.sh): %s"
                                % (result.stderr or result.stdout).strip())
    return result.stdout.strip()


def bridge_gateway():
    """The docker0 address: this machine as the lab's containers and its own clients both reach it."""
    gateway = docker("network", "inspect", "bridge", "--format", "{{(index .IPAM.Config 0).Gateway}}").stdout.strip()
    if gateway:
        return gateway
    # dockerd 20.10 leaves the default bridge's IPAM gateway empty: take the address of its interface
    interface = docker("network", "inspect", "bridge", "--format",
                       '{{index .Options "com.docker.network.bridge.name"}}').stdout.strip() or "docker0"
    fields = run(["ip", "-4", "-o", "addr", "show", "dev", interface]).stdout.split()
    if "inet" not in fields:
        raise ContainerLabError("no IPv4 address on %s, the default docker bridge" % interface)
    return fields[fields.index("inet") + 1].split("/")[0]
