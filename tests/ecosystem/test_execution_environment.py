"""The execution environment definitions, checked offline with ansible-builder 3.

- execution-environment.yml (the repository's EE: base image, ansible-core, the collection from its tarball) must
  render a build context with `ansible-builder create`, which validates it against the v3 schema;
- meta/execution-environment.yml (what the collection itself needs in any EE) must ship in the tarball and be what
  `ansible-builder introspect` reads from the installed collection;
- meta/ee-requirements.txt must name every third-party package plugins/ imports (today none).
"""
import ast
import filecmp
import fnmatch
import os
import shutil
import sys

import ansible.release
import yaml

from tests.ecosystem.conftest import REPO, galaxy_metadata, offline, tool, tool_env

META_FILES = ("meta/execution-environment.yml", "meta/ee-requirements.txt", "meta/ee-bindep.txt")
COLLECTION = "distsql.upgrade"


def _definition():
    with open(os.path.join(REPO, "execution-environment.yml"), encoding="utf-8") as source:
        return yaml.safe_load(source)


def _requirement_lines(relative_path):
    """The entries of a requirements or bindep file as ansible-builder reads them (no blank or comment lines)."""
    with open(os.path.join(REPO, relative_path), encoding="utf-8") as source:
        return [line for line in source.read().split("\n") if line.strip() and not line.startswith("#")]


def _pinned(requirement_file, name):
    for line in _requirement_lines(requirement_file):
        if line.split("==")[0].strip().lower() == name:
            return line.split("#")[0].strip()
    raise AssertionError("%s pins no %s" % (requirement_file, name))


def _create(tmp_path, definition_text, tarball=None):
    """`ansible-builder create` of a definition in its own directory (with the tarball beside it), offline."""
    ee_dir = tmp_path / "ee"
    ee_dir.mkdir()
    (ee_dir / "execution-environment.yml").write_text(definition_text, encoding="utf-8")
    if tarball:
        shutil.copy(tarball, str(ee_dir))
    context = ee_dir / "context"
    proc = offline([tool("ansible-builder"), "create", "-f", str(ee_dir / "execution-environment.yml"),
                    "-c", str(context), "--output-filename", "Containerfile"], env=tool_env(), cwd=str(tmp_path))
    return proc, context


def test_create_renders_the_build_context(tmp_path, dist_tarball):
    with open(os.path.join(REPO, "execution-environment.yml"), encoding="utf-8") as source:
        proc, context = _create(tmp_path, source.read(), dist_tarball)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    definition = _definition()
    # the base image is named, not builder's default (quay.io/ansible/ansible-runner:latest)
    assert definition["images"]["base_image"]["name"] == "quay.io/centos/centos:stream9"
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"\n' in containerfile
    assert "ansible-runner:latest" not in containerfile
    # the controller the EE runs is the one this collection is tested with: ansible-core and ansible-runner pinned
    core_pin = _pinned("requirements-dev.txt", "ansible-core")
    runner_pin = _pinned("requirements-dev.txt", "ansible-runner")
    assert core_pin == "ansible-core==%s" % ansible.release.__version__
    assert definition["dependencies"]["ansible_core"]["package_pip"] == core_pin
    assert 'ARG ANSIBLE_INSTALL_REFS="%s %s"\n' % (core_pin, runner_pin) in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"\n' in containerfile
    # the collection goes in from the tarball of galaxy.yml's version, through the galaxy stage
    tarball_name = "distsql-upgrade-%s.tar.gz" % galaxy_metadata()["version"]
    with open(str(context / "_build" / "requirements.yml"), encoding="utf-8") as source:
        assert yaml.safe_load(source) == {"collections": [{"name": "collections/" + tarball_name, "type": "file"}]}
    assert filecmp.cmp(str(context / "_build" / "collections" / tarball_name), dist_tarball, shallow=False)
    assert "COPY _build /build\nWORKDIR /build\n" in containerfile
    assert ('ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml '
            '--collections-path "/usr/share/ansible/collections"') in containerfile
    # the builder stage reads the installed collection's meta/execution-environment.yml; the final image checks it
    assert "introspect.py introspect --write-bindep=/tmp/src/bindep.txt --write-pip=/tmp/src/requirements.txt" in containerfile
    assert "RUN /output/scripts/install-from-bindep" in containerfile
    assert "RUN ansible-galaxy collection list distsql.upgrade\n" in containerfile


def test_create_refuses_a_key_outside_the_v3_schema(tmp_path):
    definition = _definition()
    definition["options"]["package_mgr_path"] = "/usr/bin/microdnf"
    proc, context = _create(tmp_path, yaml.safe_dump(definition))
    assert proc.returncode == 1
    assert "Additional properties are not allowed ('package_mgr_path' was unexpected)" in proc.stdout + proc.stderr
    assert not (context / "Containerfile").exists()


def test_the_meta_files_ship_in_the_tarball(installed_collection):
    ignored = galaxy_metadata().get("build_ignore") or []
    for relative_path in META_FILES:
        assert not [pattern for pattern in ignored if fnmatch.fnmatch(relative_path, pattern)], relative_path
        shipped = os.path.join(installed_collection, relative_path)
        assert os.path.isfile(shipped), "%s is not in the installed collection" % relative_path
        assert filecmp.cmp(shipped, os.path.join(REPO, relative_path), shallow=False), relative_path
    with open(os.path.join(REPO, "meta", "execution-environment.yml"), encoding="utf-8") as source:
        assert yaml.safe_load(source) == {"version": 1, "dependencies": {"python": "meta/ee-requirements.txt",
                                                                         "system": "meta/ee-bindep.txt"}}


def test_introspect_reads_the_meta_files_of_the_installed_collection(collections_root):
    proc = offline([tool("ansible-builder"), "introspect", "--sanitize", collections_root], env=tool_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    printed = yaml.safe_load(proc.stdout.split("\n---\n", 1)[1])
    annotated = "%s  # from collection " + COLLECTION
    assert printed == {
        "python": [annotated % line for line in _requirement_lines("meta/ee-requirements.txt")],
        "system": [annotated % line for line in _requirement_lines("meta/ee-bindep.txt")],
    }
    # the one system need: the ssh client every host is reached with, under both package families' names
    assert printed["system"] == [annotated % "openssh-clients [platform:rpm]", annotated % "openssh-client [platform:dpkg]"]


def _imported_top_level_names(path):
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), filename=path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_every_third_party_import_of_plugins_is_an_ee_requirement():
    listed = set(line.split("[")[0].split(";")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
                 for line in _requirement_lines("meta/ee-requirements.txt"))
    provided = set(sys.stdlib_module_names) | {"ansible", "ansible_collections"}
    unlisted = {}
    sources = 0
    for directory, _subdirs, files in os.walk(os.path.join(REPO, "plugins")):
        for name in files:
            if name.endswith(".py"):
                sources += 1
                path = os.path.join(directory, name)
                for module in _imported_top_level_names(path):
                    if module not in provided and module.lower() not in listed:
                        unlisted.setdefault(module, []).append(os.path.relpath(path, REPO))
    assert sources > 50
    assert unlisted == {}, "imported by plugins/ but not in meta/ee-requirements.txt: %s" % unlisted
