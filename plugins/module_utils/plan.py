# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""UpgradePlan: the verdict every engine's upgrade rules return.

``hops`` lists what the cluster steps through, ending with the exact target tag (intermediate hops are engine
specific: CockroachDB series such as 'v23.2', Databend waypoint builds). A refused plan has ``allowed`` False, no
hops and a reason naming both versions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class UpgradePlan:
    """The verdict of a plan function; engine-specific facts are kept in extra keys."""

    def __init__(self, allowed, kind, hops=None, reason='', warnings=None, **extra):
        self.allowed = allowed
        self.kind = kind
        self.hops = list(hops or [])
        self.reason = reason
        self.warnings = list(warnings or [])
        self.extra = extra

    def to_dict(self):
        result = dict(self.extra)
        result.update(allowed=self.allowed, kind=self.kind, hops=list(self.hops), reason=self.reason, warnings=list(self.warnings))
        return result

    def __repr__(self):
        return 'UpgradePlan(%r)' % (self.to_dict(),)


def refused(kind, reason, **extra):
    """A plan that does not allow the move: no hops, the reason says why."""
    return UpgradePlan(False, kind, [], reason, **extra)
