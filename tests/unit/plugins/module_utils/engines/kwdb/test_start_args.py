# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KAIWUDB_START_ARG line of kaiwudb_env (flow-surfaces-kwdb.md 2.6, 2.9): --upgrade-complete in and out, every
other byte kept."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb import start_args
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb.start_args import (
    StartArgError, has_flag, start_arg, with_flag, without_flag)

INSTALLED = 'KAIWUDB_START_ARG=""\n'   # as deploy.sh install writes it


def test_the_engine_offers_the_start_args_capability():
    assert get_engine('kwdb').capability('start_args') is start_args


def test_the_installed_file_gets_the_flag_as_deploy_sh_puts_it():
    assert with_flag(INSTALLED) == 'KAIWUDB_START_ARG="--upgrade-complete "\n'
    assert without_flag(with_flag(INSTALLED)) == INSTALLED


def test_the_vendor_leftover_after_its_own_removal():
    leftover = 'KAIWUDB_START_ARG=" "\n'
    assert with_flag(leftover) == 'KAIWUDB_START_ARG="--upgrade-complete  "\n'
    assert without_flag(with_flag(leftover)) == leftover


@pytest.mark.parametrize('before, after', [
    ('KAIWUDB_START_ARG="--cache=25% --max-sql-memory=25%"\n',
     'KAIWUDB_START_ARG="--upgrade-complete --cache=25% --max-sql-memory=25%"\n'),
    ("KAIWUDB_START_ARG='--cache=25%'\n", "KAIWUDB_START_ARG='--upgrade-complete --cache=25%'\n"),
    ('KAIWUDB_START_ARG=--cache=25%\n', 'KAIWUDB_START_ARG=--upgrade-complete --cache=25%\n'),
    ('KAIWUDB_START_ARG=\n', 'KAIWUDB_START_ARG=--upgrade-complete \n'),
    ('KAIWUDB_START_ARG = ""\r\n', 'KAIWUDB_START_ARG = "--upgrade-complete "\r\n'),
    ('KAIWUDB_START_ARG=""', 'KAIWUDB_START_ARG="--upgrade-complete "'),
])
def test_quoting_and_other_flags_are_kept_byte_for_byte(before, after):
    assert with_flag(before) == after
    assert without_flag(after) == before


def test_other_lines_are_untouched():
    text = '# managed by deploy.sh\nOTHER="a  b"\nKAIWUDB_START_ARG="--x"\n\n#KAIWUDB_START_ARG="--y"\n'
    assert with_flag(text) == '# managed by deploy.sh\nOTHER="a  b"\nKAIWUDB_START_ARG="--upgrade-complete --x"\n\n' \
                              '#KAIWUDB_START_ARG="--y"\n'


@pytest.mark.parametrize('text', [
    'KAIWUDB_START_ARG="--upgrade-complete "\n',
    'KAIWUDB_START_ARG="--x --upgrade-complete --y"\n',
    'KAIWUDB_START_ARG="--x --upgrade-complete"\n',
])
def test_adding_a_present_flag_changes_nothing(text):
    assert has_flag(text) and with_flag(text) == text


@pytest.mark.parametrize('before, after', [
    ('KAIWUDB_START_ARG="--x --upgrade-complete --y"\n', 'KAIWUDB_START_ARG="--x --y"\n'),
    ('KAIWUDB_START_ARG="--x --upgrade-complete"\n', 'KAIWUDB_START_ARG="--x"\n'),
    ('KAIWUDB_START_ARG="--upgrade-complete"\n', 'KAIWUDB_START_ARG=""\n'),
    ('KAIWUDB_START_ARG="--upgrade-complete --upgrade-complete "\n', 'KAIWUDB_START_ARG=""\n'),
])
def test_removing_takes_the_flag_and_one_space(before, after):
    assert without_flag(before) == after
    assert without_flag(after) == after


def test_a_longer_flag_is_a_different_word():
    text = 'KAIWUDB_START_ARG="--upgrade-complete=false --upgrade-completed"\n'
    assert not has_flag(text) and without_flag(text) == text
    assert with_flag(text) == 'KAIWUDB_START_ARG="--upgrade-complete --upgrade-complete=false --upgrade-completed"\n'


def test_another_flag():
    assert with_flag(INSTALLED, '--background') == 'KAIWUDB_START_ARG="--background "\n'


def test_the_value_as_written():
    assert start_arg('A=1\nKAIWUDB_START_ARG = "--x "\r\n') == '"--x "'


@pytest.mark.parametrize('text, message', [
    ('OTHER=1\n', 'the file has no KAIWUDB_START_ARG= line, so the unit would pass no flag (deploy.sh install writes '
                  'KAIWUDB_START_ARG="")'),
    ('', 'the file has no KAIWUDB_START_ARG= line, so the unit would pass no flag (deploy.sh install writes '
         'KAIWUDB_START_ARG="")'),
    ('KAIWUDB_START_ARG=""\nKAIWUDB_START_ARG="--x"\n',
     'the file has 2 KAIWUDB_START_ARG= lines (systemd uses the last one): leave one'),
])
def test_no_single_line_is_refused(text, message):
    with pytest.raises(StartArgError) as caught:
        with_flag(text)
    assert str(caught.value) == message


@pytest.mark.parametrize('flag', ['', 'upgrade-complete', '--a b', '--x"', "--x'", '--$X'])
def test_a_flag_must_be_one_option_word(flag):
    with pytest.raises(StartArgError) as caught:
        with_flag(INSTALLED, flag)
    assert str(caught.value) == 'invalid start flag %r: expected one option word such as --upgrade-complete' % flag
