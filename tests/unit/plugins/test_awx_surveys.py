# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX survey specs in extensions/awx/surveys: AWX accepts them unchanged, and every answer fits the roles."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import functools
import glob
import json
import os
import re

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.validation import check_type_bool

from ansible_collections.distsql.upgrade.tests.awx.awx_rules import (
    SurveySpecError, answer_errors, applied_defaults, validate_survey_spec)

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SURVEYS_DIR = os.path.join(COLLECTION_ROOT, 'extensions', 'awx', 'surveys')
ENTRY_POINTS = ('precheck', 'upgrade-multi-replica', 'upgrade-single-replica', 'upgrade-standalone', 'finalize', 'rollback')
WORKFLOW_SURVEYS = ('workflow-rolling-upgrade',)
ARTIFACT_PREFIX = 'distsql_result'
# The argument spec types a job reads for each AWX question type: a survey answer is a str (text, textarea,
# password, multiplechoice), an int (integer), a float or int (float) or a list of str (multiselect).
READ_AS = {'text': ('str', 'path', 'raw'), 'textarea': ('str', 'path', 'raw'), 'password': ('str', 'path', 'raw'),
           'integer': ('int', 'float', 'raw'), 'float': ('float', 'raw'), 'multiselect': ('list',),
           'multiplechoice': ('str', 'path', 'raw', 'bool')}
# A multiplechoice answer for a bool stays the string 'true' or 'false': the contract accepts it, but a task
# condition would refuse it (ansible-core 2.19: "Conditionals must have a boolean result"). Only these variables
# may be asked that way, because the roles pass them only to a module option, which converts them.
BOOLS_READ_BY_MODULES_ONLY = ('distsql_hold_finalization',)


def survey_paths():
    return sorted(glob.glob(os.path.join(SURVEYS_DIR, '*.json')))


def load_survey(path):
    with open(path, encoding='utf-8') as source:
        return json.load(source)


def survey_name(path):
    return os.path.splitext(os.path.basename(path))[0]


def survey_questions():
    return [(survey_name(path), question) for path in survey_paths() for question in load_survey(path)['spec']]


def question_id(value):
    return '%s:%s' % (value[0], value[1]['variable']) if isinstance(value, tuple) else None


def _yaml_files(pattern):
    return sorted(glob.glob(os.path.join(COLLECTION_ROOT, pattern)))


def _load_yaml(path):
    with open(path, encoding='utf-8') as source:
        return yaml.safe_load(source) or {}


@functools.lru_cache(maxsize=None)
def declared_options():
    """Variable name -> every option spec the roles' argument specs declare for it (any role, any entry point)."""
    declared = {}
    for path in _yaml_files('roles/*/meta/argument_specs.yml'):
        for entry_point in _load_yaml(path)['argument_specs'].values():
            for name, spec in (entry_point.get('options') or {}).items():
                declared.setdefault(name, []).append(spec)
    return declared


@functools.lru_cache(maxsize=None)
def role_defaults():
    defaults = {}
    for path in _yaml_files('roles/*/defaults/main.yml'):
        defaults.update(_load_yaml(path))
    return defaults


@functools.lru_cache(maxsize=None)
def task_and_playbook_texts():
    paths = _yaml_files('roles/*/tasks/*.yml') + _yaml_files('roles/*/vars/*.yml') + _yaml_files('playbooks/*.yml')
    texts = {}
    for path in paths:
        with open(path, encoding='utf-8') as source:
            texts[os.path.relpath(path, COLLECTION_ROOT)] = source.read()
    return texts


def possible_answers(question):
    """Values a job can get for the question: each choice, both limits, or a text as long as allowed."""
    qtype = question['type']
    if qtype == 'multiplechoice':
        return list(question['choices'])
    if qtype == 'multiselect':
        return [list(question['choices'])]
    if qtype in ('integer', 'float'):
        cast = int if qtype == 'integer' else float
        return [cast(question[key]) for key in ('min', 'max') if question.get(key) is not None]
    return ['x' * max(question.get('min') or 1, 1)]


def argument_spec_errors(name, option, value):
    option = {key: val for key, val in option.items() if key not in ('required', 'default', 'description')}
    result = ArgumentSpecValidator({name: option}).validate({name: value})
    return [str(error) for error in result.errors]


