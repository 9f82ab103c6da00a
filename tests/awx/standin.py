"""A loopback stand-in for the AWX API: the endpoints awx.awx 24.6.1's job_template, workflow_job_template and
workflow_job_template_node modules call, with AWX's answers and checks, and a record of every request.

It is an in-memory AWX on 127.0.0.1 (a random port), bearer token only. Like AWX 24.6.1 (ansible/awx e21dd0a0):
- list views answer {count, next, previous, results}, filtered by the query (field=value, or__field=value ORed);
- job templates, workflow job templates, projects and approval templates share one id sequence and are listed
  together under unified_job_templates/ (with their type);
- POST survey_spec/ applies AWX's survey checks (tests/awx/awx_rules.py) and answers 400 {"error": ...}; GET shows
  the spec as stored (normalised, password defaults hidden);
- a job template needs a project and a playbook the project lists ("Playbook not found for project."), and an
  inventory unless it prompts for one; names are unique per organization;
- workflow nodes: create_approval_template/ makes the node's approval template; success/failure/always
  associations refuse cycles and a second kind of edge between the same nodes;
- associations answer 204; a write answers the object as AWX's serializer would (only the fields kept here).
"""
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.awx.awx_rules import SurveySpecError, display_survey_spec, validate_survey_spec

API = '/api/v2/'
PRODUCT_HEADERS = {'X-API-Product-Name': 'AWX', 'X-API-Product-Version': '24.6.1'}
UJT_KINDS = ('projects', 'job_templates', 'workflow_job_templates', 'workflow_approval_templates')
KINDS = UJT_KINDS + ('organizations', 'inventories', 'credentials', 'execution_environments', 'workflow_job_template_nodes')
TYPE_NAMES = {'organizations': 'organization', 'inventories': 'inventory', 'credentials': 'credential',
              'execution_environments': 'execution_environment', 'projects': 'project', 'job_templates': 'job_template',
              'workflow_job_templates': 'workflow_job_template', 'workflow_job_template_nodes': 'workflow_job_template_node',
              'workflow_approval_templates': 'workflow_approval_template'}
RELATED = {'job_templates': ('survey_spec', 'credentials'),
           'workflow_job_templates': ('survey_spec', 'workflow_nodes'),
           'workflow_job_template_nodes': ('create_approval_template', 'success_nodes', 'failure_nodes', 'always_nodes'),
           'workflow_approval_templates': ('jobs',)}
EDGES = ('success_nodes', 'failure_nodes', 'always_nodes')
ASK_FLAGS = ('ask_diff_mode_on_launch', 'ask_variables_on_launch', 'ask_limit_on_launch', 'ask_tags_on_launch',
             'ask_skip_tags_on_launch', 'ask_job_type_on_launch', 'ask_verbosity_on_launch', 'ask_inventory_on_launch',
             'ask_credential_on_launch', 'ask_execution_environment_on_launch', 'ask_scm_branch_on_launch')
DEFAULTS = {
    'job_templates': dict({flag: False for flag in ASK_FLAGS}, description='', job_type='run', inventory=None, project=None,
                          playbook='', scm_branch='', forks=0, limit='', verbosity=0, extra_vars='', job_tags='',
                          skip_tags='', timeout=0, use_fact_cache=False, survey_enabled=False, become_enabled=False,
                          diff_mode=False, allow_simultaneous=False, execution_environment=None, organization=None),
    'workflow_job_templates': dict(description='', extra_vars='', organization=None, survey_enabled=False,
                                   allow_simultaneous=False, ask_variables_on_launch=False, inventory=None, limit=None,
                                   scm_branch=None, ask_inventory_on_launch=False, ask_limit_on_launch=False),
    'workflow_job_template_nodes': dict(extra_data={}, inventory=None, scm_branch=None, job_type=None, job_tags=None,
                                        skip_tags=None, limit=None, diff_mode=None, verbosity=None, execution_environment=None,
                                        forks=None, job_slice_count=None, timeout=None, workflow_job_template=None,
                                        unified_job_template=None, all_parents_must_converge=False, identifier=''),
    'workflow_approval_templates': dict(description='', timeout=0),
}
# What a POST or PATCH may set, per kind (AWX's serializers drop other fields); a kind not listed: any field.
MORE_WRITABLE = {
    'workflow_job_templates': {'ask_labels_on_launch', 'ask_tags_on_launch', 'ask_skip_tags_on_launch', 'job_tags', 'skip_tags',
                               'webhook_service', 'webhook_credential'},
    'job_templates': {'host_config_key', 'force_handlers', 'start_at_task', 'custom_virtualenv', 'job_slice_count',
                      'webhook_service', 'webhook_credential', 'prevent_instance_group_fallback', 'ask_forks_on_launch',
                      'ask_instance_groups_on_launch', 'ask_job_slice_count_on_launch', 'ask_labels_on_launch',
                      'ask_timeout_on_launch'},
}
WRITABLE = {kind: set(fields) | {'name'} | MORE_WRITABLE.get(kind, set()) for kind, fields in DEFAULTS.items()}
WRITABLE['workflow_job_template_nodes'] -= {'name'}
UNIQUE_PER_ORGANIZATION = {'job_templates': 'Job Template', 'workflow_job_templates': 'Workflow Job Template'}
PROMPT_OR_DEFAULT = 'You must either set a default value or ask to prompt on launch.'


