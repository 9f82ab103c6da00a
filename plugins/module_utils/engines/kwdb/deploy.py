# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KWDB's vendor script: `deploy.sh upgrade -l` (the local, offline or online upgrade of the node it runs on) and its
outcome read from the texts it prints, never from its exit code alone (flow-surfaces-kwdb.md section 2).

deploy.sh prints a progress bar (`<stage>: [###  ] NN%` ended by carriage returns), logs each refusal as
``\\033[31m [ERROR] YYYY-mm-dd HH:MM:SS <message> \\033[0m`` and ends a success with
``\\e[1;32m[UPGRADE COMPLETED]:\\e[0mLocal node upgrade successfully.``. Before touching anything it checks, in this
order: the installation (/etc/systemd/system/kaiwudb.service), packages/ and its files, the deploy mode (line 1 of
/etc/kaiwudb/info/MODE against the package kind: KaiwuDB.tar is a container package, anything else bare metal) and
the versions (unless --bypass-version-check).

The deploy capability (``get_engine('kwdb').deploy``) offers upgrade_argv(package_dir, bypass_version_check),
require_script(package_dir), parse_upgrade_output(rc, stdout, stderr), inspect(package_dir, unit_file, config_dir)
(the script's own checks, made without running it), versions(package_dir, config_dir) (both .version files) and
the deploy-mode readers installed_deploy_mode(MODE text) and package_deploy_mode(names).
Every refusal is a DeployRefused subclass whose message says what to do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.distsql.upgrade.plugins.module_utils.cli import require_executable
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DetailedError

SCRIPT = 'deploy.sh'
PACKAGES = 'packages'
UNIT_FILE = '/etc/systemd/system/kaiwudb.service'
CONFIG_DIR = '/etc/kaiwudb'
CONTAINER_PACKAGE = 'KaiwuDB.tar'
BARE_PACKAGES = ('server', 'libcommon')
DEPLOY_MODES = ('bare', 'container')
MODE_NAMES = {'bare': 'bare metal', 'container': 'container'}
MODE_PACKAGES = {'bare': 'the kaiwudb-server and kaiwudb-libcommon .deb/.rpm packages', 'container': 'KaiwuDB.tar'}
# The progress-bar stages at which deploy.sh changes the node (node upgrade mark, package swap, restart).
CHANGING_STAGES = ('upgrade', 'change KaiwuDB status', 'restart KaiwuDB', 'upgrade complete')
LAST_LINES = 5

_ANSI = re.compile(r'\x1b\[[0-9;]*m')
_PROGRESS = re.compile(r'^(?P<stage>\S.*?)\s*: \[[# ]*\] \d+%$')
_ERROR = re.compile(r'^\[ERROR\](?: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d)? (?P<message>.*)$')
_COMPLETED = re.compile(r'^\[?UPGRADE COMPLETED\]?:\s*(?P<message>.*)$')
# `grep -qw KaiwuDB.tar` over the `ls packages` lines (the dot matches any character, word boundaries around it)
_CONTAINER_PACKAGE = re.compile(r'(?<!\w)%s(?!\w)' % CONTAINER_PACKAGE)


class DeployRefused(DetailedError):
    """deploy.sh upgrade -l did not complete; details: kind, script_message, stage, rc, last_lines, changed."""

    kind = 'failed'


class NotInstalled(DeployRefused):
    kind = 'not_installed'


class PackageMissing(DeployRefused):
    kind = 'package_missing'


class DeployModeMismatch(DeployRefused):
    kind = 'deploy_mode_mismatch'


class PackageNotNewer(DeployRefused):
    kind = 'package_not_newer'


class VersionCheckRefused(DeployRefused):
    kind = 'version_check'


class OnlineUpgradeUnsupported(DeployRefused):
    kind = 'online_upgrade_unsupported'


class UpgradeStepFailed(DeployRefused):
    kind = 'step_failed'


# deploy.sh's failed steps: (stage, whether the node was changed before, what to do)
_STEPS = {
    'Pipe create failed': ('upgrade', True, 'the offline package swap failed (deploy.sh reports it under this name) '
                           'and the old packages may already be removed: fix the cause shown and run the upgrade again'),
    'KaiwuDB change status failed': ('change KaiwuDB status', False, '`kwbase node upgrade` refused to mark this node '
                                     'and nothing was swapped: make every node live and available and run the upgrade '
                                     'again'),
    'KaiwuDB upgrade failed': ('upgrade', True, 'the package swap failed after the node was marked UPGRADING '
                               '(server.time_until_store_dead is 3h now): fix the cause shown and run the upgrade '
                               'again, or restart the node with --upgrade-complete to clear the mark'),
    'Recover KaiwuDB failed': ('restart KaiwuDB', True, 'the new packages are installed but the restart with '
                               "--upgrade-complete failed (see 'journalctl -u kaiwudb'); the node stays UPGRADING until "
                               'it starts with --upgrade-complete'),
}

# (pattern over deploy.sh's logged message, error class, the stage that logs it, what to do with %(group)s of the
# pattern). A refusal of its checks changes nothing; _STEPS says for each failed step whether the node was changed.
_RULES = (
    (r'^KaiwuDB does not exist\. Please install KaiwuDB first\.$', NotInstalled, 'install check',
     'this node has no KaiwuDB installation (%s is missing): install KaiwuDB with deploy.sh install, or run the '
     'upgrade on a node that has it' % UNIT_FILE),
    (r'^(?P<path>.*): No such directory\.$', PackageMissing, 'verify packages',
     'the package directory has no packages/ subdirectory: unpack the complete release tarball and point '
     'package_dir at its kwdb_install directory'),
    (r'^Package (?P<item>\S+) does not exist\.$', PackageMissing, 'verify packages',
     'packages/ has no %(item)s package: a bare-metal upgrade needs the kaiwudb-server and kaiwudb-libcommon '
     'packages of the release'),
    (r'^Current use (?P<installed>\S*), but the package is (?P<package>\S+)\.$', DeployModeMismatch,
     'verify install type',
     'this node is installed as %(installed_name)s but the package is for %(package_name)s: use the release package '
     'for %(installed_name)s (%(installed_package)s)'),
    (r'^UPGRADE ERROR:The requested upgrade version is older than the current installed version\.'
     r'\(current:(?P<current>.*) new_version:(?P<new>.*)\)$', PackageNotNewer, 'version compare',
     'the package %(new)s is not newer than the installed %(current)s and KWDB has no downgrade: use a package newer '
     'than %(current)s'),
    (r'^(?:UPGRADE ERROR:(?:Official version can not upgrade to|The upgrade conditions are not met)|WARNING:This '
     r'version upgrade is not supported)', VersionCheckRefused, 'version compare',
     "deploy.sh's extended-version check refused this move: use a package the check allows, or set "
     'bypass_version_check=true (--bypass-version-check) if this move is intended'),
    (r'^Current local node is not support online upgrade! Please stop KaiwuDB then try again\.$',
     OnlineUpgradeUnsupported, 'whether running',
     'KaiwuDB runs here as a single node (line 2 of MODE is single), which deploy.sh upgrades offline only: stop it '
     '(systemctl stop kaiwudb) and run the upgrade again'),
    (r'^(?P<step>%s): (?P<detail>.*)\.$' % '|'.join(re.escape(step) for step in _STEPS), UpgradeStepFailed, None,
     '%(step_advice)s'),
)


def upgrade_argv(package_dir, bypass_version_check=False):
    """`<package_dir>/deploy.sh upgrade -l [--bypass-version-check]`."""
    argv = [os.path.join(package_dir, SCRIPT), 'upgrade', '-l']
    return argv + ['--bypass-version-check'] if bypass_version_check else argv


def output_lines(text):
    """The lines deploy.sh printed, colours removed, the progress bar's carriage returns split, blanks dropped."""
    return [line.strip() for line in re.split(r'[\r\n]+', _ANSI.sub('', text or '')) if line.strip()]


def _rule(script_message):
    for pattern, error_class, stage, advice in _RULES:
        match = re.match(pattern, script_message)
        if match:
            return match, error_class, stage, advice
    return None


def refusal(script_message, bar_stage=None, rc=None, last_lines=()):
    """The DeployRefused subclass deploy.sh's logged ``script_message`` stands for, with what to do.

    The stage is the one that logs the message; for a message no rule knows, the last one the progress bar showed
    (``bar_stage``), and then the node counts as changed once that stage is one of CHANGING_STAGES.
    """
    rule = _rule(script_message)
    if rule is None:
        match, error_class, stage, advice = None, DeployRefused, bar_stage, 'its last lines: %s' % (
            ' / '.join(last_lines) or '(no output)')
        changed = stage in CHANGING_STAGES
    else:
        match, error_class, stage, advice = rule
        changed = False
    groups = match.groupdict() if match else {}
    if groups.get('step'):
        stage, changed, groups['step_advice'] = _STEPS[groups['step']]
    installed = groups.get('installed')
    groups.update(installed_name=MODE_NAMES.get(installed, 'an unknown kind'),
                  installed_package=MODE_PACKAGES.get(installed, 'line 1 of %s/info/MODE says bare or container'
                                                      % CONFIG_DIR),
                  package_name=MODE_NAMES.get(groups.get('package'), groups.get('package')))
    where = "at '%s'" % stage if stage else 'before its first stage'
    message = 'deploy.sh upgrade -l stopped %s: %s -> %s' % (where, script_message, advice % groups)
    details = {'kind': error_class.kind, 'script_message': script_message, 'stage': stage, 'rc': rc,
               'last_lines': list(last_lines), 'changed': changed}
    return error_class(message, details)


def parse_upgrade_output(rc, stdout, stderr):
    """The outcome of `deploy.sh upgrade -l`: completed, message, stages (those the progress bar showed) and lines.

    Success needs the UPGRADE COMPLETED banner, no [ERROR] line and exit code 0. Anything else raises the
    DeployRefused subclass of the first logged error that a rule knows (else of the first error; DeployRefused
    itself, with the last lines, when no rule knows it or nothing was logged).
    """
    lines = output_lines(stdout) + output_lines(stderr)
    stages = [match.group('stage') for match in (_PROGRESS.match(line) for line in lines) if match]
    messages = [line for line in lines if not _PROGRESS.match(line)]
    errors = [match.group('message') for match in (_ERROR.match(line) for line in messages) if match]
    completed = [match.group('message') for match in (_COMPLETED.match(line) for line in messages) if match]
    if rc == 0 and completed and not errors:
        return {'completed': True, 'message': completed[-1], 'stages': stages, 'lines': messages}
    known = [error for error in errors if _rule(error)] or errors
    if known:
        script_message = known[0]
    else:
        script_message = 'exited %s%s' % (rc, '' if completed else ' without the UPGRADE COMPLETED banner')
    raise refusal(script_message, stages[-1] if stages else None, rc, messages[-LAST_LINES:])


def installed_deploy_mode(mode_text):
    """Line 1 of /etc/kaiwudb/info/MODE ('bare' or 'container'), as deploy.sh's install_type reads it; else None."""
    lines = (mode_text or '').splitlines()
    first = lines[0].strip() if lines else ''
    return first if first in DEPLOY_MODES else None


def package_deploy_mode(names):
    """'container' when the packages/ listing has KaiwuDB.tar (deploy.sh verify_files), else 'bare'."""
    return 'container' if any(_CONTAINER_PACKAGE.search(name) for name in names) else 'bare'


def missing_packages(names):
    """The bare-metal packages ('server', 'libcommon') no file name in packages/ mentions."""
    return [item for item in BARE_PACKAGES if not any(item in name for name in names)]


def _read(path):
    """The text of a file, None when it does not exist."""
    if not os.path.isfile(path):
        return None
    with open(path, encoding='utf-8', errors='replace') as handle:
        return handle.read()


def read_version_file(path):
    """Lines 1 and 2 of a .version file as {'version', 'extended'}; None when the file does not exist."""
    text = _read(path)
    if text is None:
        return None
    lines = text.splitlines() + ['', '']
    return {'version': lines[0].strip(), 'extended': lines[1].strip()}


def require_script(package_dir):
    require_executable(os.path.join(package_dir, SCRIPT), SCRIPT)


def versions(package_dir, config_dir=CONFIG_DIR):
    """installed_version (info/.version) and package_version (packages/.version), as read_version_file gives them."""
    return {'installed_version': read_version_file(os.path.join(config_dir, 'info', '.version')),
            'package_version': read_version_file(os.path.join(package_dir, PACKAGES, '.version'))}


def inspect(package_dir, unit_file=UNIT_FILE, config_dir=CONFIG_DIR):
    """deploy.sh's checks before it touches anything, in its order, made without running it (the version check aside).

    Returns installed_mode, package_mode and packages (the names `ls packages` lists); raises the refusal deploy.sh
    would log.
    """
    require_script(package_dir)
    if not os.path.exists(unit_file):
        raise refusal('KaiwuDB does not exist. Please install KaiwuDB first.')
    packages_dir = os.path.join(package_dir, PACKAGES)
    if not os.path.isdir(packages_dir):
        raise refusal('%s: No such directory.' % packages_dir)
    names = sorted(name for name in os.listdir(packages_dir) if not name.startswith('.'))
    package_mode = package_deploy_mode(names)
    missing = missing_packages(names) if package_mode == 'bare' else []
    if missing:
        raise refusal('Package %s does not exist.' % missing[0])
    installed_mode = installed_deploy_mode(_read(os.path.join(config_dir, 'info', 'MODE')))
    if installed_mode != package_mode:
        raise refusal('Current use %s, but the package is %s.' % (installed_mode or '', package_mode))
    return {'installed_mode': installed_mode, 'package_mode': package_mode, 'packages': names}
