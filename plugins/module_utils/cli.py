# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an engine's client binary and check its exit code.

``run`` is any callable taking an argv list and returning (rc, stdout, stderr), normally
``AnsibleModule.run_command`` wrapped by runner.timed_runner.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import CommandError, DistsqlError


def require_executable(path, what):
    """Fail before running anything when a binary is missing: a clearer message than the runner's."""
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise DistsqlError('%s binary %s does not exist or is not executable' % (what, path))


def run_checked(run, argv):
    """Run argv; a non-zero exit becomes CommandError carrying the output. A binary on this host must exist first;
    one inside a container (a run without ``runs_on_host``) is left to the container."""
    if getattr(run, 'runs_on_host', True):
        require_executable(argv[0], os.path.basename(argv[0]))
    rc, stdout, stderr = run(argv)
    if rc != 0:
        raise CommandError(argv, rc, stdout, stderr)
    return stdout, stderr
