# Sphinx configuration of the distsql.upgrade docs site, from `antsibull-docs sphinx-init --use-current
# --squash-hierarchy` (antsibull-docs 2.28.0), adapted to build offline: docs/site/build.sh renders the
# collection's RST next to a stub intersphinx inventory (docs/site/stub_inventory.py) and runs sphinx-build
# with this directory as its configuration directory. The build stays strict: nitpicky here, -W there.

project = 'distsql.upgrade'

title = 'distsql.upgrade collection documentation'
html_short_title = 'distsql.upgrade'

extensions = ['sphinx.ext.autodoc', 'sphinx.ext.intersphinx', 'sphinx_antsibull_ext']

pygments_style = 'ansible'

highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False

display_version = False

html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

# The generated configuration fetches four inventories from the web. Offline, intersphinx reads only the
# stub inventory that build.sh writes next to the RST source directory (a path relative to it); the links
# still point to the Ansible docs on the web.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', ('../ansible_devel.inv',)),
}

default_role = 'any'

nitpicky = True
