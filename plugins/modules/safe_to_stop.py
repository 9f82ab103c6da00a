#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: safe_to_stop
short_description: Decide whether a CockroachDB node may be stopped now, and wait until it may
version_added: 0.1.0
description:
  - Asks the cluster, through C(POST <url>/_status/critical_nodes) (CockroachDB v23.1 and later), which nodes are
    critical (stopping one would leave a range without quorum) and which ranges are unavailable or under-replicated.
  - The node is safe to stop when it is not critical, no range is unavailable and, unless O(allow_underreplicated),
    no range is under-replicated.
  - With O(wait_for=safe) (the default) it polls until the node is safe for O(stable_checks) consecutive checks, and
    fails with the last observation and the reason it is not safe when O(timeout) passes first. A request that
    fails to connect or gets HTTP 5xx counts as a failed check; an answer that waiting cannot change (HTTP 404 or
    405, a missing session, a body that is not the endpoint's JSON) fails at once.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.attributes.read_only
  - distsql.upgrade.wait
options:
  engine:
    description:
      - Which database the cluster runs; only engines with a critical-nodes endpoint.
    type: str
    required: true
    choices: [cockroachdb]
  url:
    description:
      - Base URL of the HTTP API of any node of the cluster, for example C(http://node2:8080) or
        C(https://node2:8080). Ask another node than the one to stop, so that the answer does not depend on it.
    type: str
    required: true
  node:
    description:
      - The node to stop, by host name or C(host:port), matched against the address, SQL address and HTTP address
        of the critical nodes, then by the IP addresses the names resolve to on the host the module runs on.
      - A node the endpoint does not list is not critical.
      - Exactly one of O(node) and O(node_id) is required.
    type: str
  node_id:
    description:
      - The node to stop, by node id.
    type: int
  allow_underreplicated:
    description:
      - Count the node as safe while ranges are under-replicated (but none unavailable and the node not critical),
        for example while a node of a larger cluster is already down for maintenance on purpose.
    type: bool
    default: false
  wait_for:
    description:
      - V(safe) waits until the node is safe to stop.
      - V(none) reads once and returns the verdict without failing when it is not safe.
    type: str
    default: safe
    choices: [none, safe]
  validate_certs:
    description:
      - Verify the node's TLS certificate when O(url) is C(https://).
    type: bool
    default: true
  ca_path:
    description:
      - CA certificate to verify the node's certificate with, for example C(<certs_dir>/ca.crt).
    type: path
  session_cookie:
    description:
      - Session cookie for a secure cluster (C(cockroach auth-session login <user> --only-cookie)), as its value or as
        C(session=<value>; Path=/; HttpOnly). Never logged.
      - Mutually exclusive with O(login).
    type: str
  login:
    description:
      - Get the session cookie of a secure cluster by running C(cockroach auth-session login <user> --only-cookie)
        on the host the module runs on, once, before the first request.
      - The session expires on its own (C(--expire-after) of O(timeout) plus 5 minutes); it is not logged out,
        because C(auth-session logout) would end every session of the user, an operator's DB Console among them.
      - The cookie is never returned or logged.
    type: dict
    suboptions:
      binary:
        description: Path of the C(cockroach) binary.
        type: path
        default: /usr/local/bin/cockroach
      host:
        description: C(host:port) of the SQL listener of any live node (C(--host)).
        type: str
        required: true
      certs_dir:
        description: Directory with C(ca.crt) and the client certificate and key of O(login.user) (C(--certs-dir)).
        type: path
        required: true
      user:
        description: The admin user to log in (and connect) as.
        type: str
        default: root
      command_timeout:
        description: Seconds the login may take.
        type: int
        default: 30
  request_timeout:
    description:
      - Seconds one request may take before it counts as a failed check.
    type: float
    default: 10.0
notes:
  - The endpoint does not say which ranges make a node critical; the message names the ranges of the report that
    have a replica on the node, when there are any.
seealso:
  - module: distsql.upgrade.node_status
  - module: distsql.upgrade.range_health
'''

EXAMPLES = r'''
- name: Wait until node2 may be stopped, asking node1
  distsql.upgrade.safe_to_stop:
    engine: cockroachdb
    url: http://node1:8080
    node: node2
    timeout: 600
  delegate_to: localhost

- name: Wait until node2 of a secure cluster may be stopped, logging in with root's client certificate
  distsql.upgrade.safe_to_stop:
    engine: cockroachdb
    url: https://node1:8080
    node: node2
    ca_path: /var/lib/cockroach/certs/ca.crt
    login:
      host: node1:26257
      certs_dir: /var/lib/cockroach/certs

- name: Read the verdict once with a session cookie made elsewhere
  distsql.upgrade.safe_to_stop:
    engine: cockroachdb
    url: https://node1:8080
    node_id: 2
    ca_path: /var/lib/cockroach/certs/ca.crt
    session_cookie: "{{ cockroach_session }}"
    wait_for: none
  register: verdict
'''

RETURN = r'''
safe:
  description: The node may be stopped now.
  returned: success, and on a wait timeout (the last observation)
  type: bool
  sample: true
reason:
  description: Why the node is not safe to stop, every cause C(; )-joined; C(null) when it is safe.
  returned: success, and on a wait timeout
  type: str
  sample: "node node2 (n2) is critical: ranges r12, r40 would lose quorum"
node:
  description: The node asked about.
  returned: success, and on a wait timeout
  type: dict
  contains:
    name:
      description: O(node), or the host of the node's address when O(node_id) was given.
      type: str
    node_id:
      description: Its node id (C(null) when it was given by name and is not critical, so the endpoint does not list it).
      type: int
    address:
      description: Its RPC address when it is critical.
      type: str
    critical:
      description: The endpoint lists it among the critical nodes.
      type: bool
  sample: {name: node2, node_id: 2, address: "node2:26257", critical: true}
critical_nodes:
  description: Every node the endpoint lists as critical.
  returned: success, and on a wait timeout
  type: list
  elements: dict
  contains:
    node_id:
      description: Node id.
      type: int
    address:
      description: RPC address.
      type: str
    sql_address:
      description: SQL address.
      type: str
    build_tag:
      description: Build the node runs.
      type: str
  sample: [{node_id: 1, address: "node1:26257", sql_address: "node1:26257", build_tag: v23.2.9}]
underreplicated_ranges:
  description: Range ids of the report's under-replicated ranges.
  returned: success, and on a wait timeout
  type: list
  elements: int
  sample: [12, 40]
unavailable_ranges:
  description: Range ids of the report's unavailable ranges (without quorum).
  returned: success, and on a wait timeout
  type: list
  elements: int
  sample: []
unavailable_node_ids:
  description: The report's unavailable node ids.
  returned: success, and on a wait timeout
  type: list
  elements: int
  sample: [3]
checks:
  description: How many times the endpoint was asked.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds spent, including waiting.
  returned: always
  type: float
  sample: 4.02
error:
  description: The error of the last failed request, when the last observation was one.
  returned: on a wait timeout whose last check failed
  type: str
'''

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names, get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import WAIT_ARGUMENT_SPEC, poll

CAPABILITY = 'critical_nodes'
SESSION_MARGIN = 300  # seconds a logged-in session outlives the wait
LOGIN_SPEC = dict(
    binary=dict(type='path', default='/usr/local/bin/cockroach'),
    host=dict(type='str', required=True),
    certs_dir=dict(type='path', required=True),
    user=dict(type='str', default='root'),
    command_timeout=dict(type='int', default=30),
)


def session_cookie(module, engine):
    """The cookie given, or one from `auth-session login` when login is set, or None (an insecure cluster)."""
    params, login = module.params, module.params['login']
    if not login:
        return params['session_cookie']
    connection = engine.connection(dict(host=login['host'], certs_dir=login['certs_dir'], user=login['user']))
    run = timed_runner(module.run_command, login['command_timeout'])
    cookie = engine.capability('web_session').login(run, login['binary'], connection, user=login['user'],
                                                    expire_after=params['timeout'] + SESSION_MARGIN)
    module.no_log_values.add(cookie.split('=', 1)[1])
    return cookie


def observe_verdict(critical_nodes, params):
    response = critical_nodes.read_critical_nodes(
        params['url'], request_timeout=params['request_timeout'], validate_certs=params['validate_certs'],
        ca_path=params['ca_path'], session_cookie=params['session_cookie'])
    return critical_nodes.stop_verdict(response, node=params['node'], node_id=params['node_id'],
                                       allow_underreplicated=params['allow_underreplicated'],
                                       resolve=critical_nodes.resolve_addresses)


def describe(params):
    node = params['node'] if params['node'] is not None else 'n%s' % params['node_id']
    return 'node %s to be safe to stop' % node


def wait_for_safe(critical_nodes, params):
    """Poll until safe; an answer waiting cannot change (EndpointError) ends the wait at once."""

    def observe():
        try:
            return observe_verdict(critical_nodes, params)
        except critical_nodes.EndpointError as exc:
            return {'endpoint_error': exc}

    def satisfied(state):
        if 'endpoint_error' in state:
            raise state['endpoint_error']
        return state['safe']

    return poll(observe, satisfied, params, describe(params))


def timeout_result(exc):
    result = exc.as_result()
    why = result.get('reason') or result.get('error')
    if why:
        result['msg'] = '%s: %s' % (result['msg'], why)
    return result


def main():
    argument_spec = dict(
        engine=dict(type='str', required=True, choices=list(engine_names(offering=(CAPABILITY,)))),
        url=dict(type='str', required=True),
        node=dict(type='str'),
        node_id=dict(type='int'),
        allow_underreplicated=dict(type='bool', default=False),
        wait_for=dict(type='str', default='safe', choices=['none', 'safe']),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        session_cookie=dict(type='str', no_log=True),
        login=dict(type='dict', options=LOGIN_SPEC),
        request_timeout=dict(type='float', default=10.0),
    )
    argument_spec.update(copy.deepcopy(WAIT_ARGUMENT_SPEC))
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_one_of=[('node', 'node_id')],
        mutually_exclusive=[('node', 'node_id'), ('session_cookie', 'login')],
        supports_check_mode=True,
    )
    try:
        engine = get_engine(module.params['engine'])
        critical_nodes = engine.capability(CAPABILITY)
        critical_nodes.endpoint_url(module.params['url'])
        params = dict(module.params, session_cookie=session_cookie(module, engine))
        if params['wait_for'] == 'none':
            result = poll(lambda: observe_verdict(critical_nodes, params), None, params, describe(params))
        else:
            result = wait_for_safe(critical_nodes, params)
    except WaitTimeout as exc:
        module.fail_json(**timeout_result(exc))
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result.as_result())


if __name__ == '__main__':
    main()
