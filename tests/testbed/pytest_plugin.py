"""pytest fixtures for the podman test hosts.

Load with `pytest_plugins = ["tests.testbed.pytest_plugin"]` (root conftest or test module) or `-p tests.testbed.pytest_plugin`.

- `hostlab` (session): a ready Lab (podman checked, image built or cached, orphans of dead test processes removed).
- `make_cluster` (function): `make_cluster(n, lb=False)` starts a fresh cluster; all are torn down after the test.

When podman or the image cannot be used the fixtures fail the test: a skipped suite would hide a broken testbed.
"""
import itertools
import os

import pytest

from .hostlab import Lab, LabError

_cluster_numbers = itertools.count(1)


class ClusterFactory:
    """Starts clusters named tb<pid>-<n> and tears all of them down on close()."""

    def __init__(self, lab):
        self.lab = lab
        self.clusters = []

    def __call__(self, n_nodes, lb=False, **options):
        name = "tb%d-%d" % (os.getpid(), next(_cluster_numbers))
        try:
            cluster = self.lab.up(name, n_nodes, lb=lb, **options)
        except LabError as error:
            pytest.fail("cannot start test cluster %s: %s" % (name, error), pytrace=False)
        self.clusters.append(cluster)
        return cluster

    def close(self):
        while self.clusters:
            self.clusters.pop().down()


def open_lab(work_dir=None):
    """A Lab whose podman works and whose image exists; fails the calling test otherwise."""
    try:
        lab = Lab(work_dir)
        lab.info()
        lab.ensure_image()
        lab.reap_orphans()
    except LabError as error:
        pytest.fail("the podman testbed is unusable: %s" % error, pytrace=False)
    return lab


@pytest.fixture(scope="session")
def hostlab():
    return open_lab()


@pytest.fixture
def make_cluster(hostlab):
    factory = ClusterFactory(hostlab)
    yield factory
    factory.close()
