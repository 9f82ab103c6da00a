"""galaxy-importer 0.4.44 on the built tarball, offline, the way Galaxy/Automation Hub would import it.

The importer's findings from ansible-lint and flake8 are `WARNING:` lines with rc 0: here every one fails the import.
Its config (GALAXY_IMPORTER_CONFIG): ansible-doc, ansible-lint (offline), flake8, required tags and changelog on;
ansible-test off (it would need a container runtime); its temporary files under the build directory.
"""
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile

import pytest
import yaml

from tests.ecosystem.conftest import REPO, galaxy_metadata, offline, tool_env

CONFIG = """[galaxy-importer]
LOG_LEVEL_MAIN = INFO
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_FLAKE8 = True
CHECK_REQUIRED_TAGS = True
CHECK_CHANGELOG = True
REQUIRE_V1_OR_GREATER = False
RUN_ANSIBLE_TEST = False
ANSIBLE_TEST_LOCAL_IMAGE = False
ANSIBLE_LOCAL_TMP = {tmp}/ansible_local_tmp
TMP_ROOT_DIR = {tmp}/importer_tmp
"""


class Import:
    """One importer run: its exit code, output lines and importer_result.json."""

    def __init__(self, proc, result_path):
        self.rc = proc.returncode
        self.lines = (proc.stdout + proc.stderr).splitlines()
        self.result = None
        if os.path.exists(result_path):
            with open(result_path, encoding="utf-8") as source:
                self.result = json.load(source)

    def lines_starting(self, prefix):
        return [line for line in self.lines if line.startswith(prefix)]

    def contents(self, content_type):
        return sorted(entry["name"] for entry in self.result["contents"] if entry["content_type"] == content_type)

    def docs(self, content_type):
        return dict((entry["content_name"], entry) for entry in self.result["docs_blob"]["contents"]
                    if entry["content_type"] == content_type)


def run_importer(tarball, directory):
    """galaxy_importer.main on the tarball with its cwd (where it writes importer_result.json) in directory."""
    if os.path.exists(directory):
        shutil.rmtree(directory)
    for sub in ("ansible_local_tmp", "importer_tmp", "home", "ansible_home"):
        os.makedirs(os.path.join(directory, sub))
    config = os.path.join(directory, "galaxy-importer.cfg")
    with open(config, "w", encoding="utf-8") as out:
        out.write(CONFIG.format(tmp=directory))
    env = tool_env(GALAXY_IMPORTER_CONFIG=config, HOME=os.path.join(directory, "home"),
                   ANSIBLE_HOME=os.path.join(directory, "ansible_home"), XDG_CACHE_HOME=os.path.join(directory, "home"))
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    proc = offline([sys.executable, "-m", "galaxy_importer.main", tarball], env=env, cwd=directory, timeout=900)
    return Import(proc, os.path.join(directory, "importer_result.json"))


@pytest.fixture(scope="module")
def imported(dist_tarball, work_dir):
    return run_importer(dist_tarball, os.path.join(work_dir, "galaxy-importer"))


def _source_names(pattern_dir, keep):
    return sorted(keep(name) for name in os.listdir(os.path.join(REPO, pattern_dir)) if keep(name))


def test_the_import_succeeds_without_a_finding(imported):
    assert imported.rc == 0, "\n".join(imported.lines)
    findings = imported.lines_starting("WARNING:") + imported.lines_starting("ERROR:")
    assert findings == [], "\n".join(findings)
    assert "Importer processing completed successfully" in imported.lines
    assert any(re.match(r"^Linting collection via ansible-lint \d", line) for line in imported.lines)
    assert "...ansible-lint run complete" in imported.lines


def test_the_metadata_is_that_of_galaxy_yml_and_meta_runtime(imported):
    galaxy = galaxy_metadata()
    metadata = imported.result["metadata"]
    for key in ("namespace", "name", "version", "tags"):
        assert metadata[key] == galaxy[key], key
    with open(os.path.join(REPO, "meta", "runtime.yml"), encoding="utf-8") as source:
        assert imported.result["requires_ansible"] == yaml.safe_load(source)["requires_ansible"]


