"""AWX's own rules, ported line by line so that tests can apply them without an AWX.

From ansible/awx e21dd0a0 (24.6.1+145):
- survey spec checks on POST .../survey_spec/: awx/api/views/__init__.py JobTemplateSurveySpec._validate_spec_data
  (the same view serves workflow job templates), SURVEY_TYPE_MAPPING from awx/main/constants.py;
- what a launch answer (or a survey default) must be: awx/main/models/mixins.py _survey_element_validation;
- which survey defaults a job gets: mixins.py _update_unified_job_kwargs (a default is applied only if it passes
  the answer checks), and what GET .../survey_spec/ shows: mixins.py display_survey_spec;
- which project files AWX lists as playbooks: awx/main/utils/ansible.py could_be_playbook and skip_directory,
  walked as awx/main/models/projects.py Project.playbooks does.
The messages are AWX's, character for character (with its gettext calls as the identity).
"""
import copy
import os
import re

SURVEY_TYPE_MAPPING = {'text': str, 'textarea': str, 'password': str, 'multiplechoice': str, 'multiselect': str,
                       'integer': int, 'float': (float, int)}
REQUIRED_QUESTION_FIELDS = ('type', 'question_name', 'variable', 'required')
TOP_LEVEL_FIELDS = (('name', str, 'string'), ('description', str, 'string'), ('spec', list, 'list of items'))
ENCRYPTED = '$encrypted$'
VALID_PLAYBOOK_RE = re.compile(r'^\s*?-?\s*?(?:hosts|(ansible\.builtin\.)?include|(ansible\.builtin\.)?import_playbook):\s*?.*?$')


class SurveySpecError(ValueError):
    """AWX answered the POST with 400 {"error": <message>}."""


# --- POST survey_spec/ ---------------------------------------------------------------------------------------------

def validate_survey_spec(new_spec, old_spec=None):
    """The spec as AWX stores it (choices and defaults normalised, password defaults marked), or SurveySpecError."""
    _check_top_level(new_spec)
    stored = copy.deepcopy(new_spec)
    old_questions = _pivot_spec(old_spec or {})
    variables = set()
    for idx, question in enumerate(stored['spec']):
        _check_question(idx, question, variables)
        _check_and_normalise_choices(idx, question)
        _check_encrypted_default(idx, question, old_questions)
    return stored


def _check_top_level(spec):
    error = None
    for field, expect_type, type_label in TOP_LEVEL_FIELDS:
        if field not in spec:
            error = "Field '{}' is missing from survey spec.".format(field)
        elif not isinstance(spec[field], expect_type):
            error = "Expected {} for field '{}', received {} type.".format(type_label, field, type(spec[field]).__name__)
    if isinstance(spec.get('spec', None), list) and len(spec['spec']) < 1:
        error = "'spec' doesn't contain any items."
    if error:
        raise SurveySpecError(error)


def _check_question(idx, question, variables):
    if not isinstance(question, dict):
        raise SurveySpecError("Survey question %s is not a json object." % str(idx))
    for field_name in REQUIRED_QUESTION_FIELDS:
        _check_required_field(idx, question, field_name)
    if question['variable'] in variables:
        raise SurveySpecError("'variable' '%(item)s' duplicated in survey question %(survey)s."
                              % {'item': question['variable'], 'survey': str(idx)})
    variables.add(question['variable'])
    _check_type_and_default(idx, question)
    _check_limits(idx, question)


def _check_required_field(idx, question, field_name):
    if field_name not in question:
        raise SurveySpecError("'{field_name}' missing from survey question {idx}".format(field_name=field_name, idx=str(idx)))
    allow_types, type_label = (bool, 'boolean') if field_name == 'required' else (str, 'string')
    if not isinstance(question[field_name], allow_types):
        raise SurveySpecError("'{field_name}' in survey question {idx} expected to be {type_label}.".format(
            field_name=field_name, idx=str(idx), type_label=type_label))


