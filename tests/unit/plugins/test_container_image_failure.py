# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How container_image words a new container that does not keep running (the wait ends at once on it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.modules.container_image import failure_words, has_failed


def state(status, exit_code, restart_count):
    return {'status': status, 'exit_code': exit_code, 'restart_count': restart_count, 'running': status == 'running'}


def test_an_exit_without_a_restart_policy_names_its_code():
    assert has_failed(state('exited', 1, 0))
    assert failure_words(state('exited', 1, 0)) == 'exited with code 1'


def test_a_restart_loop_names_the_code_and_the_restarts():
    assert has_failed(state('restarting', 127, 2))
    assert failure_words(state('restarting', 127, 2)) == 'exited with code 127, restarted 2 times by its restart policy'


def test_a_restart_loop_seen_running_again_names_only_the_restarts():
    """Between two restarts docker reports the container running with exit code 0."""
    assert has_failed(state('running', 0, 1))
    assert failure_words(state('running', 0, 1)) == 'keeps exiting: restarted 1 times by its restart policy'


def test_a_running_container_that_never_restarted_has_not_failed():
    assert not has_failed(state('running', 0, 0))


def test_restarts_before_the_wait_are_history():
    """A long-running container restarted by its policy weeks ago has not failed when it is started again."""
    assert not has_failed(state('running', 0, 3), restarts_before=3)
    assert has_failed(state('restarting', 1, 4), restarts_before=3)
    assert failure_words(state('restarting', 1, 4), restarts_before=3) == (
        'exited with code 1, restarted 1 times by its restart policy')
