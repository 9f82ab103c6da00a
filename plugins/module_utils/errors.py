# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised by the pure helpers; only a module's main() turns them into fail_json."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class DistsqlError(Exception):
    """Base class of every error this collection raises on purpose."""


class VersionParseError(DistsqlError):
    """A version string that does not follow the engine's scheme."""

    def __init__(self, engine, text, detail=None):
        self.engine = engine
        self.text = text
        message = "cannot parse %s version string %r" % (engine, text)
        if detail:
            message += ": %s" % detail
        super(VersionParseError, self).__init__(message)


class OutputParseError(DistsqlError):
    """CLI or HTTP output that does not have the expected shape."""

    def __init__(self, what, detail):
        self.what = what
        self.detail = detail
        super(OutputParseError, self).__init__("cannot parse %s: %s" % (what, detail))


class CommandError(DistsqlError):
    """An external command that exited non-zero.

    The message names the binary and its sub-command only: options may carry secrets (--url).
    """

    def __init__(self, argv, rc, stdout, stderr):
        self.argv = list(argv)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        output = ' / '.join(line.strip() for line in (stderr or stdout or '').splitlines() if line.strip())
        super(CommandError, self).__init__(
            '`%s` failed (rc=%s): %s' % (command_name(argv), rc, output[:1000] or '(no output)'))


def command_name(argv):
    """The binary and its sub-command words, without options or their values."""
    words = [argv[0]]
    for arg in argv[1:]:
        if arg.startswith('-'):
            break
        words.append(arg)
    return ' '.join(words)


class WaitTimeout(DistsqlError):
    """A wait whose deadline passed before the condition held stable_checks times in a row."""

    def __init__(self, message, last_state, checks, elapsed):
        self.last_state = last_state
        self.checks = checks
        self.elapsed = elapsed
        super(WaitTimeout, self).__init__(message)

    def as_result(self):
        """Failure details for a module: the message, the last observed state, checks and elapsed."""
        result = dict(self.last_state)
        result.update(msg=str(self), checks=self.checks, elapsed=round(self.elapsed, 3))
        return result


class DetailedError(DistsqlError):
    """A failure whose module result carries what was done and seen before it (``details``) beside the message."""

    def __init__(self, message, details):
        self.details = details
        super(DetailedError, self).__init__(message)

    def as_result(self):
        result = dict(self.details)
        result['msg'] = str(self)
        return result
