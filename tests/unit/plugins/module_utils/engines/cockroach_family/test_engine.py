# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SqlEngine: the commands a CockroachDB-family engine object runs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection


def test_node_status_runs_the_csv_command_and_parses_by_engine():
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, "id,address,sql_address,build,started_at,updated_at,locality,start_mode,is_available,is_live\n" \
                  "1,10.0.0.1:26257,10.0.0.1:26257,V3.1.0,2026-06-30 02:28:59.123456+00:00," \
                  "2026-06-30 03:00:01.654321+00:00,region=NODE1,start,false,true\n", ""

    engine = get_engine("kwdb")
    binary = "/bin/true"  # exists and is executable; the fake run() answers instead
    nodes = engine.node_status(run, binary, Connection(host="10.0.0.1:26257", insecure=True))
    assert calls == [["/bin/true", "node", "status", "--all", "--format=csv", "--host=10.0.0.1:26257", "--insecure"]]
    assert nodes[0]["start_mode"] == "start" and nodes[0]["is_available"] is False and nodes[0]["is_live"] is True


def test_range_health_queries_the_engine_internal_schema():
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, "node_id,ranges_unavailable,ranges_underreplicated\n1,0,3\n", ""

    rows = get_engine("cockroachdb").range_health(run, "/bin/true", Connection(url="postgresql://root@h:26257"))
    assert rows == [{"node_id": 1, "ranges_unavailable": 0, "ranges_underreplicated": 3}]
    assert calls[0][:4] == ["/bin/true", "sql", "--format=csv", "-e"]
    assert "FROM crdb_internal.kv_store_status GROUP BY node_id" in calls[0][4]
    assert calls[0][5:] == ["--url=postgresql://root@h:26257"]


def test_connection_comes_from_the_module_options():
    connection = get_engine("kwdb").connection({"host": "h:26257", "certs_dir": "/certs", "user": "upgrader"})
    assert connection.argv() == ["--host=h:26257", "--certs-dir=/certs", "--user=upgrader"]
