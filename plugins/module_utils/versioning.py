# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and compare versions of any registered engine, by engine or component name (pure, stdlib only).

``parse_version('crdb', 'v23.1.8')`` finds the engine's version scheme through the registry (plugins/module_utils/engines)
and returns an EngineVersion. The grammars themselves live with their engines (``engines/<engine>/versions.py``,
which documents the accepted forms); EngineVersion and the scheme base class are in version_scheme.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import registered_engines
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.version_scheme import EngineVersion

__all__ = ('ENGINES', 'EngineVersion', 'as_version', 'normalize_engine', 'parse_version')


def _schemes():
    """Version scheme by scheme name, in registry order (databend_query and databend_meta share one scheme)."""
    schemes = {}
    for engine in registered_engines():
        schemes.setdefault(engine.version_scheme.name, engine.version_scheme)
    return schemes


def _aliases():
    """Every accepted spelling: scheme names, their aliases and the registry names of the engines using them."""
    aliases = {}
    for engine in registered_engines():
        scheme = engine.version_scheme
        for name in (scheme.name,) + tuple(scheme.aliases) + (engine.name,):
            aliases.setdefault(name, scheme.name)
    return aliases


_SCHEMES = _schemes()
_ENGINE_ALIASES = _aliases()
ENGINES = tuple(_SCHEMES)


def normalize_engine(name):
    """Map an engine or component name ('databend_meta', 'KaiwuDB', ...) to one of ENGINES."""
    key = str(name).strip().lower().replace('-', '_')
    if key not in _ENGINE_ALIASES:
        raise DistsqlError("unknown engine %r: expected one of %s" % (name, ', '.join(ENGINES)))
    return _ENGINE_ALIASES[key]


def parse_version(engine, text):
    """Parse a version string of the given engine into an EngineVersion; raise VersionParseError if it does not fit."""
    return _SCHEMES[normalize_engine(engine)].parse(text)


def as_version(engine, value):
    """Return value as an EngineVersion of engine, parsing strings; an EngineVersion of another engine is an error."""
    return _SCHEMES[normalize_engine(engine)].as_version(value)
