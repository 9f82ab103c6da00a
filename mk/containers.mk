# The container lab (tests/containers, issue 9): Debian's dockerd and docker-compose on this machine, KWDB images
# built from the simulated kwbase (KaiwuDB.tar), `run` and `compose` labs. The target installs and starts the
# daemon itself and tears it down (labs, containers, images, daemon) whatever the tests did, even on failure or
# interrupt: the EXIT trap of the recipe's shell.
.PHONY: container-tests
container-tests: venv
	@trap 'PYTHON=$(BIN)/python bash tests/containers/teardown-docker.sh' EXIT; \
	  bash tests/containers/setup-docker.sh; \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/containers/tests

TEST_EXTRA += container-tests
