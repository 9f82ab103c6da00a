"""What differs between the CockroachDB binary and its KWDB fork (`kwbase`, CockroachDB v20.1 based)."""
from . import versions

CRDB_FORMATS = ("tsv", "csv", "table", "records", "sql", "html", "raw", "ndjson")
KWDB_FORMATS = ("tsv", "csv", "table", "records", "sql", "html", "raw")


class Profile:
    """Engine profile derived from the build info baked into a simulated binary."""

    def __init__(self, buildinfo):
        self.buildinfo = buildinfo
        self.kwdb = buildinfo["engine"] == "kwdb"
        self.tag = buildinfo["version"]
        if self.kwdb:
            self.binary, self.product, self.internal = "kwbase", "KaiwuDB", "kwdb_internal"
            self.default_store = "kwbase-data"
            self.series = "20.1-3"
        else:
            self.binary, self.product, self.internal = "cockroach", "CockroachDB", "crdb_internal"
            self.default_store = "cockroach-data"
            self.series = versions.series_of_tag(self.tag)

    # ---- version output (pkg/build/info.go Long/Short, kwbase/pkg/cli/cli.go versionCmd)
    def version_text(self):
        b = self.buildinfo
        if self.kwdb:
            lines = ["KaiwuDB Version:  %s" % b["version"], "Build Time:       %s" % b["build_time"],
                     "Distribution:     %s" % b["distribution"], "Platform:         %s" % b["platform"],
                     "Go Version:       %s" % b["go_version"], "C Compiler:       %s" % b["c_compiler"],
                     "Build SHA-1:      %s" % b["commit"]]
            return "\n".join(lines) + "\n"
        lines = ["Build Tag:        %s" % b["version"], "Build Time:       %s" % b["build_time"],
                 "Distribution:     %s" % b["distribution"], "Platform:         %s" % b["platform"],
                 "Go Version:       %s" % b["go_version"], "C Compiler:       %s" % b["c_compiler"],
                 "Build Commit ID:  %s" % b["commit"], "Build Type:       %s" % b["build_type"],
                 "Enabled Assertions: false"]
        return "\n".join(lines) + "\n"

    def short_version(self):
        """SELECT version()."""
        b = self.buildinfo
        triple = b["platform"].split("(")[-1].rstrip(")") if "(" in b["platform"] else b["platform"]
        if self.kwdb:
            return "KaiwuDB %s (%s, built %s, %s, %s)" % (
                b["distribution"] + b["version"], triple, b["build_time"], b["go_version"], b["c_compiler"])
        return "CockroachDB %s %s (%s, built %s, %s)" % (
            b["distribution"], b["version"], triple, b["build_time"], b["go_version"])

    # ---- node status column sets (pkg/cli/node.go, kwbase/pkg/cli/node.go)
    def base_columns(self):
        cols = ["id", "address", "sql_address", "build", "started_at", "updated_at", "locality"]
        if self.kwdb:
            cols.append("start_mode")
        return cols + ["is_available", "is_live"]

    @staticmethod
    def ranges_columns():
        return ["replicas_leaders", "replicas_leaseholders", "ranges", "ranges_unavailable",
                "ranges_underreplicated"]

    def stats_columns(self):
        if self.kwdb:
            return ["live_bytes", "key_bytes", "value_bytes", "intent_bytes", "system_bytes"]
        return ["live_bytes", "key_bytes", "value_bytes", "range_key_bytes", "range_value_bytes",
                "intent_bytes", "system_bytes"]

    def decommission_columns(self):
        if self.kwdb:
            return ["gossiped_replicas", "is_decommissioning", "is_draining"]
        return ["gossiped_replicas", "is_decommissioning", "membership", "is_draining"]

    def decommission_alignment(self):
        return "rcrcc" if self.kwdb else "rcrccc"

    def formats(self):
        if self.kwdb:
            return KWDB_FORMATS
        if versions.has_json_format(self.series):
            return CRDB_FORMATS + ("json",)
        return CRDB_FORMATS

    def drain_ok_text(self):
        return "drain ok" if not self.kwdb and versions.has_drain_ok(self.series) else "ok"

    def has_drain_shutdown(self):
        return not self.kwdb and versions.has_drain_ok(self.series)

    def default_locality(self, node_id):
        return "region=NODE%d" % node_id if self.kwdb else ""
