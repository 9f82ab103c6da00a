# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Versioned releases of an engine's binary on one node: verified staging, atomic switch, restore.

Layout under ``releases_dir``::

    <engine>/state.json                          {"active": ..., "previous": ..., "restored": ...}
    <engine>/<version>/                          the unpacked release (or an adopted binary)
    <engine>/<version>/.distsql-release.json     {"version", "sha256", "archive", "binary", "staged_at", "adopted"}
    <engine>/<version>.partial-<random>/         a release being unpacked; renamed into place when verified

The link the service runs (``/usr/local/bin/cockroach``) becomes a symlink to the binary of the active
release; it is replaced atomically (a symlink created beside it, then ``os.replace``). A link that is a
regular file or points outside the store is adopted first (copied into the store) so that a restore
never needs a download. ``run`` is any callable taking an argv list and returning (rc, stdout, stderr);
``statvfs`` and ``clock`` are injectable for tests. Every failure is a DistsqlError.

The archive and directory helpers (normalize_sha256, stream_sha256, open_tar_archive, tar_members,
check_member_safety, unpacked_size, required_space, available_bytes, existing_ancestor, make_partial_dir,
unpack_members, read_json_object, write_json_atomically, staged_versions_diff) are public: other stores of
unpacked packages (engines/kwdb/packages.py) stage the same way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
import time
from datetime import datetime, timezone

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

DEFAULT_RELEASES_DIR = '/opt/distsql-upgrade/releases'
MARKER = '.distsql-release.json'
STATE_FILE = 'state.json'
PARTIAL_INFIX = '.partial-'
LINK_TMP_SUFFIX = '.distsql-tmp'
MIB = 1024 * 1024
CHUNK = MIB

_SHA256_RE = re.compile(r'^[0-9a-f]{64}$')
_SAFE_NAME_RE = re.compile(r'^[0-9A-Za-z][0-9A-Za-z._+-]*$')
_MEMBER_KINDS = {
    tarfile.CHRTYPE: 'character device',
    tarfile.BLKTYPE: 'block device',
    tarfile.FIFOTYPE: 'FIFO',
}


