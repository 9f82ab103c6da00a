# The docs site (issue 10): antsibull-docs + Sphinx over the installed collection, strict (nitpicky, warnings are
# errors) and offline (docs/site/README.md). `make docs` builds it; `make test` lints the collection's docs and opens
# the built pages in headless Chromium (tests/docs/).
DOCSITE := $(BUILD)/docsite

.PHONY: docsite docsite-tests

docs: docsite

docsite: venv build-install
	PATH=$(BIN):$$PATH docs/site/build.sh $(INSTALLED) $(DOCSITE)
	@echo "docs site: $(DOCSITE)/html/index.html"

docsite-tests: venv collection docsite
	cd $(COLL) && PATH=$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(COLL_ROOT) \
	  $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs .
	DISTSQL_DOCSITE=$(DOCSITE)/html $(BIN)/python -m pytest -q -p no:cacheprovider tests/docs

TEST_EXTRA += docsite-tests