class ApiError(Exception):
    """An answer other than 2xx: its status and JSON body."""

    def __init__(self, status, body):
        super().__init__(status, body)
        self.status = status
        self.body = body


def not_found():
    return ApiError(404, {'detail': 'Not found.'})


def field_error(field, message):
    return ApiError(400, {field: [message]})


class Store:
    """The objects, by kind and id; every method runs under the lock of the server."""

    def __init__(self):
        self.objects = {kind: {} for kind in KINDS}
        self.surveys = {}
        self._ujt_ids = itertools.count(1)
        self._ids = {kind: itertools.count(1) for kind in KINDS}

    # --- objects ---

    def create(self, kind, fields):
        object_id = next(self._ujt_ids if kind in UJT_KINDS else self._ids[kind])
        item = dict(DEFAULTS.get(kind, {}), **fields)
        item.update(id=object_id, type=TYPE_NAMES[kind], url='%s%s/%d/' % (API, kind, object_id))
        if kind == 'workflow_job_template_nodes':
            item.update({edge: [] for edge in EDGES})
        self.objects[kind][object_id] = item
        return item

    def get(self, kind, object_id):
        try:
            return self.objects[kind][int(object_id)]
        except (KeyError, TypeError, ValueError):
            raise not_found() from None

    def find(self, kind, **fields):
        return [item for item in self.objects[kind].values() if all(item.get(key) == value for key, value in fields.items())]

    def show(self, kind, item):
        return dict(item, related=self._related(kind, item), summary_fields={})

    def delete(self, kind, item):
        del self.objects[kind][item['id']]
        if kind == 'workflow_job_template_nodes':
            for node in self.objects[kind].values():
                for edge in EDGES:
                    node[edge] = [child for child in node[edge] if child != item['id']]

    def _related(self, kind, item):
        related = {name: '%s%s/' % (item['url'], name) for name in RELATED.get(kind, ())}
        if kind == 'workflow_job_template_nodes' and item.get('unified_job_template'):
            related['unified_job_template'] = self.ujt(item['unified_job_template'])['url']
        return related

    def ujt(self, object_id):
        for kind in UJT_KINDS:
            if object_id in self.objects[kind]:
                return self.objects[kind][object_id]
        raise not_found()

    def unified_job_templates(self):
        return sorted((item for kind in UJT_KINDS for item in self.objects[kind].values()), key=lambda item: item['id'])


def matches(item, query):
    """AWX's list filters: plain fields ANDed, or__ fields ORed among themselves."""
    plain = {key: value for key, value in query.items() if not key.startswith('or__')}
    either = {key[4:]: value for key, value in query.items() if key.startswith('or__')}
    if any(str(item.get(key)) != value for key, value in plain.items() if key not in ('page_size', 'page', 'order_by')):
        return False
    return not either or any(str(item.get(key)) == value for key, value in either.items())


def list_page(items):
    return {'count': len(items), 'next': None, 'previous': None, 'results': items}


