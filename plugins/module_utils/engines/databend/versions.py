# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Databend version grammar and its ordering, shared by databend-query and databend-meta.

Accepted forms: ``v1.2.636-nightly``, ``1.2.770``, ``v1.2.925-patch-9``, ``v1.2.879-patch.2``, ``v1.2.636-rc8.6``,
``v1.2.680-p3``, ``v1.2.925-fuse-recovery``. The suffix is a channel label kept in ``prerelease``; only the numeric
triple orders versions, and a Databend version is never a pre-release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.version_scheme import VersionScheme

_VERSION_RE = re.compile(r'^v?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)(?:-(?P<label>[0-9A-Za-z][0-9A-Za-z.-]*))?$')


class DatabendVersionScheme(VersionScheme):
    """Databend tags: MAJOR.MINOR.PATCH plus a channel label that does not take part in the order."""

    name = 'databend'
    aliases = ()

    def match(self, text):
        match = _VERSION_RE.match(text)
        if not match:
            return None
        return dict(tag=text, major=match.group('major'), minor=match.group('minor'), patch=match.group('patch'),
                    prerelease=match.group('label'))

    def sort_key(self, version):
        return (version.major, version.minor, version.patch)

    def is_prerelease(self, version):
        """The label is a channel (nightly, patch-9, ...), never a pre-release."""
        return False


SCHEME = DatabendVersionScheme()
