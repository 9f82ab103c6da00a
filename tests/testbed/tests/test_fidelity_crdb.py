"""Output of the simulated cockroach/kwbase CLI compared with the real samples of real-formats.md."""
import json
import re
import signal
import ssl
import subprocess

import pytest

from conftest import CRDB_VERSIONS, KWDB_VERSIONS, SimCluster, wait_until

REAL_V23_1_8 = """Build Tag:        v23.1.8
Build Time:       2023/08/04 18:11:44
Distribution:     CCL
Platform:         linux amd64 (x86_64-pc-linux-gnu)
Go Version:       go1.19.10
C Compiler:       gcc 6.5.0
Build Commit ID:  2c1d4afd2c2de091a00a4dba4392ceeaf8504a95
Build Type:       release
Enabled Assertions: false
"""
BASE_HEADER = "id,address,sql_address,build,started_at,updated_at,locality,is_available,is_live"
ALL_HEADER_V22_2 = (BASE_HEADER + ",replicas_leaders,replicas_leaseholders,ranges,ranges_unavailable,"
                    "ranges_underreplicated,live_bytes,key_bytes,value_bytes,range_key_bytes,range_value_bytes,"
                    "intent_bytes,system_bytes,gossiped_replicas,is_decommissioning,membership,is_draining")
TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{0,5}[1-9])?"
DIAL_ERROR = ("ERROR: cannot dial server.\nIs the server running?\nIf the server is running, check --host "
              "client-side and --advertise server-side.\n\n")


def run(binary, *args):
    return subprocess.run([binary] + list(args), capture_output=True, text=True, check=False, timeout=30)


def test_version_matches_real_v23_1_8_capture(crdb_binaries):
    assert run(crdb_binaries["v23.1.8"], "version").stdout == REAL_V23_1_8
    assert run(crdb_binaries["v23.1.8"], "--version").stdout == REAL_V23_1_8


@pytest.mark.parametrize("version", CRDB_VERSIONS)
def test_version_format_per_release(crdb_binaries, version):
    out = run(crdb_binaries[version], "version").stdout
    pattern = (r"Build Tag:        %s\nBuild Time:       \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\nDistribution:     CCL\n"
               r"Platform:         linux amd64 \(x86_64-pc-linux-gnu\)\nGo Version:       go1\.\d+\.\d+.*\n"
               r"C Compiler:       gcc 6\.5\.0\nBuild Commit ID:  [0-9a-f]{40}\nBuild Type:       release\n"
               r"Enabled Assertions: false\n" % re.escape(version))
    assert re.fullmatch(pattern, out)
    assert run(crdb_binaries[version], "version", "--build-tag").stdout == version + "\n"


@pytest.mark.parametrize("version", KWDB_VERSIONS)
def test_kwbase_version_has_seven_lines_and_blank_distribution(crdb_binaries, version):
    lines = run(crdb_binaries[version], "version").stdout.split("\n")
    assert lines[0] == "KaiwuDB Version:  " + version
    assert lines[2] == "Distribution:     "
    assert re.fullmatch(r"Build SHA-1:      [0-9a-f]{40}", lines[6])
    assert lines[7:] == [""]


@pytest.fixture(scope="module")
def live_cluster(tmp_path_factory, crdb_binaries):
    cluster = SimCluster(tmp_path_factory.mktemp("fidelity"), crdb_binaries)
    try:
        cluster.start_all("v23.2.9")
        yield cluster
    finally:
        cluster.close()


def status(cluster, *args, version="v23.2.9"):
    return cluster.cli(version, "node", "status", "--insecure", "--host=" + cluster.nodes[0].addr, *args)


def test_default_format_is_tsv_with_base_columns(live_cluster):
    lines = status(live_cluster).stdout.splitlines()
    assert lines[0] == BASE_HEADER.replace(",", "\t")
    addresses = sorted(n.addr for n in live_cluster.nodes)
    assert sorted(line.split("\t")[1] for line in lines[1:]) == addresses
    for index, line in enumerate(lines[1:]):
        assert re.fullmatch(r"%d\t(127\.0\.0\.1\d:\d+)\t\1\tv23\.2\.9\t%s\t%s\t\ttrue\ttrue" % (
            index + 1, TIMESTAMP, TIMESTAMP), line), line


def test_all_csv_header_is_the_v22_2_plus_band(live_cluster):
    lines = status(live_cluster, "--all", "--format=csv").stdout.splitlines()
    assert lines[0] == ALL_HEADER_V22_2
    assert all(len(line.split(",")) == 25 for line in lines)
    assert lines[1].endswith(",false,active,false")


def test_table_format_layout(live_cluster):
    out = status(live_cluster, "--format=table", "--decommission").stdout.splitlines()
    widths = [len(cell) for cell in out[0].split("|")]
    assert out[0].startswith("  id |") and out[0].endswith("| is_draining")
    assert out[1] == "+".join("-" * w for w in widths[:-1]) + "+" + "-" * (len("is_draining") + 3)
    assert re.fullmatch(r"   1 \| 127\.0\.0\.1\d:\d+ +\| .*\| true +\| true +\| +30 \| false +\| active +\| false",
                        out[2])
    assert out[-1] == "(3 rows)"


