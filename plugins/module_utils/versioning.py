# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version parsing and ordering for CockroachDB, KWDB/KaiwuDB and Databend (pure, stdlib only).

Accepted forms (what the binaries and SQL print):

* CockroachDB: ``v23.1.8``, ``23.1.8``, ``v24.3.0-alpha.2``, ``v24.1.0-rc.1``, git-describe builds
  ``v22.1.22-29-g865aff1595`` and dev builds ``v24.1.0-dev-<sha>``; optionally wrapped as
  ``CockroachDB CCL v23.1.8 (x86_64-..., built ...)`` (``SELECT version()``).
  Order: dev < alpha < beta < rc < release for one triple; a git-describe build sorts after its base
  (it is a later commit) and is not a pre-release. A plain ``-dev-<sha>`` build gets prerelease
  ``'dev'`` (it precedes the first alpha of that triple); a ``-dev-<sha>`` after an alpha/beta/rc
  keeps that prerelease and carries ``'dev-<sha>'`` as build, sorting just after the tag itself.
* KWDB: ``V3.1.0``, ``V2.0.3.2``, ``v1.0.0``, ``2.2.0``, ``V2.0.3.2_RC3-3-gfe5eeb853e-dirty``, optionally
  prefixed by ``KaiwuDB``/``KWDB`` and followed by the ``(platform, built ...)`` part of ``SELECT version()``.
  ``V2.0.4`` and ``V2.0.4.0`` are equal in ordering; ``_RC3`` sorts before the release.
* Databend: ``v1.2.636-nightly``, ``1.2.770``, ``v1.2.925-patch-9``, ``v1.2.879-patch.2``, ``v1.2.636-rc8.6``,
  ``v1.2.680-p3``, ``v1.2.925-fuse-recovery``. The suffix is a channel label kept in ``prerelease``; only the
  numeric triple orders versions, and a Databend version is never a pre-release.

``raw`` is the stripped input (``str()`` returns it); ``tag`` is the version token alone, without a product
prefix or a ``(platform, built ...)`` tail, and is what messages and plan hops use.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from dataclasses import dataclass

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, VersionParseError

ENGINES = ('cockroachdb', 'kwdb', 'databend')

_ENGINE_ALIASES = {
    'cockroachdb': 'cockroachdb',
    'cockroach': 'cockroachdb',
    'crdb': 'cockroachdb',
    'kwdb': 'kwdb',
    'kaiwudb': 'kwdb',
    'kwbase': 'kwdb',
    'databend': 'databend',
    'databend_query': 'databend',
    'databend_meta': 'databend',
}

_CRDB_PRERELEASE_RANK = {'dev': 0, 'alpha': 1, 'beta': 2, 'rc': 3}
_FINAL_RANK = 4

_CRDB_RE = re.compile(
    r'^(?:CockroachDB\s+(?:CCL|OSS)\s+)?(?P<tag>v?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)'
    r'(?:-(?P<pre>alpha|beta|rc)\.(?P<prenum>\d+))?'
    r'(?:-(?P<commits>\d+)-g(?P<sha>[0-9a-f]+)|-dev-(?P<devsha>[0-9a-f]+))?)'
    r'(?:\s+\(.*\))?$')

_KWDB_RE = re.compile(
    r'^(?:(?P<product>KaiwuDB|KWDB)\s+)?(?P<tag>[vV]?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)(?:\.(?P<fourth>\d+))?'
    r'(?:_(?P<rc>[rR][cC](?P<rcnum>\d+)))?'
    r'(?:-(?P<commits>\d+)-g(?P<sha>[0-9a-f]+))?(?P<dirty>-dirty)?)'
    r'(?:\s+\(.*\))?$')

_DATABEND_RE = re.compile(r'^v?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)(?:-(?P<label>[0-9A-Za-z][0-9A-Za-z.-]*))?$')


def normalize_engine(name):
    """Map an engine or component name ('databend_meta', 'KaiwuDB', ...) to one of ENGINES."""
    key = str(name).strip().lower().replace('-', '_')
    if key not in _ENGINE_ALIASES:
        raise DistsqlError("unknown engine %r: expected one of %s" % (name, ', '.join(ENGINES)))
    return _ENGINE_ALIASES[key]


