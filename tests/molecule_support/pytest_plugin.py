"""Fixtures of the molecule scenarios' testinfra tests (loaded with -p tests.molecule_support.pytest_plugin).

Molecule runs pytest in the scenario directory with MOLECULE_EPHEMERAL_DIRECTORY set; the inventory there holds
the testbed's contract variables (create.yml put them in), the state/ directory what prepare and converge
recorded, and reports/ the JSON reports of the runs (distsql_report_dir).
"""
import os

import pytest

from tests.molecule_support import checks, container_state, hoststate


@pytest.fixture(scope="session")
def ephemeral_dir():
    path = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if not path:
        pytest.fail("MOLECULE_EPHEMERAL_DIRECTORY is not set: these tests run as molecule's verifier (make molecule)")
    return path


@pytest.fixture(scope="session")
def inventory_dir(ephemeral_dir):
    return os.path.join(ephemeral_dir, "inventory")


@pytest.fixture(scope="session")
def state_dir(ephemeral_dir):
    return os.path.join(ephemeral_dir, "state")


@pytest.fixture(scope="session")
def report_dir(ephemeral_dir):
    return os.path.join(ephemeral_dir, "reports")


@pytest.fixture(scope="session")
def inventory(inventory_dir):
    """The database nodes (the group distsql_group names) with their variables and testinfra hosts."""
    return hoststate.Inventory(inventory_dir)


@pytest.fixture(scope="session")
def contract(inventory):
    return inventory.contract()


@pytest.fixture()
def show(capsys):
    """Print a line into the molecule log even though pytest captures output."""
    def _show(line):
        with capsys.disabled():
            print("\n" + line, flush=True)
    return _show


@pytest.fixture(scope="session")
def recorded(state_dir):
    """A snapshot or run record the prepare or converge wrote into state/ (name without .json)."""
    def _load(name):
        path = os.path.join(state_dir, name + ".json")
        if not os.path.exists(path):
            pytest.fail("%s is missing: the step that records it did not run" % path)
        return hoststate.load(path)
    return _load


@pytest.fixture(scope="session")
def now_state(inventory_dir):
    """A snapshot taken when verify starts."""
    return hoststate.snapshot(inventory_dir)


@pytest.fixture(scope="session")
def run_reports(report_dir):
    found = checks.reports(report_dir)
    if not found:
        pytest.fail("no report in %s (distsql_report_dir)" % report_dir)
    return found


@pytest.fixture(scope="session")
def lab_hosts(inventory_dir):
    """Container scenarios: the lab's nodes with their variables (inventory/lab.yml)."""
    return container_state.lab_hosts(os.path.join(inventory_dir, "lab.yml"))


@pytest.fixture(scope="session")
def containers_now(inventory_dir):
    """Container scenarios: a container_state snapshot taken when verify starts."""
    return container_state.snapshot(os.path.join(inventory_dir, "lab.yml"))
