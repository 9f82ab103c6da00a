# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`deploy.sh upgrade -l`: its argv, its outcome read from its messages, the deploy modes and the checks made without
running it. The deploy_*_constructed fixtures put the reference's exact texts (flow-surfaces-kwdb.md 2.2, 2.7) into
the progress-bar and log-line formats the script prints; inline outputs below use the same formats."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb import deploy
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

from .fixture_files import printed

ADVICE_MISMATCH = ('this node is installed as bare metal but the package is for container: use the release package for '
                   'bare metal (the kaiwudb-server and kaiwudb-libcommon .deb/.rpm packages)')
SWAP_ADVICE = ('the package swap failed after the node was marked UPGRADING (server.time_until_store_dead is 3h now): '
               'fix the cause shown and run the upgrade again, or restart the node with --upgrade-complete to clear the '
               'mark')


def logged(message, stage='upgrade', percent=70):
    """deploy.sh's console output for a refusal logged at ``stage``."""
    return ('%-25s: [%-50s] %d%%\r' % (stage, '#' * (percent // 2), percent) + ' ' * 123 + '\r'
            + '\x1b[31m [ERROR] 2026-06-30 02:28:59 %s \x1b[0m\n' % message)


def refused(stdout, rc=1, stderr=''):
    with pytest.raises(deploy.DeployRefused) as caught:
        deploy.parse_upgrade_output(rc, stdout, stderr)
    return caught.value


def test_the_engine_offers_the_deploy_capability():
    assert get_engine('kwdb').capability('deploy') is deploy


def test_argv_runs_the_local_upgrade_from_the_package_dir():
    assert deploy.upgrade_argv('/opt/kwdb_install') == ['/opt/kwdb_install/deploy.sh', 'upgrade', '-l']
    assert deploy.upgrade_argv('/opt/kwdb_install', bypass_version_check=True) == [
        '/opt/kwdb_install/deploy.sh', 'upgrade', '-l', '--bypass-version-check']


def test_output_lines_drop_colours_the_progress_bar_returns_and_blanks():
    assert deploy.output_lines('a\r  \rb\n\x1b[1;32m[X]:\x1b[0mdone\n\n') == ['a', 'b', '[X]:done']


def test_an_offline_upgrade_completes():
    assert deploy.parse_upgrade_output(0, printed('deploy_offline_completed_constructed.json'), '') == {
        'completed': True, 'message': 'Local node upgrade successfully.',
        'stages': ['install check', 'verify packages', 'verify install type', 'version compare', 'whether running',
                   'upgrade', 'upgrade complete'],
        'lines': ['[UPGRADE COMPLETED]:Local node upgrade successfully.']}


def test_an_online_upgrade_completes_through_mark_swap_and_restart():
    outcome = deploy.parse_upgrade_output(0, printed('deploy_online_completed_constructed.json'), '')
    assert outcome['stages'][5:] == ['change KaiwuDB status', 'upgrade', 'restart KaiwuDB', 'upgrade complete']


def test_the_docs_banner_counts_as_completed():
    outcome = deploy.parse_upgrade_output(0, 'UPGRADE COMPLETED: KaiwuDB has been upgraded successfully!\n', '')
    assert (outcome['completed'], outcome['message'], outcome['stages']) == (
        True, 'KaiwuDB has been upgraded successfully!', [])


def test_not_installed():
    error = refused(printed('deploy_not_installed_constructed.json'))
    assert isinstance(error, deploy.NotInstalled)
    assert str(error) == (
        "deploy.sh upgrade -l stopped at 'install check': KaiwuDB does not exist. Please install KaiwuDB first. -> this "
        "node has no KaiwuDB installation (/etc/systemd/system/kaiwudb.service is missing): install KaiwuDB with "
        "deploy.sh install, or run the upgrade on a node that has it")
    assert error.as_result() == {
        'kind': 'not_installed', 'script_message': 'KaiwuDB does not exist. Please install KaiwuDB first.',
        'stage': 'install check', 'rc': 1, 'changed': False, 'msg': str(error),
        'last_lines': ['[ERROR] 2026-06-30 02:28:59 KaiwuDB does not exist. Please install KaiwuDB first.']}


def test_a_container_package_on_a_bare_metal_install():
    error = refused(printed('deploy_mode_mismatch_constructed.json'))
    assert isinstance(error, deploy.DeployModeMismatch)
    assert str(error) == ("deploy.sh upgrade -l stopped at 'verify install type': Current use bare, but the package is "
                          "container. -> " + ADVICE_MISMATCH)


def test_a_bare_metal_package_on_a_container_install_and_an_unknown_install():
    assert str(refused(logged('Current use container, but the package is bare.'))).endswith(
        '-> this node is installed as container but the package is for bare metal: use the release package for '
        'container (KaiwuDB.tar)')
    assert str(refused(logged('Current use , but the package is bare.'))).endswith(
        '-> this node is installed as an unknown kind but the package is for bare metal: use the release package for '
        'an unknown kind (line 1 of /etc/kaiwudb/info/MODE says bare or container)')


def test_an_older_package():
    error = refused(printed('deploy_older_constructed.json'))
    assert isinstance(error, deploy.PackageNotNewer)
    assert str(error) == (
        "deploy.sh upgrade -l stopped at 'version compare': UPGRADE ERROR:The requested upgrade version is older than "
        "the current installed version.(current:3.1.0 new_version:3.0.0) -> the package 3.0.0 is not newer than the "
        "installed 3.1.0 and KWDB has no downgrade: use a package newer than 3.1.0")


VERSION_ADVICE = (" -> deploy.sh's extended-version check refused this move: use a package the check allows, or set "
                  "bypass_version_check=true (--bypass-version-check) if this move is intended")


@pytest.mark.parametrize('message', [
    'UPGRADE ERROR:Official version can not upgrade to beta1.',
    'UPGRADE ERROR:The upgrade conditions are not met.(beta1 --> alpha1)',
    'UPGRADE ERROR:The upgrade conditions are not met.( --> )',
])
def test_extended_version_refusals(message):
    error = refused(logged(message, 'version compare', 50))
    assert isinstance(error, deploy.VersionCheckRefused)
    assert str(error) == "deploy.sh upgrade -l stopped at 'version compare': " + message + VERSION_ADVICE


def test_the_bypass_warning():
    error = refused(printed('deploy_bypass_warning_constructed.json'))
    assert isinstance(error, deploy.VersionCheckRefused)
    assert str(error) == (
        "deploy.sh upgrade -l stopped at 'version compare': WARNING:This version upgrade is not supported, and if you "
        "continue to upgrade, you can use the --bypass-version-check option to re-execute the upgrade command to skip "
        "the version comparison check." + VERSION_ADVICE)


def test_a_running_single_node_cannot_be_upgraded_online():
    error = refused(printed('deploy_single_online_constructed.json'))
    assert isinstance(error, deploy.OnlineUpgradeUnsupported)
    assert str(error) == (
        "deploy.sh upgrade -l stopped at 'whether running': Current local node is not support online upgrade! Please "
        "stop KaiwuDB then try again. -> KaiwuDB runs here as a single node (line 2 of MODE is single), which deploy.sh "
        "upgrades offline only: stop it (systemctl stop kaiwudb) and run the upgrade again")


@pytest.mark.parametrize('message, advice', [
    ('/opt/kwdb_install/packages: No such directory.',
     'the package directory has no packages/ subdirectory: unpack the complete release tarball and point package_dir '
     'at its kwdb_install directory'),
    ('Package libcommon does not exist.',
     'packages/ has no libcommon package: a bare-metal upgrade needs the kaiwudb-server and kaiwudb-libcommon packages '
     'of the release'),
])
def test_missing_packages(message, advice):
    error = refused(logged(message, 'verify packages', 20))
    assert isinstance(error, deploy.PackageMissing)
    assert str(error) == "deploy.sh upgrade -l stopped at 'verify packages': %s -> %s" % (message, advice)


def test_a_failed_swap_after_the_mark_changed_the_node():
    error = refused(printed('deploy_swap_failed_online_constructed.json'))
    assert isinstance(error, deploy.UpgradeStepFailed)
    assert (error.details['stage'], error.details['changed']) == ('upgrade', True)
    assert str(error).startswith("deploy.sh upgrade -l stopped at 'upgrade': KaiwuDB upgrade failed: (Reading database")
    assert str(error).endswith('failed to write (No space left on device) dpkg: error processing archive '
                               './kaiwudb-server_3.1.0_amd64.deb (--install): new kaiwudb-server package pre-installation '
                               'script subprocess returned error exit status 1 Errors were encountered while processing: '
                               './kaiwudb-server_3.1.0_amd64.deb. -> ' + SWAP_ADVICE)


@pytest.mark.parametrize('message, stage, changed, advice', [
    ('Pipe create failed: dpkg: error: requested operation requires superuser privilege.', 'upgrade', True,
     'the offline package swap failed (deploy.sh reports it under this name) and the old packages may already be '
     'removed: fix the cause shown and run the upgrade again'),
    ('KaiwuDB change status failed: ERROR: can not upgrade nodes when cluster has node DEAD Failed running "node '
     'upgrade".', 'change KaiwuDB status', False,
     '`kwbase node upgrade` refused to mark this node and nothing was swapped: make every node live and available and '
     'run the upgrade again'),
    ("Recover KaiwuDB failed: Restart KaiwuDB failed. For more information, use 'journalctl -u kaiwudb' to view the "
     "system logs..", 'restart KaiwuDB', True,
     "the new packages are installed but the restart with --upgrade-complete failed (see 'journalctl -u kaiwudb'); the "
     "node stays UPGRADING until it starts with --upgrade-complete"),
])
def test_failed_steps(message, stage, changed, advice):
    error = refused(logged(message))
    assert isinstance(error, deploy.UpgradeStepFailed)
    assert (error.details['stage'], error.details['changed']) == (stage, changed)
    assert str(error) == "deploy.sh upgrade -l stopped at '%s': %s -> %s" % (stage, message, advice)


def test_an_unknown_error_keeps_the_progress_bar_stage_and_the_last_lines():
    error = refused(logged('Incorrect password.', 'install check', 10) + 'bye\n')
    assert error.__class__ is deploy.DeployRefused
    assert str(error) == ("deploy.sh upgrade -l stopped at 'install check': Incorrect password. -> its last lines: "
                          "[ERROR] 2026-06-30 02:28:59 Incorrect password. / bye")
    assert (error.details['kind'], error.details['changed']) == ('failed', False)


def test_a_known_error_wins_over_an_earlier_unknown_one():
    error = refused(logged('something odd') + logged('Current use bare, but the package is container.'))
    assert isinstance(error, deploy.DeployModeMismatch)


def test_an_unknown_error_during_a_changing_stage_counts_as_a_change():
    assert refused(logged('Get node id failed: .', 'change KaiwuDB status', 75)).details['changed'] is True


def test_exit_0_without_the_banner_is_no_success():
    error = refused('install check            : [#####  ] 10%\rsome text\n', rc=0)
    assert str(error) == ("deploy.sh upgrade -l stopped at 'install check': exited 0 without the UPGRADE COMPLETED "
                          "banner -> its last lines: some text")


def test_the_banner_with_a_failed_exit_is_no_success():
    error = refused(printed('deploy_offline_completed_constructed.json'), rc=1)
    assert str(error) == ("deploy.sh upgrade -l stopped at 'upgrade complete': exited 1 -> its last lines: "
                          "[UPGRADE COMPLETED]:Local node upgrade successfully.")


def test_a_timeout_without_output():
    error = refused('', rc=124, stderr='\n/opt/kwdb_install/deploy.sh did not answer within 1200s')
    assert str(error) == ('deploy.sh upgrade -l stopped before its first stage: exited 124 without the UPGRADE '
                          'COMPLETED banner -> its last lines: /opt/kwdb_install/deploy.sh did not answer within 1200s')


@pytest.mark.parametrize('text, mode', [('bare\nmulti-replication\n/usr/local/kaiwudb\n', 'bare'),
                                        ('container\nsingle\nkwdb/kwdb:3.2.1\n', 'container'),
                                        ('', None), (None, None), ('docker\n', None)])
def test_installed_deploy_mode_is_line_1_of_mode(text, mode):
    assert deploy.installed_deploy_mode(text) == mode


@pytest.mark.parametrize('names, mode', [
    (['kaiwudb-libcommon_3.1.0_amd64.deb', 'kaiwudb-server_3.1.0_amd64.deb'], 'bare'),
    (['KaiwuDB.tar'], 'container'),
    (['KaiwuDB.tar.gz'], 'container'),   # grep -qw KaiwuDB.tar matches it too
    (['MyKaiwuDB.tar', 'KaiwuDB.tarball'], 'bare'),
])
def test_package_deploy_mode_as_verify_files_decides(names, mode):
    assert deploy.package_deploy_mode(names) == mode


def test_missing_bare_packages():
    assert deploy.missing_packages(['kaiwudb-server_3.1.0_amd64.deb']) == ['libcommon']
    assert deploy.missing_packages(['x.rpm']) == ['server', 'libcommon']


def make_release(root, packages=('kaiwudb-server_3.1.0_amd64.deb', 'kaiwudb-libcommon_3.1.0_amd64.deb'), mode='bare',
                 installed=True):
    """A package dir (deploy.sh, packages/) and a config dir and unit under ``root``."""
    package_dir = root / 'kwdb_install'
    (package_dir / 'packages').mkdir(parents=True)
    script = package_dir / 'deploy.sh'
    script.write_text('#!/bin/sh\n')
    script.chmod(0o755)
    for name in packages:
        (package_dir / 'packages' / name).write_text('')
    (package_dir / 'packages' / '.version').write_text('3.1.0\n\n')
    (root / 'etc' / 'info').mkdir(parents=True)
    if mode is not None:
        (root / 'etc' / 'info' / 'MODE').write_text('%s\nmulti-replication\n' % mode)
    (root / 'etc' / 'info' / '.version').write_text('3.0.0\n')
    if installed:
        (root / 'kaiwudb.service').write_text('\n[Unit]\n')
    return str(package_dir), str(root / 'kaiwudb.service'), str(root / 'etc')


def test_inspect_reports_the_modes_and_packages(tmp_path):
    package_dir, unit, config = make_release(tmp_path)
    assert deploy.inspect(package_dir, unit, config) == {
        'installed_mode': 'bare', 'package_mode': 'bare',
        'packages': ['kaiwudb-libcommon_3.1.0_amd64.deb', 'kaiwudb-server_3.1.0_amd64.deb']}
    assert deploy.versions(package_dir, config) == {
        'installed_version': {'version': '3.0.0', 'extended': ''}, 'package_version': {'version': '3.1.0', 'extended': ''}}


def test_inspect_refuses_a_container_package_on_bare_metal(tmp_path):
    package_dir, unit, config = make_release(tmp_path, packages=('KaiwuDB.tar',))
    with pytest.raises(deploy.DeployModeMismatch) as caught:
        deploy.inspect(package_dir, unit, config)
    assert str(caught.value) == ("deploy.sh upgrade -l stopped at 'verify install type': Current use bare, but the "
                                 "package is container. -> " + ADVICE_MISMATCH)


def test_inspect_without_mode_refuses_like_the_script(tmp_path):
    package_dir, unit, config = make_release(tmp_path, mode=None)
    with pytest.raises(deploy.DeployModeMismatch) as caught:
        deploy.inspect(package_dir, unit, config)
    assert caught.value.details['script_message'] == 'Current use , but the package is bare.'


def test_inspect_checks_in_the_script_s_order(tmp_path):
    package_dir, unit, config = make_release(tmp_path, packages=('kaiwudb-server_3.1.0_amd64.deb',), installed=False)
    with pytest.raises(deploy.NotInstalled):
        deploy.inspect(package_dir, unit, config)
    with open(unit, 'w') as handle:
        handle.write('')
    with pytest.raises(deploy.PackageMissing) as caught:
        deploy.inspect(package_dir, unit, config)
    assert caught.value.details['script_message'] == 'Package libcommon does not exist.'
    os.remove(os.path.join(package_dir, 'deploy.sh'))
    with pytest.raises(DistsqlError) as caught:
        deploy.inspect(package_dir, unit, config)
    assert str(caught.value) == 'deploy.sh binary %s/deploy.sh does not exist or is not executable' % package_dir


def test_inspect_without_packages_dir(tmp_path):
    package_dir, unit, config = make_release(tmp_path)
    packages = os.path.join(package_dir, 'packages')
    for name in os.listdir(packages):
        os.remove(os.path.join(packages, name))
    os.rmdir(packages)
    with pytest.raises(deploy.PackageMissing) as caught:
        deploy.inspect(package_dir, unit, config)
    assert caught.value.details['script_message'] == '%s: No such directory.' % packages
    assert deploy.versions(package_dir, config)['package_version'] is None


def test_version_file_lines():
    assert deploy.read_version_file('/nonexistent/.version') is None
