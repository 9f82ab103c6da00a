# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release store: verified staging, adoption, atomic switch, restore, pruning, check mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import hashlib
import io
import json
import os
import stat
import tarfile

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.release_store import (
    MIB, ReleaseStore, check_members, normalize_sha256, required_space)

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')
STAGED_AT = 1767225600.0  # 2026-01-01T00:00:00Z
StatVfs = collections.namedtuple('StatVfs', 'f_bavail f_frsize')
PLENTY = StatVfs(f_bavail=10 ** 7, f_frsize=4096)


def version_text(tag):
    """The real `cockroach version` capture of v23.1.8 with its Build Tag replaced."""
    with open(os.path.join(FIXTURES, 'cockroach', 'version_v23.1.8.txt'), encoding='utf-8', newline='') as handle:
        return handle.read().replace('v23.1.8', tag)


def fake_binary(tag):
    """The content of a fake binary; FakeRun answers `version` with the capture of the tag it names."""
    return ('#!/bin/sh\n# build %s\n' % tag).encode('ascii')


class FakeRun:
    """run(argv) that answers `<binary> version` with the capture for the tag written in the binary."""

    def __init__(self):
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        with open(argv[0], 'rb') as handle:
            tag = handle.read().decode('ascii').split('# build ')[1].strip()
        return 0, version_text(tag), ''


class FakeStatVfs:
    def __init__(self, result):
        self.result = result
        self.paths = []

    def __call__(self, path):
        self.paths.append(path)
        return self.result


