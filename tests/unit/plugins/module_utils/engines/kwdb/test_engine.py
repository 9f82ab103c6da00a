# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KWDB engine object: what version_probe asks it."""

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
    return 0, fixture('kwdb/version_V2.0.3.2_RC3.txt'), ''


def test_read_version_returns_the_printed_tag_and_details():
    tag, details = get_engine('kwdb').read_version(run_version, BINARY)
    assert tag == details['build_tag'] and details['product'] == 'KaiwuDB'
    assert get_engine('kwdb').parse_version(tag).prerelease == 'RC3'


def test_plan_passes_the_extended_versions_and_the_bypass():
    params = {'binary': BINARY, 'target_version': 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty',
              'extended_version': 'hotfix1', 'target_extended_version': 'hotfix2'}
    refused = get_engine('kwdb').probe(run_version, params)['upgrade']
    assert (refused['allowed'], refused['kind'], refused['bypass_version_check_needed']) == (False, 'patch', True)
    bypassed = get_engine('kwdb').probe(run_version, dict(params, bypass_version_check=True))['upgrade']
    assert (bypassed['allowed'], bypassed['bypass_version_check_needed']) == (True, True)