def stream_sha256(handle):
    """Hex sha256 of an open binary file, read in chunks from where it stands."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(CHUNK), b''):
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path):
    """Hex sha256 of a file."""
    with open(path, 'rb') as handle:
        return stream_sha256(handle)


def normalize_sha256(text):
    """Lower-case hex digest; an optional ``sha256:`` prefix (the get_url checksum form) is accepted."""
    value = str(text).strip().lower()
    if value.startswith('sha256:'):
        value = value[len('sha256:'):]
    if not _SHA256_RE.match(value):
        raise DistsqlError('sha256 must be 64 hexadecimal digits (optionally prefixed by sha256:), got %r' % text)
    return value


def required_space(uncompressed_bytes):
    """Bytes a staging needs: the uncompressed size * 1.1 (rounded up) + 1 MiB."""
    return (uncompressed_bytes * 11 + 9) // 10 + MIB


def check_members(members, archive, binary_name):
    """Validate every member of an archive before anything is unpacked.

    Returns ``(entries, binary)``: ``entries`` is a list of (TarInfo, normalized relative path) in archive
    order (the root entry ``./`` left out); ``binary`` the normalized path of the one non-directory member
    whose basename is ``binary_name``. Absolute paths, ``..`` components, links that leave the release
    directory and device/FIFO members are refused.
    """
    entries = check_member_safety(members, archive)
    candidates = [(member, relative) for member, relative in entries
                  if not member.isdir() and posixpath.basename(relative) == binary_name]
    if not candidates:
        raise DistsqlError('%s holds no file named %s: set binary_name to the name of the binary inside the archive'
                           % (archive, binary_name))
    if len(candidates) > 1:
        raise DistsqlError('%s holds %d files named %s (%s): expected exactly one'
                           % (archive, len(candidates), binary_name, ', '.join(relative for _m, relative in candidates)))
    member, relative = candidates[0]
    if not member.isfile():
        raise DistsqlError('member %s of %s is a link, not a regular file: expected the %s binary itself'
                           % (member.name, archive, binary_name))
    return entries, relative


def check_member_safety(members, archive):
    """Validate every member of an archive before anything is unpacked; the list of (TarInfo, normalized path).

    The root entry ``./`` is left out. Absolute paths, ``..`` components, links that leave the unpacked
    directory and device/FIFO members are refused.
    """
    entries = []
    for member in members:
        relative = _member_path(member.name, archive)
        if relative is None:
            continue
        if member.type in _MEMBER_KINDS or not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise DistsqlError('refusing to unpack %s: member %s is a %s; only files, directories and links are '
                               'allowed' % (archive, member.name, _MEMBER_KINDS.get(member.type, 'special file')))
        if member.issym() or member.islnk():
            _check_link(member, relative, archive)
        entries.append((member, relative))
    return entries


def unpacked_size(entries):
    """Bytes the checked ``entries`` take unpacked: their files, and a hard link as a copy of its target."""
    sizes = dict((relative, member.size) for member, relative in entries if member.isfile())
    return sum(sizes.values()) + sum(sizes.get(posixpath.normpath(member.linkname), 0)
                                     for member, _relative in entries if member.islnk())


def open_tar_archive(handle, archive):
    """The tarfile of an open archive (any compression); a DistsqlError naming ``archive`` when it is none."""
    try:
        return tarfile.open(fileobj=handle, mode='r:*')
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DistsqlError('cannot read %s as a tar archive: %s' % (archive, exc))


def tar_members(tar, archive):
    """Every member of an open tarfile; a DistsqlError naming ``archive`` when it cannot be read."""
    try:
        return tar.getmembers()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DistsqlError('cannot read %s as a tar archive: %s' % (archive, exc))


def _member_path(name, archive):
    if name.startswith('/'):
        raise DistsqlError('refusing to unpack %s: member %s has an absolute path' % (archive, name))
    if '..' in name.split('/'):
        raise DistsqlError("refusing to unpack %s: member %s has a '..' component" % (archive, name))
    relative = posixpath.normpath(name)
    return None if relative == '.' else relative


def _check_link(member, relative, archive):
    target = member.linkname
    if member.issym():
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(relative), target))
    else:
        resolved = posixpath.normpath(target)
    if target.startswith('/') or resolved == '..' or resolved.startswith('../'):
        raise DistsqlError('refusing to unpack %s: member %s is a link to %s, outside the release directory'
                           % (archive, member.name, target))


def release_dir_name(parsed):
    """The directory name of a release: the tag of the parsed version, when it is a plain file name."""
    if not _SAFE_NAME_RE.match(parsed.tag):
        raise DistsqlError('version %s cannot name a release directory: use the plain tag' % parsed.raw)
    return parsed.tag


def _inside(root, path):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def existing_ancestor(path):
    """``path`` or its nearest parent that exists (the filesystem a directory to be created will be on)."""
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def available_bytes(path, statvfs=os.statvfs):
    """Bytes available to unprivileged writers on the filesystem ``path`` is (or, once created, will be) on."""
    stats = statvfs(existing_ancestor(path))
    return stats.f_bavail * stats.f_frsize


def make_partial_dir(parent, name):
    """A new directory ``<parent>/<name>.partial-<random>`` (mode 0755; ``parent`` created) to unpack into."""
    os.makedirs(parent, mode=0o755, exist_ok=True)
    partial = tempfile.mkdtemp(prefix=name + PARTIAL_INFIX, dir=parent)
    os.chmod(partial, 0o755)
    return partial


def utc_timestamp(seconds):
    """An epoch time as ``YYYY-mm-ddTHH:MM:SSZ``."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def read_json_object(path, what):
    """The JSON object in ``path``; a DistsqlError naming ``what`` when it cannot be read or is not an object."""
    try:
        with open(path, encoding='utf-8') as source:
            data = json.load(source)
    except (OSError, ValueError) as exc:
        raise DistsqlError('cannot read %s %s: %s' % (what, path, exc))
    if not isinstance(data, dict):
        raise DistsqlError('cannot read %s %s: expected a JSON object, got %s' % (what, path, type(data).__name__))
    return data


