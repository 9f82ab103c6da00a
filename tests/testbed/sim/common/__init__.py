"""Engine-neutral pieces of the simulator: config, shared state, pgwire, HTTP, output formats."""
