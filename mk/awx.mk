# AWX / Automation Controller (issue 10): extensions/awx/configure_awx.yml run through awx.awx 24.6.1 against the
# loopback AWX stand-in of tests/awx. awx.awx is not a dependency of the collection and Galaxy is not reachable:
# it comes out of the ansible 12.3.0 wheel from PyPI (tools/collection_from_wheel.py, the wheel cached under $(BUILD)).
AWX_COLLECTIONS := $(BUILD)/awx/collections
AWX_WHEEL_CACHE := $(BUILD)/awx/wheel-cache

.PHONY: awx-collection awx-lint-collection awx-tests

awx-collection: venv
	$(BIN)/python tools/collection_from_wheel.py --collection awx.awx --cache $(AWX_WHEEL_CACHE) --dest $(AWX_COLLECTIONS)

awx-tests: venv build-install awx-collection
	DISTSQL_COLLECTIONS_PATH=$(INSTALLED) DISTSQL_AWX_COLLECTIONS_PATH=$(AWX_COLLECTIONS) \
	  $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile tests/awx

# ansible-lint checks configure_awx.yml against the real awx.awx modules (their options, the module_defaults group
# awx.awx.controller): awx.awx goes next to the collection copy that `make lint` lints ($(COLL_ROOT)).
lint: awx-lint-collection

awx-lint-collection: venv
	$(BIN)/python tools/collection_from_wheel.py --collection awx.awx --cache $(AWX_WHEEL_CACHE) --dest $(COLL_ROOT)

TEST_EXTRA += awx-tests
