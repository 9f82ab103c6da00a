"""release run through Ansible: real .tgz archives holding a fake cockroach that prints the real version text."""
import hashlib
import io
import json
import os
import tarfile

import pytest
from conftest import fixture_text

CRDB_V23_1_8 = fixture_text("cockroach/version_v23.1.8.txt")


def fake_cockroach(tag):
    """A shell script answering like `cockroach version` of the given build tag."""
    return "#!/bin/sh\ncat <<'EOF'\n%sEOF\n" % CRDB_V23_1_8.replace("v23.1.8", tag)


def build_archive(directory, tag, script_tag=None):
    """cockroach-<tag>.linux-amd64.tgz with the binary and a lib/ directory, like the real download."""
    path = str(directory / ("cockroach-%s.linux-amd64.tgz" % tag))
    top = "cockroach-%s.linux-amd64" % tag
    with tarfile.open(path, "w:gz") as tar:
        for name, data, mode in ((top + "/cockroach", fake_cockroach(script_tag or tag).encode(), 0o755),
                                 (top + "/lib/libgeos.so", b"\0" * 2048, 0o644)):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    with open(path, "rb") as handle:
        return path, hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture
def node(tmp_path):
    (tmp_path / "downloads").mkdir()
    (tmp_path / "bin").mkdir()
    return tmp_path


def args(node, **extra):
    base = {"engine": "cockroachdb", "releases_dir": str(node / "releases"), "link": str(node / "bin" / "cockroach")}
    base.update(extra)
    return base


def stage_args(node, tag, **extra):
    archive, sha = build_archive(node / "downloads", tag)
    return args(node, state="staged", version=tag, archive=archive, sha256=sha, **extra)


def release_binary(node, tag):
    return str(node / "releases" / "cockroachdb" / tag / ("cockroach-%s.linux-amd64" % tag) / "cockroach")


def test_stages_and_restages_unchanged(node, module_runner):
    staging = stage_args(node, "v24.1.4")
    result = module_runner("release", staging)
    assert result["changed"] is True and result.get("failed") is not True
    assert result["staged_versions"] == ["v24.1.4"]
    assert result["release_dir"] == str(node / "releases" / "cockroachdb" / "v24.1.4")
    assert result["binary"] == release_binary(node, "v24.1.4")
    assert result["active_version"] is None and result["link_managed"] is False
    assert os.access(result["binary"], os.X_OK)
    assert not os.path.lexists(str(node / "bin" / "cockroach"))
    assert "diff" not in result
    marker = json.loads((node / "releases" / "cockroachdb" / "v24.1.4" / ".distsql-release.json").read_text())
    assert marker["sha256"] == staging["sha256"] and marker["adopted"] is False
    assert marker["binary"] == "cockroach-v24.1.4.linux-amd64/cockroach"

    again = module_runner("release", staging)
    assert again["changed"] is False
    assert again["staged_versions"] == ["v24.1.4"]


def test_wrong_sha256_is_refused_with_nothing_unpacked(node, module_runner):
    staging = stage_args(node, "v24.1.4")
    actual = staging["sha256"]
    staging["sha256"] = "ab" * 32
    result = module_runner("release", staging)
    assert result["failed"] is True
    assert result["msg"] == ("sha256 of %s is %s, expected %s: refusing to stage it"
                             % (staging["archive"], actual, "ab" * 32))
    assert not (node / "releases").exists()


def test_binary_reporting_another_version_is_refused(node, module_runner):
    archive, sha = build_archive(node / "downloads", "v24.1.4", script_tag="v24.1.3")
    result = module_runner("release", args(node, state="staged", version="v24.1.4", archive=archive, sha256=sha))
    assert result["failed"] is True
    assert result["msg"] == ("cockroach-v24.1.4.linux-amd64/cockroach in %s reports v24.1.3, expected v24.1.4"
                             % archive)
    assert os.listdir(str(node / "releases" / "cockroachdb")) == []


def test_activates_over_a_regular_file_by_adopting_it_then_restores(node, module_runner):
    link = node / "bin" / "cockroach"
    link.write_text(fake_cockroach("v23.1.8"))
    link.chmod(0o755)
    module_runner("release", stage_args(node, "v24.1.4"))

    activated = module_runner("release", args(node, state="active", version="v24.1.4"))
    assert activated["changed"] is True and activated["adopted"] is True
    assert activated["active_version"] == "v24.1.4" and activated["previous_version"] == "v23.1.8"
    assert activated["staged_versions"] == ["v23.1.8", "v24.1.4"]
    assert activated["link_target"] == release_binary(node, "v24.1.4") and activated["link_managed"] is True
    assert os.readlink(str(link)) == release_binary(node, "v24.1.4")
    adopted = node / "releases" / "cockroachdb" / "v23.1.8"
    assert (adopted / "cockroach").read_text() == fake_cockroach("v23.1.8")
    assert json.loads((adopted / ".distsql-release.json").read_text())["adopted"] is True

    unchanged = module_runner("release", args(node, state="active", version="v24.1.4"))
    assert unchanged["changed"] is False and unchanged["adopted"] is False

    restored = module_runner("release", args(node, state="restored"))
    assert restored["changed"] is True
    assert restored["active_version"] == "v23.1.8" and restored["previous_version"] == "v24.1.4"
    assert os.readlink(str(link)) == str(adopted / "cockroach")
    state = json.loads((node / "releases" / "cockroachdb" / "state.json").read_text())
    assert state == {"active": "v23.1.8", "previous": "v24.1.4", "restored": True}

    restored_again = module_runner("release", args(node, state="restored"))
    assert restored_again["changed"] is False and restored_again["active_version"] == "v23.1.8"

    query = module_runner("release", args(node, state="query"))
    assert query["changed"] is False
    assert query["active_version"] == "v23.1.8" and query["binary"] == str(adopted / "cockroach")


