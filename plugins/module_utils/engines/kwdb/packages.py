# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KWDB release packages staged on a node, for `deploy.sh upgrade -l` to run from (flow-surfaces-kwdb.md section 2).

deploy.sh keeps no previous release, so the upgrade stages both the target package and the package of the version
the node runs now (to reinstall it on failure). A release tarball ``KWDB-<basic>-debian12-x86_64.tar.gz`` unpacks to
``kwdb_install/`` holding deploy.sh, deploy.cfg, utils/ and packages/ (the .debs and ``packages/.version``: line 1
the basic version, ``3.1.0``, line 2 the extended tag or empty). Layout under ``releases_dir``::

    kwdb/<version>/kwdb_install/          the unpacked package (the package dir deploy_script runs deploy.sh in)
    kwdb/<version>/.staged.json           {"version", "sha256", "archive", "basic_version", "extended", "staged_at"}
    kwdb/<version>.partial-<random>/      a package being unpacked; renamed into place when verified

Staging checks the archive's sha256, refuses unsafe members, requires deploy.sh and a packages/.version naming the
version and checks the free space, all before anything is unpacked; the archive helpers are release_store's.
``statvfs`` and ``clock`` are injectable for tests. Every failure is a DistsqlError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import time

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb import deploy, versions
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.release_store import (
    DEFAULT_RELEASES_DIR, PARTIAL_INFIX, Release, available_bytes, check_member_safety, make_partial_dir, normalize_sha256,
    open_tar_archive, read_json_object, release_dir_name, required_space, staged_versions_diff, stream_sha256,
    tar_members, unpack_members, unpacked_size, utc_timestamp, write_json_atomically)

STORE_DIR = 'kwdb'
TOP_DIR = 'kwdb_install'
MARKER = '.staged.json'
VERSION_FILE = '.version'
DEFAULT_INFO_DIR = '/etc/kaiwudb/info'
SCRIPT_MEMBER = TOP_DIR + '/' + deploy.SCRIPT
VERSION_MEMBER = TOP_DIR + '/' + deploy.PACKAGES + '/' + VERSION_FILE


def parse(version):
    """A KWDB version (the engine's grammar), parsed."""
    return versions.SCHEME.parse(version)


def basic_version(parsed):
    """The form line 1 of packages/.version has: the tag without its leading V (V3.1.0 -> 3.1.0)."""
    tag = parsed.tag
    return tag[1:] if tag[:1] in ('v', 'V') else tag


def version_lines(text):
    """Lines 1 and 2 of a .version text, stripped: (basic version, extended tag or '')."""
    lines = text.splitlines() + ['', '']
    return lines[0].strip(), lines[1].strip()


def installed_tag(basic, path):
    """The tag ``V<basic>`` of line 1 of an installed .version; None when the line is empty."""
    if not basic:
        return None
    tag = 'V' + (basic[1:] if basic[:1] in ('v', 'V') else basic)
    try:
        parse(tag)
    except DistsqlError:
        raise DistsqlError('cannot read the installed KWDB version: line 1 of %s is %r, not a KWDB version'
                           % (path, basic))
    return tag


def check_package_members(entries, archive):
    """The (TarInfo) of packages/.version among the checked ``entries``, when deploy.sh is there as well."""
    found = dict((relative, member) for member, relative in entries)
    for relative in (SCRIPT_MEMBER, VERSION_MEMBER):
        member = found.get(relative)
        if member is None or member.isdir():
            raise DistsqlError('%s holds no %s: it is not a KWDB release package (expected %s/ with %s and %s/%s)'
                               % (archive, relative, TOP_DIR, deploy.SCRIPT, deploy.PACKAGES, VERSION_FILE))
    member = found[VERSION_MEMBER]
    if not member.isfile():
        raise DistsqlError('member %s of %s is a link, not a regular file: expected the package\'s version file'
                           % (member.name, archive))
    return member


def check_version_text(text, parsed, where):
    """Lines 1 and 2 of a package's .version text; line 1 must be the basic form of ``parsed``."""
    basic, extended = version_lines(text)
    expected = basic_version(parsed)
    if basic != expected:
        raise DistsqlError('%s says %s, not %s (the basic form of %s): it is not the package of %s'
                           % (where, basic or 'nothing on line 1', expected, parsed.raw, parsed.raw))
    return basic, extended


