# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KWDB release packages: verified staging under releases_dir/kwdb, the staged list and the installed .version.
Archives are built like tests/testbed/sim/kwdb_packages.py lays them out (kwdb_install/ with deploy.sh, deploy.cfg,
utils/, packages/ with the .debs and .version)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import hashlib
import io
import json
import os
import tarfile

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb import packages
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.release_store import MIB

STAGED_AT = 1767225600.0  # 2026-01-01T00:00:00Z
StatVfs = collections.namedtuple('StatVfs', 'f_bavail f_frsize')
PLENTY = StatVfs(f_bavail=10 ** 7, f_frsize=4096)


def package_members(basic, extended='', version_text=None, deploy_sh=True):
    """(name, bytes or None for a directory, mode) of a KWDB bare-metal package of ``basic``."""
    members = [('kwdb_install', None, 0o755), ('kwdb_install/utils', None, 0o755),
               ('kwdb_install/packages', None, 0o755)]
    if deploy_sh:
        members.append(('kwdb_install/deploy.sh', b'#!/bin/bash\necho deploy\n', 0o755))
    members += [('kwdb_install/deploy.cfg', b'[global]\n', 0o644),
                ('kwdb_install/utils/kaiwudb_upgrade.sh', b'#!/bin/bash\n', 0o755),
                ('kwdb_install/packages/.version',
                 (version_text if version_text is not None else basic + '\n' + (extended + '\n' if extended else ''))
                 .encode(), 0o644),
                ('kwdb_install/packages/kaiwudb-libcommon_%s_amd64.deb' % basic, b'\0' * 1024, 0o644),
                ('kwdb_install/packages/kaiwudb-server_%s_amd64.deb' % basic, b'\0' * 4096, 0o644)]
    return members


def build_archive(directory, basic, extra=(), members=None, **kwargs):
    """KWDB-<basic>-debian12-x86_64.tar.gz in ``directory`` holding ``members`` (default: package_members) and
    ``extra``; a tuple as data is (link type, link target). Returns (path, sha256)."""
    path = str(directory / ('KWDB-%s-debian12-x86_64.tar.gz' % basic))
    if members is None:
        members = package_members(basic, **kwargs)
    with tarfile.open(path, 'w:gz') as tar:
        for name, data, mode in list(members) + list(extra):
            info = tarfile.TarInfo(name)
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif isinstance(data, tuple):
                info.type, info.linkname = data
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    with open(path, 'rb') as handle:
        return path, hashlib.sha256(handle.read()).hexdigest()


class FakeStatVfs:
    def __init__(self, result):
        self.result = result
        self.paths = []

    def __call__(self, path):
        self.paths.append(path)
        return self.result


@pytest.fixture
def node(tmp_path):
    (tmp_path / 'downloads').mkdir()
    (tmp_path / 'info').mkdir()
    return tmp_path


def make_store(node, check_mode=False, statvfs=None):
    return packages.PackageStore(str(node / 'releases'), str(node / 'info'), check_mode=check_mode,
                                 statvfs=statvfs or FakeStatVfs(PLENTY), clock=lambda: STAGED_AT)


def store_dir(node):
    return node / 'releases' / 'kwdb'


def package_dir(node, tag):
    return str(store_dir(node) / tag / 'kwdb_install')


def test_is_the_packages_capability_of_kwdb():
    assert get_engine('kwdb').capability('packages') is packages


@pytest.mark.parametrize('version, basic', [('V3.1.0', '3.1.0'), ('v2.0.3.2', '2.0.3.2'), ('3.0.0', '3.0.0'),
                                            ('KWDB V3.1.0', '3.1.0')])
def test_basic_version(version, basic):
    assert packages.basic_version(packages.parse(version)) == basic


