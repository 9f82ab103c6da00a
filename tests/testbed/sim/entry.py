"""Entry point of a simulated binary: dispatch on the engine baked into its build info."""


def main(argv, buildinfo):
    engine = buildinfo["engine"]
    if engine in ("cockroachdb", "kwdb"):
        from sim.crdb.cli import main as crdb_main
        return crdb_main(argv, buildinfo)
    if engine.startswith("databend"):
        from sim.databend.cli import main as databend_main
        return databend_main(argv, buildinfo)
    raise SystemExit("unknown simulated engine %r" % engine)
