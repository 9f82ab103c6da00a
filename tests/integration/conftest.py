"""Integration tests: the collection's modules over SSH against simulated clusters on podman hosts."""
pytest_plugins = ["tests.testbed.pytest_plugin"]
