"""Faithful simulator of CockroachDB, KWDB and Databend binaries for the testbed."""
