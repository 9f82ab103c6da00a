"""Write the stub intersphinx inventory the offline docs build resolves Ansible references against.

Usage: python docs/site/stub_inventory.py OUTPUT.inv

The pages antsibull-docs generates refer to two labels of the Ansible docs (the configuration settings and
the common return values) and, wherever a module documents M(ansible.builtin.get_url) and the like, to the
page of an ansible.builtin plugin. The real inventory lives on docs.ansible.com; this one holds the same
labels with the same targets: the two reference labels and one label per plugin of the installed
ansible-core, so that the strict build resolves them without a network.
"""

import pathlib
import sys
import zlib

import ansible

REFERENCE_LABELS = (
    ('ansible_configuration_settings', 'reference_appendices/config.html#ansible-configuration-settings',
     'Ansible Configuration Settings'),
    ('common_return_values', 'reference_appendices/common_return_values.html#common-return-values',
     'Return Values'),
)

# Plugin types whose ansible.builtin plugins are documented in a .py file, and those documented in .yml files.
PY_DOCUMENTED_TYPES = ('become', 'cache', 'callback', 'connection', 'inventory', 'lookup', 'shell', 'strategy', 'vars')
YAML_DOCUMENTED_TYPES = ('filter', 'test')

HEADER = (
    '# Sphinx inventory version 2\n'
    '# Project: Ansible\n'
    '# Version: devel\n'
    '# The remainder of this file is compressed using zlib.\n'
)


def public_stems(directory, suffix):
    """The names of the documented plugins in a directory of ansible-core."""
    return sorted(path.stem for path in directory.glob('*' + suffix) if not path.stem.startswith('_'))


def builtin_plugins():
    """(name, type) of every ansible.builtin module and plugin that has a page in the Ansible docs."""
    package = pathlib.Path(ansible.__file__).parent
    plugins = [(name, 'module') for name in public_stems(package / 'modules', '.py')]
    for plugin_type in PY_DOCUMENTED_TYPES:
        plugins += [(name, plugin_type) for name in public_stems(package / 'plugins' / plugin_type, '.py')]
    for plugin_type in YAML_DOCUMENTED_TYPES:
        plugins += [(name, plugin_type) for name in public_stems(package / 'plugins' / plugin_type, '.yml')]
    return plugins


def plugin_label(name, plugin_type):
    """The label, target and title antsibull-docs gives an ansible.builtin plugin's page."""
    label = 'ansible_collections.ansible.builtin.%s_%s' % (name, plugin_type)
    anchor = label.replace('.', '-').replace('_', '-')
    target = 'collections/ansible/builtin/%s_%s.html#%s' % (name, plugin_type, anchor)
    return label, target, 'ansible.builtin.%s %s' % (name, plugin_type)


def inventory_lines():
    """One `name std:label -1 target title` line per label."""
    labels = list(REFERENCE_LABELS) + [plugin_label(name, kind) for name, kind in builtin_plugins()]
    return ''.join('%s std:label -1 %s %s\n' % label for label in labels)


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: stub_inventory.py OUTPUT.inv')
    output = pathlib.Path(sys.argv[1])
    output.write_bytes(HEADER.encode() + zlib.compress(inventory_lines().encode()))


if __name__ == '__main__':
    main()
