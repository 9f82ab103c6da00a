"""Fidelity of the simulated Databend CLIs and APIs against real samples (real-formats.md section 3)."""
import hashlib
import io
import json
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.databend import versions  # noqa: E402
from sim.databend.testing import LocalDatabend, wait_until  # noqa: E402
from sim.databend_releases import META_UNIT, QUERY_UNIT, build_databend_tarball, databend_buildinfo  # noqa: E402

SHA = re.compile(r"[0-9a-f]{10}")
# 2023 real capture (PR #13334) and the current show_status(); parser regexes of tests/metactl/subcommands/cmd_status.py
LEGACY_STATUS = [r"BinaryVersion: v\S+-simd\(.+\)", r"DataVersion: V00\d", r"DBSize: \d+", r"Node: id=\d+ raft=.+:\d+",
                 r"State: (Leader|Follower|Candidate|Learner)", r"Leader: id=\d+ raft=.+:\d+ grpc=.*",
                 r"CurrentTerm: \d+", r"LastSeq: \d+", r"LastLogIndex: \d+", r"LastApplied: \d+-\d+-\d+"]
CURRENT_STATUS = [r"BinaryVersion: v\S+", r"DataVersion: V004", r"RaftLogSize: \d+", "RaftLog:", r"  - CacheItems: \d+",
                  r"  - CacheUsedSize: \d+", r"  - WALTotalSize: \d+", r"  - WALOpenChunkSize: \d+", r"  - WALOffset: \d+",
                  r"  - WALClosedChunkCount: \d+", r"  - WALClosedChunkTotalSize: \d+", "  - WALClosedChunkSizes:",
                  r"SnapshotKeyCount: \d+", r"Node: id=\d+ raft=.+:\d+", r"State: (Leader|Follower|Candidate|Learner)",
                  r"Leader: id=\d+ raft=.+:\d+ grpc=.*", r"CurrentTerm: \d+", r"LastSeq: \d+", r"LastLogIndex: \d+",
                  r"LastApplied: T\d+-N\d+\.\d+"]
STATUS_KEYS = ["id", "binary_version", "data_version", "endpoint", "raft_log", "snapshot_key_count", "state", "is_leader",
               "current_term", "last_log_index", "last_applied", "snapshot_last_log_id", "purged", "leader",
               "replication", "voters", "non_voters", "last_seq"]


@pytest.fixture
def bend(tmp_path):
    cluster = LocalDatabend(str(tmp_path))
    yield cluster
    cluster.cleanup()


def test_query_cmd_ver_matches_documented_format(bend):
    for args in (["--cmd", "ver"], ["ver"]):
        result = bend.run("query", "1.2.770-nightly", *args)
        assert (result.returncode, result.stdout, result.stderr) == (
            0, "version: 1.2.770-nightly\nmin-compatible-metasrv-version: 1.2.677\n", "")


def test_meta_cmd_ver_prints_data_version_since_1_2_300(bend):
    assert bend.run("meta", "1.2.680-nightly", "--cmd", "ver").stdout == (
        "version: 1.2.680-nightly\nmin-compatible-client-version: 1.2.288\n"
        "data-version: V004(2024-11-11: WAL based raft-log)\n")
    assert bend.run("meta", "1.2.200-nightly", "--single", "--cmd", "ver").stdout == (
        "version: 1.2.200-nightly\nmin-compatible-client-version: 0.9.41\n")


def test_meta_version_flag_matches_pr_18856_sample(bend):
    full = bend.run("meta", "1.2.828-nightly", "-V").stdout
    assert re.fullmatch(r"databend-meta v1\.2\.828-nightly-[0-9a-f]{10}\(rust-[^)]+\)\n"
                        r"min-compatible-client-version: 1\.2\.288\ndata-version: V004\(2024-11-11: WAL based raft-log\)\n",
                        full)
    old = bend.run("meta", "1.2.600-nightly", "--version").stdout
    assert re.fullmatch(r"databend-meta v1\.2\.600-nightly-[0-9a-f]{10}-simd\([^)]+\)\n", old)
    query = bend.run("query", "1.2.600-nightly", "-V").stdout
    assert re.fullmatch(r"databend-query v1\.2\.600-nightly-[0-9a-f]{10}\(rust-[^)]+\)\n", query)


def test_meta_invalid_cmd_lists_available_commands(bend):
    result = bend.run("meta", "1.2.680-nightly", "--cmd", "nope")
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr == ("Invalid cmd: nope\nAvailable cmds:\n  --cmd ver\n"
                             "    Print version and min compatible meta-client version\n"
                             "  --cmd show-config\n    Print effective config\n"
                             "  --cmd kvapi::<cmd>\n    Run kvapi command (upsert, get, mget, list)\n")