def write_json_atomically(path, data):
    """Write JSON atomically: a temporary file beside ``path``, then os.replace."""
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as out:
            json.dump(data, out, indent=2, sort_keys=True)
            out.write('\n')
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def unpack_members(tar, archive, entries, root):
    """Extract the checked ``entries`` (check_member_safety) of ``tar`` into ``root``; no path may resolve outside it
    (links included)."""
    real_root = os.path.realpath(root)
    for member, relative in entries:
        path = os.path.join(root, *relative.split('/'))
        if not _inside(real_root, os.path.realpath(os.path.dirname(path))):
            raise DistsqlError('refusing to unpack %s: member %s would be written outside the release '
                               'directory (through a link)' % (archive, member.name))
        if member.isdir():
            if not os.path.isdir(path) or os.path.islink(path):
                _clear_for_member(path, archive, member)
                os.makedirs(path, mode=0o755)
            continue
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        _clear_for_member(path, archive, member)
        if member.issym():
            os.symlink(member.linkname, path)
            if not _inside(real_root, os.path.realpath(path)):
                raise DistsqlError('refusing to unpack %s: member %s is a link to %s, outside the release '
                                   'directory' % (archive, member.name, member.linkname))
        elif member.islnk():
            source = os.path.join(root, *posixpath.normpath(member.linkname).split('/'))
            if os.path.islink(source) or not os.path.isfile(source):
                raise DistsqlError('refusing to unpack %s: member %s is a hard link to %s, which is not a file '
                                   'unpacked before it' % (archive, member.name, member.linkname))
            shutil.copyfile(source, path)
            os.chmod(path, member.mode & 0o777)
        else:
            with tar.extractfile(member) as source, open(path, 'wb') as out:
                shutil.copyfileobj(source, out, CHUNK)
            os.chmod(path, member.mode & 0o777)
            os.utime(path, (member.mtime, member.mtime))


def _clear_for_member(path, archive, member):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.lexists(path):
        raise DistsqlError('refusing to unpack %s: member %s would replace a directory of an earlier member'
                           % (archive, member.name))


def staged_versions_diff(before, after):
    """The diff of a staging: the staged versions before and after, ``staged: <versions>`` (or ``none``)."""
    def render(versions):
        return 'staged: %s\n' % (', '.join(versions) or 'none')
    return {'before': render(before), 'after': render(after)}


class Release:
    """One staged release: its directory and its marker."""

    def __init__(self, path, marker, parsed):
        self.path = path
        self.marker = marker
        self.parsed = parsed

    @property
    def version(self):
        return self.marker['version']

    @property
    def binary(self):
        return os.path.join(self.path, self.marker['binary'])

    @property
    def sha256(self):
        return self.marker.get('sha256')


class LinkState:
    """What the service link is now: missing, managed (a symlink to a staged release), unmanaged, or dangling."""

    def __init__(self, kind, target=None, resolved=None, release=None):
        self.kind = kind
        self.target = target
        self.resolved = resolved
        self.release = release


