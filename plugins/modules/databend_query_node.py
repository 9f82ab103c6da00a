#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: databend_query_node
short_description: Wait until a (re)started databend-query node serves and is registered in its cluster
version_added: 0.1.0
description:
  - Runs on the query host, so that it can read the node's log file.
  - The node is ready when its admin API answers C(GET /v1/health) with C({"status":"pass"}); its own
    C(GET /v1/cluster/list) (and that of every node in O(cluster_admin_urls)) lists an entry whose C(http_address)
    or C(flight_address) host is O(address), with a C(binary_version) of O(expected_version); and the log, from
    O(log_offset) on, has no line with C(InvalidArgument), C(HandshakeError) or C(failed to handshake with
    meta-service) (the texts databend-query writes when its meta service is incompatible, by version).
  - The node id changes on every start, so the entry is found by address, never by id.
  - With O(wait_for=ready) it polls until the node is ready for O(stable_checks) consecutive checks, and fails with
    the last observation and what was missing when O(timeout) passes first. A handshake failure line ends the wait at
    once with a failure quoting it, because a node whose meta service is incompatible does not heal by waiting.
    A node that refuses connections (still starting) counts as a failed check; an answer that waiting cannot change
    (HTTP 4xx, a body that is not the route's JSON) fails at once.
  - With O(wait_for=none) it reads once without failing; call it so before a start to record RV(log_size) as the
    O(log_offset) of the wait after the start.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.attributes.read_only
  - distsql.upgrade.wait
  - distsql.upgrade.admin_http
options:
  admin_url:
    description:
      - Base URL of the node's own admin API (C(admin_api_address), port 8080 by default), for example
        C(http://127.0.0.1:8080).
    type: str
    required: true
  address:
    description:
      - The node's IP address or host name as the other nodes and the meta service see it; the address its
        C(/v1/cluster/list) entry carries. databend-query advertises a loopback or unspecified listen address as the
        local IP of its meta connection, so give that IP, not C(127.0.0.1).
      - A C(host:port) is matched against the whole C(http_address) or C(flight_address).
    type: str
    required: true
  cluster_admin_urls:
    description:
      - Admin API base URLs of other query nodes of the same cluster; each of their lists must show the node too.
      - Query nodes on either side of a cluster key prefix change (1.2.628, 1.2.647, 1.2.671, 1.2.684) do not see
        each other, so list only nodes that run the node's new version.
    type: list
    elements: str
    default: []
  log_file:
    description:
      - Path of the node's log file (C(<log.file.dir>/databend-query-...)). Without it the log is not checked.
      - A file that does not exist yet counts as empty; a file shorter than O(log_offset) was rotated and is read
        from its start.
    type: path
  log_offset:
    description:
      - Byte size of O(log_file) before the start (RV(log_size) of a run before it); only what follows is read.
    type: int
    default: 0
  service:
    description:
      - The systemd unit of the node (run on the node itself). While waiting, a unit that is no longer running
        (C(failed) or C(inactive), the process exited, for example on a refused handshake) ends the wait at once
        with its state and exit status instead of waiting out O(timeout).
    type: str
  expected_version:
    description:
      - The version the node must run, such as C(1.2.770-nightly); its C(binary_version) must start with
        C(v<expected_version>) followed by C(-), C(() or its end.
    type: str
  wait_for:
    description:
      - V(ready) waits until the node is ready; V(none) reads once and reports without failing.
    type: str
    default: ready
    choices: [none, ready]
notes:
  - With the packaged configuration (C([log.file] level = "WARN")) databend-query writes its handshake INFO lines
    only to stderr (the journal); point O(log_file) at a file that receives stderr as well when the unit redirects
    it, or the check only sees what the file logger writes.
seealso:
  - module: distsql.upgrade.databend_meta_status
'''

EXAMPLES = r'''
- name: Record the size of the log before the start
  distsql.upgrade.databend_query_node:
    admin_url: http://127.0.0.1:8080
    address: "{{ ansible_host }}"
    log_file: /var/log/databend/databend-query-default.log
    wait_for: none
  register: before_start

- name: Start databend-query
  ansible.builtin.systemd_service:
    name: databend-query
    state: started

- name: Wait until the node is ready on the new version and its peers list it
  distsql.upgrade.databend_query_node:
    admin_url: http://127.0.0.1:8080
    address: "{{ ansible_host }}"
    cluster_admin_urls: ["http://10.0.0.12:8080"]
    log_file: /var/log/databend/databend-query-default.log
    log_offset: "{{ before_start.log_size }}"
    expected_version: 1.2.770-nightly
    timeout: 180
'''

RETURN = r'''
node_id:
  description: The id of the node's entry in its own C(/v1/cluster/list) (random per start); C(null) when not listed.
  returned: success, and on a failure after a check
  type: str
  sample: 2KTgGnTDuKHw3wu9CCVIf6
version:
  description: The C(binary_version) of that entry.
  returned: success, and on a failure after a check
  type: str
  sample: v1.2.770-nightly-6887233c0e(rust-1.85.0-nightly-2025-02-14T11:57:01.874747910Z)
http_address:
  description: The C(http_address) of that entry.
  returned: success, and on a failure after a check
  type: str
  sample: 10.0.0.11:8000
flight_address:
  description: The C(flight_address) of that entry.
  returned: success, and on a failure after a check
  type: str
  sample: 10.0.0.11:9090
registered_via:
  description: The admin URLs (the node's own first) whose list shows the node with the expected version.
  returned: success, and on a failure after a check
  type: list
  elements: str
  sample: ["http://127.0.0.1:8080", "http://10.0.0.12:8080"]
log_errors:
  description: The handshake failure lines of the log from O(log_offset) on.
  returned: success, and on a failure after a check
  type: list
  elements: str
  sample: []
log_size:
  description: The current byte size of O(log_file) (0 when it does not exist); C(null) without O(log_file).
  returned: success, and on a failure after a check
  type: int
  sample: 48213
log_rotated:
  description: O(log_file) was shorter than O(log_offset), so it was read from its start.
  returned: success, and on a failure after a check
  type: bool
  sample: false
exited:
  description: Why O(service) is no longer running (its state, result and exit status); C(null) while it runs or
    without O(service).
  returned: success, and on a failure after a check
  type: str
  sample: unit failed (failed, result exit-code, exit status 209)
healthy:
  description: The node is ready.
  returned: success, and on a failure after a check
  type: bool
  sample: true
reason:
  description: What is missing for the node to be ready, C(; )-joined; C(null) when it is ready.
  returned: success, and on a failure after a check
  type: str
  sample: "http://127.0.0.1:8080/v1/cluster/list lists no node at 10.0.0.11"
trace:
  description: One short entry per check (the last 100) while waiting.
  returned: when O(wait_for=ready)
  type: list
  elements: dict
  sample:
    - {elapsed: 0.01, healthy: false, reason: "GET http://127.0.0.1:8080/v1/health failed: [Errno 111] Connection refused"}
    - {elapsed: 1.02, healthy: true, node_id: 2KTgGnTDuKHw3wu9CCVIf6}
checks:
  description: How many checks ran.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds spent, including waiting.
  returned: always
  type: float
  sample: 4.4
'''

import copy
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DetailedError, DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import WAIT_ARGUMENT_SPEC, poll

ENGINE = get_engine('databend_query')
ADMIN_API = ENGINE.capability('admin_api')
QUERY_NODE = ENGINE.capability('query_node')


class Checker:
    """One check: the node's health and list, the other nodes' lists, the new log lines."""

    def __init__(self, params, module):
        self.params = params
        self.module = module
        self.request = ADMIN_API.request_options(params)
        self.log = QUERY_NODE.LogScanner(params['log_file'], params['log_offset']) if params['log_file'] else None
        self.start = time.monotonic()
        self.checks = 0

    def observe(self):
        params = self.params
        self.checks += 1
        own = QUERY_NODE.read_own(params['admin_url'], **self.request)
        others = [QUERY_NODE.read_other(url, **self.request) for url in params['cluster_admin_urls']]
        log_errors, log_size = self.log.scan() if self.log else ([], None)
        state = QUERY_NODE.judge(own, others, log_errors, params['address'], params['expected_version'])
        state.update(log_errors=log_errors, log_size=log_size, log_rotated=bool(self.log and self.log.rotated),
                     reason='; '.join(state.pop('reasons')) or None, exited=self.unit_exited())
        return state

    def unit_exited(self):
        if not self.params['service']:
            return None
        argv = ['systemctl', 'show', '--property=' + ','.join(QUERY_NODE.UNIT_PROPERTIES), self.params['service']]
        rc, out, err = self.module.run_command(argv)
        if rc != 0:
            raise DistsqlError('%s failed (rc %d): %s' % (' '.join(argv), rc, (err or out).strip()))
        return QUERY_NODE.unit_exited(QUERY_NODE.parse_unit_show(out))


def trace_entry(state):
    entry = {'healthy': state['healthy']}
    if state['node_id']:
        entry['node_id'] = state['node_id']
    if state['reason']:
        entry['reason'] = state['reason']
    return entry


def handshake_failure(params, state):
    more = ' (and %d more such lines)' % (len(state['log_errors']) - 1) if len(state['log_errors']) > 1 else ''
    return ('databend-query at %s cannot work with its meta service, which waiting will not change: %s has, since '
            'offset %d: %s%s' % (params['admin_url'], params['log_file'], params['log_offset'], state['log_errors'][0],
                                 more))


def wait_ready(checker):
    params = checker.params

    def observe():
        try:
            return checker.observe()
        except QUERY_NODE.EndpointError as exc:
            return {'endpoint_error': exc}

    def satisfied(state):
        if 'endpoint_error' in state:
            raise state['endpoint_error']
        if state['log_errors']:
            raise DetailedError(handshake_failure(params, state), state)
        if state['exited'] and not state['healthy']:
            raise DetailedError('databend-query at %s is not running, which waiting will not change: %s %s'
                                % (params['admin_url'], params['service'], state['exited']), state)
        return state['healthy']

    return poll(observe, satisfied, params, 'databend-query at %s to be ready' % params['admin_url'],
                trace=trace_entry)


def normalized_params(module):
    params = dict(module.params)
    params['admin_url'] = ADMIN_API.base_url(params['admin_url'], 'admin_url')
    params['cluster_admin_urls'] = [ADMIN_API.base_url(url, 'cluster_admin_urls')
                                    for url in params['cluster_admin_urls']]
    if params['log_offset'] < 0:
        raise DistsqlError('log_offset must be 0 or more, got %d' % params['log_offset'])
    if not params['address'].strip():
        raise DistsqlError("address is empty: give the node's IP address or host name as the other nodes see it")
    params['address'] = params['address'].strip()
    return params


def main():
    argument_spec = dict(
        admin_url=dict(type='str', required=True),
        address=dict(type='str', required=True),
        cluster_admin_urls=dict(type='list', elements='str', default=[]),
        log_file=dict(type='path'),
        log_offset=dict(type='int', default=0),
        service=dict(type='str'),
        expected_version=dict(type='str'),
        wait_for=dict(type='str', default='ready', choices=['none', 'ready']),
    )
    argument_spec.update(copy.deepcopy(WAIT_ARGUMENT_SPEC))
    argument_spec.update(copy.deepcopy(ADMIN_API.HTTP_ARGUMENT_SPEC))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        checker = Checker(normalized_params(module), module)
        if checker.params['wait_for'] == 'none':
            result = poll(checker.observe, None, checker.params, 'one read')
        else:
            result = wait_ready(checker)
    except WaitTimeout as exc:
        failure = exc.as_result()
        if failure.get('reason'):
            failure['msg'] = '%s: %s' % (failure['msg'], failure['reason'])
        module.fail_json(**failure)
    except DetailedError as exc:
        module.fail_json(checks=checker.checks, elapsed=round(time.monotonic() - checker.start, 3), **exc.as_result())
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result.as_result())


if __name__ == '__main__':
    main()
