# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The version_probe flow: read the installed (and target) versions, then plan by the engine's rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.adapters import DatabendAdapter, get_adapter
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.versioning import parse_version


def read_binary(adapter, run, binary):
    """The version a binary prints, parsed, with the full version output."""
    printed, details = adapter.read_version(run, binary)
    return {'version': printed, 'parsed': parse_version(adapter.engine, printed).to_dict(), 'details': details}


def read_target(adapter, run, params):
    if params.get('target_binary'):
        return read_binary(adapter, run, params['target_binary'])
    if params.get('target_version'):
        if isinstance(adapter, DatabendAdapter):
            raise DistsqlError('target_version is not enough for Databend: compatibility depends on the target '
                               "binary's min-compatible versions, so give target_binary")
        version = params['target_version']
        return {'version': version, 'parsed': parse_version(adapter.engine, version).to_dict(), 'details': None}
    return None


def read_peer(adapter, run, params):
    """Databend only: the other component's current (and target) --cmd ver output."""
    if not isinstance(adapter, DatabendAdapter) or not params.get('peer_binary'):
        return None
    peer_adapter = get_adapter(adapter.peer_engine)
    peer = {'current': peer_adapter.read_version(run, params['peer_binary'])[1]}
    if params.get('peer_target_binary'):
        peer['target'] = peer_adapter.read_version(run, params['peer_target_binary'])[1]
    return peer


def probe(adapter, run, params):
    """The module result for version_probe: version, parsed, details and, with a target, the upgrade plan."""
    current = read_binary(adapter, run, params.get('binary') or adapter.default_binary)
    result = dict(current)
    if isinstance(adapter, DatabendAdapter):
        result['min_compatible'] = adapter.min_compatible(current['details'])
    target = read_target(adapter, run, params)
    if target is not None:
        plan_params = dict(params, peer=read_peer(adapter, run, params))
        result['target'] = target
        result['upgrade'] = adapter.plan_upgrade(current, target, plan_params).to_dict()
    return result
