# distsql.upgrade: every command a developer or CI needs. `make test` is what CI runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# The build tree must live outside this git checkout: inside it, ansible-test would list files through
# git, see them ignored, and skip every target.
BUILD ?= /tmp/distsql-upgrade-build-$(shell echo $(CURDIR) | md5sum | cut -c1-8)
COLL_ROOT := $(BUILD)/collections
COLL := $(COLL_ROOT)/ansible_collections/distsql/upgrade
INSTALLED := $(BUILD)/installed
DIST := $(BUILD)/dist
MODULES := $(basename $(notdir $(wildcard plugins/modules/*.py)))
export ANSIBLE_HOME := $(BUILD)/ansible_home
export ANSIBLE_LOCAL_TEMP := $(BUILD)/ansible_home/tmp
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0

.PHONY: ansible-test-shim help venv collection sanity units lint changelog-lint build-install docs module-tests testbed-tests integration test demo clean

help:
	@echo "make demo   - bring up a testbed cluster, run the probes through Ansible, show the report"
	@echo "make test   - everything CI runs (sanity, units, lint, build+install+ansible-doc, module tests, testbed suites)"

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

# ansible-test needs the collection under .../ansible_collections/<ns>/<name>: copy (not symlink) the
# tracked and untracked-but-not-ignored files of this checkout into such a tree.
collection:
	rm -rf $(COLL) && mkdir -p $(COLL)
	git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C $(COLL)

# ansible-test bootstraps pip into its venvs with a script it downloads; this machine has no route
# there, so put the offline stand-in where ansible-test looks for its cache.
ansible-test-shim: venv
	@pipver=$$(grep -ho "pip='[0-9.]*'" $(VENV)/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | tr -dc '0-9.'); \
	  mkdir -p $$HOME/.ansible/test/cache; \
	  cp tools/get_pip_offline.py $$HOME/.ansible/test/cache/get_pip_$${pipver//./_}.py

sanity: venv collection ansible-test-shim
	cd $(COLL) && PATH=$(BIN):$$PATH $(BIN)/ansible-test sanity --python 3.11 --venv --color no

units: venv collection
	cd $(COLL_ROOT) && $(BIN)/python -m pytest -q -p no:cacheprovider ansible_collections/distsql/upgrade/tests/unit

lint: venv collection
	cd $(COLL) && PATH=$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(COLL_ROOT) $(BIN)/ansible-lint

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

build-install: venv collection
	rm -rf $(DIST) $(INSTALLED)
	cd $(COLL) && $(BIN)/ansible-galaxy collection build --force --output-path $(DIST)
	env -u ANSIBLE_COLLECTIONS_PATH $(BIN)/ansible-galaxy collection install --force -p $(INSTALLED) $(DIST)/distsql-upgrade-*.tar.gz

# Every module must render with ansible-doc from the installed tarball (not from the source tree).
docs: build-install
	for m in $(MODULES); do \
	  out=$$(ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) $(BIN)/ansible-doc distsql.upgrade.$$m); \
	  grep -q "OPTIONS" <<<"$$out" && grep -q "RETURN VALUES" <<<"$$out" && grep -q "EXAMPLES" <<<"$$out" \
	    || { echo "ansible-doc distsql.upgrade.$$m did not render"; exit 1; }; \
	  echo "ansible-doc distsql.upgrade.$$m: ok ($$(wc -l <<<"$$out") lines)"; \
	done

module-tests: venv build-install
	DISTSQL_COLLECTIONS_PATH=$(INSTALLED) $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 tests/modules

testbed-tests: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/testbed/tests

integration: venv build-install
	DISTSQL_COLLECTIONS_PATH=$(INSTALLED) $(BIN)/python -m pytest -q -p no:cacheprovider tests/integration

# Suites defined in mk/*.mk add themselves to TEST_EXTRA (run one after the other) or TEST_BESIDE_MOLECULE (run
# while the podman scenarios run: they use other resources, dockerd say, and the 2 cores are mostly waiting then).
TEST_EXTRA :=
TEST_BESIDE_MOLECULE :=
MOLECULE_ELSEWHERE :=
-include $(sort $(wildcard mk/*.mk))

test: sanity units lint changelog-lint docs module-tests testbed-tests integration $(TEST_EXTRA)
	$(MAKE) --no-print-directory -j2 --output-sync=target molecule $(TEST_BESIDE_MOLECULE)

# Molecule scenarios (molecule/<scenario>/): testbed clusters converged through the installed collection's
# playbooks, verified with testinfra. MOLECULE_JOBS scenarios run at a time; MOLECULE_SCENARIOS picks some.
# Suites of mk/*.mk that run their scenarios themselves add their patterns to MOLECULE_ELSEWHERE.
MOLECULE_SCENARIOS ?= $(filter-out $(MOLECULE_ELSEWHERE),$(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
MOLECULE_JOBS ?= 2
.PHONY: molecule
molecule: venv build-install
	PATH=$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) NO_COLOR=1 $(BIN)/python -m tests.molecule_support.run_scenarios \
	  --jobs $(MOLECULE_JOBS) --logs $(BUILD)/molecule $(MOLECULE_SCENARIOS)

demo: venv build-install
	DISTSQL_COLLECTIONS_PATH=$(INSTALLED) $(BIN)/python -m tests.demo

clean:
	rm -rf $(BUILD) tests/output