def test_stage_unpacks_checks_and_records_the_sha256(node):
    archive, sha = build_archive(node / 'downloads', '3.1.0')
    (node / 'info' / '.version').write_text('3.0.0\n\n')
    result = make_store(node).stage('V3.1.0', archive=archive, sha256='sha256:' + sha.upper())
    assert result == {
        'changed': True,
        'staged_versions': ['V3.1.0'],
        'packages': {'V3.1.0': package_dir(node, 'V3.1.0')},
        'staged_sha256': {'V3.1.0': sha},
        'package_dir': package_dir(node, 'V3.1.0'),
        'installed_version': 'V3.0.0',
        'installed_extended': '',
        'free_bytes': PLENTY.f_bavail * PLENTY.f_frsize,
        'diff': {'before': 'staged: none\n', 'after': 'staged: V3.1.0\n'},
    }
    assert os.access(os.path.join(result['package_dir'], 'deploy.sh'), os.X_OK)
    assert sorted(os.listdir(os.path.join(result['package_dir'], 'packages'))) == [
        '.version', 'kaiwudb-libcommon_3.1.0_amd64.deb', 'kaiwudb-server_3.1.0_amd64.deb']
    marker = json.loads((store_dir(node) / 'V3.1.0' / '.staged.json').read_text())
    assert marker == {'version': 'V3.1.0', 'sha256': sha, 'archive': archive, 'basic_version': '3.1.0',
                      'extended': '', 'staged_at': '2026-01-01T00:00:00Z'}
    assert os.listdir(str(store_dir(node))) == ['V3.1.0']


def test_restage_with_the_same_sha256_or_without_archive_changes_nothing(node):
    archive, sha = build_archive(node / 'downloads', '3.1.0')
    make_store(node).stage('V3.1.0', archive=archive, sha256=sha)
    os.unlink(archive)
    for kwargs in ({'archive': archive, 'sha256': sha}, {}):
        again = make_store(node).stage('V3.1.0', **kwargs)
        assert again['changed'] is False
        assert again['staged_versions'] == ['V3.1.0'] and again['package_dir'] == package_dir(node, 'V3.1.0')
        assert again['diff'] == {'before': 'staged: V3.1.0\n', 'after': 'staged: V3.1.0\n'}


def test_a_rebuilt_package_replaces_the_staged_copy_of_a_version_not_installed(node):
    """A re-run after a bad package: the fixed archive of the same version, verified, takes the stale copy's place."""
    bad, bad_sha = build_archive(node / 'downloads', '3.1.0')
    make_store(node).stage('V3.1.0', archive=bad, sha256=bad_sha)
    (node / 'fixed').mkdir()
    fixed, fixed_sha = build_archive(node / 'fixed', '3.1.0', extra=[('kwdb_install/packages/fix.txt', b'fixed\n', 0o644)])
    result = make_store(node).stage('V3.1.0', archive=fixed, sha256=fixed_sha)
    assert result['changed'] is True and result['staged_versions'] == ['V3.1.0']
    marker = json.loads((store_dir(node) / 'V3.1.0' / '.staged.json').read_text())
    assert (marker['sha256'], marker['archive']) == (fixed_sha, fixed)
    assert (store_dir(node) / 'V3.1.0' / 'kwdb_install' / 'packages' / 'fix.txt').read_text() == 'fixed\n'
    assert sorted(os.listdir(str(store_dir(node)))) == ['V3.1.0']


def test_another_sha256_without_an_archive_fails(node):
    archive, sha = build_archive(node / 'downloads', '3.1.0')
    make_store(node).stage('V3.1.0', archive=archive, sha256=sha)
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.1.0', sha256='ab' * 32)
    assert str(caught.value) == ('KWDB package V3.1.0 is already staged in %s from %s with sha256 %s, not %s, and no '
                                 'archive was given to replace it' % (store_dir(node) / 'V3.1.0', archive, sha, 'ab' * 32))


def test_the_staged_copy_of_the_installed_release_is_never_replaced(node):
    archive, sha = build_archive(node / 'downloads', '3.0.0')
    make_store(node).stage('V3.0.0', archive=archive, sha256=sha)
    (node / 'info' / '.version').write_text('3.0.0\n')
    (node / 'other').mkdir()
    other, other_sha = build_archive(node / 'other', '3.0.0', extra=[('kwdb_install/x', b'x', 0o644)])
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.0.0', archive=other, sha256=other_sha)
    assert str(caught.value) == ('KWDB package V3.0.0 is already staged in %s from %s with sha256 %s, not %s: refusing '
                                 'to replace the staged copy of the installed release, the package a failed node is '
                                 'reinstalled from' % (store_dir(node) / 'V3.0.0', archive, sha, other_sha))


