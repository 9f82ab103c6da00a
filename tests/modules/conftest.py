"""Fixtures that run the collection's modules through real Ansible against a fake CLI."""
import hashlib
import json
import os
import subprocess
import sys

import pytest

from tests.support.ansible_cli import run_module

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "unit", "fixtures")
KWBASE_IN_IMAGE = "/kaiwudb/bin/kwbase"


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


def kwbase_version_report(version):
    """What `kwbase version` prints, the README's recorded sample with another version."""
    return fixture_text("kwdb/version_V2.0.3.2_RC3.txt").replace("V2.0.3.2_RC3-3-gfe5eeb853e-dirty", version)


def write_script(path, source_name):
    with open(os.path.join(HERE, source_name), encoding="utf-8") as source:
        body = source.read()
    with open(path, "w", encoding="utf-8") as script:
        script.write("#!%s\n%s" % (sys.executable, body))
    os.chmod(path, 0o755)


class FakeDocker:
    """The fake docker CLI (fake_docker.py) and docker-compose (fake_compose.py) in one directory, sharing its
    state.json; images carry a fake kwbase (a FakeCli) at /kaiwudb/bin/kwbase that prints the real version report."""

    def __init__(self, directory):
        self.directory = directory
        self.state = os.path.join(directory, "state.json")
        self.path = os.path.join(directory, "docker")
        self.compose_path = os.path.join(directory, "docker-compose")
        write_script(self.path, "fake_docker.py")
        write_script(self.compose_path, "fake_compose.py")
        write_script(os.path.join(directory, "fake_docker.py"), "fake_docker.py")

    def image(self, tag, version, exits=False, logs=None):
        """An image as docker image inspect shows it, with its kwbase; the id follows from what it holds."""
        kwbase = FakeCli(self._new_dir("kwbase-%s-%s" % (tag.replace("/", "_"), version)))
        kwbase.respond("version", kwbase_version_report("V" + version))
        labels = {"vendor": "kaiwudb"}
        if exits:
            labels["fake.exits"] = "1"
        config = {"Env": ["PATH=/usr/bin:/bin", "KWDB_VERSION=%s" % version], "Cmd": ["bash"], "Entrypoint": None,
                  "WorkingDir": "/", "Labels": labels}
        digest = hashlib.sha256(json.dumps([tag, config, logs]).encode()).hexdigest()
        found = {"Id": "sha256:" + digest, "RepoTags": [tag], "Config": config,
                 "FakeFiles": {KWBASE_IN_IMAGE: kwbase.path}}
        if logs:
            found["FakeLogs"] = logs
        return found

    def _new_dir(self, name):
        path = os.path.join(self.directory, name)
        while os.path.exists(path):
            path += "-again"
        os.makedirs(path)
        return path

    def archive(self, name, *images):
        """A file `docker load` reads (the fake's: the images as JSON)."""
        path = os.path.join(self.directory, name)
        with open(path, "w", encoding="utf-8") as out:
            json.dump(list(images), out)
        return path

    def publish(self, *images):
        """Put images in the registry `docker pull` reads, under each of their tags."""
        state = self.read_state()
        for found in images:
            for tag in found["RepoTags"]:
                state.setdefault("registry", {})[tag] = found
        with open(self.state, "w", encoding="utf-8") as out:
            json.dump(state, out)

    def read_state(self):
        if not os.path.exists(self.state):
            return {"containers": {}, "images": {}, "registry": {}}
        with open(self.state, encoding="utf-8") as source:
            return json.load(source)

    def __call__(self, *args):
        return subprocess.run([self.path] + list(args), check=True, capture_output=True, text=True).stdout

    def compose(self, directory, *args):
        return subprocess.run([self.compose_path] + list(args), cwd=directory, check=True, capture_output=True,
                              text=True).stderr

    def inspect(self, name):
        return json.loads(self("inspect", "--type", "container", name))[0]

    def image_ids(self):
        return sorted(self.read_state()["images"])

    def tags(self, image_id):
        return self.read_state()["images"][image_id]["RepoTags"]

    def names(self):
        return sorted(self.read_state()["containers"])

    def calls(self):
        """The docker subcommand of each call, in order."""
        return [argv[0] for argv in self._jsonl("calls.jsonl")]

    def argvs(self):
        return self._jsonl("calls.jsonl")

    def compose_calls(self):
        return self._jsonl("compose_calls.jsonl")

    def _jsonl(self, name):
        path = os.path.join(self.directory, name)
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as source:
            return [json.loads(line) for line in source]


@pytest.fixture
def fake_docker(tmp_path, monkeypatch):
    directory = tmp_path / "docker"
    directory.mkdir()
    monkeypatch.setenv("FAKE_DOCKER_STATE", str(directory / "state.json"))
    return FakeDocker(str(directory))