class StagedPackage(Release):
    """One staged package: its directory (``<releases_dir>/kwdb/<version>``) and its marker."""

    @property
    def sha256(self):
        return self.marker.get('sha256')

    @property
    def package_dir(self):
        return os.path.join(self.path, TOP_DIR)


class PackageStore:
    """The KWDB packages staged under ``releases_dir`` and the version installed according to ``info_dir``."""

    def __init__(self, releases_dir=DEFAULT_RELEASES_DIR, info_dir=DEFAULT_INFO_DIR, check_mode=False,
                 statvfs=os.statvfs, clock=time.time):
        for what, path in (('releases_dir', releases_dir), ('info_dir', info_dir)):
            if not os.path.isabs(path):
                raise DistsqlError('%s must be an absolute path, got %s' % (what, path))
        self.releases_dir = releases_dir
        self.info_dir = info_dir
        self.check_mode = check_mode
        self.statvfs = statvfs
        self.clock = clock
        self.store_dir = os.path.join(releases_dir, STORE_DIR)

    # -- reading ---------------------------------------------------------------------------------------

    def staged(self):
        """Every staged package, sorted by the KWDB version order."""
        if not os.path.isdir(self.store_dir):
            return []
        found = []
        for name in sorted(os.listdir(self.store_dir)):
            path = os.path.join(self.store_dir, name)
            marker_path = os.path.join(path, MARKER)
            if PARTIAL_INFIX in name or os.path.islink(path) or not os.path.isfile(marker_path):
                continue
            marker = read_json_object(marker_path, 'staged package marker')
            if not isinstance(marker.get('version'), str):
                raise DistsqlError('cannot read staged package marker %s: %r is missing' % (marker_path, 'version'))
            try:
                parsed = parse(marker['version'])
            except DistsqlError as exc:
                raise DistsqlError('cannot read staged package marker %s: %s' % (marker_path, exc))
            found.append(StagedPackage(path, marker, parsed))
        return sorted(found, key=lambda package: package.parsed.sort_key())

    @staticmethod
    def find(parsed, staged):
        for package in staged:
            if package.parsed == parsed:
                return package
        return None

    def installed(self):
        """(tag, extended) of ``<info_dir>/.version``; (None, '') when the file is missing."""
        path = os.path.join(self.info_dir, VERSION_FILE)
        lines = deploy.read_version_file(path)
        if lines is None:
            return None, ''
        return installed_tag(lines['version'], path), lines['extended']

    def free_bytes(self):
        return available_bytes(self.releases_dir, self.statvfs)

    # -- the two states --------------------------------------------------------------------------------

    def query(self, version=None):
        """Read only: the staged packages, the installed version and, with ``version``, its package dir."""
        try:
            staged = self.staged()
            package = self.find(parse(version), staged) if version is not None else None
            return self._result(False, staged, package)
        except OSError as exc:
            raise DistsqlError('cannot read the KWDB packages in %s: %s' % (self.store_dir, exc))

    def stage(self, version, archive=None, sha256=None):
        """Unpack ``archive`` into kwdb/<version>/ after checking its sha256, its members, its packages/.version
        and the free space. Already staged with that sha256 (or without ``sha256``): no change."""
        try:
            return self._stage(version, archive, sha256)
        except OSError as exc:
            raise DistsqlError('cannot stage KWDB package %s in %s: %s' % (version, self.store_dir, exc))

    def _stage(self, version, archive, sha256):
        parsed = parse(version)
        tag = release_dir_name(parsed)
        expected = normalize_sha256(sha256) if sha256 is not None else None
        if archive is not None and expected is None:
            raise DistsqlError('sha256 is required with archive %s: it is what the archive is verified against'
                               % archive)
        staged = self.staged()
        existing = self.find(parsed, staged)
        if existing is not None and (expected is None or existing.sha256 == expected):
            self._require_complete(existing.package_dir, 'staged KWDB package %s (remove %s and stage it again)'
                                   % (existing.version, existing.path))
            return self._result(False, staged, existing, diff=self._diff(staged, staged))
        if existing is not None:
            self._check_replaceable(existing, tag, archive, expected)
        if archive is None:
            raise DistsqlError('KWDB package %s is not staged in %s and no archive was given: set archive and sha256 '
                               'to stage it' % (version, self.store_dir))
        if not os.path.isfile(archive):
            raise DistsqlError('cannot stage KWDB package %s: archive %s does not exist or is not a file'
                               % (version, archive))
        with open(archive, 'rb') as handle:
            actual = stream_sha256(handle)
            if actual != expected:
                raise DistsqlError('sha256 of %s is %s, expected %s: refusing to stage it' % (archive, actual, expected))
            handle.seek(0)
            with open_tar_archive(handle, archive) as tar:
                return self._stage_verified(tar, archive, parsed, tag, actual, staged, existing)

    def _check_replaceable(self, existing, tag, archive, expected):
        """A staged copy of another build of ``tag`` is replaced by a verified archive (a re-run after a bad package),
        except the copy of the installed release: it is what a failed node is reinstalled from."""
        what = ('KWDB package %s is already staged in %s from %s with sha256 %s, not %s'
                % (existing.version, existing.path, existing.marker.get('archive'), existing.sha256, expected))
        if archive is None:
            raise DistsqlError('%s, and no archive was given to replace it' % what)
        if self.installed()[0] == tag:
            raise DistsqlError('%s: refusing to replace the staged copy of the installed release, the package a failed '
                               'node is reinstalled from' % what)

    def _stage_verified(self, tar, archive, parsed, tag, sha256, staged, replacing=None):
        entries = check_member_safety(tar_members(tar, archive), archive)
        version_member = check_package_members(entries, archive)
        with tar.extractfile(version_member) as source:
            text = source.read().decode('utf-8', 'replace')
        basic, extended = check_version_text(text, parsed, '%s in %s' % (VERSION_MEMBER, archive))
        need = required_space(unpacked_size(entries))
        available = self.free_bytes()
        if available < need:
            raise DistsqlError('not enough free space in %s to stage KWDB package %s: need %d bytes, %d available'
                               % (self.releases_dir, tag, need, available))
        destination = os.path.join(self.store_dir, tag)
        if replacing is None and os.path.lexists(destination):
            raise DistsqlError('%s exists but is not a package staged by this module (no %s): remove it or use another '
                               'releases_dir' % (destination, MARKER))
        marker = {'version': tag, 'sha256': sha256, 'archive': archive, 'basic_version': basic, 'extended': extended,
                  'staged_at': utc_timestamp(self.clock())}
        package = StagedPackage(destination, marker, parsed)
        kept = [item for item in staged if item is not replacing]
        after = sorted(kept + [package], key=lambda item: item.parsed.sort_key())
        diff = self._diff(staged, after)
        if self.check_mode:
            return self._result(True, after, package, diff=diff)
        partial = make_partial_dir(self.store_dir, tag)
        try:
            unpack_members(tar, archive, entries, partial)
            self._require_complete(os.path.join(partial, TOP_DIR), 'KWDB package %s unpacked from %s' % (tag, archive))
            write_json_atomically(os.path.join(partial, MARKER), marker)
            if replacing is not None:
                self._set_aside(destination, tag)
            os.rename(partial, destination)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return self._result(True, self.staged(), package, diff=diff)

    def _set_aside(self, destination, tag):
        """Move the replaced copy out of the way (a partial name, so it is never read as staged) and remove it."""
        old = make_partial_dir(self.store_dir, tag)
        os.rmdir(old)
        os.rename(destination, old)
        shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def _require_complete(package_dir, what):
        for relative in (deploy.SCRIPT, os.path.join(deploy.PACKAGES, VERSION_FILE)):
            path = os.path.join(package_dir, relative)
            if not os.path.isfile(path):
                raise DistsqlError('%s is incomplete: %s is missing or not a file' % (what, path))

    # -- results ---------------------------------------------------------------------------------------

    @staticmethod
    def _diff(before, after):
        return staged_versions_diff([item.version for item in before], [item.version for item in after])

    def _result(self, changed, staged, package, diff=None):
        installed, extended = self.installed()
        result = {
            'changed': changed,
            'staged_versions': [item.version for item in staged],
            'packages': dict((item.version, item.package_dir) for item in staged),
            'staged_sha256': dict((item.version, item.sha256) for item in staged),
            'package_dir': package.package_dir if package is not None else None,
            'installed_version': installed,
            'installed_extended': extended,
            'free_bytes': self.free_bytes(),
        }
        if diff is not None:
            result['diff'] = diff
        return result
