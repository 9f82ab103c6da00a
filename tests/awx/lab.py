"""Running extensions/awx/configure_awx.yml, from the source tree, against the AWX stand-in."""
import json
import os
import re
import sys

from tests.awx.awx_rules import project_playbooks
from tests.awx.standin import AwxStandin
from tests.support.ansible_cli import collections_path, run_playbook

ENTRY_POINTS = ('precheck', 'upgrade-multi-replica', 'upgrade-single-replica', 'upgrade-standalone', 'finalize', 'rollback')
RECAP = re.compile(r'^localhost\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=\d+\s+failed=(?P<failed>\d+)', re.M)


def installed_collection():
    return os.path.join(collections_path(), 'ansible_collections', 'distsql', 'upgrade')


def awx_collections_path():
    path = os.environ.get('DISTSQL_AWX_COLLECTIONS_PATH')
    if not path or not os.path.isdir(os.path.join(path, 'ansible_collections', 'awx', 'awx')):
        raise AssertionError('DISTSQL_AWX_COLLECTIONS_PATH must hold ansible_collections/awx/awx: run through '
                             '`make awx-tests`, which extracts awx.awx from the ansible wheel there')
    return path


SOURCE_TREE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def extension_path(*parts):
    """extensions/awx of the source tree: it is not built into the collection (see galaxy.yml build_ignore)."""
    return os.path.join(SOURCE_TREE, 'extensions', 'awx', *parts)


def load_json(path):
    with open(path, encoding='utf-8') as source:
        return json.load(source)


def survey_file(name):
    return load_json(extension_path('surveys', name + '.json'))


class PlaybookRun:
    """One ansible-playbook run of configure_awx.yml: its task records, output and the requests it made."""

    def __init__(self, records, proc, requests):
        self.records, self.proc, self.requests = records, proc, requests
        match = RECAP.search(proc.stdout)
        self.recap = {key: int(value) for key, value in match.groupdict().items()} if match else None

    def writes(self):
        return [request for request in self.requests if request.method != 'GET']

    def first_failed_item(self):
        """The result of the first failed item of the failed loop task."""
        failed_task = [record for record in self.records if record['failed']][0]['result']
        return [item for item in failed_task['results'] if item.get('failed')][0]


class AwxLab:
    """The stand-in seeded with what configure_awx.yml expects to exist, and a way to run the playbook at it."""

    def __init__(self, standin, project_dir):
        self.standin = standin
        self.organization = standin.seed('organizations', name='Default')
        org_id = self.organization['id']
        self.inventory = standin.seed('inventories', name='distsql-clusters', organization=org_id)
        self.credential = standin.seed('credentials', name='db-ssh', organization=org_id)
        self.execution_environment = standin.seed('execution_environments', name='distsql-upgrade-ee',
                                                  image='registry.example/distsql-upgrade-ee:0.1.0')
        self.project = standin.seed('projects', name='distsql-upgrade', organization=org_id, scm_type='git',
                                    allow_override=False, playbook_files=project_playbooks(project_dir))

    def extra_vars(self, **overrides):
        extra = {'distsql_awx_host': self.standin.url, 'distsql_awx_token': self.standin.token,
                 'distsql_awx_credentials': ['db-ssh'], 'distsql_awx_execution_environment': 'distsql-upgrade-ee',
                 'ansible_python_interpreter': sys.executable}
        extra.update(overrides)
        return extra

    def run(self, **overrides):
        first = len(self.standin.requests)
        env = {'ANSIBLE_COLLECTIONS_PATH': os.pathsep.join([collections_path(), awx_collections_path()])}
        records, proc = run_playbook(extension_path('configure_awx.yml'), 'localhost,', self.extra_vars(**overrides),
                                     timeout=300, extra_env=env)
        return PlaybookRun(records, proc, self.standin.requests[first:])

    def find(self, kind, **fields):
        return self.standin.store.find(kind, **fields)

    def one(self, kind, **fields):
        found = self.find(kind, **fields)
        assert len(found) == 1, (kind, fields, found)
        return found[0]


def start_lab(project_dir):
    standin = AwxStandin().start()
    return AwxLab(standin, project_dir)
