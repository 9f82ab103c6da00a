"""configure_awx.yml for a project that is a checkout of the collection, and what AWX refuses on the way."""
import json
import shutil

from tests.awx.lab import ENTRY_POINTS, extension_path, installed_collection, start_lab, survey_file

# The refusals come at the first job template: one template is enough to see them.
ONLY_PRECHECK = {'precheck': {'name': 'distsql precheck', 'description': 'Versions, upgrade path, gates and the plan'}}


def test_a_checkout_project_runs_the_playbooks_directory():
    lab = start_lab(installed_collection())
    try:
        run = lab.run(distsql_awx_playbook_dir='playbooks/')
    finally:
        lab.standin.stop()
    assert run.proc.returncode == 0, run.proc.stdout + run.proc.stderr
    assert sorted(item['playbook'] for item in lab.find('job_templates')) == sorted('playbooks/%s.yml' % name for name in ENTRY_POINTS)


def test_a_playbook_the_project_does_not_list_is_refused(wrapper_lab):
    run = wrapper_lab.run(distsql_awx_playbook_dir='playbooks/', distsql_awx_templates=ONLY_PRECHECK)
    assert run.proc.returncode == 2
    assert run.first_failed_item()['msg'] == (
        "Unable to create job_template distsql precheck: {'playbook': ['Playbook not found for project.']}")
    assert wrapper_lab.find('job_templates') == []


def test_a_survey_awx_refuses_stops_the_run_with_awx_error(wrapper_lab, tmp_path):
    surveys = tmp_path / 'surveys'
    shutil.copytree(extension_path('surveys'), str(surveys))
    broken = survey_file('precheck')
    broken['spec'][1]['default'] = 'postgres'
    (surveys / 'precheck.json').write_text(json.dumps(broken), encoding='utf-8')
    run = wrapper_lab.run(distsql_awx_surveys_dir=str(surveys), distsql_awx_templates=ONLY_PRECHECK)
    assert run.proc.returncode == 2
    assert run.first_failed_item()['msg'] == 'Failed to update survey: Default choice must be answered from the choices listed.'
    assert wrapper_lab.standin.survey_spec(wrapper_lab.one('job_templates', name='distsql precheck')) == {}


def test_a_wrong_token_is_refused(wrapper_lab):
    run = wrapper_lab.run(distsql_awx_token='not-the-token', distsql_awx_templates=ONLY_PRECHECK)
    assert run.proc.returncode == 2
    assert run.first_failed_item()['msg'] == 'Invalid authentication credentials for /api/v2/organizations/ (HTTP 401).'
    assert {request.status for request in run.requests} == {401}
