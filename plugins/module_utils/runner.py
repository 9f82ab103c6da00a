# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run client CLIs with a time limit, so that one hung call cannot outlive a module's deadline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

TIMEOUT_EXIT_CODE = 124  # what coreutils timeout(1) returns when it had to stop the command


def timed_runner(run_command, seconds):
    """Wrap ``run_command(argv) -> (rc, out, err)`` so that each call is stopped after ``seconds``."""

    def run(argv):
        rc, stdout, stderr = run_command(['timeout', '--kill-after=5', str(seconds)] + list(argv))
        if rc == TIMEOUT_EXIT_CODE:
            stderr = (stderr or '') + '\n%s did not answer within %ss' % (argv[0], seconds)
        return rc, stdout, stderr

    return run


def container_exec_runner(run, docker, container):
    """Wrap ``run`` so that each argv runs inside ``container`` (``docker exec``, no TTY); the binaries it names are
    paths in the container, so nothing checks them on this host (``runs_on_host`` is False)."""

    def run_inside(argv):
        return run([docker, 'exec', container] + list(argv))

    run_inside.runs_on_host = False
    return run_inside


def image_run_runner(run, docker, image):
    """Wrap ``run`` so that each argv runs in a throwaway container of ``image`` (``docker run --rm`` with the binary
    as its entrypoint): the version of an image whose container is stopped."""

    def run_in_image(argv):
        argv = list(argv)
        return run([docker, 'run', '--rm', '--entrypoint', argv[0], image] + argv[1:])

    run_in_image.runs_on_host = False
    return run_in_image