class ReleaseStore:
    """The releases of one engine under ``releases_dir`` and the link its service runs.

    ``engine`` is a registry engine object (engines.get_engine): its name, default_binary, parse_version(text)
    and read_version(run, binary) are used (not versioning, which imports the registry: engine places import
    this module).
    """

    def __init__(self, engine, releases_dir, link=None, binary_name=None, run=None, check_mode=False,
                 statvfs=os.statvfs, clock=time.time):
        self.engine = engine
        self.engine_name = engine.name
        self.releases_dir = releases_dir
        self.link = link or engine.default_binary
        self.binary_name = binary_name or os.path.basename(self.link)
        self.run = run
        self.check_mode = check_mode
        self.statvfs = statvfs
        self.clock = clock
        for what, path in (('releases_dir', self.releases_dir), ('link', self.link)):
            if not os.path.isabs(path):
                raise DistsqlError('%s must be an absolute path, got %s' % (what, path))
        if not _SAFE_NAME_RE.match(self.binary_name):
            raise DistsqlError('binary_name must be a plain file name, got %r' % self.binary_name)
        self.engine_dir = os.path.join(releases_dir, self.engine_name)
        self.state_path = os.path.join(self.engine_dir, STATE_FILE)

    # -- reading ---------------------------------------------------------------------------------------

    def parse(self, version):
        return self.engine.parse_version(version)

    def releases(self):
        """Every staged release, sorted by the engine's version order."""
        if not os.path.isdir(self.engine_dir):
            return []
        found = []
        for name in sorted(os.listdir(self.engine_dir)):
            path = os.path.join(self.engine_dir, name)
            marker_path = os.path.join(path, MARKER)
            if PARTIAL_INFIX in name or os.path.islink(path) or not os.path.isfile(marker_path):
                continue
            marker = read_json_object(marker_path, 'release marker')
            for key in ('version', 'binary'):
                if not isinstance(marker.get(key), str):
                    raise DistsqlError('cannot read release marker %s: %r is missing' % (marker_path, key))
            try:
                parsed = self.parse(marker['version'])
            except DistsqlError as exc:
                raise DistsqlError('cannot read release marker %s: %s' % (marker_path, exc))
            found.append(Release(path, marker, parsed))
        return sorted(found, key=lambda release: release.parsed.sort_key())

    def find(self, parsed, releases=None):
        for release in self.releases() if releases is None else releases:
            if release.parsed == parsed:
                return release
        return None

    def read_state(self):
        state = {'active': None, 'previous': None, 'restored': False}
        if os.path.exists(self.state_path):
            recorded = read_json_object(self.state_path, 'release state')
            state.update((key, recorded.get(key)) for key in state)
            state['restored'] = bool(state['restored'])
        return state

    def inspect_link(self, releases):
        link = self.link
        if not os.path.lexists(link):
            return LinkState('missing')
        if os.path.islink(link):
            target = os.readlink(link)
            resolved = os.path.realpath(link)
            if not os.path.exists(resolved):
                return LinkState('dangling', target, resolved)
            for release in releases:
                if os.path.realpath(release.binary) == resolved:
                    return LinkState('managed', target, resolved, release)
            if not os.path.isfile(resolved):
                raise DistsqlError('link %s points to %s, which is not a file: expected the %s binary'
                                   % (link, target, self.binary_name))
            return LinkState('unmanaged', target, resolved)
        if os.path.isfile(link):
            return LinkState('unmanaged', None, link)
        raise DistsqlError('link %s is neither a file nor a symlink: expected the %s binary or a symlink to it'
                           % (link, self.binary_name))

    # -- the four states -------------------------------------------------------------------------------

    def query(self, version=None):
        """Read only: the active, previous and staged releases and where the link points."""
        return self._guarded('read the releases of %s in %s' % (self.engine_name, self.engine_dir),
                             self._query, version)

    def stage(self, version, archive=None, sha256=None):
        """Unpack ``archive`` into <engine>/<version>/ after checking its sha256, members and free space,
        and verify that its binary reports ``version``. Already staged with that sha256: no change."""
        return self._guarded('stage release %s of %s in %s' % (version, self.engine_name, self.engine_dir),
                             self._stage, version, archive, sha256)

    def stage_binary(self, version, binary, sha256=None):
        """Copy a binary the operator built (no archive) into <engine>/<version>/ and verify that it reports
        ``version`` (and, when given, its sha256). Already staged with the binary's sha256: no change. A staged
        release of that version with another sha256 (an earlier build) is replaced unless it is the active one."""
        return self._guarded('stage binary %s as release %s of %s in %s' % (binary, version, self.engine_name,
                                                                            self.engine_dir),
                             self._stage_binary, version, binary, sha256)

    def activate(self, version, keep=3):
        """Point the link at staged ``version`` (adopting an unmanaged binary first) and record the switch."""
        return self._guarded('switch %s to release %s of %s' % (self.link, version, self.engine_name),
                             self._switch_to, version, keep, False)

    def restore(self, version=None, keep=3):
        """Switch back to ``version`` or, by default, to the recorded previous release.

        Right after a restore the recorded previous release is the one that was left; a second restore
        without ``version`` therefore changes nothing instead of switching forward again.
        """
        what = 'restore %s to %s of %s' % (self.link, version or 'the previous release', self.engine_name)
        return self._guarded(what, self._restore, version, keep)

    @staticmethod
    def _guarded(what, function, *args):
        """Run ``function``; an OSError (permissions, a full disk) becomes a DistsqlError saying what was being done."""
        try:
            return function(*args)
        except OSError as exc:
            raise DistsqlError('cannot %s: %s' % (what, exc))

    def _query(self, version):
        releases = self.releases()
        link_state = self.inspect_link(releases)
        release = link_state.release
        if version is not None:
            release = self.find(self.parse(version), releases)
        return self._result(False, releases, self.read_state(), link_state, release)

    def _stage(self, version, archive, sha256):
        parsed = self.parse(version)
        tag = self._dir_name(parsed)
        expected = normalize_sha256(sha256) if sha256 is not None else None
        if archive is not None and expected is None:
            raise DistsqlError('sha256 is required with archive %s: it is what the archive is verified against'
                               % archive)
        releases = self.releases()
        existing = self.find(parsed, releases)
        if existing is not None:
            if expected is None or existing.sha256 == expected:
                return self._result(False, releases, None, None, existing, diff=self._staged_diff(releases, releases))
            source = existing.marker.get('archive') or 'an adopted binary'
            raise DistsqlError('release %s of %s is already staged in %s from %s with sha256 %s, not %s: refusing to '
                               'replace a staged release' % (existing.version, self.engine_name, existing.path, source,
                                                             existing.sha256, expected))
        if archive is None:
            raise DistsqlError('release %s of %s is not staged in %s and no archive was given: set archive and sha256 '
                               'to stage it' % (version, self.engine_name, self.engine_dir))
        if not os.path.isfile(archive):
            raise DistsqlError('cannot stage %s: archive %s does not exist or is not a file' % (version, archive))
        with open(archive, 'rb') as handle:
            actual = stream_sha256(handle)
            if actual != expected:
                raise DistsqlError('sha256 of %s is %s, expected %s: refusing to stage it' % (archive, actual, expected))
            handle.seek(0)
            tar = open_tar_archive(handle, archive)
            with tar:
                return self._stage_verified(tar, archive, version, parsed, tag, actual, releases)

    def _stage_binary(self, version, binary, sha256):
        parsed = self.parse(version)
        tag = self._dir_name(parsed)
        if not os.path.isfile(binary):
            raise DistsqlError('cannot stage %s: binary %s does not exist or is not a file' % (version, binary))
        actual = file_sha256(binary)
        if sha256 is not None and actual != normalize_sha256(sha256):
            raise DistsqlError('sha256 of %s is %s, expected %s: refusing to stage it'
                               % (binary, actual, normalize_sha256(sha256)))
        releases = self.releases()
        existing = self.find(parsed, releases)
        if existing is not None and existing.sha256 == actual:
            return self._result(False, releases, None, None, existing, diff=self._staged_diff(releases, releases))
        if existing is not None:
            self._refuse_replacing_active(existing, actual, binary)
        self._check_space(required_space(os.path.getsize(binary)), 'stage %s' % tag)
        destination = os.path.join(self.engine_dir, tag)
        if existing is None:
            self._refuse_foreign(destination)
        marker = {'version': tag, 'sha256': actual, 'archive': None, 'built_binary': binary,
                  'binary': self.binary_name, 'staged_at': utc_timestamp(self.clock()), 'adopted': False}

        def fill(partial):
            shutil.copyfile(binary, os.path.join(partial, self.binary_name))
            return os.path.join(partial, self.binary_name)
        result = self._put_in_place(parsed, marker, releases, fill, (self.binary_name, binary, version),
                                    replacing=existing)
        if existing is not None:
            result['replaced_sha256'] = existing.sha256
        return result

    def _refuse_replacing_active(self, existing, sha256, binary):
        """A rebuilt binary may replace a staged release of its version, not the one the link runs."""
        if self.inspect_link([existing]).release is existing:
            raise DistsqlError('release %s of %s in %s is the active one (sha256 %s): refusing to replace it with %s '
                               '(sha256 %s)' % (existing.version, self.engine_name, existing.path, existing.sha256,
                                                binary, sha256))

    def _stage_verified(self, tar, archive, version, parsed, tag, sha256, releases):
        entries, binary = self._read_members(tar, archive)
        self._check_space(required_space(unpacked_size(entries)), 'stage %s' % tag)
        destination = os.path.join(self.engine_dir, tag)
        self._refuse_foreign(destination)
        marker = {'version': tag, 'sha256': sha256, 'archive': archive, 'binary': binary,
                  'staged_at': utc_timestamp(self.clock()), 'adopted': False}

        def fill(partial):
            unpack_members(tar, archive, entries, partial)
            return os.path.join(partial, *binary.split('/'))
        return self._put_in_place(parsed, marker, releases, fill, (binary, archive, version))

    def _put_in_place(self, parsed, marker, releases, fill, checked, replacing=None):
        """Stage a release: ``fill(partial)`` writes it into a temporary sibling directory and returns its binary,
        which must report the version (``checked``: what the binary is called, where it came from, the version);
        then the marker is written and the directory renamed into place, over ``replacing`` (a staged release
        that does not run) when given. Check mode only reports."""
        destination = os.path.join(self.engine_dir, marker['version'])
        staged = Release(destination, marker, parsed)
        others = [release for release in releases if release is not replacing]
        after = sorted(others + [staged], key=lambda release: release.parsed.sort_key())
        diff = self._staged_diff(others, after)
        if self.check_mode:
            return self._result(True, after, None, None, staged, diff=diff)
        partial = self._make_partial(marker['version'])
        try:
            relative, source, version = checked
            self._verify(fill(partial), relative, source, version, parsed)
            write_json_atomically(os.path.join(partial, MARKER), marker)
            if replacing is not None:
                shutil.rmtree(destination)  # the verified copy is ready beside it
            os.rename(partial, destination)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return self._result(True, self.releases(), None, None, staged, diff=diff)

    def _switch_to(self, version, keep, restoring):
        return self._switch(self.parse(version), keep, restoring)

    def _restore(self, version, keep):
        if version is not None:
            return self._switch(self.parse(version), keep, restoring=True)
        state = self.read_state()
        if state['restored'] and state['active']:
            target = state['active']
        elif state['previous']:
            target = state['previous']
        else:
            raise DistsqlError('no previous release of %s is recorded in %s' % (self.engine_name, self.engine_dir))
        return self._switch(self.parse(target), keep, restoring=True)

    # -- switching -------------------------------------------------------------------------------------

    def _switch(self, parsed, keep, restoring):
        if keep < 0:
            raise DistsqlError('keep must be 0 or more, got %d' % keep)
        releases = self.releases()
        target = self.find(parsed, releases)
        if target is None:
            raise DistsqlError('release %s of %s is not staged in %s: stage it first'
                               % (parsed.raw, self.engine_name, self.engine_dir))
        if not os.path.isfile(target.binary):
            raise DistsqlError('release %s of %s in %s is incomplete: its binary %s is missing'
                               % (target.version, self.engine_name, target.path, target.binary))
        state = self.read_state()
        link_state = self.inspect_link(releases)
        adopted = None
        if link_state.kind == 'managed':
            left = link_state.release.version
        elif link_state.kind == 'unmanaged':
            left, adopted = self._adopt(link_state, releases, target)
        else:
            left = state['active']
        points_already = link_state.kind == 'managed' and link_state.release is target
        previous = state['previous']
        if not points_already and left is not None and self.parse(left) != target.parsed:
            previous = left
        new_state = {'active': target.version, 'previous': previous, 'restored': restoring}
        changed = not points_already or (state['active'], state['previous']) != (target.version, previous)
        after = releases + ([adopted] if adopted is not None else [])
        after = sorted(after, key=lambda release: release.parsed.sort_key())
        pruned = self._prunable(after, keep, (target.version, previous)) if changed else []
        diff = {'before': 'active: %s\n' % (left or 'none'), 'after': 'active: %s\n' % target.version}
        if self.check_mode or not changed:
            remaining = [release for release in after if release not in pruned]
            if changed:
                link_state = LinkState('managed', target.binary, os.path.realpath(target.binary), target)
            return self._result(changed, remaining, new_state if changed else state, link_state, target,
                                adopted=adopted is not None, pruned=pruned, diff=diff)
        if adopted is not None:
            self._write_adopted(link_state.resolved, adopted)
        self._replace_link(target.binary)
        os.makedirs(self.engine_dir, exist_ok=True)
        write_json_atomically(self.state_path, new_state)
        for release in pruned:
            shutil.rmtree(release.path)
        releases = self.releases()
        return self._result(True, releases, None, None, self.find(target.parsed, releases),
                            adopted=adopted is not None, pruned=pruned, diff=diff)

    def _adopt(self, link_state, releases, target):
        """The version the unmanaged link runs, and a Release to create for it (None if it is staged already)."""
        try:
            printed, _details = self.engine.read_version(self.run, link_state.resolved)
            parsed = self.parse(printed)
        except DistsqlError as exc:
            raise DistsqlError('cannot adopt %s (not a release of this store) before switching it to %s: %s'
                               % (self.link, target.version, exc))
        existing = self.find(parsed, releases)
        if existing is not None:
            return existing.version, None
        tag = self._dir_name(parsed)
        destination = os.path.join(self.engine_dir, tag)
        self._refuse_foreign(destination)
        self._check_space(required_space(os.path.getsize(link_state.resolved)), 'adopt %s (%s)' % (self.link, tag))
        marker = {'version': tag, 'sha256': file_sha256(link_state.resolved), 'archive': None,
                  'binary': self.binary_name, 'staged_at': utc_timestamp(self.clock()), 'adopted': True,
                  'adopted_from': link_state.resolved}
        return tag, Release(destination, marker, parsed)

    def _write_adopted(self, source, release):
        partial = self._make_partial(release.version)
        try:
            binary = os.path.join(partial, self.binary_name)
            shutil.copy2(source, binary)
            os.chmod(binary, 0o755)
            if file_sha256(binary) != release.sha256:
                raise DistsqlError('cannot adopt %s: its copy in %s differs from it (was it replaced meanwhile?)'
                                   % (source, partial))
            write_json_atomically(os.path.join(partial, MARKER), release.marker)
            os.rename(partial, release.path)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise

    def _replace_link(self, binary):
        directory = os.path.dirname(self.link)
        if not os.path.isdir(directory):
            raise DistsqlError('cannot switch %s to %s: directory %s does not exist' % (self.link, binary, directory))
        temporary = self.link + LINK_TMP_SUFFIX
        if os.path.lexists(temporary):
            os.unlink(temporary)
        os.symlink(binary, temporary)
        try:
            os.replace(temporary, self.link)
        except OSError as exc:
            os.unlink(temporary)
            raise DistsqlError('cannot switch %s to %s: %s' % (self.link, binary, exc))

    @staticmethod
    def _prunable(releases, keep, protected):
        """The oldest releases (by version order) beyond ``keep``, never the active or previous one."""
        excess = len(releases) - keep
        pruned = []
        for release in releases:
            if len(pruned) >= excess:
                break
            if release.version not in protected:
                pruned.append(release)
        return pruned

    # -- staging helpers -------------------------------------------------------------------------------

    @staticmethod
    def _dir_name(parsed):
        return release_dir_name(parsed)

    def _read_members(self, tar, archive):
        return check_members(tar_members(tar, archive), archive, self.binary_name)

    def free_bytes(self):
        """Bytes available to unprivileged writers on the filesystem releases_dir is (or will be) on."""
        return available_bytes(self.releases_dir, self.statvfs)

    def _check_space(self, need, what):
        available = self.free_bytes()
        if available < need:
            raise DistsqlError('not enough free space in %s to %s: need %d bytes, %d available'
                               % (self.releases_dir, what, need, available))

    def _refuse_foreign(self, destination):
        if os.path.lexists(destination):
            raise DistsqlError('%s exists but is not a release staged by this module (no %s): remove it or use another '
                               'releases_dir' % (destination, MARKER))

    def _make_partial(self, tag):
        return make_partial_dir(self.engine_dir, tag)

    def _verify(self, path, relative, archive, version, parsed):
        os.chmod(path, 0o755)
        try:
            printed, _details = self.engine.read_version(self.run, path)
            reported = self.parse(printed)
        except DistsqlError as exc:
            raise DistsqlError('cannot read the version of %s in %s: %s' % (relative, archive, exc))
        if reported != parsed:
            raise DistsqlError('%s in %s reports %s, expected %s' % (relative, archive, printed, version))

    # -- results ---------------------------------------------------------------------------------------

    @staticmethod
    def _staged_diff(before, after):
        return staged_versions_diff([release.version for release in before], [release.version for release in after])

    def _result(self, changed, releases, state, link_state, release, adopted=False, pruned=(), diff=None):
        """The module result; ``state`` and ``link_state`` are read from disk when None (after a real change)."""
        if state is None:
            state = self.read_state()
        if link_state is None:
            link_state = self.inspect_link(releases)
        managed = link_state.kind == 'managed'
        result = {
            'changed': changed,
            'active_version': link_state.release.version if managed else None,
            'previous_version': state['previous'],
            'staged_versions': [item.version for item in releases],
            'link': self.link,
            'link_target': link_state.target,
            'link_managed': managed,
            'release_dir': release.path if release is not None else None,
            'binary': release.binary if release is not None else None,
            'adopted': adopted,
            'pruned_versions': [item.version for item in pruned],
            'free_bytes': self.free_bytes(),
        }
        if diff is not None:
            result['diff'] = diff
        return result
