# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared argument specs: the SQL modules' engine choices come from the registry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.cli_args import CONNECTION_ARGUMENT_SPEC, SQL_ENGINES, sql_module_argument_spec


def test_sql_engines_are_the_registered_cockroachdb_family():
    assert SQL_ENGINES == ('cockroachdb', 'kwdb')
    assert CONNECTION_ARGUMENT_SPEC['engine']['choices'] == ['cockroachdb', 'kwdb']


def test_sql_module_argument_spec_adds_wait_and_own_options():
    spec = sql_module_argument_spec(wait_for=dict(type='str'))
    assert spec['engine']['choices'] == ['cockroachdb', 'kwdb']
    assert spec['timeout'] == dict(type='float', default=300.0)
    assert spec['wait_for'] == dict(type='str')
