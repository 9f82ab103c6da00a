# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which upgrades KWDB/KaiwuDB allows: no downgrade, no in-place move across the 2.2.0 and 3.x generations (export
and import instead) and deploy.sh's rules on the extended version (pure functions over versions and plain data).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb.versions import SCHEME
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.plan import UpgradePlan, refused

_KWDB_EXTENDED_RE = re.compile(r'^(?P<line>alpha|beta|hotfix|enhance|patch)(?P<number>\d*)(?:(?P<sub>alpha|beta)(?P<subnumber>\d*))?$')
_KWDB_FIX_LINES = ('hotfix', 'enhance', 'patch')
_KWDB_PRE_LINES = ('alpha', 'beta')
_KWDB_NO_DOWNGRADE = "KWDB has no downgrade: uninstall it, reinstall the old version and restore a backup."
_KWDB_BYPASS_HINT = "Set bypass_version_check to skip the extended version check (deploy.sh --bypass-version-check)."


def parse_kwdb_extended(text):
    """Split line 2 of KWDB's .version ('', 'alpha1', 'beta2', 'hotfix1', 'enhance2', 'patch3', 'hotfix1beta1').

    Returns None for a GA release, else a dict with line, number, sub, subnumber (numbers as ints, 0 when absent).
    """
    value = (text or '').strip()
    if not value:
        return None
    match = _KWDB_EXTENDED_RE.match(value)
    if not match:
        raise VersionParseError('kwdb', text, 'unknown extended version tag (expected alpha, beta, hotfix, enhance or patch and a number)')
    return {
        'line': match.group('line'),
        'number': int(match.group('number') or 0),
        'sub': match.group('sub'),
        'subnumber': int(match.group('subnumber') or 0),
    }


def _not_met(old_text, new_text):
    return "The upgrade conditions are not met.(%s --> %s)" % (old_text, new_text)


def _same_line_refusal(old, new, old_text, new_text):
    """deploy.sh ext_compare for two tags of the same line (hotfix1 -> hotfix2, alpha1beta1 -> ...)."""
    if new['number'] < old['number']:
        return _not_met(old_text, new_text)
    if new['number'] > old['number']:
        # deploy.sh refuses hotfix/enhance increments without --bypass-version-check
        return _not_met(old_text, new_text) if old['line'] in ('hotfix', 'enhance') else None
    if old['sub'] is None:
        return _not_met(old_text, new_text)
    if new['sub'] is None:
        return None
    if old['sub'] == 'beta' and new['sub'] == 'alpha':
        return _not_met(old_text, new_text)
    if old['sub'] == new['sub'] and new['subnumber'] <= old['subnumber']:
        return _not_met(old_text, new_text)
    return None


def kwdb_extended_refusal(old_text, new_text):
    """deploy.sh version_compare for two equal base versions: the refusal message, or None if allowed."""
    old, new = parse_kwdb_extended(old_text), parse_kwdb_extended(new_text)
    old_text, new_text = (old_text or '').strip(), (new_text or '').strip()
    new_line = new['line'] if new else None
    if old is None:
        return "Official version can not upgrade to %s." % new_text if new_line in _KWDB_PRE_LINES else None
    if new_line in _KWDB_PRE_LINES and (old['line'] == 'beta' and new_line == 'alpha' or old['line'] in _KWDB_FIX_LINES):
        return _not_met(old_text, new_text)
    if new is None or new_line != old['line']:
        crossing_fix_lines = old['line'] in _KWDB_FIX_LINES and new_line in _KWDB_FIX_LINES
        return _not_met(old_text, new_text) if crossing_fix_lines else None
    return _same_line_refusal(old, new, old_text, new_text)


def _kwdb_export_import_refusal(current, target):
    if current.major < 3 <= target.major:
        return ("cannot upgrade KWDB %s to %s in place: 1.x/2.x cannot be upgraded to 3.x; export the data, deploy a fresh "
                "%s cluster and import it" % (current.tag, target.tag, target.series))
    if current.release < (2, 2, 0) <= target.release:
        return ("cannot upgrade KWDB %s to %s in place: versions before 2.2.0 cannot be upgraded to 2.2.x or later; export "
                "the data, deploy a fresh %s cluster and import it" % (current.tag, target.tag, target.series))
    return None


def _kwdb_label(version, extended):
    extended = (extended or '').strip()
    return '%s (%s)' % (version.tag, extended) if extended else version.tag


def _kwdb_kind(current, target):
    if current.series == target.series:
        return 'patch'
    return 'minor' if current.major == target.major else 'major'


def _kwdb_warnings(current, target):
    warnings = []
    if current.release < (2, 1, 0) <= target.release:
        warnings.append("after deploy.sh upgrade -l run 'sudo -u kaiwudb ./others/alter_tag <store_path>' "
                        "(default /var/lib/kaiwudb) on each node (2.0.x -> 2.1.0 step)")
    if (3, 0, 0) <= current.release < (3, 2, 0) <= target.release:
        warnings.append("multi-replica clusters need SET CLUSTER SETTING ts.raft_log.sync_period = '0s' and a 5 minute "
                        "wait before upgrading to 3.2.0")
    return warnings


def plan_kwdb(current, target, current_extended=None, target_extended=None, bypass_version_check=False):
    """Plan a KWDB move; *_extended is line 2 of /etc/kaiwudb/info/.version and packages/.version.

    bypass_version_check mirrors deploy.sh --bypass-version-check: it skips the extended-tag rules only, never a base
    downgrade or a cross-generation (export/import) move. Extra key 'bypass_version_check_needed' is True when the
    plan is allowed only thanks to the bypass, so the caller must pass --bypass-version-check to deploy.sh.
    """
    current = SCHEME.as_version(current)
    target = SCHEME.as_version(target)
    if target < current:
        reason = ("The requested upgrade version is older than the current installed version.(current:%s new_version:%s) %s"
                  % (current.tag, target.tag, _KWDB_NO_DOWNGRADE))
        return refused('downgrade', reason, bypass_version_check_needed=False)
    export_import = _kwdb_export_import_refusal(current, target)
    if export_import:
        return refused('export_import', export_import, bypass_version_check_needed=False)
    warnings = _kwdb_warnings(current, target)
    bypass_needed = False
    if target == current:
        if (current_extended or '').strip() == (target_extended or '').strip():
            return UpgradePlan(True, 'none', [], "already at %s" % target.tag, bypass_version_check_needed=False)
        refusal = kwdb_extended_refusal(current_extended, target_extended)
        if refusal and not bypass_version_check:
            return refused('patch', "%s %s" % (refusal, _KWDB_BYPASS_HINT), bypass_version_check_needed=True)
        if refusal:
            bypass_needed = True
            warnings.append("bypass_version_check skips a failed deploy.sh check: %s" % refusal)
    kind = _kwdb_kind(current, target)
    reason = "%s upgrade from %s to %s" % (kind, _kwdb_label(current, current_extended), _kwdb_label(target, target_extended))
    return UpgradePlan(True, kind, [target.tag], reason, warnings, bypass_version_check_needed=bypass_needed)
