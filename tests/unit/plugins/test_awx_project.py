# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What AWX's project scan lists: every entry point, from a checkout of the collection or from the wrapper project."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os

import pytest
import yaml

from ansible.utils.collection_loader import AnsibleCollectionRef

from ansible_collections.distsql.upgrade.tests.awx.awx_rules import could_be_playbook, project_playbooks

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
WRAPPER_PROJECT = os.path.join(COLLECTION_ROOT, 'extensions', 'awx', 'project')
ENTRY_POINTS = ('precheck', 'upgrade-multi-replica', 'upgrade-single-replica', 'upgrade-standalone', 'finalize', 'rollback')


def collection_playbooks():
    return sorted(os.path.relpath(path, COLLECTION_ROOT) for path in glob.glob(os.path.join(COLLECTION_ROOT, 'playbooks', '*.yml')))


def load_yaml(path):
    with open(path, encoding='utf-8') as source:
        return yaml.safe_load(source)


def write(directory, relative_path, text):
    path = os.path.join(str(directory), relative_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as out:
        out.write(text)
    return path


def test_a_checkout_of_the_collection_lists_every_playbook():
    listed = project_playbooks(COLLECTION_ROOT)
    assert collection_playbooks()
    assert [playbook for playbook in collection_playbooks() if playbook not in listed] == []


def test_the_wrapper_project_lists_exactly_one_playbook_per_entry_point():
    assert project_playbooks(WRAPPER_PROJECT) == sorted(name + '.yml' for name in ENTRY_POINTS)


@pytest.mark.parametrize('entry_point', ENTRY_POINTS)
def test_each_wrapper_imports_the_fqcn_playbook_of_its_entry_point(entry_point):
    plays = load_yaml(os.path.join(WRAPPER_PROJECT, entry_point + '.yml'))
    assert len(plays) == 1 and sorted(plays[0]) == ['ansible.builtin.import_playbook', 'name']
    fqcn = plays[0]['ansible.builtin.import_playbook']
    ref = AnsibleCollectionRef.try_parse_fqcr(fqcn, 'playbook')
    assert ref is not None and ref.collection == 'distsql.upgrade', fqcn
    assert ref.resource == entry_point.replace('-', '_')
    assert os.path.isfile(os.path.join(COLLECTION_ROOT, 'playbooks', ref.resource + '.yml'))


def test_an_fqcn_playbook_is_not_a_file_awx_could_list():
    assert AnsibleCollectionRef.try_parse_fqcr('distsql.upgrade.upgrade-multi-replica', 'playbook') is None


def test_the_project_requirements_install_this_collection():
    requirements = load_yaml(os.path.join(WRAPPER_PROJECT, 'collections', 'requirements.yml'))
    assert [entry['name'] for entry in requirements['collections']] == ['distsql.upgrade']


# --- the scan itself ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('relative_path, text', [
    ('site.yml', '- name: Play\n  hosts: all\n'),
    ('site.yaml', '- hosts: all\n  tasks: []\n'),
    ('wrap.yml', '- name: Wrap\n  ansible.builtin.import_playbook: distsql.upgrade.precheck\n'),
    ('short.yml', '- import_playbook: other.yml\n'),
    ('old.yml', '- include: other.yml\n'),
    ('secret.yml', '$ANSIBLE_VAULT;1.1;AES256\n6162\n'),
    ('sub/dir/deep.yml', '- hosts: db\n'),
])
def test_scan_lists_playbook_files(tmp_path, relative_path, text):
    write(tmp_path, relative_path, text)
    assert project_playbooks(str(tmp_path)) == [relative_path]


@pytest.mark.parametrize('relative_path, text', [
    ('tasks_only.yml', '- name: A task file\n  ansible.builtin.debug:\n    msg: hi\n'),
    ('roles_include.yml', '- name: Include a role\n  ansible.builtin.include_role:\n    name: x\n'),
    ('hosts.json', '[{"hosts": "all"}]\n'),
    ('roles/r/tests/test.yml', '- hosts: all\n'),
    ('play/tasks/main.yml', '- hosts: all\n'),
    ('group_vars/all.yml', 'hosts: all\n'),
    ('host_vars/db1.yml', 'hosts: db1\n'),
    ('.github/workflow.yml', 'hosts: x\n'),
])
def test_scan_skips_files_awx_does_not_list(tmp_path, relative_path, text):
    write(tmp_path, relative_path, text)
    assert project_playbooks(str(tmp_path)) == []


def test_vault_header_counts_only_on_the_first_line(tmp_path):
    path = write(tmp_path, 'late.yml', '# comment\n$ANSIBLE_VAULT;1.1;AES256\n')
    assert could_be_playbook(path) is False