# --- the files ------------------------------------------------------------------------------------------------------

def test_every_entry_point_has_a_survey_and_a_playbook():
    assert sorted(survey_name(path) for path in survey_paths()) == sorted(ENTRY_POINTS + WORKFLOW_SURVEYS)
    for entry_point in ENTRY_POINTS:
        assert os.path.isfile(os.path.join(COLLECTION_ROOT, 'playbooks', entry_point + '.yml')), entry_point


@pytest.mark.parametrize('path', survey_paths(), ids=survey_name)
def test_survey_is_name_description_and_a_spec(path):
    survey = load_survey(path)
    assert sorted(survey) == ['description', 'name', 'spec']
    assert survey['name'] and survey['description'] and survey['spec']


@pytest.mark.parametrize('path', survey_paths(), ids=survey_name)
def test_awx_stores_the_survey_unchanged(path):
    """AWX accepts it, and GET survey_spec/ returns exactly what was sent: awx.awx sees no change on a re-run."""
    survey = load_survey(path)
    assert validate_survey_spec(survey) == survey


# --- each question against the roles -------------------------------------------------------------------------------

@pytest.mark.parametrize('entry', survey_questions(), ids=question_id)
def test_question_sets_a_variable_the_role_argument_specs_declare(entry):
    assert entry[1]['variable'] in declared_options()


@pytest.mark.parametrize('entry', survey_questions(), ids=question_id)
def test_question_variable_is_not_a_result_artifact_name(entry):
    """Workflow survey answers and extra vars override artifacts of earlier nodes: the names must differ."""
    assert not entry[1]['variable'].startswith(ARTIFACT_PREFIX)


@pytest.mark.parametrize('entry', survey_questions(), ids=question_id)
def test_question_variable_is_read_by_a_task_or_playbook(entry):
    pattern = re.compile(r'\b%s\b' % re.escape(entry[1]['variable']))
    assert any(pattern.search(text) for text in task_and_playbook_texts().values())


@pytest.mark.parametrize('entry', survey_questions(), ids=question_id)
def test_question_type_is_the_type_the_role_reads(entry):
    question = entry[1]
    for option in declared_options()[question['variable']]:
        assert option.get('type', 'str') in READ_AS[question['type']]
        if option.get('type') == 'bool':
            assert question['variable'] in BOOLS_READ_BY_MODULES_ONLY
        if option.get('choices'):
            assert question['type'] in ('multiplechoice', 'multiselect')


@pytest.mark.parametrize('entry', survey_questions(), ids=question_id)
def test_every_possible_answer_passes_the_argument_spec(entry):
    question = entry[1]
    for option in declared_options()[question['variable']]:
        for answer in possible_answers(question):
            assert argument_spec_errors(question['variable'], option, answer) == []


@pytest.mark.parametrize('path', survey_paths(), ids=survey_name)
def test_defaults_awx_applies_are_the_role_defaults(path):
    """A default AWX puts into the job's extra vars must be the role's own, static default; others are left out."""
    defaults = role_defaults()
    for variable, value in applied_defaults(load_survey(path)).items():
        assert variable in defaults, '%s: the roles have no default' % variable
        assert '{{' not in str(defaults[variable]), '%s: the role computes its default' % variable
        expected = defaults[variable]
        assert (check_type_bool(value) if isinstance(expected, bool) else value) == expected, variable


@pytest.mark.parametrize('variable', BOOLS_READ_BY_MODULES_ONLY)
def test_string_answers_for_booleans_reach_only_module_options(variable):
    """Each use is a whole-value option such as `hold_finalization: "{{ distsql_hold_finalization }}"`."""
    option_line = re.compile(r'^\s+\w+: "\{\{ %s \}\}"$' % re.escape(variable))
    uses = [(path, line) for path, text in task_and_playbook_texts().items() for line in text.splitlines()
            if variable in line and not line.lstrip().startswith('#')]
    assert uses
    assert [use for use in uses if not option_line.match(use[1])] == []


def test_required_target_version_has_no_default_awx_applies():
    for path in survey_paths():
        survey = load_survey(path)
        assert 'distsql_target_version' not in applied_defaults(survey), survey_name(path)


