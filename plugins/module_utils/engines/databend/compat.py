# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Databend's two-way compatibility rules: databend-query against databend-meta (each one's version must meet the
other's min-compatible version) and databend-meta against its raft peers (the meta-to-meta table).

Version info is what ``--cmd ver`` prints (outputs.parse_databend_ver), as a dict with '-' or '_' keys.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.versions import SCHEME
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

# The key of the other side's minimum in each component's --cmd ver output.
MIN_KEYS = {'query': 'min_compatible_metasrv_version', 'meta': 'min_compatible_client_version'}
_INF = (float('inf'),)
# (self range, accepted peer range): the newer meta of a pair decides. Rows 3-5 are the docs table; rows 1-2 come from
# src/meta/ver/compat_docs/meta_to_meta.txt (1.2.769 dropped V002 peers, 1.2.929 needs peers >= 1.2.818).
_META_PEER_TABLE = (
    (((1, 2, 929), _INF), ((1, 2, 818), _INF)),
    (((1, 2, 769), (1, 2, 929)), ((1, 2, 547), _INF)),
    (((1, 2, 655), (1, 2, 769)), ((1, 2, 288), _INF)),
    (((1, 2, 479), (1, 2, 655)), ((1, 2, 288), (1, 2, 655))),
    (((1, 2, 212), (1, 2, 479)), ((0, 9, 41), (1, 2, 479))),
)


def _range_text(bounds):
    low, high = bounds
    return "[%s, %s)" % ('.'.join(str(n) for n in low), '+inf' if high == _INF else '.'.join(str(n) for n in high))


def _in_range(release, bounds):
    return bounds[0] <= release < bounds[1]


def version_info(component, info):
    """Normalize a --cmd ver dict (keys with '-' or '_') and parse its version fields."""
    if not isinstance(info, dict) or 'version' not in info:
        raise DistsqlError("databend-%s version info must be a dict with a 'version' key, got %r" % (component, info))
    normalized = dict((str(key).replace('-', '_'), value) for key, value in info.items())
    required = MIN_KEYS[component]
    if required not in normalized:
        raise DistsqlError("databend-%s version info lacks %r: %r" % (component, required, info))
    normalized['version'] = SCHEME.as_version(normalized['version'])
    normalized[required] = SCHEME.as_version(normalized[required])
    return normalized


def databend_compatible(query, meta):
    """(bool, reason): query and meta work together iff each one's version meets the other's minimum."""
    query, meta = version_info('query', query), version_info('meta', meta)
    q_version, m_version = query['version'], meta['version']
    failures = []
    if q_version < meta['min_compatible_client_version']:
        failures.append("query %s is older than meta %s min-compatible-client-version %s"
                        % (q_version.tag, m_version.tag, meta['min_compatible_client_version'].tag))
    if m_version < query['min_compatible_metasrv_version']:
        failures.append("meta %s is older than query %s min-compatible-metasrv-version %s"
                        % (m_version.tag, q_version.tag, query['min_compatible_metasrv_version'].tag))
    if failures:
        return False, "incompatible: %s" % '; '.join(failures)
    return True, "query %s and meta %s are compatible" % (q_version.tag, m_version.tag)


def meta_peers_compatible(a_version, b_version):
    """(bool, reason): can two databend-meta versions run in one raft cluster? The newer one's table row decides."""
    older, newer = sorted((SCHEME.as_version(a_version), SCHEME.as_version(b_version)))
    pair = "meta %s and %s" % (older.tag, newer.tag)
    if older == newer:
        return True, "%s are the same version" % pair
    for own_range, peer_range in _META_PEER_TABLE:
        if _in_range(newer.release, own_range):
            if _in_range(older.release, peer_range):
                return True, "%s are compatible peers (%s accepts %s)" % (pair, newer.tag, _range_text(peer_range))
            return False, "%s are not compatible peers: %s accepts peers in %s" % (pair, newer.tag, _range_text(peer_range))
    return False, "%s are not compatible peers: %s is outside the meta-to-meta compatibility table" % (pair, newer.tag)
