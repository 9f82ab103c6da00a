"""Fixtures that run the collection's modules through real Ansible against a fake CLI."""
import json
import os
import sys

import pytest

from tests.support.ansible_cli import run_module

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "unit", "fixtures")


def fixture_text(relative_path):
    """A recorded real output from tests/unit/fixtures, byte for byte."""
    with open(os.path.join(FIXTURES, relative_path), encoding="utf-8", newline="") as source:
        return source.read()


class FakeCli:
    """A fake binary in its own directory, answering from a scenario."""

    def __init__(self, directory):
        self.directory = directory
        self.path = os.path.join(directory, "fake-db-cli")
        self.scenario = {}
        with open(os.path.join(HERE, "fake_cli.py"), encoding="utf-8") as source:
            body = source.read()
        with open(self.path, "w", encoding="utf-8") as script:
            script.write("#!%s\n%s" % (sys.executable, body))
        os.chmod(self.path, 0o755)

    def respond(self, key, *responses):
        """Queue responses (dicts with stdout/stderr/rc, or plain stdout strings) for a command key."""
        self.scenario[key] = [r if isinstance(r, dict) else {"stdout": r} for r in responses]
        with open(os.path.join(self.directory, "scenario.json"), "w", encoding="utf-8") as out:
            json.dump(self.scenario, out)

    def calls(self):
        path = os.path.join(self.directory, "calls.jsonl")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as source:
            return [json.loads(line) for line in source]


@pytest.fixture
def fake_cli(tmp_path):
    return FakeCli(str(tmp_path))


@pytest.fixture
def make_fake_cli(tmp_path):
    """Several fake binaries in one test (installed and target binary, query and meta)."""

    def make(name):
        directory = tmp_path / name
        directory.mkdir()
        return FakeCli(str(directory))

    return make


@pytest.fixture
def module_runner():
    return run_module
