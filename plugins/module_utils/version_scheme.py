# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EngineVersion, the parsed version of one engine, and VersionScheme, the grammar every engine supplies.

Each engine's ``engines/<engine>/versions.py`` subclasses VersionScheme: which strings are versions of the
engine (``match``) and how they are ordered (``sort_key``). An EngineVersion keeps the scheme that parsed it, so
it orders itself by its engine's rules. Look schemes up by engine name through ``versioning.parse_version``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from dataclasses import dataclass, field

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, VersionParseError

_INT_FIELDS = ('major', 'minor', 'patch', 'fourth')


@dataclass(frozen=True, eq=False)
class EngineVersion:
    """One parsed version of one engine; ordered by sort_key() within the same engine.

    ``raw`` is the stripped input (``str()`` returns it); ``tag`` is the version token alone, without a product
    prefix or a ``(platform, built ...)`` tail, and is what messages and plan hops use.
    """

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
    scheme: object = field(default=None, repr=False, compare=False)

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
        """Whether the engine's scheme counts this version as a pre-release (see its VersionScheme)."""
        return self.scheme.is_prerelease(self)

    def sort_key(self):
        """A tuple that totally orders versions of this engine."""
        return self.scheme.sort_key(self)

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


class VersionScheme:
    """How one engine writes and orders its versions. Subclasses set ``name`` and ``aliases``, and implement
    ``match`` and ``sort_key``."""

    name = None
    aliases = ()

    def match(self, text):
        """The fields of a stripped version string (tag, major, minor, patch and optionally fourth, prerelease,
        build, product; numbers may be digit strings), or None when the string is not a version of this engine."""
        raise NotImplementedError

    def sort_key(self, version):
        """A tuple that totally orders the versions of this engine."""
        raise NotImplementedError

    def is_prerelease(self, version):
        """By default any pre-release label makes a pre-release."""
        return version.prerelease is not None

    def parse(self, text):
        """Parse a version string into an EngineVersion; raise VersionParseError if it does not fit."""
        if not isinstance(text, str):
            raise VersionParseError(self.name, text, 'expected a string')
        raw = text.strip()
        fields = self.match(raw)
        if fields is None:
            raise VersionParseError(self.name, text)
        for name in _INT_FIELDS:
            if fields.get(name) is not None:
                fields[name] = int(fields[name])
        return EngineVersion(engine=self.name, raw=raw, scheme=self, **fields)

    def as_version(self, value):
        """Return value as an EngineVersion of this engine, parsing strings; an EngineVersion of another engine is an error."""
        if isinstance(value, EngineVersion):
            if value.engine != self.name:
                raise DistsqlError("expected a %s version, got %s version %s" % (self.name, value.engine, value.tag))
            return value
        return self.parse(value)


def git_describe_commits(build):
    """Commit count of a git-describe build suffix ('29-g865aff1595' -> 29); 0 otherwise."""
    match = re.match(r'^(\d+)-g', build or '')
    return int(match.group(1)) if match else 0
