# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Databend release requires of the other component, known before its binary is on any host.

A plan must be refused before anything is touched, but the min-compatible versions are printed by the target
binary (``--cmd ver``). Databend publishes them per release in src/meta/ver/compat_docs/src/min_compatible_versions.txt
(flow-surfaces-databend.md section 7): the rows below are its transitions. The staged binary is checked against
this prediction before any node stops (the ``--cmd ver`` of the staged release), so a release that changed them
later than this table knows stops the run before it disrupts anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.versions import SCHEME

# (first release, query's min-compatible-metasrv-version, meta's min-compatible-client-version)
TRANSITIONS = (
    ((0, 0, 0), '1.1.32', '0.9.41'),
    ((1, 2, 287), '1.2.226', '0.9.41'),
    ((1, 2, 361), '1.2.259', '0.9.41'),
    ((1, 2, 663), '1.2.259', '1.2.288'),
    ((1, 2, 725), '1.2.677', '1.2.288'),
    ((1, 2, 821), '1.2.768', '1.2.288'),
    ((1, 2, 823), '1.2.770', '1.2.288'),
)
# 1.2.880 moved both to CalVer feature sets (ext:260205.0.0); the semver rule above cannot decide them.
LAST_KNOWN = (1, 2, 879)
FIRST_V003 = (1, 2, 547)
FIRST_V004 = (1, 2, 655)


def min_compatible(version):
    """(query's min metasrv, meta's min client) of ``version``; None past the last release the table covers."""
    release = SCHEME.as_version(version).release
    if release > LAST_KNOWN:
        return None
    row = [entry for entry in TRANSITIONS if entry[0] <= release][-1]
    return row[1], row[2]


def data_version(version):
    """The on-disk data version a databend-meta of ``version`` writes."""
    release = SCHEME.as_version(version).release
    if release >= FIRST_V004:
        return 'V004'
    return 'V003' if release >= FIRST_V003 else 'V002'


def component_info(component, version):
    """The --cmd ver dict of databend-<component> ``version`` as the table predicts it (None when it cannot)."""
    known = min_compatible(version)
    if known is None:
        return None
    if component == 'query':
        return {'version': version, 'min_compatible_metasrv_version': known[0]}
    return {'version': version, 'min_compatible_client_version': known[1], 'data_version': data_version(version)}