# --- the validator itself: each AWX rule, broken on purpose ---------------------------------------------------------

def text_question(**changes):
    question = {'question_name': 'Target version', 'variable': 'distsql_target_version', 'type': 'text',
                'required': True, 'min': 1, 'max': 64, 'default': ''}
    question.update(changes)
    return question


def choice_question(**changes):
    question = {'question_name': 'Engine', 'variable': 'distsql_engine', 'type': 'multiplechoice', 'required': False,
                'choices': ['cockroachdb', 'kwdb'], 'default': 'kwdb'}
    question.update(changes)
    return question


def survey_of(*questions):
    return {'name': 'n', 'description': 'd', 'spec': list(questions)}


def without(mapping, key):
    trimmed = copy.deepcopy(mapping)
    del trimmed[key]
    return trimmed


SPEC_VIOLATIONS = [
    ('no name', without(survey_of(text_question()), 'name'), "Field 'name' is missing from survey spec."),
    ('no description', without(survey_of(text_question()), 'description'), "Field 'description' is missing from survey spec."),
    ('no spec', without(survey_of(text_question()), 'spec'), "Field 'spec' is missing from survey spec."),
    ('name not a string', dict(survey_of(text_question()), name=1), "Expected string for field 'name', received int type."),
    ('spec not a list', dict(survey_of(), spec={}), "Expected list of items for field 'spec', received dict type."),
    ('empty spec', survey_of(), "'spec' doesn't contain any items."),
    ('question not an object', survey_of('x'), 'Survey question 0 is not a json object.'),
    ('no type', survey_of(without(text_question(), 'type')), "'type' missing from survey question 0"),
    ('no question_name', survey_of(without(text_question(), 'question_name')), "'question_name' missing from survey question 0"),
    ('no variable', survey_of(without(text_question(), 'variable')), "'variable' missing from survey question 0"),
    ('no required', survey_of(without(text_question(), 'required')), "'required' missing from survey question 0"),
    ('required not a bool', survey_of(text_question(required='yes')), "'required' in survey question 0 expected to be boolean."),
    ('variable not a string', survey_of(text_question(variable=3)), "'variable' in survey question 0 expected to be string."),
    ('variable twice', survey_of(text_question(), text_question()),
     "'variable' 'distsql_target_version' duplicated in survey question 1."),
    ('unknown type', survey_of(text_question(type='bool')),
     "'bool' in survey question 0 is not one of 'text, textarea, password, multiplechoice, multiselect, integer, float' "
     "allowed question types."),
    ('text default not a string', survey_of(text_question(default=24)),
     'Default value 24 in survey question 0 expected to be string.'),
    ('integer default a string', survey_of(text_question(type='integer', default='3')),
     'Default value 3 in survey question 0 expected to be integer.'),
    ('float default a string', survey_of(text_question(type='float', default='2.5')),
     'Default value 2.5 in survey question 0 expected to be float.'),
    ('multiselect default a list', survey_of(choice_question(type='multiselect', default=['kwdb'])),
     "Default value ['kwdb'] in survey question 0 expected to be string."),
    ('min not an int', survey_of(text_question(min=1.5)), 'The min limit in survey question 0 expected to be integer.'),
    ('max a string', survey_of(text_question(max='64')), 'The max limit in survey question 0 expected to be integer.'),
    ('float question with a float max', survey_of(text_question(type='float', default=2.0, max=10.5)),
     'The max limit in survey question 0 expected to be integer.'),
    ('multiplechoice without choices', survey_of(without(choice_question(), 'choices')),
     'Survey question 0 of type multiplechoice must specify choices.'),
    ('multiselect without choices', survey_of(without(choice_question(type='multiselect'), 'choices')),
     'Survey question 0 of type multiselect must specify choices.'),
    ('multiplechoice with two defaults', survey_of(choice_question(default='kwdb\ncockroachdb')),
     'Multiple Choice (Single Select) can only have one default value.'),
    ('multiplechoice default not a choice', survey_of(choice_question(default='databend')),
     'Default choice must be answered from the choices listed.'),
    ('multiselect default line not a choice', survey_of(choice_question(type='multiselect', default='kwdb\ndatabend')),
     'Default choice must be answered from the choices listed.'),
    ('encrypted default of a text', survey_of(text_question(default='$encrypted$')),
     '$encrypted$ is a reserved keyword for password question defaults, survey question 0 is type text.'),
    ('encrypted default of a new password', survey_of(text_question(type='password', default='$encrypted$')),
     '$encrypted$ is a reserved keyword, may not be used for new default in position 0.'),
]


