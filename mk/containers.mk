# The container lab (tests/containers, issue 9): Debian's dockerd and docker-compose on this machine, KWDB images
# built from the simulated kwbase (KaiwuDB.tar), `run` and `compose` labs. The target installs and starts the
# daemon itself and tears it down (labs, containers, images, daemon) whatever the tests did, even on failure or
# interrupt: the EXIT trap of the recipe's shell. Under the same daemon it then runs the container molecule
# scenarios (molecule/kwdb_container_*: the collection's container flows against the lab), one at a time: a
# compose lab takes the vendor's fixed container name.
CONTAINER_SCENARIOS ?= $(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/kwdb_container_*/molecule.yml)))
MOLECULE_ELSEWHERE += kwdb_container_%

.PHONY: container-tests container-molecule
container-tests: venv build-install
	@trap 'PYTHON=$(BIN)/python bash tests/containers/teardown-docker.sh' EXIT; \
	  bash tests/containers/setup-docker.sh; \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/containers/tests; \
	  $(MAKE) --no-print-directory container-molecule

# The container scenarios alone, against a daemon that already runs (container-tests starts it) and the installed
# collection (make build-install): no build-install here, which would replace the collection under the podman
# scenarios that make test runs beside.
container-molecule: venv
	$(BIN)/python -m tests.containers images --versions V3.0.0 V3.1.0 --broken V3.1.0
	PATH=$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) NO_COLOR=1 $(BIN)/python -m tests.molecule_support.run_scenarios \
	  --jobs 1 --logs $(BUILD)/molecule-containers $(CONTAINER_SCENARIOS)

TEST_BESIDE_MOLECULE += container-tests
