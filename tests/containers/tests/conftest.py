"""Fixtures of the container lab's tests: the daemon (fails, never skips, when it does not answer), the KaiwuDB.tar
files of V3.0.0, V3.1.0 and a broken V3.1.0 built once per session, and labs removed after each test."""
import itertools
import os
import shutil

import pytest

from tests.containers import images, lab
from tests.containers.docker import ContainerLabError, check_daemon

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def daemon():
    try:
        return check_daemon()
    except ContainerLabError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def image_dir(daemon, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("kwdb-images"))
    try:
        images.build_images(["V3.0.0", "V3.1.0"], out, broken=["V3.1.0"])
        yield out
    finally:
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture
def make_lab(image_dir):
    """make_lab(mode, version, secure=False, nodes=1) -> ContainerLab named ct<pid>-<n>; all removed afterwards."""
    names = []

    def start(mode, version="V3.0.0", secure=False, nodes=1):
        name = "ct%d-%d" % (os.getpid(), next(_numbers))
        names.append(name)
        return lab.up(name, mode, version, secure, nodes, image_dir)

    yield start
    for name in names:
        lab.down(name)
