"""Simulated Databend binaries: databend-query, databend-meta and databend-metactl."""
