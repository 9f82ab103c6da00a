"""extensions/awx/configure_awx.yml through awx.awx 24.6.1 against the AWX stand-in: what it creates, and that a
second run changes nothing."""
import os

from tests.awx.lab import ENTRY_POINTS, extension_path, installed_collection, survey_file

WORKFLOW_NAME = 'distsql rolling upgrade with approval'
TEMPLATE_NAMES = {'precheck': 'distsql precheck', 'upgrade-multi-replica': 'distsql rolling upgrade',
                  'upgrade-single-replica': 'distsql full-stop upgrade', 'upgrade-standalone': 'distsql standalone upgrade',
                  'finalize': 'distsql finalize', 'rollback': 'distsql rollback'}


def posted_surveys(run):
    return {request.path: request.body for request in run.writes() if request.path.endswith('/survey_spec/')}


def job_template(lab, entry_point):
    return lab.one('job_templates', name=TEMPLATE_NAMES[entry_point])


def node(lab, workflow, identifier):
    return lab.one('workflow_job_template_nodes', workflow_job_template=workflow['id'], identifier=identifier)


def success_chain(lab, workflow, start):
    """Identifiers from start along the success edges (each node has at most one here)."""
    chain, current = [start], node(lab, workflow, start)
    while current['success_nodes']:
        assert len(current['success_nodes']) == 1, current
        current = lab.standin.store.get('workflow_job_template_nodes', current['success_nodes'][0])
        chain.append(current['identifier'])
    return chain


# --- the first run --------------------------------------------------------------------------------------------------

def test_first_run_creates_everything(configured_twice):
    _lab, first, _second = configured_twice
    assert first.proc.returncode == 0, first.proc.stdout + first.proc.stderr
    assert first.recap == {'ok': 4, 'changed': 4, 'failed': 0}


def test_one_job_template_per_entry_point_runs_its_wrapper_playbook(configured_twice):
    lab = configured_twice[0]
    assert sorted(item['name'] for item in lab.find('job_templates')) == sorted(TEMPLATE_NAMES.values())
    for entry_point in ENTRY_POINTS:
        template = job_template(lab, entry_point)
        assert template['playbook'] == entry_point + '.yml'
        assert (template['project'], template['inventory']) == (lab.project['id'], lab.inventory['id'])
        assert template['organization'] == lab.organization['id']
        assert template['execution_environment'] == lab.execution_environment['id']
        assert template['credentials'] == [lab.credential['id']]


def test_job_templates_prompt_for_variables_run_one_at_a_time_and_skip_the_fact_cache(configured_twice):
    lab = configured_twice[0]
    for entry_point in ENTRY_POINTS:
        template = job_template(lab, entry_point)
        assert (template['job_type'], template['survey_enabled'], template['ask_variables_on_launch']) == ('run', True, True)
        assert (template['allow_simultaneous'], template['use_fact_cache']) == (False, False)


def test_each_job_template_was_sent_its_survey_file_and_keeps_it_unchanged(configured_twice):
    lab, first, _second = configured_twice
    posted = posted_surveys(first)
    for entry_point in ENTRY_POINTS:
        template = job_template(lab, entry_point)
        assert posted[template['url'] + 'survey_spec/'] == survey_file(entry_point)
        assert lab.standin.survey_spec(template) == survey_file(entry_point)


def test_the_workflow_has_its_survey_and_prompts_for_variables(configured_twice):
    lab, first, _second = configured_twice
    workflow = lab.one('workflow_job_templates', name=WORKFLOW_NAME)
    assert (workflow['organization'], workflow['survey_enabled'], workflow['ask_variables_on_launch']) == (lab.organization['id'], True, True)
    assert posted_surveys(first)[workflow['url'] + 'survey_spec/'] == survey_file('workflow-rolling-upgrade')
    assert lab.standin.survey_spec(workflow) == survey_file('workflow-rolling-upgrade')


def test_workflow_runs_precheck_then_upgrade_then_approval_then_finalize_on_success(configured_twice):
    lab = configured_twice[0]
    workflow = lab.one('workflow_job_templates', name=WORKFLOW_NAME)
    nodes = lab.find('workflow_job_template_nodes', workflow_job_template=workflow['id'])
    assert sorted(item['identifier'] for item in nodes) == ['approve-finalization', 'finalize', 'precheck', 'upgrade']
    assert success_chain(lab, workflow, 'precheck') == ['precheck', 'upgrade', 'approve-finalization', 'finalize']
    assert all(item['failure_nodes'] == [] and item['always_nodes'] == [] for item in nodes)
    for identifier, entry_point in (('precheck', 'precheck'), ('upgrade', 'upgrade-multi-replica'), ('finalize', 'finalize')):
        assert node(lab, workflow, identifier)['unified_job_template'] == job_template(lab, entry_point)['id']


def test_the_approval_node_is_an_approval_template_without_timeout(configured_twice):
    lab = configured_twice[0]
    workflow = lab.one('workflow_job_templates', name=WORKFLOW_NAME)
    approval_id = node(lab, workflow, 'approve-finalization')['unified_job_template']
    approval = lab.standin.store.get('workflow_approval_templates', approval_id)
    assert (approval['name'], approval['timeout']) == ('distsql approve the finalization', 0)
    assert lab.find('workflow_approval_templates') == [approval]


def test_every_request_carried_the_token_from_module_defaults(configured_twice):
    _lab, first, second = configured_twice
    assert first.requests and all(request.status != 401 for request in first.requests + second.requests)


# --- the second run -------------------------------------------------------------------------------------------------

def test_second_run_changes_nothing_and_only_reads(configured_twice):
    _lab, _first, second = configured_twice
    assert second.proc.returncode == 0, second.proc.stdout + second.proc.stderr
    assert second.recap == {'ok': 4, 'changed': 0, 'failed': 0}
    assert second.requests and second.writes() == []
    assert [record['task'] for record in second.records if record['result'].get('changed')] == []


def test_the_source_tree_has_the_extension_and_the_built_collection_does_not():
    assert not os.path.exists(os.path.join(installed_collection(), 'extensions'))
    assert os.path.isfile(extension_path('project', 'collections', 'requirements.yml'))
    assert sorted(name[:-5] for name in os.listdir(extension_path('surveys'))) == sorted(ENTRY_POINTS + ('workflow-rolling-upgrade',))
