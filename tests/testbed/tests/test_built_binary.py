"""`python -m tests.testbed built-binary`: the kwbase an operator built from source, for the source-built upgrade
path (molecule/kwdb_source_built). Runs on the controller only: no podman."""
import hashlib
import json
import os
import subprocess
import sys

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
