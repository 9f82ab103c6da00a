# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine: what every engine object offers, and the version_probe flow built on it.

``run`` is any callable taking an argv list and returning (rc, stdout, stderr), normally
``AnsibleModule.run_command`` wrapped by runner.timed_runner.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError


class Engine:
    """One engine (or one component of an engine). Subclasses set the class attributes and implement
    version_argv(), read_version() and plan_upgrade(); family bases such as cockroach_family's SqlEngine
    add what their members share.

    Capabilities are modules of the engine's package handed to the constructor by keyword
    (``CockroachDB(outputs=outputs, upgrades=upgrades, versions=versions)``): each one becomes an attribute
    (``engine.upgrades``), and ``capability(name)`` returns it or says clearly that the engine lacks it.
    """

    name = None             # the registry name, e.g. 'cockroachdb' or 'databend_query'
    default_binary = None   # where the packages install the binary
    version_scheme = None   # the engine's version_scheme.VersionScheme (engines/<engine>/versions.py)
    # False where an upgrade replaces the installed release (KWDB's deploy.sh): the plan then stages the release
    # every node runs now too, so that a failed node can be reinstalled without a download.
    keeps_previous_release = True
    # What clients see per flow where the engine differs from release_plan.CLIENT_IMPACT.
    client_impact = {}

    def __init__(self, **capabilities):
        for key, capability in capabilities.items():
            setattr(self, key, capability)
        self.capabilities = tuple(sorted(capabilities))

    @property
    def engine(self):
        """The registry name (same as ``name``)."""
        return self.name

    def capability(self, name):
        """The capability module ``name`` of this engine; a DistsqlError when the engine has none such."""
        if name not in self.capabilities:
            raise DistsqlError('the %s engine has no %s capability; it has %s'
                               % (self.name, name, ', '.join(self.capabilities) or 'none'))
        return getattr(self, name)

    def version_argv(self, binary):
        """The argv that makes ``binary`` print its version."""
        raise NotImplementedError

    def read_version(self, run, binary):
        """(printed version tag, dict of everything the version command printed)."""
        raise NotImplementedError

    def parse_version(self, text):
        """An EngineVersion of this engine."""
        return self.version_scheme.parse(text)

    def plan_upgrade(self, current, target, params):
        """The UpgradePlan from ``current`` to ``target`` (read_binary()/read_target() results) under the
        version_probe options in ``params``."""
        raise NotImplementedError

    # The version_probe flow. Engines adjust it through the hooks version_facts, target_from_version, read_peer.

    def read_binary(self, run, binary):
        """The version a binary prints, parsed, with the full version output."""
        printed, details = self.read_version(run, binary)
        return {'version': printed, 'parsed': self.parse_version(printed).to_dict(), 'details': details}

    def version_facts(self, details):
        """Extra result keys derived from the installed binary's version output."""
        return {}

    def target_from_version(self, version):
        """The target when only its version string is known."""
        return {'version': version, 'parsed': self.parse_version(version).to_dict(), 'details': None}

    def read_target(self, run, params):
        if params.get('target_binary'):
            return self.read_binary(run, params['target_binary'])
        if params.get('target_version'):
            return self.target_from_version(params['target_version'])
        return None

    def read_peer(self, run, params):
        """What a plan needs to know about other components (None for a self-contained engine)."""
        return None

    def probe(self, run, params):
        """The module result for version_probe: version, parsed, details and, with a target, the upgrade plan."""
        current = self.read_binary(run, params.get('binary') or self.default_binary)
        result = dict(current)
        result.update(self.version_facts(current['details']))
        target = self.read_target(run, params)
        if target is not None:
            plan_params = dict(params, peer=self.read_peer(run, params))
            result['target'] = target
            result['upgrade'] = self.plan_upgrade(current, target, plan_params).to_dict()
        return result