def _check_type_and_default(idx, question):
    qtype = question['type']
    if qtype not in SURVEY_TYPE_MAPPING:
        raise SurveySpecError("'{qtype}' in survey question {idx} is not one of '{allowed}' allowed question types.".format(
            qtype=qtype, idx=str(idx), allowed=', '.join(SURVEY_TYPE_MAPPING.keys())))
    if 'default' in question and question['default'] != '':
        if not isinstance(question['default'], SURVEY_TYPE_MAPPING[qtype]):
            type_label = qtype if qtype in ['integer', 'float'] else 'string'
            raise SurveySpecError("Default value {default} in survey question {idx} expected to be {type_label}.".format(
                default=question['default'], idx=str(idx), type_label=type_label))


def _check_limits(idx, question):
    for key in ['min', 'max']:
        if key in question and question[key] is not None and not isinstance(question[key], int):
            raise SurveySpecError("The {min_or_max} limit in survey question {idx} expected to be integer.".format(
                min_or_max=key, idx=str(idx)))


def _check_and_normalise_choices(idx, question):
    qtype = question['type']
    if qtype not in ('multiselect', 'multiplechoice'):
        return
    if 'choices' not in question:
        raise SurveySpecError("Survey question {idx} of type {qtype} must specify choices.".format(idx=str(idx), qtype=qtype))
    if isinstance(question['choices'], str):
        question['choices'] = '\n'.join(choice for choice in question['choices'].splitlines() if choice.strip() != '')
    if 'default' not in question:
        return
    if isinstance(question['default'], str):
        question['default'] = '\n'.join(choice for choice in question['default'].splitlines() if choice.strip() != '')
        defaults = question['default'].splitlines()
    else:
        defaults = question['default']
    if qtype == 'multiplechoice' and len(defaults) > 1:
        raise SurveySpecError("Multiple Choice (Single Select) can only have one default value.")
    if any(item not in question['choices'] for item in defaults):
        raise SurveySpecError("Default choice must be answered from the choices listed.")


def _check_encrypted_default(idx, question, old_questions):
    default = question.get('default')
    if isinstance(default, str) and default.startswith(ENCRYPTED):
        if question['type'] != 'password':
            raise SurveySpecError("$encrypted$ is a reserved keyword for password question defaults, survey question {idx} is "
                                  "type {qtype}.".format(idx=str(idx), qtype=question['type']))
        old_default = old_questions.get(question['variable'], {}).get('default')
        if not (isinstance(old_default, str) and (old_default.startswith(ENCRYPTED) or old_default == '')):
            raise SurveySpecError("$encrypted$ is a reserved keyword, may not be used for new default in position {idx}.".format(
                idx=str(idx)))
        question['default'] = old_default
    elif question['type'] == 'password' and question.get('default'):
        question['default'] = ENCRYPTED + 'stored'   # AWX stores the encrypted value; only its prefix matters here


def _pivot_spec(spec):
    return {question['variable']: question for question in spec.get('spec', []) if 'variable' in question}


def display_survey_spec(stored_spec):
    """What GET survey_spec/ returns for a stored spec: password defaults hidden."""
    shown = copy.deepcopy(stored_spec) if stored_spec else {}
    for question in shown.get('spec', []):
        if question.get('type') == 'password' and question.get('default'):
            question['default'] = ENCRYPTED
    return shown


# --- launch answers and survey defaults -----------------------------------------------------------------------------

def answer_errors(question, data):
    """AWX's errors for the answers in data (extra vars) to one question; [] when they are accepted."""
    variable = question['variable']
    if variable not in data:
        return ["'%s' value missing" % variable] if question['required'] else []
    check = _ANSWER_CHECKS.get(question['type'])
    return check(question, variable, data[variable]) if check else []


def _text_answer_errors(question, variable, value):
    if not isinstance(value, str):
        return ["Value %s for '%s' expected to be a string." % (value, variable)]
    errors = []
    if _limit(question, 'min') is not None and len(value) < int(question['min']):
        errors.append("'%s' value %s is too small (length is %s must be at least %s)." % (variable, value, len(value), question['min']))
    if _limit(question, 'max') is not None and len(value) > int(question['max']):
        errors.append("'%s' value %s is too large (must be no more than %s)." % (variable, value, question['max']))
    return errors


