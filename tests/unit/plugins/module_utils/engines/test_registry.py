# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine registry: every engine registered, names resolved, unknown names refused."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import (
    ENGINES, REGISTERED, engine_names, get_engine, registered_engines)
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.base import Engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.version_scheme import VersionScheme

ALL_ENGINES = ('cockroachdb', 'kwdb', 'databend_query', 'databend_meta')


@pytest.mark.parametrize("engine, binary", [("cockroachdb", "/usr/local/bin/cockroach"),
                                            ("kwdb", "/usr/local/kaiwudb/bin/kwbase"),
                                            ("databend_query", "/usr/bin/databend-query"),
                                            ("databend_meta", "/usr/bin/databend-meta")])
def test_default_binaries(engine, binary):
    assert get_engine(engine).default_binary == binary


def test_unknown_engine():
    with pytest.raises(DistsqlError) as caught:
        get_engine("mysql")
    assert str(caught.value) == ("unknown engine 'mysql'; expected one of cockroachdb, databend_meta, databend_query, "
                                 "kwdb")


def test_every_engine_is_registered_in_order():
    assert tuple(engine.name for engine in registered_engines()) == ALL_ENGINES
    assert registered_engines() is REGISTERED
    assert tuple(ENGINES) == ALL_ENGINES


@pytest.mark.parametrize("name", ALL_ENGINES)
def test_get_engine_returns_the_registered_object(name):
    engine = get_engine(name)
    assert engine is ENGINES[name]
    assert engine.name == engine.engine == name


@pytest.mark.parametrize("name", ALL_ENGINES)
def test_every_engine_offers_the_common_api(name):
    engine = get_engine(name)
    assert isinstance(engine, Engine)
    assert isinstance(engine.version_scheme, VersionScheme)
    assert engine.version_argv("/bin/x")[0] == "/bin/x"
    for attribute in ("read_version", "parse_version", "plan_upgrade", "probe", "capability"):
        assert callable(getattr(engine, attribute))
    assert "versions" in engine.capabilities and "upgrades" in engine.capabilities and "outputs" in engine.capabilities


@pytest.mark.parametrize("name, argv", [("cockroachdb", ["/b", "version"]), ("kwdb", ["/b", "version"]),
                                        ("databend_query", ["/b", "--cmd", "ver"]), ("databend_meta", ["/b", "--cmd", "ver"])])
def test_version_argv(name, argv):
    assert get_engine(name).version_argv("/b") == argv


def test_sql_engines_are_the_cockroachdb_family():
    assert engine_names(offering=("node_status", "range_health")) == ("cockroachdb", "kwdb")
    assert engine_names() == ALL_ENGINES
    assert get_engine("cockroachdb").internal_schema == "crdb_internal"
    assert get_engine("kwdb").internal_schema == "kwdb_internal"


def test_databend_components_know_their_peer():
    query, meta = get_engine("databend_query"), get_engine("databend_meta")
    assert (query.peer_engine, meta.peer_engine) == ("databend_meta", "databend_query")
    assert query.peer() is meta and meta.peer() is query


def test_capability_is_the_engine_package_module():
    engine = get_engine("cockroachdb")
    assert engine.capability("upgrades") is engine.upgrades
    assert engine.upgrades.release_type("24.2") == "innovation"


def test_missing_capability_is_refused_clearly():
    with pytest.raises(DistsqlError) as caught:
        get_engine("kwdb").capability("status")
    assert str(caught.value) == ("the kwdb engine has no status capability; it has deploy, drain, jobs, node_upgrade, "
                                 "outputs, packages, ranges, settings, start_args, upgrades, versions")


@pytest.mark.parametrize("name", ["databend_query", "databend_meta"])
def test_databend_capabilities(name):
    engine = get_engine(name)
    assert engine.capabilities == ("admin_api", "compat", "leader", "meta_cluster", "outputs", "query_node", "status",
                                   "upgrades", "versions")
    assert engine.capability("meta_cluster").judge is engine.meta_cluster.judge