def sha256_of(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def add_file(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 1700000000
    tar.addfile(info, io.BytesIO(data))


def add_link(tar, name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    tar.addfile(info)


def crdb_archive(directory, tag, binary_tag=None, extra=None):
    """A .tgz shaped like the real one: cockroach-<tag>.linux-amd64/{cockroach,lib/libgeos.so}."""
    path = os.path.join(str(directory), 'cockroach-%s.linux-amd64.tgz' % tag)
    top = 'cockroach-%s.linux-amd64' % tag
    with tarfile.open(path, 'w:gz') as tar:
        info = tarfile.TarInfo(top)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        add_file(tar, top + '/cockroach', fake_binary(binary_tag or tag), mode=0o644)
        add_file(tar, top + '/lib/libgeos.so', b'\0' * 4096)
        if extra:
            extra(tar)
    return path, sha256_of(path)


@pytest.fixture
def node(tmp_path):
    """Paths of one node: a releases dir (not created yet), a bin dir, a downloads dir."""
    (tmp_path / 'bin').mkdir()
    (tmp_path / 'downloads').mkdir()
    return tmp_path


def make_store(node, check_mode=False, statvfs=None, run=None):
    return ReleaseStore(get_engine('cockroachdb'), str(node / 'releases'),
                        link=str(node / 'bin' / 'cockroach'), run=run or FakeRun(), check_mode=check_mode,
                        statvfs=statvfs or FakeStatVfs(PLENTY), clock=lambda: STAGED_AT)


def engine_dir(node):
    return node / 'releases' / 'cockroachdb'


def install_by_hand(node, tag):
    """A binary installed as a regular file at the link path, as on a fresh cluster."""
    link = node / 'bin' / 'cockroach'
    link.write_bytes(fake_binary(tag))
    link.chmod(0o755)
    return link


def stage(node, tag, **kwargs):
    archive, sha = crdb_archive(node / 'downloads', tag)
    return make_store(node, **kwargs).stage(tag, archive=archive, sha256=sha)


def test_stage_unpacks_verifies_and_writes_marker(node):
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4')
    run = FakeRun()
    result = make_store(node, run=run).stage('v24.1.4', archive=archive, sha256=sha)
    release_dir = str(engine_dir(node) / 'v24.1.4')
    binary = os.path.join(release_dir, 'cockroach-v24.1.4.linux-amd64', 'cockroach')
    assert result == {
        'changed': True, 'active_version': None, 'previous_version': None, 'staged_versions': ['v24.1.4'],
        'link': str(node / 'bin' / 'cockroach'), 'link_target': None, 'link_managed': False,
        'release_dir': release_dir, 'binary': binary, 'adopted': False, 'pruned_versions': [],
        'free_bytes': PLENTY.f_bavail * PLENTY.f_frsize, 'diff': {'before': 'staged: none\n', 'after': 'staged: v24.1.4\n'}}
    with open(os.path.join(release_dir, '.distsql-release.json'), encoding='utf-8') as handle:
        assert json.load(handle) == {'version': 'v24.1.4', 'sha256': sha, 'archive': archive,
                                     'binary': 'cockroach-v24.1.4.linux-amd64/cockroach',
                                     'staged_at': '2026-01-01T00:00:00Z', 'adopted': False}
    assert stat.S_IMODE(os.stat(binary).st_mode) == 0o755
    assert os.path.getsize(os.path.join(release_dir, 'cockroach-v24.1.4.linux-amd64', 'lib', 'libgeos.so')) == 4096
    assert sorted(os.listdir(str(engine_dir(node)))) == ['v24.1.4']
    partial = run.calls[0][0].split(os.sep)[-3]
    assert partial.startswith('v24.1.4.partial-') and run.calls[0][1:] == ['version']
    assert not os.path.lexists(str(node / 'bin' / 'cockroach'))


def test_sha256_mismatch_leaves_nothing(node):
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4')
    run, statvfs = FakeRun(), FakeStatVfs(PLENTY)
    store = make_store(node, run=run, statvfs=statvfs)
    with pytest.raises(DistsqlError) as caught:
        store.stage('v24.1.4', archive=archive, sha256='0' * 64)
    assert str(caught.value) == ('sha256 of %s is %s, expected %s: refusing to stage it' % (archive, sha, '0' * 64))
    assert not (node / 'releases').exists()
    assert run.calls == [] and statvfs.paths == []


def test_sha256_accepts_get_url_prefix_and_upper_case():
    assert normalize_sha256('sha256:' + 'AB' * 32) == 'ab' * 32
    with pytest.raises(DistsqlError) as caught:
        normalize_sha256('abc')
    assert str(caught.value) == "sha256 must be 64 hexadecimal digits (optionally prefixed by sha256:), got 'abc'"


def test_free_space_is_checked_before_unpacking(node):
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4')
    uncompressed = len(fake_binary('v24.1.4')) + 4096
    need = required_space(uncompressed)
    assert need == (uncompressed * 11 + 9) // 10 + MIB
    statvfs = FakeStatVfs(StatVfs(f_bavail=need // 4096, f_frsize=4096))
    run = FakeRun()
    with pytest.raises(DistsqlError) as caught:
        make_store(node, statvfs=statvfs, run=run).stage('v24.1.4', archive=archive, sha256=sha)
    assert str(caught.value) == ('not enough free space in %s to stage v24.1.4: need %d bytes, %d available'
                                 % (node / 'releases', need, (need // 4096) * 4096))
    assert statvfs.paths == [str(node)]
    assert not (node / 'releases').exists()
    assert run.calls == []


def test_exactly_enough_free_space_stages(node):
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4')
    need = required_space(len(fake_binary('v24.1.4')) + 4096)
    result = make_store(node, statvfs=FakeStatVfs(StatVfs(f_bavail=need, f_frsize=1))).stage(
        'v24.1.4', archive=archive, sha256=sha)
    assert result['changed'] is True


@pytest.mark.parametrize('add, message', [
    (lambda tar: add_file(tar, '../x', b'x'), "refusing to unpack {archive}: member ../x has a '..' component"),
    (lambda tar: add_file(tar, 'top/../../x', b'x'),
     "refusing to unpack {archive}: member top/../../x has a '..' component"),
    (lambda tar: add_file(tar, '/etc/x', b'x'), 'refusing to unpack {archive}: member /etc/x has an absolute path'),
    (lambda tar: add_link(tar, 'etc', '/etc'),
     'refusing to unpack {archive}: member etc is a link to /etc, outside the release directory'),
    (lambda tar: add_link(tar, 'top/up', '../../x'),
     'refusing to unpack {archive}: member top/up is a link to ../../x, outside the release directory'),
    (lambda tar: add_link(tar, 'passwd', '../../etc/passwd', kind=tarfile.LNKTYPE),
     'refusing to unpack {archive}: member passwd is a link to ../../etc/passwd, outside the release directory'),
    (lambda tar: add_link(tar, 'null', '', kind=tarfile.CHRTYPE),
     'refusing to unpack {archive}: member null is a character device; only files, directories and links are '
     'allowed'),
])
def test_unsafe_members_are_refused_before_unpacking(node, add, message):
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4', extra=add)
    run = FakeRun()
    with pytest.raises(DistsqlError) as caught:
        make_store(node, run=run).stage('v24.1.4', archive=archive, sha256=sha)
    assert str(caught.value) == message.format(archive=archive)
    assert not (node / 'releases').exists()
    assert run.calls == []


def test_link_escaping_through_another_link_is_refused_while_unpacking(node):
    """`d -> .` then `e -> d/../x`: inside when read as text, outside on disk; the partial dir goes."""

    def links(tar):
        add_link(tar, 'd', '.')
        add_link(tar, 'e', 'd/../x')

    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4', extra=links)
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('v24.1.4', archive=archive, sha256=sha)
    assert str(caught.value) == ('refusing to unpack %s: member e is a link to d/../x, outside the release directory'
                                 % archive)
    assert os.listdir(str(engine_dir(node))) == []


def test_member_written_through_an_inner_link_is_unpacked(node):
    def links(tar):
        add_link(tar, 'lib', 'cockroach-v24.1.4.linux-amd64/lib')
        add_file(tar, 'lib/extra.so', b'x')

    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4', extra=links)
    result = make_store(node).stage('v24.1.4', archive=archive, sha256=sha)
    # inside the release directory, a file written through an inner link is fine
    assert os.path.isfile(os.path.join(result['release_dir'], 'cockroach-v24.1.4.linux-amd64', 'lib', 'extra.so'))


def test_binary_must_be_in_the_archive_exactly_once(node):
    def second(tar):
        add_file(tar, 'other/cockroach', fake_binary('v24.1.4'))

    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4', extra=second)
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('v24.1.4', archive=archive, sha256=sha)
    assert str(caught.value) == ('%s holds 2 files named cockroach (cockroach-v24.1.4.linux-amd64/cockroach, '
                                 'other/cockroach): expected exactly one' % archive)
    store = ReleaseStore(get_engine('cockroachdb'), str(node / 'releases'),
                         link=str(node / 'bin' / 'cockroach'), binary_name='kwbase', run=FakeRun())
    with pytest.raises(DistsqlError) as caught:
        store.stage('v24.1.4', archive=archive, sha256=sha)
    assert str(caught.value) == ('%s holds no file named kwbase: set binary_name to the name of the binary inside the '
                                 'archive' % archive)
    assert not (node / 'releases').exists()


def test_check_members_skips_the_root_entry_and_normalizes():
    members = [tarfile.TarInfo('./'), tarfile.TarInfo('./bin/cockroach')]
    members[0].type = tarfile.DIRTYPE
    entries, binary = check_members(members, 'a.tgz', 'cockroach')
    assert [relative for _member, relative in entries] == ['bin/cockroach']
    assert binary == 'bin/cockroach'


def test_version_mismatch_removes_the_partial_dir(node):
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4', binary_tag='v24.1.3')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('v24.1.4', archive=archive, sha256=sha)
    assert str(caught.value) == ('cockroach-v24.1.4.linux-amd64/cockroach in %s reports v24.1.3, expected v24.1.4'
                                 % archive)
    assert os.listdir(str(engine_dir(node))) == []


def test_failing_binary_removes_the_partial_dir(node):
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4')

    def crashing(argv):
        return 2, '', 'cockroach: cannot execute binary file: Exec format error\n'

    with pytest.raises(DistsqlError) as caught:
        make_store(node, run=crashing).stage('v24.1.4', archive=archive, sha256=sha)
    message = str(caught.value)
    assert message.startswith('cannot read the version of cockroach-v24.1.4.linux-amd64/cockroach in %s: `' % archive)
    assert message.endswith('/cockroach-v24.1.4.linux-amd64/cockroach version` failed (rc=2): cockroach: cannot '
                            'execute binary file: Exec format error')
    assert os.listdir(str(engine_dir(node))) == []


def test_restage_is_idempotent_and_needs_no_archive(node):
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4')
    run = FakeRun()
    store = make_store(node, run=run)
    assert store.stage('v24.1.4', archive=archive, sha256=sha)['changed'] is True
    again = store.stage('v24.1.4', archive=archive, sha256=sha)
    assert again['changed'] is False
    assert again['diff'] == {'before': 'staged: v24.1.4\n', 'after': 'staged: v24.1.4\n'}
    os.unlink(archive)
    assert store.stage('v24.1.4', archive=archive, sha256='sha256:' + sha)['changed'] is False
    assert store.stage('24.1.4')['changed'] is False
    assert len(run.calls) == 1


def test_restage_with_another_sha256_is_refused(node):
    stage(node, 'v24.1.4')
    release_dir = engine_dir(node) / 'v24.1.4'
    first = json.loads((release_dir / '.distsql-release.json').read_text())
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('v24.1.4', archive='/nowhere.tgz', sha256='f' * 64)
    assert str(caught.value) == ('release v24.1.4 of cockroachdb is already staged in %s from %s with sha256 %s, '
                                 'not %s: refusing to replace a staged release'
                                 % (release_dir, first['archive'], first['sha256'], 'f' * 64))


def test_stage_needs_an_archive_when_not_staged(node):
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('v24.1.4')
    assert str(caught.value) == ('release v24.1.4 of cockroachdb is not staged in %s and no archive was given: set '
                                 'archive and sha256 to stage it' % engine_dir(node))
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('v24.1.4', archive=str(node / 'downloads' / 'missing.tgz'), sha256='a' * 64)
    assert str(caught.value) == ('cannot stage v24.1.4: archive %s does not exist or is not a file'
                                 % (node / 'downloads' / 'missing.tgz'))


def test_not_a_tar_archive(node):
    archive = node / 'downloads' / 'broken.tgz'
    archive.write_bytes(b'<html>404</html>')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('v24.1.4', archive=str(archive), sha256=sha256_of(str(archive)))
    assert str(caught.value).startswith('cannot read %s as a tar archive: ' % archive)
    assert not (node / 'releases').exists()


def test_activation_adopts_a_regular_file_binary(node):
    install_by_hand(node, 'v23.1.8')
    stage(node, 'v24.1.4')
    run = FakeRun()
    result = make_store(node, run=run).activate('v24.1.4')
    link = str(node / 'bin' / 'cockroach')
    binary = str(engine_dir(node) / 'v24.1.4' / 'cockroach-v24.1.4.linux-amd64' / 'cockroach')
    assert result['changed'] is True and result['adopted'] is True
    assert result['active_version'] == 'v24.1.4' and result['previous_version'] == 'v23.1.8'
    assert result['staged_versions'] == ['v23.1.8', 'v24.1.4']
    assert result['link_target'] == binary and result['link_managed'] is True and result['binary'] == binary
    assert result['diff'] == {'before': 'active: v23.1.8\n', 'after': 'active: v24.1.4\n'}
    assert os.readlink(link) == binary
    assert not os.path.lexists(link + '.distsql-tmp')
    adopted_dir = engine_dir(node) / 'v23.1.8'
    assert (adopted_dir / 'cockroach').read_bytes() == fake_binary('v23.1.8')
    assert stat.S_IMODE(os.stat(str(adopted_dir / 'cockroach')).st_mode) == 0o755
    assert json.loads((adopted_dir / '.distsql-release.json').read_text()) == {
        'version': 'v23.1.8', 'sha256': hashlib.sha256(fake_binary('v23.1.8')).hexdigest(), 'archive': None,
        'binary': 'cockroach', 'staged_at': '2026-01-01T00:00:00Z', 'adopted': True, 'adopted_from': link}
    assert json.loads((engine_dir(node) / 'state.json').read_text()) == {
        'active': 'v24.1.4', 'previous': 'v23.1.8', 'restored': False}
    assert run.calls == [[link, 'version']]


def test_activation_adopts_a_symlink_outside_the_store(node):
    elsewhere = node / 'opt' / 'cockroach-v23.1.8'
    elsewhere.mkdir(parents=True)
    (elsewhere / 'cockroach').write_bytes(fake_binary('v23.1.8'))
    (elsewhere / 'cockroach').chmod(0o755)
    os.symlink(str(elsewhere / 'cockroach'), str(node / 'bin' / 'cockroach'))
    stage(node, 'v24.1.4')
    result = make_store(node).activate('v24.1.4')
    assert result['adopted'] is True and result['previous_version'] == 'v23.1.8'
    marker = json.loads((engine_dir(node) / 'v23.1.8' / '.distsql-release.json').read_text())
    assert marker['adopted_from'] == str(elsewhere / 'cockroach')
    assert (elsewhere / 'cockroach').exists()


def test_no_adoption_when_that_version_is_staged(node):
    install_by_hand(node, 'v24.1.4')
    stage(node, 'v24.1.4')
    result = make_store(node).activate('v24.1.4')
    assert result['changed'] is True and result['adopted'] is False
    assert result['previous_version'] is None and result['staged_versions'] == ['v24.1.4']
    assert os.path.islink(str(node / 'bin' / 'cockroach'))


def test_unreadable_unmanaged_binary_is_not_replaced(node):
    install_by_hand(node, 'v23.1.8')
    stage(node, 'v24.1.4')

    def broken(argv):
        return 1, '', 'Segmentation fault\n'

    with pytest.raises(DistsqlError) as caught:
        make_store(node, run=broken).activate('v24.1.4')
    assert str(caught.value) == ('cannot adopt %s (not a release of this store) before switching it to v24.1.4: `%s '
                                 'version` failed (rc=1): Segmentation fault'
                                 % (node / 'bin' / 'cockroach', node / 'bin' / 'cockroach'))
    assert not os.path.islink(str(node / 'bin' / 'cockroach'))
    assert sorted(os.listdir(str(engine_dir(node)))) == ['v24.1.4']


def test_activation_needs_a_staged_release(node):
    with pytest.raises(DistsqlError) as caught:
        make_store(node).activate('v24.1.4')
    assert str(caught.value) == ('release v24.1.4 of cockroachdb is not staged in %s: stage it first'
                                 % engine_dir(node))


def test_activation_and_restore_round_trip(node):
    install_by_hand(node, 'v23.1.8')
    stage(node, 'v24.1.4')
    store = make_store(node)
    link = str(node / 'bin' / 'cockroach')
    state_file = engine_dir(node) / 'state.json'
    store.activate('v24.1.4')
    again = store.activate('v24.1.4')
    assert again['changed'] is False and again['adopted'] is False
    assert again['diff'] == {'before': 'active: v24.1.4\n', 'after': 'active: v24.1.4\n'}

    restored = store.restore()
    assert restored['changed'] is True
    assert restored['active_version'] == 'v23.1.8' and restored['previous_version'] == 'v24.1.4'
    assert restored['diff'] == {'before': 'active: v24.1.4\n', 'after': 'active: v23.1.8\n'}
    assert os.readlink(link) == str(engine_dir(node) / 'v23.1.8' / 'cockroach')
    assert json.loads(state_file.read_text()) == {'active': 'v23.1.8', 'previous': 'v24.1.4', 'restored': True}

    twice = store.restore()
    assert twice['changed'] is False and twice['active_version'] == 'v23.1.8'
    assert os.readlink(link) == str(engine_dir(node) / 'v23.1.8' / 'cockroach')

    forward = store.activate('v24.1.4')
    assert forward['changed'] is True and forward['previous_version'] == 'v23.1.8'
    assert json.loads(state_file.read_text()) == {'active': 'v24.1.4', 'previous': 'v23.1.8', 'restored': False}
    explicit = store.restore('v23.1.8')
    assert explicit['active_version'] == 'v23.1.8' and explicit['previous_version'] == 'v24.1.4'


def test_restore_without_a_recorded_previous_release(node):
    stage(node, 'v24.1.4')
    store = make_store(node)
    with pytest.raises(DistsqlError) as caught:
        store.restore()
    assert str(caught.value) == 'no previous release of cockroachdb is recorded in %s' % engine_dir(node)
    store.activate('v24.1.4')
    with pytest.raises(DistsqlError) as caught:
        store.restore()
    assert str(caught.value) == 'no previous release of cockroachdb is recorded in %s' % engine_dir(node)


def test_keep_prunes_the_oldest_but_never_active_or_previous(node):
    for tag in ('v23.2.9', 'v24.1.1', 'v24.1.2', 'v24.1.3', 'v24.1.4'):
        stage(node, tag)
    store = make_store(node)
    store.activate('v23.2.9', keep=10)
    result = store.activate('v24.1.1', keep=1)
    assert result['pruned_versions'] == ['v24.1.2', 'v24.1.3', 'v24.1.4']
    assert result['staged_versions'] == ['v23.2.9', 'v24.1.1']
    assert sorted(os.listdir(str(engine_dir(node)))) == ['state.json', 'v23.2.9', 'v24.1.1']

    for tag in ('v24.1.2', 'v24.1.3'):
        stage(node, tag)
    result = store.activate('v24.1.3', keep=3)
    assert result['previous_version'] == 'v24.1.1'
    assert result['pruned_versions'] == ['v23.2.9']
    assert result['staged_versions'] == ['v24.1.1', 'v24.1.2', 'v24.1.3']


def test_keep_must_not_be_negative(node):
    stage(node, 'v24.1.4')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).activate('v24.1.4', keep=-1)
    assert str(caught.value) == 'keep must be 0 or more, got -1'


def snapshot(path):
    """Every path below ``path`` with its kind and content (or link target)."""
    seen = {}
    for root, dirs, files in os.walk(str(path)):
        for name in dirs + files:
            full = os.path.join(root, name)
            if os.path.islink(full):
                seen[full] = ('link', os.readlink(full))
            elif os.path.isfile(full):
                with open(full, 'rb') as handle:
                    seen[full] = ('file', handle.read())
            else:
                seen[full] = ('dir', None)
    return seen


def test_check_mode_changes_nothing(node):
    install_by_hand(node, 'v23.1.8')
    stage(node, 'v24.1.4')
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.5')
    before = snapshot(node)
    run = FakeRun()
    checking = make_store(node, check_mode=True, run=run)

    staged = checking.stage('v24.1.5', archive=archive, sha256=sha)
    assert staged['changed'] is True
    assert staged['staged_versions'] == ['v24.1.4', 'v24.1.5']
    assert staged['release_dir'] == str(engine_dir(node) / 'v24.1.5')
    assert staged['binary'] == str(engine_dir(node) / 'v24.1.5' / 'cockroach-v24.1.5.linux-amd64' / 'cockroach')

    activated = checking.activate('v24.1.4')
    assert activated['changed'] is True and activated['adopted'] is True
    assert activated['active_version'] == 'v24.1.4' and activated['previous_version'] == 'v23.1.8'
    assert activated['staged_versions'] == ['v23.1.8', 'v24.1.4']
    assert activated['diff'] == {'before': 'active: v23.1.8\n', 'after': 'active: v24.1.4\n'}

    with pytest.raises(DistsqlError) as caught:
        checking.restore()
    assert str(caught.value) == 'no previous release of cockroachdb is recorded in %s' % engine_dir(node)
    assert snapshot(node) == before
    assert run.calls == [[str(node / 'bin' / 'cockroach'), 'version']]

    store = make_store(node)
    store.activate('v24.1.4')
    before = snapshot(node)
    restoring = checking.restore()
    assert restoring['changed'] is True and restoring['active_version'] == 'v23.1.8'
    assert restoring['previous_version'] == 'v24.1.4'
    assert snapshot(node) == before


def test_query_reads_the_store(node):
    install_by_hand(node, 'v23.1.8')
    stage(node, 'v24.1.4')
    store = make_store(node)
    fresh = store.query()
    assert fresh['changed'] is False and fresh['active_version'] is None and fresh['link_managed'] is False
    assert fresh['link_target'] is None and fresh['release_dir'] is None
    store.activate('v24.1.4')
    result = store.query()
    binary = str(engine_dir(node) / 'v24.1.4' / 'cockroach-v24.1.4.linux-amd64' / 'cockroach')
    assert result == {
        'changed': False, 'active_version': 'v24.1.4', 'previous_version': 'v23.1.8',
        'staged_versions': ['v23.1.8', 'v24.1.4'], 'link': str(node / 'bin' / 'cockroach'), 'link_target': binary,
        'link_managed': True, 'release_dir': str(engine_dir(node) / 'v24.1.4'), 'binary': binary, 'adopted': False,
        'pruned_versions': [], 'free_bytes': PLENTY.f_bavail * PLENTY.f_frsize}
    assert store.query('v23.1.8')['binary'] == str(engine_dir(node) / 'v23.1.8' / 'cockroach')


def test_staged_versions_follow_engine_order(node):
    for tag in ('v24.1.10', 'v24.1.9', 'v24.1.0-rc.1', 'v24.1.0'):
        stage(node, tag)
    assert make_store(node).query()['staged_versions'] == ['v24.1.0-rc.1', 'v24.1.0', 'v24.1.9', 'v24.1.10']


def test_foreign_directory_is_not_overwritten(node):
    (engine_dir(node) / 'v24.1.4').mkdir(parents=True)
    archive, sha = crdb_archive(node / 'downloads', 'v24.1.4')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('v24.1.4', archive=archive, sha256=sha)
    assert str(caught.value) == ('%s exists but is not a release staged by this module (no .distsql-release.json): '
                                 'remove it or use another releases_dir' % (engine_dir(node) / 'v24.1.4'))


def test_os_errors_become_typed_errors(node):
    stage(node, 'v24.1.4')
    blocker = node / 'bin' / 'cockroach.distsql-tmp'
    blocker.mkdir()
    (blocker / 'something').write_text('x')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).activate('v24.1.4')
    assert str(caught.value) == ("cannot switch %s to release v24.1.4 of cockroachdb: [Errno 21] Is a directory: '%s'"
                                 % (node / 'bin' / 'cockroach', blocker))
    assert not os.path.lexists(str(node / 'bin' / 'cockroach'))
    assert not os.path.lexists(str(engine_dir(node) / 'state.json'))


def test_databend_release_is_read_with_cmd_ver(node):
    calls = []

    def run(argv):
        calls.append(list(argv))
        return 0, 'version: v1.2.636-nightly\nmin-compatible-metasrv-version: 1.2.258\n', ''

    path = str(node / 'downloads' / 'databend.tar.gz')
    with tarfile.open(path, 'w:gz') as tar:
        add_file(tar, 'bin/databend-query', b'#!/bin/sh\n', mode=0o755)
        add_file(tar, 'bin/databend-meta', b'#!/bin/sh\n', mode=0o755)
    store = ReleaseStore(get_engine('databend_query'), str(node / 'releases'),
                         link=str(node / 'bin' / 'databend-query'), run=run, statvfs=FakeStatVfs(PLENTY))
    result = store.stage('1.2.636', archive=path, sha256=sha256_of(path))
    assert result['staged_versions'] == ['1.2.636']
    assert calls[0][1:] == ['--cmd', 'ver'] and calls[0][0].endswith('/bin/databend-query')


# -- a binary the operator built ----------------------------------------------------------------------------


def built_binary(node, tag, name='cockroach-built'):
    path = node / 'downloads' / name
    path.write_bytes(fake_binary(tag))
    return str(path)


def test_a_built_binary_is_copied_in_verified_and_marked(node):
    binary = built_binary(node, 'v24.1.4')
    result = make_store(node).stage_binary('v24.1.4', binary)
    release_dir = str(engine_dir(node) / 'v24.1.4')
    assert result['changed'] is True and result['staged_versions'] == ['v24.1.4']
    assert result['binary'] == os.path.join(release_dir, 'cockroach')
    with open(os.path.join(release_dir, '.distsql-release.json'), encoding='utf-8') as handle:
        assert json.load(handle) == {'version': 'v24.1.4', 'sha256': sha256_of(binary), 'archive': None,
                                     'built_binary': binary, 'binary': 'cockroach',
                                     'staged_at': '2026-01-01T00:00:00Z', 'adopted': False}
    assert stat.S_IMODE(os.stat(os.path.join(release_dir, 'cockroach')).st_mode) == 0o755
    again = make_store(node).stage_binary('v24.1.4', binary)
    assert again['changed'] is False


def test_a_built_binary_that_reports_another_version_is_refused_and_leaves_nothing(node):
    binary = built_binary(node, 'v24.1.3')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage_binary('v24.1.4', binary)
    assert str(caught.value) == 'cockroach in %s reports v24.1.3, expected v24.1.4' % binary
    assert os.listdir(str(engine_dir(node))) == []


def test_a_built_binary_with_a_wrong_sha256_is_refused_before_it_runs(node):
    binary = built_binary(node, 'v24.1.4')
    run = FakeRun()
    with pytest.raises(DistsqlError) as caught:
        make_store(node, run=run).stage_binary('v24.1.4', binary, sha256='0' * 64)
    assert str(caught.value) == 'sha256 of %s is %s, expected %s: refusing to stage it' % (
        binary, sha256_of(binary), '0' * 64)
    assert run.calls == []


def rebuilt(node):
    other = node / 'downloads' / 'cockroach-rebuilt'
    other.write_bytes(fake_binary('v24.1.4') + b'# rebuilt\n')
    return str(other)


def test_a_rebuilt_binary_replaces_a_staged_release_that_does_not_run(node):
    first = sha256_of(make_store(node).stage_binary('v24.1.4', built_binary(node, 'v24.1.4'))['binary'])
    result = make_store(node).stage_binary('v24.1.4', rebuilt(node))
    assert result['changed'] is True and result['replaced_sha256'] == first
    assert sha256_of(result['binary']) == sha256_of(rebuilt(node))
    assert sorted(os.listdir(str(engine_dir(node)))) == ['v24.1.4']


def test_a_rebuilt_binary_does_not_replace_the_active_release(node):
    install_by_hand(node, 'v24.1.3')
    make_store(node).stage_binary('v24.1.4', built_binary(node, 'v24.1.4'))
    make_store(node).activate('v24.1.4')
    active = str(engine_dir(node) / 'v24.1.4')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage_binary('v24.1.4', rebuilt(node))
    assert str(caught.value) == (
        'release v24.1.4 of cockroachdb in %s is the active one (sha256 %s): refusing to replace it with %s (sha256 %s)'
        % (active, sha256_of(os.path.join(active, 'cockroach')), rebuilt(node), sha256_of(rebuilt(node))))


def test_a_missing_built_binary_is_refused(node):
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage_binary('v24.1.4', str(node / 'nowhere'))
    assert str(caught.value) == 'cannot stage v24.1.4: binary %s does not exist or is not a file' % (node / 'nowhere')
