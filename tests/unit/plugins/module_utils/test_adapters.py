"""Engine adapters: the argv they build and the output they accept."""
import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.adapters import Connection, get_adapter, parse_range_health_rows
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError


@pytest.mark.parametrize("params, argv", [
    ({"host": "db1:26257", "insecure": True}, ["--host=db1:26257", "--insecure"]),
    ({"host": "db1:26257", "certs_dir": "/certs", "user": "upgrader"},
     ["--host=db1:26257", "--certs-dir=/certs", "--user=upgrader"]),
    ({"url": "postgresql://root:pw@db1:26257/defaultdb?sslmode=verify-full"},
     ["--url=postgresql://root:pw@db1:26257/defaultdb?sslmode=verify-full"]),
])
def test_connection_argv(params, argv):
    assert Connection.from_params(params).argv() == argv


def test_contradicting_security_options():
    with pytest.raises(DistsqlError) as caught:
        Connection.from_params({"host": "h:1", "insecure": True, "certs_dir": "/c"})
    assert str(caught.value) == ("insecure=true and certs_dir=/c contradict each other: a cluster is either insecure or "
                                 "uses certificates")


@pytest.mark.parametrize("engine, binary", [("cockroachdb", "/usr/local/bin/cockroach"),
                                            ("kwdb", "/usr/local/kaiwudb/bin/kwbase"),
                                            ("databend_query", "/usr/bin/databend-query"),
                                            ("databend_meta", "/usr/bin/databend-meta")])
def test_default_binaries(engine, binary):
    assert get_adapter(engine).default_binary == binary


def test_unknown_engine():
    with pytest.raises(DistsqlError) as caught:
        get_adapter("mysql")
    assert str(caught.value) == ("unknown engine 'mysql'; expected one of cockroachdb, databend_meta, databend_query, "
                                 "kwdb")


def test_range_rows_are_typed_and_null_is_unknown():
    rows = parse_range_health_rows("node_id,ranges_unavailable,ranges_underreplicated\n1,0,21\n2,NULL,NULL\n")
    assert rows == [{"node_id": 1, "ranges_unavailable": 0, "ranges_underreplicated": 21},
                    {"node_id": 2, "ranges_unavailable": None, "ranges_underreplicated": None}]


def test_range_rows_reject_non_integers():
    with pytest.raises(OutputParseError) as caught:
        parse_range_health_rows("node_id,ranges_unavailable,ranges_underreplicated\n1,zero,0\n")
    assert str(caught.value) == "cannot parse range health query result: not an integer: 'zero'"


def test_node_status_runs_the_csv_command_and_parses_by_engine():
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, "id,address,sql_address,build,started_at,updated_at,locality,start_mode,is_available,is_live\n" \
                  "1,10.0.0.1:26257,10.0.0.1:26257,V3.1.0,2026-06-30 02:28:59.123456+00:00," \
                  "2026-06-30 03:00:01.654321+00:00,region=NODE1,start,false,true\n", ""

    adapter = get_adapter("kwdb")
    adapter_binary = "/bin/true"  # exists and is executable; the fake run() answers instead
    nodes = adapter.node_status(run, adapter_binary, Connection(host="10.0.0.1:26257", insecure=True))
    assert calls == [["/bin/true", "node", "status", "--all", "--format=csv", "--host=10.0.0.1:26257", "--insecure"]]
    assert nodes[0]["start_mode"] == "start" and nodes[0]["is_available"] is False and nodes[0]["is_live"] is True
