# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CockroachDB engine object: what version_probe asks it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
BINARY = '/bin/true'  # exists and is executable; the fake run() answers instead


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def run_version(argv):
    assert argv == [BINARY, 'version']
    return 0, fixture('cockroach/version_v23.1.8.txt'), ''


def test_probe_reads_the_version_and_plans_to_a_target_version():
    result = get_engine('cockroachdb').probe(run_version, {'binary': BINARY, 'target_version': 'v24.3.5'})
    assert result['version'] == 'v23.1.8'
    assert result['parsed']['series'] == '23.1'
    assert result['details']['build_commit_id'] == '2c1d4afd2c2de091a00a4dba4392ceeaf8504a95'
    assert result['target'] == {'version': 'v24.3.5', 'parsed': get_engine('cockroachdb').parse_version('v24.3.5').to_dict(),
                                'details': None}
    assert result['upgrade']['kind'] == 'multi_major' and result['upgrade']['hops'] == ['v23.2', 'v24.1', 'v24.3.5']
    assert 'min_compatible' not in result


def test_plan_honours_the_cluster_version():
    result = get_engine('cockroachdb').probe(run_version, {'binary': BINARY, 'target_version': 'v22.2.5',
                                                           'cluster_version': '23.1'})
    assert result['upgrade']['allowed'] is False and result['upgrade']['kind'] == 'rollback'