def test_json_and_ndjson_values_are_strings_with_sorted_keys(live_cluster):
    rows = json.loads(status(live_cluster, "--format=json").stdout)
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert list(rows[0]) == sorted(rows[0]) and rows[0]["is_live"] == "true"
    ndjson = status(live_cluster, "--format=ndjson").stdout.splitlines()
    assert [json.loads(line) for line in ndjson][0]["locality"] == ""


def test_json_format_absent_before_23_2(live_cluster):
    result = status(live_cluster, "--format=json", version="v23.1.8")
    assert result.returncode == 1
    assert result.stderr == ('ERROR: invalid argument "json" for "--format" flag: invalid table display format: json '
                             '(possible values: tsv, csv, table, records, sql, html, raw, ndjson)\n'
                             'Failed running "node status"\n')


def test_unknown_node_error(live_cluster):
    result = status(live_cluster, "10000")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "ERROR: node 10000 doesn't exist\nFailed running \"node status\"\n"


def test_init_twice_is_refused(live_cluster):
    result = live_cluster.cli("v23.2.9", "init", "--insecure", "--host=" + live_cluster.nodes[1].addr)
    assert result.returncode == 1
    assert result.stderr == "ERROR: cluster has already been initialized\nFailed running \"init\"\n"


def test_show_cluster_setting_csv(live_cluster):
    assert live_cluster.sql("v23.2.9", "SHOW CLUSTER SETTING version", fmt="csv").stdout == "version\n23.2\n"
    assert live_cluster.sql("v23.2.9", "select 1").stdout == "?column?\n1\n"


def test_unsupported_statement(live_cluster):
    result = live_cluster.sql("v23.2.9", "DROP DATABASE defaultdb")
    assert result.returncode == 1
    assert result.stderr == ("ERROR: unsupported statement in testbed simulator: DROP DATABASE defaultdb\n"
                             "SQLSTATE: 0A000\nFailed running \"sql\"\n")


@pytest.mark.parametrize("version, detail", [
    ("v24.1.3", "failed to connect to `user=root database=system`: 127.0.0.1:{port} (127.0.0.1): dial error: "
                "dial tcp 127.0.0.1:{port}: connect: connection refused"),
    ("v23.2.9", "failed to connect to `host=127.0.0.1 user=root database=system`: dial error "
                "(dial tcp 127.0.0.1:{port}: connect: connection refused)"),
])
def test_connection_refused(crdb_binaries, version, detail):
    port = 1  # nothing listens on tcp/1
    result = run(crdb_binaries[version], "node", "status", "--insecure", "--host=127.0.0.1:%d" % port)
    assert result.returncode == 1
    assert result.stderr == DIAL_ERROR + detail.format(port=port) + "\nFailed running \"node status\"\n"


def test_dead_node_renders_null_like_the_real_csv(crdb_cluster_factory):
    cluster = crdb_cluster_factory()
    cluster.start_all("v23.2.9")
    cluster.stop(2, signal.SIGKILL)  # the captured nodes died without a drain (a graceful stop shows is_draining true)
    row = wait_until(lambda: [line for line in status(cluster, "--all", "--format=csv").stdout.splitlines()
                              if ",NULL,NULL," in line], what="a dead node")[0]
    assert re.fullmatch(r"\d,NULL,NULL,NULL,NULL,%s,NULL,false,false,\d+,\d+,30,\d+,\d+,\d+,\d+,\d+,0,0,0,\d+,NULL,"
                        r"false,active,false" % TIMESTAMP, row), row


# `cockroach gen haproxy` (EXACT: haproxyTemplate of pkg/cli/haproxy.go; KWDB kept the v20.1 template)
HAPROXY_HEAD = """
global
  maxconn 4096

defaults
    mode                tcp

    # Timeout values should be configured for your specific use.
    # See: https://cbonte.github.io/haproxy-dconv/1.8/configuration.html#4-timeout%20connect

    # With the timeout connect 5 secs,
    # if the backend server is not responding, haproxy will make a total
    # of 3 connection attempts waiting 5s each time before giving up on the server,
    # for a total of 15 seconds.
    retries             2
    timeout connect     5s

    # timeout client and server govern the maximum amount of time of TCP inactivity.
    # The server node may idle on a TCP connection either because it takes time to
    # execute a query before the first result set record is emitted, or in case of
    # some trouble on the server. So these timeout settings should be larger than the
    # time to execute the longest (most complex, under substantial concurrent workload)
    # query, yet not too large so truly failed connections are lingering too long
    # (resources associated with failed connections should be freed reasonably promptly).
    timeout client      10m
    timeout server      10m

    # TCP keep-alive on client side. Server already enables them.
    option              clitcpka

listen psql
    bind :26257
    mode tcp
    balance roundrobin
    option httpchk GET /health?ready=1
"""
KWDB_HAPROXY_HEAD = """
global
  maxconn 4096

defaults
    mode                tcp
    # Timeout values should be configured for your specific use.
    # See: https://cbonte.github.io/haproxy-dconv/1.8/configuration.html#4-timeout%20connect
    timeout connect     10s
    timeout client      1m
    timeout server      1m
    # TCP keep-alive on client side. Server already enables them.
    option              clitcpka

listen psql
    bind :26257
    mode tcp
    balance roundrobin
    option httpchk GET /health?ready=1
"""


