# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How `cockroach` / `kwbase` client commands reach a cluster: the connection flags both CLIs share."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError


class Connection:
    """How a client CLI reaches the cluster."""

    def __init__(self, host=None, url=None, insecure=False, certs_dir=None, user='root'):
        self.host = host
        self.url = url
        self.insecure = insecure
        self.certs_dir = certs_dir
        self.user = user

    @classmethod
    def from_params(cls, params):
        if params.get('insecure') and params.get('certs_dir'):
            raise DistsqlError('insecure=true and certs_dir=%s contradict each other: a cluster is either insecure or '
                               'uses certificates' % params['certs_dir'])
        return cls(host=params.get('host'), url=params.get('url'), insecure=params.get('insecure', False),
                   certs_dir=params.get('certs_dir'), user=params.get('user') or 'root')

    def argv(self):
        if self.url:
            return ['--url=%s' % self.url]
        args = ['--host=%s' % self.host]
        if self.insecure:
            args.append('--insecure')
        elif self.certs_dir:
            args.append('--certs-dir=%s' % self.certs_dir)
        if self.user and self.user != 'root':
            args.append('--user=%s' % self.user)
        return args
