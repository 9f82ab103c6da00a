# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KWDB fixtures next to these tests (fixtures/README.md says where each comes from)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')


def fixture(name):
    """A fixture file's text, byte for byte (carriage returns kept)."""
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def printed(name):
    """The stdout of a recorded command run (a JSON fixture with rc, stdout and stderr)."""
    return json.loads(fixture(name))['stdout']