def test_buildinfo_is_deterministic_and_carries_min_compatible_values():
    info = databend_buildinfo("meta", "v1.2.600-nightly")
    assert info == {"engine": "databend", "component": "meta", "version": "1.2.600-nightly",
                    "commit": versions.commit_sha("meta", "1.2.600-nightly"), "min_compatible_metasrv_version": "1.2.259",
                    "min_compatible_client_version": "0.9.41", "data_version": "V003"}
    assert SHA.fullmatch(info["commit"]) and info["commit"] == databend_buildinfo("query", "1.2.600-nightly")["commit"]
    with pytest.raises(versions.VersionError, match="no simulated Databend release 1.2.999"):
        databend_buildinfo("query", "1.2.999")


def test_version_table_has_incompatible_pairs_in_both_directions():
    def pair(query, meta):
        q, m = versions.release_facts(query), versions.release_facts(meta)
        return versions.is_compatible(query, q["min_compatible_metasrv_version"], meta, m["min_compatible_client_version"])
    assert not pair("1.2.300", "1.2.200")   # meta too old for query
    assert not pair("1.2.200", "1.2.680")   # query too old for meta
    assert pair("1.2.680", "1.2.680") and pair("1.2.410", "1.2.300")


def test_tarball_layout_units_and_checksum(tmp_path):
    path, checksum = build_databend_tarball("1.2.680-nightly", str(tmp_path))
    assert Path(path).name == "databend-v1.2.680-nightly-x86_64-unknown-linux-gnu.tar.gz"
    data = Path(path).read_bytes()
    assert Path(checksum).read_text() == "%s  %s\n" % (hashlib.sha256(data).hexdigest(), Path(path).name)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        names = sorted(archive.getnames())
        unit = archive.extractfile("systemd/databend-meta.service").read().decode()
        assert archive.getmember("bin/databend-meta").mode == 0o755
    assert names == ["bin/databend-meta", "bin/databend-metactl", "bin/databend-query", "configs/databend-meta.toml",
                     "configs/databend-query.toml", "systemd/databend-meta.service", "systemd/databend-query.service"]
    assert unit == META_UNIT
    assert "ExecStart=/usr/bin/databend-meta --config-file /etc/databend/databend-meta.toml\n" in META_UNIT
    assert "After=network-online.target databend-meta.service\n" in QUERY_UNIT and "LimitNOFILE=65535\n" in QUERY_UNIT
    assert build_databend_tarball("1.2.680-nightly", str(tmp_path / "again"))[0] and \
        (tmp_path / "again" / Path(path).name).read_bytes() == data


def _assert_lines(text, patterns):
    lines = text.splitlines()
    for pattern in patterns:
        assert any(re.fullmatch(pattern, line) for line in lines), (pattern, text)


def test_metactl_status_current_format_and_cluster_status_json(bend):
    meta = bend.start_meta(0, "1.2.680-nightly", "127.0.0.21")
    wait_until(lambda: "Databend Metasrv started" in meta.stdout(), what="meta started")
    result = bend.run("metactl", "1.2.680-nightly", "status", "--grpc-api-address", meta.grpc)
    assert result.returncode == 0, result.stderr
    _assert_lines(result.stdout, CURRENT_STATUS)
    assert "Voters:\n  - id=0 raft=127.0.0.21:28004 grpc=127.0.0.21:9191\n" in result.stdout
    with urllib.request.urlopen(meta.admin + "/v1/cluster/status") as response:
        raw = response.read().decode()
    assert '"state":"Leader"' in raw and ": " not in raw  # compact, as chaos-meta.py searches it
    status = json.loads(raw)
    assert list(status) == STATUS_KEYS
    assert status["leader"] == {"name": "0", "endpoint": {"addr": "127.0.0.21", "port": 28004},
                                "grpc_api_advertise_address": "127.0.0.21:9191"}
    assert set(status["last_applied"]) == {"leader_id", "index"}
    with urllib.request.urlopen(meta.admin + "/v1/health") as response:
        assert response.read() == b'{"status":"pass"}'
    with urllib.request.urlopen(meta.admin + "/v1/metrics") as response:
        assert "\nmetasrv_server_is_leader 1\n" in response.read().decode()
    legacy_flag = bend.run("metactl", "1.2.680-nightly", "--status")
    assert legacy_flag.returncode == 2
    assert legacy_flag.stderr.startswith("error: unexpected argument '--status' found\n")


def test_metactl_legacy_status_format(bend):
    meta = bend.start_meta(0, "1.2.410-nightly", "127.0.0.22")
    wait_until(lambda: "Databend Metasrv started" in meta.stdout(), what="meta started")
    assert "On Disk Data:\n    Dir: " in meta.stdout()
    result = bend.run("metactl", "1.2.200-nightly", "--status", "--grpc-api-address", meta.grpc)
    assert result.returncode == 0, result.stderr
    _assert_lines(result.stdout, LEGACY_STATUS)
    assert "RaftLog" not in result.stdout and "Voters:\n  - id=0 raft=127.0.0.22:28004 grpc=127.0.0.22:9191\n" in result.stdout
    subcommand = bend.run("metactl", "1.2.200-nightly", "status")
    assert subcommand.returncode == 2 and subcommand.stderr.startswith("error: unexpected argument 'status' found\n")
