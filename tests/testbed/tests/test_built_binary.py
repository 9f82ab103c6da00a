"""`python -m tests.testbed built-binary`: the kwbase an operator built from source, for the source-built upgrade
path (molecule/kwdb_source_built), and the Databend binaries of one (molecule/databend_built_binary). Runs on the
controller only: no podman."""
import hashlib
import json
import os
import subprocess
import sys

from sim import databend_releases  # noqa: E402  (conftest puts the testbed on sys.path)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LOADER_ERROR = ("error while loading shared libraries: libkwdbts2.so: cannot open shared object file: No such file or "
                "directory")


def built(tmp_path, name, *flags):
    out = str(tmp_path / name)
    done = subprocess.run([sys.executable, "-m", "tests.testbed", "built-binary", "--version", "V3.1.0", "--out", out]
                          + list(flags), cwd=ROOT, capture_output=True, text=True, check=True)
    return out, json.loads(done.stdout)


def test_the_built_binary_reports_its_version_like_kwbase(tmp_path):
    path, printed = built(tmp_path, "kwbase")
    with open(path, "rb") as source:
        assert printed == {"path": path, "sha256": hashlib.sha256(source.read()).hexdigest()}
    version = subprocess.run([path, "version"], capture_output=True, text=True, check=True).stdout.splitlines()
    assert version[0] == "KaiwuDB Version:  V3.1.0" and version[2] == "Distribution:     ", version


def test_a_build_that_fails_at_start_answers_version_and_exits_127_with_the_loader_error(tmp_path):
    good, _printed = built(tmp_path, "kwbase")
    good_version = subprocess.run([good, "version"], capture_output=True, text=True, check=True).stdout
    failing, _printed = built(tmp_path, "kwbase-fails", "--fails-at-start")
    assert subprocess.run([failing, "version"], capture_output=True, text=True, check=True).stdout == good_version
    start = subprocess.run([failing, "start-single-node", "--insecure"], capture_output=True, text=True, check=False)
    assert start.returncode == 127 and start.stderr == "%s: %s\n" % (failing, LOADER_ERROR), start


def built_databend(out, version, *flags, check=True):
    return subprocess.run([sys.executable, "-m", "tests.testbed", "built-binary", "--engine", "databend", "--version",
                           version, "--out", out] + list(flags), cwd=ROOT, capture_output=True, text=True, check=check)


def test_the_built_databend_binaries_are_those_of_the_release_tarball(tmp_path):
    out = str(tmp_path / "target" / "release")
    printed = json.loads(built_databend(out, "1.2.828-nightly").stdout)
    shipped = databend_releases.tarball_members("1.2.828-nightly")
    names = ["databend-meta", "databend-metactl", "databend-query"]
    assert sorted(os.listdir(out)) == names
    assert printed == {"path": out, "sha256": {name: hashlib.sha256(shipped["bin/" + name][0]).hexdigest()
                                               for name in names}}
    for name in names:
        with open(os.path.join(out, name), "rb") as source:
            assert source.read() == shipped["bin/" + name][0], name
        assert os.stat(os.path.join(out, name)).st_mode & 0o755 == 0o755, name
    query = subprocess.run([os.path.join(out, "databend-query"), "--cmd", "ver"], capture_output=True, text=True,
                           check=True).stdout
    meta = subprocess.run([os.path.join(out, "databend-meta"), "--cmd", "ver"], capture_output=True, text=True,
                          check=True).stdout
    assert query == "version: 1.2.828-nightly\nmin-compatible-metasrv-version: 1.2.770\n", query
    assert meta == ("version: 1.2.828-nightly\nmin-compatible-client-version: 1.2.288\n"
                    "data-version: V004(2024-11-11: WAL based raft-log)\n"), meta


def test_a_databend_version_the_simulator_has_no_release_of_writes_nothing(tmp_path):
    out = str(tmp_path / "release")
    done = built_databend(out, "1.2.829-nightly", check=False)
    assert done.returncode == 1 and done.stdout == "", done
    assert done.stderr == ("error: no simulated Databend release 1.2.829-nightly (have 1.2.200, 1.2.300, 1.2.410, "
                           "1.2.600, 1.2.680, 1.2.770, 1.2.828)\n"), done.stderr
    assert not os.path.exists(out)


def test_fails_at_start_is_refused_for_databend_naming_the_fault_to_use(tmp_path):
    out = str(tmp_path / "release")
    done = built_databend(out, "1.2.828-nightly", "--fails-at-start", check=False)
    assert done.returncode == 1 and not os.path.exists(out), done
    assert done.stderr == ("error: --fails-at-start is for kwbase only: a Databend build that cannot load fails "
                           "`--cmd ver` as well; for a build that exits at start set the fault crash_on_start for its "
                           "version (fault --set crash_on_start=true --version 1.2.828-nightly)\n"), done.stderr


def test_the_built_cockroach_reports_its_version_as_the_release_binary_does(tmp_path):
    out = str(tmp_path / "cockroach")
    done = subprocess.run([sys.executable, "-m", "tests.testbed", "built-binary", "--engine", "cockroachdb",
                           "--version", "v24.1.4", "--out", out], cwd=ROOT, capture_output=True, text=True, check=True)
    with open(out, "rb") as source:
        assert json.loads(done.stdout) == {"path": out, "sha256": hashlib.sha256(source.read()).hexdigest()}
    version = subprocess.run([out, "version"], capture_output=True, text=True, check=True).stdout.splitlines()
    assert version[0] == "Build Tag:        v24.1.4", version


def test_a_databend_build_of_a_branch_prints_the_min_compatible_version_it_was_built_with(tmp_path):
    out = str(tmp_path / "branch")
    built_databend(out, "1.2.828-nightly", "--min-compatible-metasrv", "1.2.800")
    query = subprocess.run([os.path.join(out, "databend-query"), "--cmd", "ver"], capture_output=True, text=True,
                           check=True).stdout
    assert query == "version: 1.2.828-nightly\nmin-compatible-metasrv-version: 1.2.800\n", query
    meta = subprocess.run([os.path.join(out, "databend-meta"), "--cmd", "ver"], capture_output=True, text=True,
                          check=True).stdout
    assert meta.splitlines()[1] == "min-compatible-client-version: 1.2.288", meta
