"""Paths the ecosystem suites share: the built tarball, the installed collection, a scratch directory, the tools.

`make ecosystem-tests` builds and installs the collection and passes
  DISTSQL_COLLECTIONS_PATH  the collections root it was installed into (ansible_collections/distsql/upgrade below it)
  DISTSQL_DIST              the directory holding the built distsql-upgrade-<version>.tar.gz
  DISTSQL_ECOSYSTEM_WORK    a scratch directory under the build directory
"""
import glob
import os
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _required_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail("%s is not set: run through `make ecosystem-tests`, which builds and installs the collection and "
                    "passes its paths" % name, pytrace=False)
    return value


def tool(name):
    """The venv's own executable (ansible-builder, ansible-playbook, ...), next to the running interpreter."""
    path = os.path.join(os.path.dirname(sys.executable), name)
    if not os.access(path, os.X_OK):
        pytest.fail("%s is not installed next to %s" % (name, sys.executable), pytrace=False)
    return path


def tool_env(**extra):
    """os.environ with the venv's bin first on PATH (the tools call ansible-doc, ansible-lint, flake8 by name)."""
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env.update(extra)
    return env


def offline(argv, **kwargs):
    """Run argv in a network namespace with no network at all (unshare -n): proof that nothing is fetched."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("unshare (util-linux) is needed to run the ecosystem tools offline", pytrace=False)
    return subprocess.run([unshare, "-n"] + list(argv), capture_output=True, text=True, check=False, **kwargs)


def galaxy_metadata():
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as source:
        return yaml.safe_load(source)


@pytest.fixture(scope="session")
def collections_root():
    root = _required_env("DISTSQL_COLLECTIONS_PATH")
    if not os.path.isdir(os.path.join(root, "ansible_collections", "distsql", "upgrade")):
        pytest.fail("%s holds no ansible_collections/distsql/upgrade" % root, pytrace=False)
    return root


@pytest.fixture(scope="session")
def installed_collection(collections_root):
    return os.path.join(collections_root, "ansible_collections", "distsql", "upgrade")


@pytest.fixture(scope="session")
def dist_tarball():
    """The tarball `ansible-galaxy collection build` made of this checkout's galaxy.yml version."""
    dist = _required_env("DISTSQL_DIST")
    expected = os.path.join(dist, "distsql-upgrade-%s.tar.gz" % galaxy_metadata()["version"])
    found = sorted(glob.glob(os.path.join(dist, "distsql-upgrade-*.tar.gz")))
    if found != [expected]:
        pytest.fail("expected exactly %s in %s, found %s" % (os.path.basename(expected), dist, found), pytrace=False)
    return expected


@pytest.fixture(scope="session")
def work_dir():
    path = _required_env("DISTSQL_ECOSYSTEM_WORK")
    os.makedirs(path, exist_ok=True)
    return path
