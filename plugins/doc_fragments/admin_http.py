# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The request options of the modules that read a Databend admin HTTP API (databend-meta, databend-query).
    DOCUMENTATION = r'''
options:
  request_timeout:
    description:
      - Seconds one HTTP request may take before it counts as a node that does not answer.
    type: float
    default: 10.0
  validate_certs:
    description:
      - Verify the node's TLS certificate when an admin URL is C(https://) (databend-meta serves TLS on its admin API
        only with C(admin_tls_server_key) and C(admin_tls_server_cert) set).
    type: bool
    default: true
  ca_path:
    description:
      - CA certificate to verify the nodes' certificates with.
    type: path
'''