def test_activation_needs_a_staged_release(node, module_runner):
    result = module_runner("release", args(node, state="active", version="v24.1.4"))
    assert result["failed"] is True
    assert result["msg"] == ("release v24.1.4 of cockroachdb is not staged in %s: stage it first"
                             % (node / "releases" / "cockroachdb"))


def test_restore_needs_a_recorded_previous_release(node, module_runner):
    result = module_runner("release", args(node, state="restored"))
    assert result["failed"] is True
    assert result["msg"] == "no previous release of cockroachdb is recorded in %s" % (node / "releases" / "cockroachdb")


def tree(path):
    return sorted(os.path.join(root, name) for root, dirs, files in os.walk(str(path)) for name in dirs + files)


def test_check_mode_changes_nothing(node, module_runner):
    link = node / "bin" / "cockroach"
    link.write_text(fake_cockroach("v23.1.8"))
    link.chmod(0o755)
    staging = stage_args(node, "v24.1.4")
    before = tree(node)
    predicted = module_runner("release", staging, check_mode=True)
    assert predicted["changed"] is True and predicted["staged_versions"] == ["v24.1.4"]
    assert tree(node) == before

    module_runner("release", staging)
    before = tree(node)
    switching = module_runner("release", args(node, state="active", version="v24.1.4"), check_mode=True)
    assert switching["changed"] is True and switching["adopted"] is True
    assert switching["active_version"] == "v24.1.4" and switching["previous_version"] == "v23.1.8"
    assert tree(node) == before
    assert not os.path.islink(str(link)) and link.read_text() == fake_cockroach("v23.1.8")


def test_diff_mode_shows_the_switch(node, module_runner, monkeypatch):
    module_runner("release", stage_args(node, "v24.1.4"))
    module_runner("release", stage_args(node, "v24.1.5"))
    monkeypatch.setenv("ANSIBLE_DIFF_ALWAYS", "true")
    first = module_runner("release", args(node, state="active", version="v24.1.4"))
    assert first["diff"] == {"before": "active: none\n", "after": "active: v24.1.4\n"}
    second = module_runner("release", args(node, state="active", version="v24.1.5"), check_mode=True)
    assert second["diff"] == {"before": "active: v24.1.4\n", "after": "active: v24.1.5\n"}
    staged = module_runner("release", stage_args(node, "v24.1.6"))
    assert staged["diff"] == {"before": "staged: v24.1.4, v24.1.5\n", "after": "staged: v24.1.4, v24.1.5, v24.1.6\n"}


def test_argument_rules(node, module_runner):
    missing_version = module_runner("release", args(node, state="staged"))
    assert missing_version["failed"] is True
    assert missing_version["msg"] == "state is staged but all of the following are missing: version"
    missing_sha = module_runner("release", args(node, state="staged", version="v24.1.4",
                                                archive=str(node / "downloads" / "x.tgz")))
    assert missing_sha["failed"] is True
    assert missing_sha["msg"] == "missing parameter(s) required by 'archive': sha256"


DATABEND_META_VER = fixture_text("databend/meta_ver_data_version.txt")  # version: 1.2.828-nightly


def fake_databend_meta(version):
    """A shell script answering `databend-meta --cmd ver` like the real 1.2.828 one, for ``version``."""
    return "#!/bin/sh\ncat <<'EOF'\n%sEOF\n" % DATABEND_META_VER.replace("1.2.828-nightly", version)


def built_databend_meta(node, version):
    """The databend-meta of a directory of built binaries (cargo's target/release)."""
    built = node / "target" / "release"
    built.mkdir(parents=True, exist_ok=True)
    path = built / "databend-meta"
    path.write_text(fake_databend_meta(version))
    path.chmod(0o755)
    return str(path)


def databend_args(node, **extra):
    base = {"engine": "databend_meta", "releases_dir": str(node / "releases"), "link": str(node / "bin" / "databend-meta")}
    base.update(extra)
    return base


def test_a_built_databend_meta_is_staged_into_its_component_store(node, module_runner):
    binary = built_databend_meta(node, "1.2.828-nightly")
    result = module_runner("release", databend_args(node, state="staged", version="1.2.828-nightly", binary=binary))
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True and result["staged_versions"] == ["1.2.828-nightly"]
    assert result["binary"] == str(node / "releases" / "databend_meta" / "1.2.828-nightly" / "databend-meta")
    marker = json.loads((node / "releases" / "databend_meta" / "1.2.828-nightly" / ".distsql-release.json").read_text())
    assert marker["built_binary"] == binary and marker["archive"] is None
    assert not os.path.lexists(str(node / "bin" / "databend-meta"))


def test_a_built_databend_meta_that_reports_another_version_is_refused(node, module_runner):
    binary = built_databend_meta(node, "1.2.770-nightly")
    result = module_runner("release", databend_args(node, state="staged", version="1.2.828-nightly", binary=binary))
    assert result["failed"] is True
    assert result["msg"] == "databend-meta in %s reports 1.2.770-nightly, expected 1.2.828-nightly" % binary
    assert os.listdir(str(node / "releases" / "databend_meta")) == []


def test_a_directory_without_the_component_binary_is_refused(node, module_runner):
    built_databend_meta(node, "1.2.828-nightly")
    missing = str(node / "target" / "release" / "databend-query")
    result = module_runner("release", {"engine": "databend_query", "state": "staged", "version": "1.2.828-nightly",
                                       "binary": missing, "releases_dir": str(node / "releases"),
                                       "link": str(node / "bin" / "databend-query")})
    assert result["failed"] is True
    assert result["msg"] == ("cannot stage 1.2.828-nightly: binary %s does not exist or is not a file" % missing)
