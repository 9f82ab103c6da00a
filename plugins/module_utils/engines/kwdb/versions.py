# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KWDB/KaiwuDB version grammar and its ordering.

Accepted forms: ``V3.1.0``, ``V2.0.3.2``, ``v1.0.0``, ``2.2.0``, ``V2.0.3.2_RC3-3-gfe5eeb853e-dirty``, optionally
prefixed by ``KaiwuDB``/``KWDB`` and followed by the ``(platform, built ...)`` part of ``SELECT version()``.
``V2.0.4`` and ``V2.0.4.0`` are equal in ordering; ``_RC3`` sorts before the release and is a pre-release.
The extended version (line 2 of ``.version``: alpha1, hotfix2, ...) is not part of the tag; see upgrades.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.version_scheme import VersionScheme, git_describe_commits

_VERSION_RE = re.compile(
    r'^(?:(?P<product>KaiwuDB|KWDB)\s+)?(?P<tag>[vV]?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)(?:\.(?P<fourth>\d+))?'
    r'(?:_(?P<rc>[rR][cC](?P<rcnum>\d+)))?'
    r'(?:-(?P<commits>\d+)-g(?P<sha>[0-9a-f]+))?(?P<dirty>-dirty)?)'
    r'(?:\s+\(.*\))?$')


class KwdbVersionScheme(VersionScheme):
    """KWDB tags, 3 or 4 numeric parts; _RC builds are pre-releases."""

    name = 'kwdb'
    aliases = ('kaiwudb', 'kwbase')

    def match(self, text):
        match = _VERSION_RE.match(text)
        if not match:
            return None
        build_parts = []
        if match.group('commits'):
            build_parts.append('%s-g%s' % (match.group('commits'), match.group('sha')))
        if match.group('dirty'):
            build_parts.append('dirty')
        return dict(tag=match.group('tag'), major=match.group('major'), minor=match.group('minor'), patch=match.group('patch'),
                    fourth=match.group('fourth'), prerelease=match.group('rc'),
                    build='-'.join(build_parts) or None, product=match.group('product'))

    def sort_key(self, version):
        if version.prerelease is None:
            rank, number = 1, 0
        else:
            rank, number = 0, int(version.prerelease[2:])
        return (version.major, version.minor, version.patch, version.fourth or 0, rank, number, git_describe_commits(version.build))


SCHEME = KwdbVersionScheme()