@pytest.mark.parametrize('spec, message', [case[1:] for case in SPEC_VIOLATIONS], ids=[case[0] for case in SPEC_VIOLATIONS])
def test_validator_refuses_each_broken_rule_with_awx_message(spec, message):
    with pytest.raises(SurveySpecError) as refused:
        validate_survey_spec(spec)
    assert str(refused.value) == message


def test_validator_reports_the_last_missing_top_level_field_as_awx_does():
    with pytest.raises(SurveySpecError) as refused:
        validate_survey_spec({'spec': [text_question()]})
    assert str(refused.value) == "Field 'description' is missing from survey spec."


def test_validator_normalises_choice_strings_and_multiselect_defaults():
    stored = validate_survey_spec(survey_of(choice_question(type='multiselect', choices='kwdb\n\ncockroachdb\n',
                                                            default='kwdb\n\n')))
    assert stored['spec'][0]['choices'] == 'kwdb\ncockroachdb'
    assert stored['spec'][0]['default'] == 'kwdb'


def test_validator_accepts_an_empty_default_of_any_type():
    spec = survey_of(text_question(type='integer', default=''), choice_question(default=''))
    assert validate_survey_spec(spec) == spec


ANSWER_VIOLATIONS = [
    ('required answer missing', text_question(), {}, ["'distsql_target_version' value missing"]),
    ('text answer too short', text_question(), {'distsql_target_version': ''},
     ["'distsql_target_version' value  is too small (length is 0 must be at least 1)."]),
    ('text answer too long', text_question(max=3), {'distsql_target_version': 'v24.1.4'},
     ["'distsql_target_version' value v24.1.4 is too large (must be no more than 3)."]),
    ('text answer not a string', text_question(), {'distsql_target_version': 24},
     ["Value 24 for 'distsql_target_version' expected to be a string."]),
    ('integer answer a string', text_question(type='integer', min=1, max=9), {'distsql_target_version': '3'},
     ["Value 3 for 'distsql_target_version' expected to be an integer."]),
    ('integer answer a boolean', text_question(type='integer', min=0, max=9), {'distsql_target_version': True},
     ["Value True for 'distsql_target_version' expected to be an integer."]),
    ('float answer a boolean', text_question(type='float', min=0, max=9), {'distsql_target_version': False},
     ["Value False for 'distsql_target_version' expected to be a numeric type."]),
    ('integer answer below min', text_question(type='integer', min=1, max=9), {'distsql_target_version': 0},
     ["'distsql_target_version' value 0 is too small (must be at least 1)."]),
    ('float answer above max', text_question(type='float', min=0, max=5), {'distsql_target_version': 5.5},
     ["'distsql_target_version' value 5.5 is too large (must be no more than 5)."]),
    ('multiplechoice answer not a choice', choice_question(), {'distsql_engine': ''},
     ["Value  for 'distsql_engine' expected to be one of ['cockroachdb', 'kwdb']."]),
    ('multiselect answer a string', choice_question(type='multiselect'), {'distsql_engine': 'kwdb'},
     ["'distsql_engine' value is expected to be a list."]),
]


@pytest.mark.parametrize('question, data, errors', [case[1:] for case in ANSWER_VIOLATIONS], ids=[case[0] for case in ANSWER_VIOLATIONS])
def test_answer_checks_give_awx_messages(question, data, errors):
    assert answer_errors(question, data) == errors


def test_awx_applies_only_defaults_that_pass_the_answer_checks():
    spec = survey_of(text_question(), choice_question(default=''), choice_question(variable='distsql_flow'),
                     text_question(variable='distsql_wait_timeout', type='integer', required=False, min=1, max=9, default=5))
    assert applied_defaults(spec) == {'distsql_flow': 'kwdb', 'distsql_wait_timeout': 5}