def test_every_module_role_and_playbook_is_imported(imported):
    modules = _source_names("plugins/modules", lambda name: name[:-3] if name.endswith(".py") and name != "__init__.py" else None)
    roles = _source_names("roles", lambda name: name if os.path.isdir(os.path.join(REPO, "roles", name, "tasks")) else None)
    playbooks = _source_names("playbooks", lambda name: name if name.endswith(".yml") else None)
    assert len(modules) >= 19 and len(roles) >= 13 and "upgrade_standalone.yml" in playbooks
    assert imported.contents("module") == modules
    assert imported.contents("role") == roles
    assert imported.contents("playbook") == playbooks
    # ansible-doc rendered every module (a module whose DOCUMENTATION does not parse has no doc_strings)
    module_docs = imported.docs("module")
    assert sorted(module_docs) == modules
    undocumented = [name for name, entry in module_docs.items()
                    if not (entry["doc_strings"] or {}).get("doc", {}).get("short_description")]
    assert undocumented == [], "\n".join(imported.lines_starting("ERROR:"))
    # every role's README was found and rendered
    role_docs = imported.docs("role")
    assert sorted(role_docs) == roles
    for name, entry in role_docs.items():
        assert entry["readme_file"] == "README.md", name
        assert entry["readme_html"].startswith("<h1>distsql.upgrade.%s</h1>" % name), name
    assert imported.result["docs_blob"]["collection_readme"]["name"] == "README.md"


@pytest.mark.parametrize("role", sorted(name for name in os.listdir(os.path.join(REPO, "roles"))
                                        if os.path.isdir(os.path.join(REPO, "roles", name))))
def test_every_role_has_a_real_readme(role):
    """A title and the house sections (variables, an example, failure behaviour), each with text."""
    with open(os.path.join(REPO, "roles", role, "README.md"), encoding="utf-8") as source:
        text = source.read()
    assert text.startswith("# distsql.upgrade.%s\n" % role)
    sections = dict((match.group(1), match.group(2).strip())
                    for match in re.finditer(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL))
    for heading in ("Variables", "Example", "Failure behaviour"):
        assert len(sections.get(heading, "")) >= 20, "%s: section '## %s' is missing or empty" % (role, heading)
    assert "`" in sections["Example"], "%s: the example shows no code" % role


def _without_member(tarball, member, out_path):
    """A copy of a collection tarball without one file, its FILES.json and MANIFEST.json checksum kept consistent."""
    with tarfile.open(tarball) as source, tarfile.open(out_path, "w:gz") as out:
        files_json = json.load(source.extractfile("FILES.json"))
        files_json["files"] = [entry for entry in files_json["files"] if entry["name"] != member]
        files_bytes = json.dumps(files_json, indent=4).encode()
        manifest = json.load(source.extractfile("MANIFEST.json"))
        manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_bytes).hexdigest()
        replaced = {"FILES.json": files_bytes, "MANIFEST.json": json.dumps(manifest, indent=4).encode()}
        for info in source.getmembers():
            if info.name == member:
                continue
            if info.name in replaced:
                info.size = len(replaced[info.name])
                out.addfile(info, io.BytesIO(replaced[info.name]))
            else:
                out.addfile(info, source.extractfile(info) if info.isfile() else None)


def test_a_role_without_readme_fails_the_import(dist_tarball, work_dir):
    directory = os.path.join(work_dir, "galaxy-importer-no-readme")
    broken_dir = os.path.join(work_dir, "dist-no-readme")
    os.makedirs(broken_dir, exist_ok=True)
    broken = os.path.join(broken_dir, os.path.basename(dist_tarball))  # the importer checks the file name
    _without_member(dist_tarball, "roles/standalone/README.md", broken)
    imported = run_importer(broken, directory)
    assert imported.rc == 1
    assert imported.lines_starting("ERROR: The import failed") == [
        "ERROR: The import failed for the following reason: No role readme found."]
    assert imported.result is None
