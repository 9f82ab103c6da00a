# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  engine:
    description:
      - Which database the cluster runs. Decides the client binary, its default path and the internal schema
        (C(crdb_internal) or C(kwdb_internal)).
    type: str
    required: true
    choices: [cockroachdb, kwdb]
  binary:
    description:
      - Path of the client binary on the host the module runs on.
      - Defaults to C(/usr/local/bin/cockroach) for C(cockroachdb) and C(/usr/local/kaiwudb/bin/kwbase) for C(kwdb).
    type: path
  host:
    description:
      - Address of any node of the cluster, as C(host:port) of its SQL/RPC listener (C(--host) of the CLI).
      - Exactly one of O(host) and O(url) is required.
    type: str
  url:
    description:
      - A full connection URL (C(--url) of the CLI), for example with a password for password authentication.
      - Never logged.
    type: str
  insecure:
    description:
      - Connect without TLS (C(--insecure)); only for clusters started with C(--insecure).
      - Mutually exclusive with O(certs_dir).
    type: bool
    default: false
  certs_dir:
    description:
      - Directory holding C(ca.crt) and the client certificate and key of O(user) (C(--certs-dir)).
    type: path
  user:
    description:
      - SQL user the CLI connects as.
    type: str
    default: root
  command_timeout:
    description:
      - Seconds one CLI call may take before it counts as a failed observation.
    type: int
    default: 30
'''
