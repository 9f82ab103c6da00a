# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine registry: ``get_engine(name)`` returns the object that knows everything about one engine.

Modules ask that object and never branch on an engine name or quirk::

    engine = get_engine(module.params['engine'])
    tag, details = engine.read_version(run, module.params['binary'] or engine.default_binary)

Layout: one package per engine, holding what only that engine knows, one module per capability::

    cockroachdb/       __init__.py (the engine class and ENGINE), versions.py, upgrades.py, outputs.py
    kwdb/              the same for KWDB/KaiwuDB
    databend/          QUERY and META (databend-query, databend-meta); versions.py, compat.py, upgrades.py,
                       outputs.py, status.py
    cockroach_family/  what CockroachDB and its fork KWDB share (SqlEngine, Connection, node status, range
                       health, drain/settings/health outputs); not an engine itself
    base.py            Engine, the base class of every engine object

Every engine object offers (base.Engine): ``name`` (also ``engine``), ``default_binary``, ``version_scheme``,
``version_argv(binary)``, ``read_version(run, binary) -> (printed tag, details)``, ``parse_version(text)``,
``plan_upgrade(current, target, params)``, ``probe(run, params)`` (the version_probe result),
``capabilities`` and ``capability(name)``. The CockroachDB family adds ``internal_schema``, ``connection(params)``,
``node_status(run, binary, connection)`` and ``range_health(run, binary, connection)``; the Databend components add
``peer_engine``, ``peer()`` and ``min_compatible(details)``.

Adding a capability to an engine (say CockroachDB drain with --drain-wait sizing): write the new module
engines/cockroachdb/drain.py and add ``drain=drain`` (and its import) to the ENGINE call in
engines/cockroachdb/__init__.py. It is then ``get_engine('cockroachdb').drain``, listed in ``engine.capabilities``,
and ``engine.capability('drain')`` returns it or fails clearly for an engine without it. No other engine, no base
class and nothing in this file changes; its tests go to tests/unit/plugins/module_utils/engines/cockroachdb/.

Adding an engine: one package engines/<engine>/ (versions.py with a version_scheme.VersionScheme, and an engine
class derived from base.Engine, or from cockroach_family's SqlEngine for another CockroachDB fork, which then also
joins cockroach_family/node_status.ENGINES), its tests in tests/unit/plugins/module_utils/engines/<engine>/ (with an
empty __init__.py: test file names repeat across engines), and one line in REGISTERED below. versioning.parse_version
and the SQL modules' engine choices (cli_args.SQL_ENGINES) follow from the registry; the modules' documented
choices are updated to match.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import cockroachdb, databend, kwdb
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

REGISTERED = (
    cockroachdb.ENGINE,
    kwdb.ENGINE,
    databend.QUERY,
    databend.META,
)
ENGINES = dict((engine.name, engine) for engine in REGISTERED)


def registered_engines():
    """Every engine object, in registry order."""
    return REGISTERED


def get_engine(name):
    """The engine object registered as ``name``."""
    try:
        return ENGINES[name]
    except KeyError:
        raise DistsqlError('unknown engine %r; expected one of %s' % (name, ', '.join(sorted(ENGINES))))


def engine_names(offering=()):
    """Registered names, in registry order, of the engines that offer every attribute named in ``offering``."""
    return tuple(engine.name for engine in REGISTERED if all(hasattr(engine, attribute) for attribute in offering))