def test_a_replacement_that_fails_its_sha256_keeps_the_staged_copy(node):
    archive, sha = build_archive(node / 'downloads', '3.1.0')
    make_store(node).stage('V3.1.0', archive=archive, sha256=sha)
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.1.0', archive=archive, sha256='ab' * 32)
    assert str(caught.value) == 'sha256 of %s is %s, expected %s: refusing to stage it' % (archive, sha, 'ab' * 32)
    assert json.loads((store_dir(node) / 'V3.1.0' / '.staged.json').read_text())['sha256'] == sha


def test_wrong_sha256_unpacks_nothing(node):
    archive, sha = build_archive(node / 'downloads', '3.1.0')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.1.0', archive=archive, sha256='ab' * 32)
    assert str(caught.value) == ('sha256 of %s is %s, expected %s: refusing to stage it' % (archive, sha, 'ab' * 32))
    assert not (node / 'releases').exists()


@pytest.mark.parametrize('kwargs, message', [
    ({'version_text': '3.0.0\n'},
     'kwdb_install/packages/.version in {archive} says 3.0.0, not 3.1.0 (the basic form of V3.1.0): it is not the '
     'package of V3.1.0'),
    ({'version_text': ''},
     'kwdb_install/packages/.version in {archive} says nothing on line 1, not 3.1.0 (the basic form of V3.1.0): it is '
     'not the package of V3.1.0'),
    ({'deploy_sh': False},
     '{archive} holds no kwdb_install/deploy.sh: it is not a KWDB release package (expected kwdb_install/ with '
     'deploy.sh and packages/.version)'),
    ({'extra': [('../evil', b'x', 0o644)]}, "refusing to unpack {archive}: member ../evil has a '..' component"),
    ({'extra': [('/etc/evil', b'x', 0o644)]}, 'refusing to unpack {archive}: member /etc/evil has an absolute path'),
    ({'extra': [('kwdb_install/etc', (tarfile.SYMTYPE, '../../etc'), 0o777)]},
     'refusing to unpack {archive}: member kwdb_install/etc is a link to ../../etc, outside the release directory'),
])
def test_bad_packages_are_refused_before_unpacking(node, kwargs, message):
    archive, sha = build_archive(node / 'downloads', '3.1.0', **kwargs)
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.1.0', archive=archive, sha256=sha)
    assert str(caught.value) == message.format(archive=archive)
    assert not (node / 'releases').exists()


def test_version_file_as_a_link_is_refused(node):
    def members():
        for name, data, mode in package_members('3.1.0'):
            if name == 'kwdb_install/packages/.version':
                yield 'kwdb_install/VERSION', data, mode
                yield name, (tarfile.SYMTYPE, '../VERSION'), 0o777
            else:
                yield name, data, mode

    path, sha = build_archive(node / 'downloads', '3.1.0', members=members())
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.1.0', archive=path, sha256=sha)
    assert str(caught.value) == ("member kwdb_install/packages/.version of %s is a link, not a regular file: expected "
                                 "the package's version file" % path)


def test_free_space_is_checked_before_unpacking(node):
    archive, sha = build_archive(node / 'downloads', '3.1.0')
    statvfs = FakeStatVfs(StatVfs(f_bavail=10, f_frsize=4096))
    with pytest.raises(DistsqlError) as caught:
        make_store(node, statvfs=statvfs).stage('V3.1.0', archive=archive, sha256=sha)
    size = sum(len(data) for _n, data, _m in package_members('3.1.0') if data is not None)
    need = (size * 11 + 9) // 10 + MIB
    assert str(caught.value) == ('not enough free space in %s to stage KWDB package V3.1.0: need %d bytes, 40960 '
                                 'available' % (node / 'releases', need))
    assert statvfs.paths == [str(node)]
    assert not (node / 'releases').exists()


