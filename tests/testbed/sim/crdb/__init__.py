"""Simulated CockroachDB `cockroach` binary (and its KWDB fork `kwbase`)."""
