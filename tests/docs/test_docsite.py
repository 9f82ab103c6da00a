"""The built docs site, as headless Chromium renders it: every module, role and playbook is listed, and every
module page shows its options table with every option its DOCUMENTATION declares.

`make docsite-tests` builds the site (docs/site/build.sh) and points DISTSQL_DOCSITE at its html/ directory.
One headless Chromium run opens every page as a file:// URL, each in a frame of a driver page, with every host name
unresolvable: nothing is fetched from a network.
"""
import ast
import html
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
COLLECTION = 'distsql.upgrade'
MODULES = sorted(path.stem for path in (REPO / 'plugins' / 'modules').glob('*.py'))
ROLES = sorted(path.name for path in (REPO / 'roles').iterdir() if path.is_dir())
PLAYBOOKS = sorted(path.name for path in (REPO / 'playbooks').glob('*.yml'))
PLAYBOOKS_PAGE = 'docsite/playbooks.html'
# --allow-file-access-from-files: the driver page reads the DOM of frames that are file:// pages of other directories.
CHROMIUM_FLAGS = (
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--disable-sync',
    '--disable-background-networking', '--disable-component-update', '--disable-default-apps',
    '--host-resolver-rules=MAP * ~NOTFOUND', '--allow-file-access-from-files',
)
CHROMIUM_TIMEOUT = 120
DRIVER_TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>docsite driver</title></head><body>%s<script>
window.addEventListener('load', function () {
  document.querySelectorAll('iframe').forEach(function (frame) {
    var dom = document.createElement('pre');
    dom.id = 'dom-' + frame.id;
    try { dom.textContent = frame.contentDocument.documentElement.outerHTML; }
    catch (error) { dom.textContent = 'the frame could not be read: ' + error; }
    document.body.appendChild(dom);
  });
});
</script></body></html>
"""
FRAME_DOM = re.compile(r'<pre id="dom-(frame-\d+)">(.*?)</pre>', re.S)


class PageOutline(HTMLParser):
    """What the checks read from a rendered page: the links and headings of its content (not of the navigation
    sidebar), its scripts and styles, and its options table."""

    def __init__(self):
        super().__init__()
        self.links = set()
        self.headings = []
        self.resources = []
        self.has_options_table = False
        self.option_anchors = set()
        self.malformed = False
        self._sections = []
        self._in_options_table = False
        self._heading = None
        self._in_headerlink = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get('class') or '').split()
        if tag == 'section':
            self._sections.append(attributes.get('id'))
        elif tag == 'a' and attributes.get('href') and self._sections:
            self.links.add(attributes['href'].split('#')[0])
        elif tag in ('script', 'img') and attributes.get('src'):
            self.resources.append(attributes['src'])
        elif tag == 'link' and 'stylesheet' in (attributes.get('rel') or ''):
            self.resources.append(attributes.get('href') or '')
        elif re.fullmatch('h[1-6]', tag):
            self._heading = []
        if tag == 'a' and 'headerlink' in classes:
            self._in_headerlink = True
        self._option_table_tag(tag, classes, attributes)

    def _option_table_tag(self, tag, classes, attributes):
        if tag == 'table' and 'ansible-option-table' in classes and 'parameters' in self._sections:
            self.has_options_table = self._in_options_table = True
        elif tag == 'div' and 'ansibleOptionAnchor' in classes and self._in_options_table:
            self.option_anchors.add(attributes.get('id', '').replace('parameter-', '', 1))

    def handle_endtag(self, tag):
        if tag == 'section' and self._sections:
            self._sections.pop()
        elif tag == 'table':
            self._in_options_table = False
        elif tag == 'a':
            self._in_headerlink = False
        elif re.fullmatch('h[1-6]', tag) and self._heading is not None:
            self.headings.append(''.join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None and not self._in_headerlink:
            self._heading.append(data)
        if 'was malformed' in data:
            self.malformed = True


def outline(dom):
    parser = PageOutline()
    parser.feed(dom)
    parser.close()
    return parser


def chromium():
    path = shutil.which('chromium')
    if not path:
        pytest.fail('chromium is not installed: tests/testbed/setup-host.sh installs it (apt-get install chromium)')
    return path


def driver_page(pages):
    """A page that loads every page in a frame of its own and, once all have loaded (their scripts run), copies
    each frame's DOM into a <pre> that --dump-dom prints."""
    frames = ''.join('<iframe id="frame-%d" src="%s"></iframe>' % (index, html.escape(page.as_uri()))
                     for index, page in enumerate(pages))
    return DRIVER_TEMPLATE % frames


def render_all(pages):
    """The DOM of each page after Chromium loaded it, from one headless Chromium run with a throwaway profile."""
    with tempfile.TemporaryDirectory(prefix='docsite-chromium-') as scratch:
        driver = pathlib.Path(scratch) / 'driver.html'
        driver.write_text(driver_page(pages), encoding='utf-8')
        argv = [chromium(), *CHROMIUM_FLAGS, '--user-data-dir=%s/profile' % scratch, '--dump-dom', driver.as_uri()]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, check=False)
    doms = dict(FRAME_DOM.findall(result.stdout))
    rendered = {}
    for index, page in enumerate(pages):
        dom = html.unescape(doms.get('frame-%d' % index, ''))
        if result.returncode != 0 or not dom.endswith('</html>'):
            pytest.fail('chromium did not render %s (rc %d): %s' % (page, result.returncode, (dom or result.stderr)[-2000:]))
        rendered[page] = dom
    return rendered


def render(page):
    return render_all([page])[page]


