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