@pytest.mark.parametrize("version, head, prefix", [("v23.2.9", HAPROXY_HEAD, "cockroach"),
                                                   ("V2.2.0", KWDB_HAPROXY_HEAD, "kwbase")])
def test_gen_haproxy_writes_the_real_template(crdb_cluster_factory, tmp_path, version, head, prefix):
    cluster = crdb_cluster_factory()
    cluster.start_all(version)
    host = "--host=" + cluster.nodes[0].addr
    decommissioning = cluster.cli(version, "node", "decommission", "3", "--wait=none", "--insecure", host)
    assert decommissioning.returncode == 0, decommissioning.stderr
    out = tmp_path / "haproxy.cfg"
    generated = cluster.cli(version, "gen", "haproxy", "--insecure", host, "--out=%s" % out)
    assert (generated.returncode, generated.stdout, generated.stderr) == (
        0, "", "warning: node 3 status is DECOMMISSIONING, excluding from haproxy configuration\n")
    addresses = {row.split(",")[0]: row.split(",")[1] for row in cluster.cli(
        version, "node", "status", "--format=csv", "--insecure", host).stdout.splitlines()[1:]}
    servers = "".join("    server %s%s %s check port %d\n" % (prefix, node_id, addresses[node_id], node.http_port)
                      for node_id, node in (("1", node_for(cluster, addresses["1"])), ("2", node_for(cluster, addresses["2"]))))
    assert out.read_text() == head + servers + "\n"
    assert cluster.cli(version, "gen", "haproxy", "--insecure", host, "--out=-").stdout == head + servers + "\n"


def node_for(cluster, address):
    return [node for node in cluster.nodes if node.addr == address][0]


def test_kwbase_cert_commands_write_a_working_pki(crdb_binaries, tmp_path):
    kwbase = crdb_binaries["V2.2.0"]
    certs, safe = tmp_path / "certs", tmp_path / "safe"
    safe.mkdir()
    flags = ["--certs-dir=%s" % certs, "--ca-key=%s" % (safe / "ca.key")]
    for args in (["create-ca"], ["create-node", "localhost", "127.0.0.1", "node1"], ["create-client", "root"]):
        created = run(kwbase, "cert", *(args + flags))
        assert (created.returncode, created.stdout, created.stderr) == (0, "", ""), created.stderr
    modes = {path.name: oct(path.stat().st_mode & 0o777) for path in list(certs.iterdir()) + [safe / "ca.key"]}
    assert modes == {"ca.crt": "0o644", "node.crt": "0o644", "node.key": "0o600", "client.root.crt": "0o644",
                     "client.root.key": "0o600", "ca.key": "0o600"}
    assert (certs / "node.key").read_text().startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    verified = subprocess.run(["openssl", "verify", "-CAfile", str(certs / "ca.crt"), str(certs / "node.crt"),
                               str(certs / "client.root.crt")], capture_output=True, text=True, check=False)
    assert verified.stdout == "%s: OK\n%s: OK\n" % (certs / "node.crt", certs / "client.root.crt")
    shown = subprocess.run(["openssl", "x509", "-noout", "-subject", "-ext", "subjectAltName", "-in",
                            str(certs / "node.crt")], capture_output=True, text=True, check=False).stdout
    assert shown == ("subject=O = Cockroach, CN = node\nX509v3 Subject Alternative Name: \n"
                     "    DNS:localhost, IP Address:127.0.0.1, DNS:node1\n")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certs / "ca.crt"))
    context.load_cert_chain(str(certs / "node.crt"), str(certs / "node.key"))  # the key matches the certificate

    again = run(kwbase, "cert", "create-ca", *flags)
    assert again.stderr == ("ERROR: failed to generate CA cert and key: CA key %s exists, but key reuse is disabled\n"
                            'Failed running "cert create-ca"\n' % (safe / "ca.key"))
    existing = run(kwbase, "cert", "create-node", "node1", *flags)
    assert existing.stderr == ("ERROR: failed to generate node certificate and key: error writing node server "
                               "certificate to %s: open %s: file exists\nFailed running \"cert create-node\"\n"
                               % (certs / "node.crt", certs / "node.crt"))
    no_host = run(kwbase, "cert", "create-node", *flags)
    assert no_host.stderr == ("ERROR: create-node requires at least one host name or address, none was specified\n"
                              'Failed running "cert create-node"\n')