class Api:
    """AWX's answers: (status, body) for a request; writes change the store."""

    def __init__(self):
        self.store = Store()

    def handle(self, method, parts, query, body):
        if parts == ['unified_job_templates'] and method == 'GET':
            return 200, self._list(self.store.unified_job_templates(), query)
        if not parts or parts[0] not in KINDS or len(parts) > 3:
            raise not_found()
        kind = parts[0]
        if len(parts) == 1:
            return self._collection(method, kind, query, body)
        item = self.store.get(kind, parts[1])
        if len(parts) == 2:
            return self._detail(method, kind, item, body)
        return self._sub(method, kind, item, parts[2], body)

    def _list(self, items, query):
        return list_page([self.store.show(TYPE_NAMES_KIND[item['type']], item) for item in items if matches(item, query)])

    def _collection(self, method, kind, query, body):
        if method == 'GET':
            return 200, self._list(sorted(self.store.objects[kind].values(), key=lambda item: item['id']), query)
        if method == 'POST':
            self._validate(kind, None, body)
            return 201, self.store.show(kind, self.store.create(kind, self._writable(kind, body)))
        raise method_not_allowed(method)

    def _detail(self, method, kind, item, body):
        if method == 'GET':
            return 200, self.store.show(kind, item)
        if method == 'PATCH':
            self._validate(kind, item, body)
            item.update(self._writable(kind, body))
            return 200, self.store.show(kind, item)
        if method == 'DELETE':
            self.store.delete(kind, item)
            return 204, None
        raise method_not_allowed(method)

    @staticmethod
    def _writable(kind, body):
        allowed = WRITABLE.get(kind)
        return {key: value for key, value in body.items()
                if (key in allowed if allowed else key not in ('id', 'type', 'url', 'related', 'summary_fields'))}

    def _sub(self, method, kind, item, sub, body):
        if sub == 'survey_spec' and kind in ('job_templates', 'workflow_job_templates'):
            return self._survey_spec(method, item, body)
        if sub == 'create_approval_template' and kind == 'workflow_job_template_nodes':
            return self._create_approval_template(method, item, body)
        if sub == 'credentials' and kind == 'job_templates':
            return self._association(method, item, 'credentials', 'credentials', body)
        if sub in EDGES and kind == 'workflow_job_template_nodes':
            return self._association(method, item, sub, 'workflow_job_template_nodes', body)
        if sub == 'workflow_nodes' and kind == 'workflow_job_templates' and method == 'GET':
            nodes = self.store.find('workflow_job_template_nodes', workflow_job_template=item['id'])
            return 200, list_page([self.store.show('workflow_job_template_nodes', node) for node in nodes])
        raise not_found()

    # --- survey_spec/ ---

    def _survey_spec(self, method, item, body):
        key = item['url']
        if method == 'GET':
            return 200, display_survey_spec(self.store.surveys.get(key, {}))
        if method == 'POST':
            try:
                self.store.surveys[key] = validate_survey_spec(body, self.store.surveys.get(key, {}))
            except SurveySpecError as error:
                raise ApiError(400, {'error': str(error)})
            return 200, None
        if method == 'DELETE':
            self.store.surveys.pop(key, None)
            return 200, None
        raise method_not_allowed(method)

    # --- approval nodes ---

    def _create_approval_template(self, method, node, body):
        if method != 'POST':
            raise method_not_allowed(method)
        if not body.get('name'):
            raise field_error('name', 'This field is required.')
        fields = {key: body[key] for key in ('name', 'description', 'timeout') if key in body}
        previous = node.get('unified_job_template')
        template = self.store.create('workflow_approval_templates', fields)
        if previous in self.store.objects['workflow_approval_templates']:
            del self.store.objects['workflow_approval_templates'][previous]
        node['unified_job_template'] = template['id']
        return 201, self.store.show('workflow_approval_templates', template)

    # --- associations ---

    def _association(self, method, item, relation, target_kind, body):
        linked = item.setdefault(relation, [])
        if method == 'GET':
            return 200, list_page([self.store.show(target_kind, self.store.get(target_kind, target_id)) for target_id in linked])
        if method != 'POST':
            raise method_not_allowed(method)
        target = self.store.get(target_kind, body.get('id'))
        if body.get('disassociate'):
            if target['id'] in linked:
                linked.remove(target['id'])
            return 204, None
        if relation in EDGES:
            self._check_edge(item, relation, target)
        if target['id'] not in linked:
            linked.append(target['id'])
        return 204, None

    def _check_edge(self, parent, relation, child):
        if parent['id'] == child['id']:
            raise ApiError(400, {'Error': 'Cycle detected.'})
        if any(child['id'] in parent[other] for other in EDGES if other != relation):
            raise ApiError(400, {'Error': 'Relationship not allowed.'})
        if self._reaches(child['id'], parent['id']):
            raise ApiError(400, {'Error': 'Cycle detected.'})

    def _reaches(self, start_id, goal_id):
        seen, pending = set(), [start_id]
        while pending:
            node_id = pending.pop()
            if node_id == goal_id:
                return True
            if node_id not in seen:
                seen.add(node_id)
                node = self.store.get('workflow_job_template_nodes', node_id)
                pending += [child for edge in EDGES for child in node[edge]]
        return False

    # --- AWX's serializer checks for the writes awx.awx makes ---

    def _validate(self, kind, existing, body):
        merged = dict(existing or DEFAULTS.get(kind, {}), **body)
        if kind in UNIQUE_PER_ORGANIZATION or kind in ('organizations', 'inventories', 'projects', 'credentials'):
            if not merged.get('name'):
                raise field_error('name', 'This field is required.')
        if kind in UNIQUE_PER_ORGANIZATION:
            self._check_unique_name(kind, existing, merged)
        if kind == 'job_templates':
            self._check_job_template(merged)
        if kind == 'workflow_job_template_nodes':
            self._check_node(existing, merged)

    def _check_unique_name(self, kind, existing, merged):
        clashes = [item for item in self.store.find(kind, name=merged['name'], organization=merged.get('organization'))
                   if existing is None or item['id'] != existing['id']]
        if clashes:
            raise ApiError(400, {'__all__': ['%s with this Name and Organization already exists.' % UNIQUE_PER_ORGANIZATION[kind]]})

    def _check_job_template(self, merged):
        if merged.get('project') is None:
            raise field_error('project', 'Job Templates must have a project assigned.')
        if merged.get('inventory') is None and not merged.get('ask_inventory_on_launch'):
            raise field_error('inventory', PROMPT_OR_DEFAULT)
        project = self.store.get('projects', merged['project'])
        if merged.get('playbook') and merged['playbook'] not in project.get('playbook_files', []):
            raise field_error('playbook', 'Playbook not found for project.')
        if not merged.get('playbook'):
            raise field_error('playbook', 'Must select playbook for project.')
        if merged.get('execution_environment') is not None:
            self.store.get('execution_environments', merged['execution_environment'])

    def _check_node(self, existing, merged):
        if existing is None and merged.get('workflow_job_template') is None:
            raise field_error('workflow_job_template', 'This field is required.')
        self.store.get('workflow_job_templates', merged['workflow_job_template'])
        if merged.get('unified_job_template') is not None:
            self.store.ujt(merged['unified_job_template'])


