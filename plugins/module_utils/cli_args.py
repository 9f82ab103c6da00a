# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by the modules; documented once in plugins/doc_fragments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import WAIT_ARGUMENT_SPEC

# The engines a cluster connection applies to: those offering node status and range health (the CockroachDB family).
SQL_ENGINES = engine_names(offering=('connection', 'node_status', 'range_health'))

CONNECTION_ARGUMENT_SPEC = dict(
    engine=dict(type='str', required=True, choices=list(SQL_ENGINES)),
    binary=dict(type='path'),
    host=dict(type='str'),
    url=dict(type='str', no_log=True),
    insecure=dict(type='bool', default=False),
    certs_dir=dict(type='path'),
    user=dict(type='str', default='root'),
    command_timeout=dict(type='int', default=30),
)

CONNECTION_RULES = dict(
    required_one_of=[('host', 'url')],
    mutually_exclusive=[('host', 'url')],
)


def sql_module_argument_spec(**extra):
    """Connection + wait options, plus a module's own options."""
    spec = copy.deepcopy(CONNECTION_ARGUMENT_SPEC)
    spec.update(copy.deepcopy(WAIT_ARGUMENT_SPEC))
    spec.update(extra)
    return spec
