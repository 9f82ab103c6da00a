# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What CockroachDB and its fork KWDB share; not an engine of its own (the registry does not list it).

engine.py        SqlEngine, the base class of both engine objects (version command, node_status, range_health)
connection.py    Connection: the --host/--url/--insecure/--certs-dir/--user flags of both CLIs
node_status.py   `node status` output of every version band, as typed node dicts
range_health.py  the range-health query on <internal schema>.kv_store_status and its result
jobs.py          SHOW JOBS by header name (CockroachDB's column sets and KWDB's), running jobs
outputs.py       shared version-report labels, `node drain` output, SHOW CLUSTER SETTING values, /health?ready=1
sql.py           one statement through `<binary> sql --format=csv -e`, and the CLI error format (ERROR, SQLSTATE, DETAIL, HINT)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
