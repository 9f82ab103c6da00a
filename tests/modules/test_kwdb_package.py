"""kwdb_package run through Ansible: real .tar.gz KWDB packages laid out like the vendor's (kwdb_install/...)."""
import hashlib
import io
import json
import os
import tarfile

import pytest

TOP = "kwdb_install"


def build_archive(directory, basic, version_text=None, deploy_sh=True, extra=()):
    """KWDB-<basic>-debian12-x86_64.tar.gz with deploy.sh, deploy.cfg, utils/ and packages/; returns (path, sha256)."""
    path = str(directory / ("KWDB-%s-debian12-x86_64.tar.gz" % basic))
    members = [(TOP, None, 0o755), (TOP + "/utils", None, 0o755), (TOP + "/packages", None, 0o755),
               (TOP + "/deploy.cfg", b"[global]\n", 0o644), (TOP + "/utils/kaiwudb_upgrade.sh", b"#!/bin/bash\n", 0o755),
               (TOP + "/packages/.version", (basic + "\n" if version_text is None else version_text).encode(), 0o644),
               (TOP + "/packages/kaiwudb-libcommon_%s_amd64.deb" % basic, b"\0" * 1024, 0o644),
               (TOP + "/packages/kaiwudb-server_%s_amd64.deb" % basic, b"\0" * 4096, 0o644)]
    if deploy_sh:
        members.append((TOP + "/deploy.sh", b"#!/bin/bash\necho deploy\n", 0o755))
    with tarfile.open(path, "w:gz") as tar:
        for name, data, mode in members + list(extra):
            info = tarfile.TarInfo(name)
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    with open(path, "rb") as handle:
        return path, hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture
def node(tmp_path):
    (tmp_path / "downloads").mkdir()
    (tmp_path / "info").mkdir()
    return tmp_path


def args(node, **extra):
    base = {"releases_dir": str(node / "releases"), "info_dir": str(node / "info")}
    base.update(extra)
    return base


def stage_args(node, basic, **build):
    archive, sha = build_archive(node / "downloads", basic, **build)
    return args(node, state="staged", version="V" + basic, archive=archive, sha256=sha)


def package_dir(node, tag):
    return str(node / "releases" / "kwdb" / tag / TOP)


def test_stages_and_restages_unchanged(node, module_runner):
    (node / "info" / ".version").write_text("3.0.0\n\n")
    staging = stage_args(node, "3.1.0")
    result = module_runner("kwdb_package", staging)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["staged_versions"] == ["V3.1.0"]
    assert result["packages"] == {"V3.1.0": package_dir(node, "V3.1.0")}
    assert result["package_dir"] == package_dir(node, "V3.1.0")
    assert (result["installed_version"], result["installed_extended"]) == ("V3.0.0", "")
    assert isinstance(result["free_bytes"], int) and result["free_bytes"] > 0
    assert "diff" not in result
    assert os.access(os.path.join(result["package_dir"], "deploy.sh"), os.X_OK)
    marker = json.loads((node / "releases" / "kwdb" / "V3.1.0" / ".staged.json").read_text())
    assert marker["sha256"] == staging["sha256"] and marker["archive"] == staging["archive"]

    again = module_runner("kwdb_package", staging)
    assert again["changed"] is False and again["staged_versions"] == ["V3.1.0"]
    os.unlink(staging["archive"])
    without_archive = module_runner("kwdb_package", args(node, state="staged", version="V3.1.0"))
    assert without_archive["changed"] is False
    assert without_archive["package_dir"] == package_dir(node, "V3.1.0")


def test_wrong_sha256_is_refused_with_nothing_unpacked(node, module_runner):
    staging = stage_args(node, "3.1.0")
    actual = staging["sha256"]
    staging["sha256"] = "sha256:" + "ab" * 32
    result = module_runner("kwdb_package", staging)
    assert result["failed"] is True
    assert result["msg"] == "sha256 of %s is %s, expected %s: refusing to stage it" % (
        staging["archive"], actual, "ab" * 32)
    assert not (node / "releases").exists()


def test_a_replacement_archive_is_verified_before_the_staged_copy_is_touched(node, module_runner):
    staging = stage_args(node, "3.1.0")
    module_runner("kwdb_package", staging)
    result = module_runner("kwdb_package", dict(staging, sha256="ab" * 32))
    assert result["failed"] is True
    assert result["msg"] == "sha256 of %s is %s, expected %s: refusing to stage it" % (
        staging["archive"], staging["sha256"], "ab" * 32)


@pytest.mark.parametrize("build, message", [
    ({"version_text": "3.0.0\n"},
     "kwdb_install/packages/.version in {archive} says 3.0.0, not 3.1.0 (the basic form of V3.1.0): it is not the "
     "package of V3.1.0"),
    ({"deploy_sh": False},
     "{archive} holds no kwdb_install/deploy.sh: it is not a KWDB release package (expected kwdb_install/ with "
     "deploy.sh and packages/.version)"),
    ({"extra": [("kwdb_install/../../evil", b"x", 0o644)]},
     "refusing to unpack {archive}: member kwdb_install/../../evil has a '..' component"),
])
def test_bad_packages_are_refused_with_nothing_unpacked(node, module_runner, build, message):
    staging = stage_args(node, "3.1.0", **build)
    result = module_runner("kwdb_package", staging)
    assert result["failed"] is True
    assert result["msg"] == message.format(archive=staging["archive"])
    assert not (node / "releases").exists()
    assert not (node / "evil").exists()


def test_check_mode_changes_nothing(node, module_runner):
    staging = stage_args(node, "3.1.0")
    result = module_runner("kwdb_package", staging, check_mode=True)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["staged_versions"] == ["V3.1.0"] and result["package_dir"] == package_dir(node, "V3.1.0")
    assert not (node / "releases").exists()


def test_query_with_and_without_the_installed_version(node, module_runner):
    empty = module_runner("kwdb_package", args(node, state="query"))
    assert empty["changed"] is False
    assert (empty["staged_versions"], empty["packages"], empty["package_dir"]) == ([], {}, None)
    assert (empty["installed_version"], empty["installed_extended"]) == (None, "")

    for basic in ("3.1.0", "3.0.0"):
        module_runner("kwdb_package", stage_args(node, basic))
    (node / "info" / ".version").write_text("3.0.0\nhotfix1\n")
    result = module_runner("kwdb_package", args(node, state="query", version="V3.0.0"))
    assert result["changed"] is False
    assert result["staged_versions"] == ["V3.0.0", "V3.1.0"]
    assert result["packages"] == {"V3.0.0": package_dir(node, "V3.0.0"), "V3.1.0": package_dir(node, "V3.1.0")}
    assert result["package_dir"] == package_dir(node, "V3.0.0")
    assert (result["installed_version"], result["installed_extended"]) == ("V3.0.0", "hotfix1")


def test_archive_needs_sha256(node, module_runner):
    staging = stage_args(node, "3.1.0")
    del staging["sha256"]
    result = module_runner("kwdb_package", staging)
    assert result["failed"] is True
    assert result["msg"] == "missing parameter(s) required by 'archive': sha256"