def test_check_mode_verifies_and_writes_nothing(node):
    archive, sha = build_archive(node / 'downloads', '3.1.0')
    result = make_store(node, check_mode=True).stage('V3.1.0', archive=archive, sha256=sha)
    assert result['changed'] is True
    assert result['staged_versions'] == ['V3.1.0'] and result['package_dir'] == package_dir(node, 'V3.1.0')
    assert result['diff'] == {'before': 'staged: none\n', 'after': 'staged: V3.1.0\n'}
    assert not (node / 'releases').exists()
    bad, bad_sha = build_archive(node / 'downloads', '3.0.0')
    with pytest.raises(DistsqlError):
        make_store(node, check_mode=True).stage('V3.1.0', archive=bad, sha256=bad_sha)


def test_staged_list_is_in_version_order_and_query_reads_the_installed_version(node):
    for basic in ('3.1.0', '2.0.4', '3.0.0'):
        archive, sha = build_archive(node / 'downloads', basic)
        make_store(node).stage('V' + basic, archive=archive, sha256=sha)
    (store_dir(node) / 'V9.9.9.partial-x').mkdir()
    (node / 'info' / '.version').write_text('3.0.0\nhotfix1\n')
    result = make_store(node).query()
    assert result['changed'] is False and 'diff' not in result
    assert result['staged_versions'] == ['V2.0.4', 'V3.0.0', 'V3.1.0']
    assert result['packages'] == dict((tag, package_dir(node, tag)) for tag in ('V2.0.4', 'V3.0.0', 'V3.1.0'))
    assert result['package_dir'] is None
    assert (result['installed_version'], result['installed_extended']) == ('V3.0.0', 'hotfix1')
    assert make_store(node).query('3.0.0')['package_dir'] == package_dir(node, 'V3.0.0')
    assert make_store(node).query('V4.0.0')['package_dir'] is None


def test_query_without_installed_version_or_releases_dir(node):
    result = make_store(node).query()
    assert result == {'changed': False, 'staged_versions': [], 'packages': {}, 'staged_sha256': {}, 'package_dir': None,
                      'installed_version': None, 'installed_extended': '',
                      'free_bytes': PLENTY.f_bavail * PLENTY.f_frsize}


def test_installed_version_that_is_no_version_fails(node):
    (node / 'info' / '.version').write_text('garbage\n')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).query()
    assert str(caught.value) == ("cannot read the installed KWDB version: line 1 of %s is 'garbage', not a KWDB version"
                                 % (node / 'info' / '.version'))


def test_not_staged_without_archive_fails(node):
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.1.0')
    assert str(caught.value) == ('KWDB package V3.1.0 is not staged in %s and no archive was given: set archive and '
                                 'sha256 to stage it' % store_dir(node))


def test_archive_without_sha256_fails(node):
    archive, _sha = build_archive(node / 'downloads', '3.1.0')
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.1.0', archive=archive)
    assert str(caught.value) == ('sha256 is required with archive %s: it is what the archive is verified against'
                                 % archive)


def test_foreign_directory_is_not_replaced(node):
    archive, sha = build_archive(node / 'downloads', '3.1.0')
    (store_dir(node) / 'V3.1.0').mkdir(parents=True)
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.1.0', archive=archive, sha256=sha)
    assert str(caught.value) == ('%s exists but is not a package staged by this module (no .staged.json): remove it '
                                 'or use another releases_dir' % (store_dir(node) / 'V3.1.0'))


def test_incomplete_staged_package_fails_when_staged_again(node):
    archive, sha = build_archive(node / 'downloads', '3.1.0')
    make_store(node).stage('V3.1.0', archive=archive, sha256=sha)
    os.unlink(os.path.join(package_dir(node, 'V3.1.0'), 'deploy.sh'))
    with pytest.raises(DistsqlError) as caught:
        make_store(node).stage('V3.1.0')
    assert str(caught.value) == ('staged KWDB package V3.1.0 (remove %s and stage it again) is incomplete: %s is '
                                 'missing or not a file' % (store_dir(node) / 'V3.1.0',
                                                            os.path.join(package_dir(node, 'V3.1.0'), 'deploy.sh')))


def test_relative_paths_are_refused():
    with pytest.raises(DistsqlError) as caught:
        packages.PackageStore('releases', '/etc/kaiwudb/info')
    assert str(caught.value) == 'releases_dir must be an absolute path, got releases'
