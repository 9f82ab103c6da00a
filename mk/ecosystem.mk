# The ecosystem suites (issue 10, tests/ecosystem): ansible-builder 3 on the execution environment definitions
# (create, introspect), galaxy-importer on the built tarball (offline, a WARNING is a failure), and ansible-runner
# smoke runs of the installed collection's entry points on a 1-node testbed cluster (their set_stats artifacts).
# The tools run with `unshare -n` (no network at all); scratch files go under $(BUILD)/ecosystem.
ECOSYSTEM_WORK := $(BUILD)/ecosystem

.PHONY: ecosystem-tests

ecosystem-tests: venv build-install
	rm -rf $(ECOSYSTEM_WORK) && mkdir -p $(ECOSYSTEM_WORK)
	PATH=$(BIN):$$PATH DISTSQL_COLLECTIONS_PATH=$(INSTALLED) DISTSQL_DIST=$(DIST) DISTSQL_ECOSYSTEM_WORK=$(ECOSYSTEM_WORK) \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/ecosystem

TEST_EXTRA += ecosystem-tests
