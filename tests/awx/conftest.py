"""Fixtures: the AWX stand-in, seeded, with configure_awx.yml run against it."""
import pytest

from tests.awx.lab import extension_path, start_lab


@pytest.fixture
def wrapper_lab():
    """A stand-in whose project is the wrapper project (extensions/awx/project of the source tree)."""
    lab = start_lab(extension_path('project'))
    yield lab
    lab.standin.stop()


@pytest.fixture(scope='module')
def configured_twice():
    """configure_awx.yml run twice against one stand-in with the wrapper project: (lab, first run, second run)."""
    lab = start_lab(extension_path('project'))
    first = lab.run()
    second = lab.run()
    yield lab, first, second
    lab.standin.stop()
