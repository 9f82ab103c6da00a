"""Fixtures that run the collection's modules through real Ansible against a fake CLI."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

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


def collections_path():
    path = os.environ.get("DISTSQL_COLLECTIONS_PATH")
    if not path:
        pytest.fail("DISTSQL_COLLECTIONS_PATH is not set: run through `make module-tests`, which installs the built "
                    "collection and points this variable at it")
    return path


def run_module(module, args, check_mode=False):
    """Run distsql.upgrade.<module> on localhost with the ansible CLI; return the module result dict.

    A test-only callback (callback_plugins/result_file.py) writes the result as JSON, which is read back.
    """
    ansible = shutil.which("ansible", path=os.path.dirname(sys.executable)) or "ansible"
    with tempfile.TemporaryDirectory() as result_dir:
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
                   ANSIBLE_CALLBACKS_ENABLED="result_file", RESULT_FILE_DIR=result_dir,
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
        argv = [ansible, "localhost", "-c", "local", "-m", "distsql.upgrade.%s" % module, "-a", json.dumps(args)]
        if check_mode:
            argv.append("--check")
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
        result_path = os.path.join(result_dir, "localhost.json")
        if not os.path.exists(result_path):
            raise AssertionError("ansible wrote no result (rc=%s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
        with open(result_path, encoding="utf-8") as source:
            return json.load(source)


@pytest.fixture
def module_runner():
    return run_module