def _integer_answer_errors(question, variable, value):
    if isinstance(value, bool) or not isinstance(value, int):  # AWX: type(value) != int
        return ["Value %s for '%s' expected to be an integer." % (value, variable)]
    return _numeric_range_errors(question, variable, value, int)


def _float_answer_errors(question, variable, value):
    if isinstance(value, bool) or not isinstance(value, (float, int)):  # AWX: type(value) not in (float, int)
        return ["Value %s for '%s' expected to be a numeric type." % (value, variable)]
    return _numeric_range_errors(question, variable, value, float)


def _numeric_range_errors(question, variable, value, cast):
    errors = []
    if _limit(question, 'min') is not None and value < cast(question['min']):
        errors.append("'%s' value %s is too small (must be at least %s)." % (variable, value, question['min']))
    if _limit(question, 'max') is not None and value > cast(question['max']):
        errors.append("'%s' value %s is too large (must be no more than %s)." % (variable, value, question['max']))
    return errors


def _multiselect_answer_errors(question, variable, value):
    if not isinstance(value, list):
        return ["'%s' value is expected to be a list." % variable]
    choices = choice_list(question)
    return ["Value %s for '%s' expected to be one of %s." % (item, variable, choices) for item in value if item not in choices]


def _multiplechoice_answer_errors(question, variable, value):
    choices = choice_list(question)
    return [] if value in choices else ["Value %s for '%s' expected to be one of %s." % (value, variable, choices)]


_ANSWER_CHECKS = {'text': _text_answer_errors, 'textarea': _text_answer_errors, 'password': _text_answer_errors,
                  'integer': _integer_answer_errors, 'float': _float_answer_errors,
                  'multiselect': _multiselect_answer_errors, 'multiplechoice': _multiplechoice_answer_errors}


def _limit(question, key):
    value = question.get(key)
    return None if value in ('', None) else value


def choice_list(question):
    choices = question['choices']
    if isinstance(choices, str):
        return [choice for choice in choices.splitlines() if choice.strip() != '']
    return list(choices)


def applied_defaults(spec):
    """The extra vars a job gets from the survey's defaults: only the defaults that pass the answer checks."""
    applied = {}
    for question in spec.get('spec', []):
        default = question.get('default')
        if default is not None and not answer_errors(question, {question['variable']: default}):
            applied[question['variable']] = default
    return applied


# --- project playbook scan ------------------------------------------------------------------------------------------

def skip_directory(relative_directory_path):
    elements = relative_directory_path.split(os.sep)
    if 'roles' in elements or 'tasks' in elements:
        return True
    if any(element.startswith('.') for element in elements):
        return True
    return 'group_vars' in elements or 'host_vars' in elements


def could_be_playbook(path):
    """True for a .yml/.yaml file with a hosts:, include: or import_playbook: line (or vault-encrypted)."""
    if os.path.splitext(path)[-1] not in ['.yml', '.yaml']:
        return False
    with open(path, encoding='utf-8', errors='ignore') as source:
        for number, line in enumerate(source):
            if VALID_PLAYBOOK_RE.match(line) or (number == 0 and line.startswith('$ANSIBLE_VAULT;')):
                return True
    return False


def project_playbooks(project_path):
    """The playbooks AWX lists for a project checked out at project_path (relative paths, AWX's order).

    AWX passes skip_directory the absolute directory (under /var/lib/awx/projects/, which has no dot or roles
    element); the path relative to the project is used here so that a checkout's own location cannot hide files.
    """
    found = []
    for dirpath, _dirnames, filenames in os.walk(project_path):
        relative_dir = os.path.relpath(dirpath, project_path)
        if relative_dir != os.curdir and skip_directory(relative_dir):
            continue
        found += [os.path.relpath(os.path.join(dirpath, name), project_path) for name in filenames
                  if could_be_playbook(os.path.join(dirpath, name))]
    return sorted(found, key=str.lower)