@dataclass(frozen=True, eq=False)
class EngineVersion:
    """One parsed version of one engine; ordered by sort_key() within the same engine."""

    engine: str
    raw: str
    tag: str
    major: int
    minor: int
    patch: int
    fourth: object = None
    prerelease: object = None
    build: object = None
    product: object = None

    @property
    def series(self):
        """'MAJOR.MINOR', e.g. '24.1'."""
        return '%d.%d' % (self.major, self.minor)

    @property
    def release(self):
        """The numeric release as a tuple of ints (3 parts, or 4 for a 4-part KWDB tag)."""
        if self.fourth is None:
            return (self.major, self.minor, self.patch)
        return (self.major, self.minor, self.patch, self.fourth)

    @property
    def is_prerelease(self):
        """True for CockroachDB dev/alpha/beta/rc and KWDB _RC builds; Databend labels are channels, never pre-releases."""
        return self.engine != 'databend' and self.prerelease is not None

    def sort_key(self):
        """A tuple that totally orders versions of this engine."""
        if self.engine == 'databend':
            return (self.major, self.minor, self.patch)
        if self.engine == 'kwdb':
            return (self.major, self.minor, self.patch, self.fourth or 0) + _kwdb_tail_key(self)
        return (self.major, self.minor, self.patch) + _crdb_tail_key(self)

    def to_dict(self):
        return {
            'engine': self.engine,
            'major': self.major,
            'minor': self.minor,
            'patch': self.patch,
            'fourth': self.fourth,
            'prerelease': self.prerelease,
            'build': self.build,
            'product': self.product,
            'series': self.series,
            'raw': self.raw,
            'tag': self.tag,
        }

    def __str__(self):
        return self.raw

    def _key_against(self, other):
        if not isinstance(other, EngineVersion):
            return None
        if other.engine != self.engine:
            raise DistsqlError("cannot compare %s version %s with %s version %s" % (self.engine, self.tag, other.engine, other.tag))
        return other.sort_key()

    def __eq__(self, other):
        if not isinstance(other, EngineVersion):
            return NotImplemented
        return self.engine == other.engine and self.sort_key() == other.sort_key()

    def __hash__(self):
        return hash((self.engine, self.sort_key()))

    def __lt__(self, other):
        key = self._key_against(other)
        return NotImplemented if key is None else self.sort_key() < key

    def __le__(self, other):
        key = self._key_against(other)
        return NotImplemented if key is None else self.sort_key() <= key

    def __gt__(self, other):
        key = self._key_against(other)
        return NotImplemented if key is None else self.sort_key() > key

    def __ge__(self, other):
        key = self._key_against(other)
        return NotImplemented if key is None else self.sort_key() >= key


def _commits_in(build):
    """Commit count of a git-describe build suffix ('29-g865aff1595' -> 29); 0 otherwise."""
    match = re.match(r'^(\d+)-g', build or '')
    return int(match.group(1)) if match else 0


def _crdb_tail_key(version):
    pre = version.prerelease
    if pre is None:
        rank, number = _FINAL_RANK, 0
    elif pre == 'dev':
        rank, number = _CRDB_PRERELEASE_RANK['dev'], 0
    else:
        label, number = pre.split('.')
        rank, number = _CRDB_PRERELEASE_RANK[label], int(number)
    dev_after_tag = 1 if (version.build or '').startswith('dev-') else 0
    return (rank, number, _commits_in(version.build), dev_after_tag)


def _kwdb_tail_key(version):
    if version.prerelease is None:
        rank, number = 1, 0
    else:
        rank, number = 0, int(version.prerelease[2:])
    return (rank, number, _commits_in(version.build))


def _parse_cockroachdb(text):
    match = _CRDB_RE.match(text)
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


def _parse_kwdb(text):
    match = _KWDB_RE.match(text)
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


def _parse_databend(text):
    match = _DATABEND_RE.match(text)
    if not match:
        return None
    return dict(tag=text, major=match.group('major'), minor=match.group('minor'), patch=match.group('patch'),
                prerelease=match.group('label'))


_PARSERS = {'cockroachdb': _parse_cockroachdb, 'kwdb': _parse_kwdb, 'databend': _parse_databend}


def parse_version(engine, text):
    """Parse a version string of the given engine into an EngineVersion; raise VersionParseError if it does not fit."""
    engine = normalize_engine(engine)
    if not isinstance(text, str):
        raise VersionParseError(engine, text, 'expected a string')
    raw = text.strip()
    fields = _PARSERS[engine](raw)
    if fields is None:
        raise VersionParseError(engine, text)
    for name in ('major', 'minor', 'patch', 'fourth'):
        if fields.get(name) is not None:
            fields[name] = int(fields[name])
    return EngineVersion(engine=engine, raw=raw, **fields)


def as_version(engine, value):
    """Return value as an EngineVersion of engine, parsing strings; an EngineVersion of another engine is an error."""
    engine = normalize_engine(engine)
    if isinstance(value, EngineVersion):
        if value.engine != engine:
            raise DistsqlError("expected a %s version, got %s version %s" % (engine, value.engine, value.tag))
        return value
    return parse_version(engine, value)
