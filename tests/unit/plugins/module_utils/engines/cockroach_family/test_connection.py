# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection flags the CockroachDB-family CLIs get."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError


@pytest.mark.parametrize("params, argv", [
    ({"host": "db1:26257", "insecure": True}, ["--host=db1:26257", "--insecure"]),
    ({"host": "db1:26257", "certs_dir": "/certs", "user": "upgrader"},
     ["--host=db1:26257", "--certs-dir=/certs", "--user=upgrader"]),
    ({"url": "postgresql://root:pw@db1:26257/defaultdb?sslmode=verify-full"},
     ["--url=postgresql://root:pw@db1:26257/defaultdb?sslmode=verify-full"]),
])
def test_connection_argv(params, argv):
    assert Connection.from_params(params).argv() == argv


def test_contradicting_security_options():
    with pytest.raises(DistsqlError) as caught:
        Connection.from_params({"host": "h:1", "insecure": True, "certs_dir": "/c"})
    assert str(caught.value) == ("insecure=true and certs_dir=/c contradict each other: a cluster is either insecure or "
                                 "uses certificates")
