# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The databend-query and databend-meta engine objects: what version_probe asks them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
# Binaries that exist and are executable; the fake run() answers for them.
QUERY_BINARY, META_BINARY = '/bin/true', '/bin/echo'


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def fake_run(outputs):
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, outputs[argv[0]], ''

    run.calls = calls
    return run


def test_query_reports_its_min_compatible_meta():
    run = fake_run({QUERY_BINARY: fixture('databend/query_ver_0.7.61.txt')})
    result = get_engine('databend_query').probe(run, {'binary': QUERY_BINARY})
    assert result['version'] == '0.7.61-nightly'
    assert result['parsed']['engine'] == 'databend' and result['parsed']['patch'] == 61
    assert result['min_compatible'] == {'metasrv': '0.7.59'}
    assert 'upgrade' not in result
    assert run.calls == [[QUERY_BINARY, '--cmd', 'ver']]


def test_meta_reports_its_min_compatible_client():
    run = fake_run({META_BINARY: fixture('databend/meta_ver_data_version.txt')})
    result = get_engine('databend_meta').probe(run, {'binary': META_BINARY})
    assert result['min_compatible'] == {'client': '1.2.288'}
    assert result['details']['data_version'] == 'V004'


def test_target_version_is_not_enough():
    run = fake_run({QUERY_BINARY: fixture('databend/query_ver_0.7.61.txt')})
    with pytest.raises(DistsqlError) as caught:
        get_engine('databend_query').probe(run, {'binary': QUERY_BINARY, 'target_version': '0.7.62'})
    assert str(caught.value) == ("target_version is not enough for Databend: compatibility depends on the target "
                                 "binary's min-compatible versions, so give target_binary")


def test_plan_needs_the_peer():
    run = fake_run({QUERY_BINARY: fixture('databend/query_ver_0.7.61.txt')})
    with pytest.raises(DistsqlError) as caught:
        get_engine('databend_query').probe(run, {'binary': QUERY_BINARY, 'target_binary': QUERY_BINARY})
    assert str(caught.value) == ('a Databend upgrade plan needs both components: set peer_binary to the installed '
                                 'databend-meta binary (and peer_target_binary if it is upgraded too)')


@pytest.mark.parametrize('engine, binary, peer_binary', [('databend_query', QUERY_BINARY, META_BINARY),
                                                         ('databend_meta', META_BINARY, QUERY_BINARY)])
def test_plan_reads_the_peer_with_the_peer_engine(engine, binary, peer_binary):
    run = fake_run({QUERY_BINARY: fixture('databend/query_ver_0.7.61.txt'),
                    META_BINARY: fixture('databend/meta_ver_0.7.61.txt')})
    result = get_engine(engine).probe(run, {'binary': binary, 'target_binary': binary, 'peer_binary': peer_binary})
    assert result['upgrade']['allowed'] is True and result['upgrade']['kind'] == 'none'
    assert result['upgrade']['reason'] == 'databend-query 0.7.61-nightly and databend-meta 0.7.61-nightly are already at the target'
    assert run.calls == [[binary, '--cmd', 'ver'], [binary, '--cmd', 'ver'], [peer_binary, '--cmd', 'ver']]