TYPE_NAMES_KIND = {type_name: kind for kind, type_name in TYPE_NAMES.items()}


def method_not_allowed(method):
    return ApiError(405, {'detail': 'Method "%s" not allowed.' % method})


class Request:
    """One request as the stand-in saw it."""

    def __init__(self, method, path, query, body, status):
        self.method, self.path, self.query, self.body, self.status = method, path, query, body, status

    def __repr__(self):
        return '%s %s %s -> %s' % (self.method, self.path, json.dumps(self.body) if self.body is not None else '', self.status)


class AwxStandin:
    """Start it, seed it, point awx.awx at .url with .token, read .requests."""

    def __init__(self, token='standin-token'):
        self.token = token
        self.api = Api()
        self.requests = []
        self.lock = threading.Lock()
        self._server = None
        self._thread = None

    @property
    def store(self):
        return self.api.store

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self._server.server_address[1]

    def start(self):
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name='awx-standin', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def seed(self, kind, **fields):
        with self.lock:
            return self.store.create(kind, fields)

    def survey_spec(self, item):
        """The survey of a job or workflow job template as GET survey_spec/ shows it."""
        with self.lock:
            return display_survey_spec(self.store.surveys.get(item['url'], {}))

    def writes(self, since=0):
        return [request for request in self.requests[since:] if request.method != 'GET']

    def answer(self, method, raw_path, headers, raw_body):
        """(status, body) for one request, recorded."""
        split = urlsplit(raw_path)
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        body = json.loads(raw_body) if raw_body else None
        with self.lock:
            status, answer = self._answer(method, split.path, query, headers, body)
            self.requests.append(Request(method, split.path, query, body, status))
        return status, answer

    def _answer(self, method, path, query, headers, body):
        if headers.get('Authorization') != 'Bearer %s' % self.token:
            return 401, {'detail': 'Authentication credentials were not provided.'}
        if not path.startswith(API):
            return 404, {'detail': 'Not found.'}
        parts = [part for part in path[len(API):].split('/') if part]
        try:
            return self.api.handle(method, parts, query, body if isinstance(body, dict) else {})
        except ApiError as error:
            return error.status, error.body


def _handler_for(standin):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get('Content-Length') or 0)
            raw_body = self.rfile.read(length).decode('utf-8') if length else ''
            status, body = standin.answer(self.command, self.path, self.headers, raw_body)
            payload = b'' if body is None else json.dumps(body).encode('utf-8')
            self.send_response(status)
            for name, value in PRODUCT_HEADERS.items():
                self.send_header(name, value)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def log_message(self, format, *args):
            """Requests are kept in standin.requests, not printed."""

    return Handler