def literal_assignment(path, name, class_name=None):
    """The string assigned to `name` at the top level of a Python file (or in one of its classes)."""
    body = ast.parse(path.read_text(encoding='utf-8')).body
    if class_name:
        body = next(node.body for node in body if isinstance(node, ast.ClassDef) and node.name == class_name)
    for node in body:
        if isinstance(node, ast.Assign) and any(getattr(target, 'id', None) == name for target in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError('%s has no %s' % (path, name))


def fragment_options(fragment):
    """The options of a doc fragment of this collection (`distsql.upgrade.NAME[.VARIABLE]`)."""
    if not fragment.startswith(COLLECTION + '.'):
        raise LookupError('doc fragment %s is not part of %s' % (fragment, COLLECTION))
    name, variable = (fragment[len(COLLECTION) + 1:] + '.').split('.')[:2]
    path = REPO / 'plugins' / 'doc_fragments' / (name + '.py')
    text = literal_assignment(path, (variable or 'documentation').upper(), class_name='ModuleDocFragment')
    return yaml.safe_load(text).get('options') or {}


def option_paths(options, prefix=''):
    """Every option and suboption as antsibull-docs anchors it: `name`, `name/suboption`."""
    paths = []
    for name, spec in options.items():
        paths.append(prefix + name)
        paths += option_paths((spec or {}).get('suboptions') or {}, prefix + name + '/')
    return paths


def module_options(module):
    """Every option of a module's DOCUMENTATION, its doc fragments' options included."""
    documentation = yaml.safe_load(literal_assignment(REPO / 'plugins' / 'modules' / (module + '.py'), 'DOCUMENTATION'))
    options = {}
    for fragment in documentation.get('extends_documentation_fragment') or []:
        options.update(fragment_options(fragment))
    options.update(documentation.get('options') or {})
    return sorted(option_paths(options))


def options_table_problems(module, page_name, page, options):
    """What is wrong with a module page's options table, one message each; empty when it is complete."""
    if not page.has_options_table:
        return ['%s.%s: %s has no options table' % (COLLECTION, module, page_name)]
    return ['%s.%s: option %s is not in the options table of %s' % (COLLECTION, module, option, page_name)
            for option in options if option not in page.option_anchors]


def module_page(module):
    return '%s_module.html' % module


def role_page(role):
    return '%s_role.html' % role


@pytest.fixture(scope='session')
def site():
    path = os.environ.get('DISTSQL_DOCSITE')
    if not path:
        pytest.fail('DISTSQL_DOCSITE is not set: run `make docsite-tests`, which builds the site and points it at html/')
    site = pathlib.Path(path)
    if not (site / 'index.html').is_file():
        pytest.fail('%s has no index.html: build the site with `make docsite`' % site)
    return site


class RenderedPages(dict):
    """The pages Chromium rendered, by file name relative to the site; a page the site lacks fails the test."""

    def __missing__(self, name):
        pytest.fail('the docs site has no %s' % name)


@pytest.fixture(scope='session')
def pages(site):
    names = ['index.html', PLAYBOOKS_PAGE] + [module_page(m) for m in MODULES] + [role_page(r) for r in ROLES]
    present = [name for name in names if (site / name).is_file()]
    rendered = render_all([site / name for name in present])
    return RenderedPages((name, outline(rendered[site / name])) for name in present)


def test_the_index_lists_every_module(pages):
    missing = [m for m in MODULES if module_page(m) not in pages['index.html'].links]
    assert missing == [], 'modules not linked from index.html'


def test_the_index_lists_every_role(pages):
    missing = [r for r in ROLES if role_page(r) not in pages['index.html'].links]
    assert missing == [], 'roles not linked from index.html'


def test_the_index_links_the_playbooks_page(pages):
    assert PLAYBOOKS_PAGE in pages['index.html'].links


def test_the_playbooks_page_lists_every_playbook(pages):
    missing = [p for p in PLAYBOOKS if p not in pages[PLAYBOOKS_PAGE].headings]
    assert missing == [], 'playbooks without a section on %s' % PLAYBOOKS_PAGE


@pytest.mark.parametrize('module', MODULES)
def test_a_module_page_renders_every_option(pages, module):
    assert options_table_problems(module, module_page(module), pages[module_page(module)], module_options(module)) == []


@pytest.mark.parametrize('role', ROLES)
def test_a_role_page_is_not_an_error_page(pages, role):
    assert not pages[role_page(role)].malformed, '%s is the page antsibull-docs writes for malformed docs' % role_page(role)


def test_no_page_loads_anything_from_outside_the_site(pages):
    remote = {name: [r for r in page.resources if re.match('(https?:)?//', r)] for name, page in pages.items()}
    assert {name: found for name, found in remote.items() if found} == {}


def test_a_module_page_without_its_options_table_is_reported(site, tmp_path):
    page = (site / module_page('node_status')).read_text(encoding='utf-8')
    stripped = re.sub(r'<table class="[^"]*ansible-option-table.*?</table>', '', page, count=1, flags=re.S)
    assert stripped != page, 'the node_status page has no options table to take out'
    (tmp_path / module_page('node_status')).write_text(stripped, encoding='utf-8')
    broken = outline(render(tmp_path / module_page('node_status')))
    assert options_table_problems('node_status', module_page('node_status'), broken, module_options('node_status')) == [
        'distsql.upgrade.node_status: node_status_module.html has no options table']


def test_an_option_missing_from_the_table_is_reported(pages):
    page = pages[module_page('node_status')]
    options = module_options('node_status') + ['no_such_option']
    assert options_table_problems('node_status', module_page('node_status'), page, options) == [
        'distsql.upgrade.node_status: option no_such_option is not in the options table of node_status_module.html']
