"""range_health run through Ansible against a fake SQL CLI."""

CATCHING_UP = "node_id,ranges_unavailable,ranges_underreplicated\n1,0,0\n2,0,21\n3,0,4\n"
HEALTHY = "node_id,ranges_unavailable,ranges_underreplicated\n1,0,0\n2,0,0\n3,0,0\n"
NODE_WITHOUT_METRICS = "node_id,ranges_unavailable,ranges_underreplicated\n1,0,0\n2,NULL,NULL\n"
PER_NODE_SQL = ("SELECT node_id, sum((metrics->>'ranges.unavailable')::DECIMAL)::INT AS ranges_unavailable, "
                "sum((metrics->>'ranges.underreplicated')::DECIMAL)::INT AS ranges_underreplicated "
                "FROM {schema}.kv_store_status GROUP BY node_id ORDER BY node_id")


def base_args(fake_cli, engine="cockroachdb", **extra):
    args = {"engine": engine, "binary": fake_cli.path, "host": "h:26257", "insecure": True}
    args.update(extra)
    return args


def test_totals_and_per_node(fake_cli, module_runner):
    fake_cli.respond("sql", CATCHING_UP)
    result = module_runner("range_health", base_args(fake_cli))
    assert result["ranges_unavailable"] == 0
    assert result["ranges_underreplicated"] == 25
    assert result["healthy"] is False
    assert result["per_node"][1] == {"node_id": 2, "ranges_unavailable": 0, "ranges_underreplicated": 21}
    assert fake_cli.calls() == [["sql", "--format=csv", "-e", PER_NODE_SQL.format(schema="crdb_internal"),
                                 "--host=h:26257", "--insecure"]]


def test_kwdb_queries_kwdb_internal(fake_cli, module_runner):
    fake_cli.respond("sql", HEALTHY)
    result = module_runner("range_health", base_args(fake_cli, engine="kwdb", certs_dir="/etc/kaiwudb/certs",
                                                     insecure=False))
    assert result["healthy"] is True
    assert fake_cli.calls()[0][3] == PER_NODE_SQL.format(schema="kwdb_internal")
    assert fake_cli.calls()[0][4:] == ["--host=h:26257", "--certs-dir=/etc/kaiwudb/certs"]


def test_waits_for_catch_up(fake_cli, module_runner):
    fake_cli.respond("sql", CATCHING_UP, CATCHING_UP, HEALTHY)
    result = module_runner("range_health", base_args(fake_cli, wait_for="healthy", interval=0.1, stable_checks=3))
    assert result["healthy"] is True
    assert result["checks"] == 5
    assert [entry["ranges_underreplicated"] for entry in result["trace"]] == [25, 25, 0, 0, 0]


def test_unknown_counts_are_not_healthy(fake_cli, module_runner):
    fake_cli.respond("sql", NODE_WITHOUT_METRICS)
    result = module_runner("range_health", base_args(fake_cli, wait_for="healthy", interval=0.2, timeout=0.5))
    assert result["failed"] is True
    assert "waiting for no unavailable or under-replicated ranges" in result["msg"]
    assert result["unknown_nodes"] == [2]
    assert result["healthy"] is False


def test_unexpected_columns_are_refused(fake_cli, module_runner):
    fake_cli.respond("sql", "id,foo\n1,2\n")
    result = module_runner("range_health", base_args(fake_cli))
    assert result["failed"] is True
    assert result["msg"] == ("cannot parse range health query result: expected columns ['node_id', "
                             "'ranges_unavailable', 'ranges_underreplicated'], got ['id', 'foo']")


def test_insecure_and_certs_dir_contradict(fake_cli, module_runner):
    result = module_runner("range_health", base_args(fake_cli, certs_dir="/certs"))
    assert result["failed"] is True
    assert result["msg"] == ("insecure=true and certs_dir=/certs contradict each other: a cluster is either insecure "
                             "or uses certificates")
    assert fake_cli.calls() == []


RANGES = 'range_id,replicas,lease_holder\n1,"{1,2,3}",1\n2,"{1,2,3}",2\n3,"{1,2,4}",NULL\n'
STORES = "node_id,store_id\n1,1\n2,2\n3,3\n"


def test_kwdb_spread_counts_replicas_and_leases_per_node(fake_cli, module_runner):
    fake_cli.respond("sql", HEALTHY, RANGES, STORES)
    result = module_runner("range_health", base_args(fake_cli, engine="kwdb", spread=True))
    assert result["spread"] == {
        "ranges": 3, "without_leaseholder": [3],
        "nodes": [{"node_id": 1, "stores": [1], "replicas": 3, "leaseholders": 1},
                  {"node_id": 2, "stores": [2], "replicas": 3, "leaseholders": 1},
                  {"node_id": 3, "stores": [3], "replicas": 2, "leaseholders": 0},
                  {"node_id": None, "stores": [4], "replicas": 1, "leaseholders": 0}]}
    assert [call[3] for call in fake_cli.calls()[1:]] == [
        "SELECT range_id, replicas, lease_holder FROM kwdb_internal.ranges",
        "SELECT node_id, store_id FROM kwdb_internal.kv_store_status ORDER BY store_id"]


def test_spread_on_an_engine_without_it_is_refused_before_reading(fake_cli, module_runner):
    result = module_runner("range_health", base_args(fake_cli, spread=True))
    assert result["failed"] is True
    assert result["msg"].startswith("the cockroachdb engine has no ranges capability; it has ")
    assert fake_cli.calls() == []
