# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CockroachDB version grammar and its ordering.

Accepted forms (what the binaries and SQL print): ``v23.1.8``, ``23.1.8``, ``v24.3.0-alpha.2``, ``v24.1.0-rc.1``,
git-describe builds ``v22.1.22-29-g865aff1595`` and dev builds ``v24.1.0-dev-<sha>``; optionally wrapped as
``CockroachDB CCL v23.1.8 (x86_64-..., built ...)`` (``SELECT version()``).

Order: dev < alpha < beta < rc < release for one triple; a git-describe build sorts after its base (it is a later
commit) and is not a pre-release. A plain ``-dev-<sha>`` build gets prerelease ``'dev'`` (it precedes the first
alpha of that triple); a ``-dev-<sha>`` after an alpha/beta/rc keeps that prerelease and carries ``'dev-<sha>'`` as
build, sorting just after the tag itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.version_scheme import VersionScheme, git_describe_commits

_PRERELEASE_RANK = {'dev': 0, 'alpha': 1, 'beta': 2, 'rc': 3}
_FINAL_RANK = 4

_VERSION_RE = re.compile(
    r'^(?:CockroachDB\s+(?:CCL|OSS)\s+)?(?P<tag>v?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)'
    r'(?:-(?P<pre>alpha|beta|rc)\.(?P<prenum>\d+))?'
    r'(?:-(?P<commits>\d+)-g(?P<sha>[0-9a-f]+)|-dev-(?P<devsha>[0-9a-f]+))?)'
    r'(?:\s+\(.*\))?$')


class CockroachVersionScheme(VersionScheme):
    """CockroachDB tags; dev/alpha/beta/rc builds are pre-releases."""

    name = 'cockroachdb'
    aliases = ('cockroach', 'crdb')

    def match(self, text):
        match = _VERSION_RE.match(text)
        if not match:
            return None
        prerelease = build = None
        if match.group('pre'):
            prerelease = '%s.%s' % (match.group('pre'), match.group('prenum'))
        if match.group('commits'):
            build = '%s-g%s' % (match.group('commits'), match.group('sha'))
        elif match.group('devsha'):
            if prerelease is None:
                prerelease, build = 'dev', match.group('devsha')
            else:
                build = 'dev-%s' % match.group('devsha')
        return dict(tag=match.group('tag'), major=match.group('major'), minor=match.group('minor'), patch=match.group('patch'),
                    prerelease=prerelease, build=build)

    def sort_key(self, version):
        pre = version.prerelease
        if pre is None:
            rank, number = _FINAL_RANK, 0
        elif pre == 'dev':
            rank, number = _PRERELEASE_RANK['dev'], 0
        else:
            label, number = pre.split('.')
            rank, number = _PRERELEASE_RANK[label], int(number)
        dev_after_tag = 1 if (version.build or '').startswith('dev-') else 0
        return (version.major, version.minor, version.patch, rank, number, git_describe_commits(version.build), dev_after_tag)


SCHEME = CockroachVersionScheme()


def series_tuple(series):
    """(major, minor) of a release series or cluster version ('24.1', '24.1-upgrading-to-24.2-step-004'), to compare."""
    major, minor = str(series).split('.')[:2]
    return (int(major), int(minor.split('-')[0]))
