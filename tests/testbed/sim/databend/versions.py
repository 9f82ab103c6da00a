"""Databend release facts: min-compatible versions, data versions, version strings and format eras.

Sources (see FIDELITY.md): src/meta/ver/compat_docs/src/min_compatible_versions.txt (per-tag
MetaClient / MetaService minimums), src/meta/raft-store/src/ondisk/data_version.rs (DataVersion
names and compatibility), src/common/version (commit version strings).
"""
import hashlib
import re

SEMVER_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$")

# version -> (query min-compatible-metasrv-version, meta min-compatible-client-version)
# Values are the real ones of min_compatible_versions.txt for these tags.
MIN_COMPATIBLE = {
    (1, 2, 200): ("1.1.32", "0.9.41"),
    (1, 2, 300): ("1.2.226", "0.9.41"),
    (1, 2, 410): ("1.2.259", "0.9.41"),
    (1, 2, 600): ("1.2.259", "0.9.41"),
    (1, 2, 680): ("1.2.259", "1.2.288"),
    (1, 2, 770): ("1.2.677", "1.2.288"),
    (1, 2, 828): ("1.2.770", "1.2.288"),
}

# DataVersion: (name, first release writing it, Debug text)
DATA_VERSIONS = [
    ("V001", (1, 1, 40), "V001(2023-05-15: Get rid of compat, use only openraft v08 data types)"),
    ("V002", (1, 2, 53), "V002(2023-07-22: Store snapshot in a file)"),
    ("V003", (1, 2, 547), "V003(2024-06-27: Store snapshot in rotbl)"),
    ("V004", (1, 2, 655), "V004(2024-11-11: WAL based raft-log)"),
]
# working version -> oldest on-disk version it can open (DataVersion::min_compatible_data_version)
MIN_ON_DISK = {"V001": "V001", "V002": "V001", "V003": "V002", "V004": "V002"}

# The query's required server features (meta-client `required.rs::std()`, flow-surfaces-databend 5, EXACT per tag):
# (first query version with the list, [(feature, minimum server version)]) in list order; the handshake reports the
# first feature the server is too old for.
_BASE_FEATURES = [("kv_api", (1, 2, 259)), ("kv_read_v1", (1, 2, 259)), ("transaction", (1, 2, 259)),
                  ("export", (1, 2, 259)), ("watch", (1, 2, 259)), ("watch/initial_flush", (1, 2, 677)),
                  ("member_list", (1, 2, 259)), ("get_cluster_status", (1, 2, 259)), ("get_client_info", (1, 2, 259))]
REQUIRED_FEATURES = [
    ((1, 2, 726), _BASE_FEATURES),
    ((1, 2, 823), _BASE_FEATURES[1:]),                    # kv_api dropped
    ((1, 2, 835), _BASE_FEATURES[1:] + [                  # appended at the end: the position is INFERRED
        ("put_response/current", (1, 2, 756)), ("fetch_add_u64", (1, 2, 764)),
        ("expire_in_millis", (1, 2, 770)), ("put_sequential", (1, 2, 770))]),
]

# Query cluster registration key prefix by the query's own version (flow-surfaces-databend 0 and 4.2, EXACT).
# Before 1.2.550 the reference names no prefix, only that v2 starts there: `__fd_clusters` is INFERRED.
CLUSTER_PREFIXES = [((0, 0, 0), "__fd_clusters"), ((1, 2, 550), "__fd_clusters_v2"), ((1, 2, 628), "__fd_clusters_v3"),
                    ((1, 2, 647), "__fd_clusters_v4"), ((1, 2, 671), "__fd_clusters_v5"),
                    ((1, 2, 684), "__fd_clusters_v6")]
CLUSTER_V6_LAYOUT_SINCE = (1, 2, 684)        # online_nodes/<id> + online_clusters/<wh>/<cluster>/<id>
SYSTEM_CLUSTERS_WAREHOUSE_SINCE = (1, 2, 684)  # system.clusters `cluster` = warehouse_id/cluster_id

RUSTC = "1.85.0-nightly"
BUILD_TIMESTAMP = "2025-02-14T11:57:01.874747910Z"

# Format eras (first version showing the behaviour). INFERRED boundaries are marked in FIDELITY.md.
CMD_VER_DATA_VERSION_SINCE = (1, 2, 300)
METACTL_SUBCOMMAND_SINCE = (1, 2, 300)
METACTL_LEGACY_FLAG_UNTIL = (1, 2, 655)      # `--status` accepted below this version
RAFT_LOG_FORMAT_SINCE = (1, 2, 655)          # V004: banner layout, T<term>-N<node>.<index> log ids
META_FULL_VERSION_SINCE = (1, 2, 828)        # PR #18856: multi-line `databend-meta -V`
# /v1/cluster/status and metactl status size fields (flow-surfaces-databend 1.2 and 2.1, EXACT boundaries):
KEY_NUM_SINCE = (1, 2, 500)                  # `key_num` / `KeyNumber` "since ~1.2.5xx": the exact release is INFERRED
RAFT_LOG_SIZE_SINCE = (1, 2, 658)            # db_size, key_num -> raft_log_size, snapshot_key_count
RAFT_LOG_OBJECT_SINCE = (1, 2, 663)          # + the raft_log {} object (metactl `RaftLog:` block)
ENDPOINT_OPTIONAL_SINCE = (1, 2, 819)        # `endpoint` is Option<String>: null while the node has no Node record
# /v1/ctrl/trigger_transfer_leader (flow-surfaces-databend 1.1, EXACT, commit 9df7fb272e)
TRANSFER_LEADER_SINCE = (1, 2, 599)          # the route exists; `to` required, answer `null`
TRANSFER_LEADER_TO_OPTIONAL_SINCE = (1, 2, 601)  # `to` optional, {"from","to","voter_ids"}, 404 when not leader
# query side of the meta handshake (flow-surfaces-databend 0 and 5, EXACT boundaries)
HANDSHAKE_ERROR_V2_SINCE = (1, 2, 723)       # `HandshakeError with databend-meta: ...` (a0992841a6)
FEATURE_HANDSHAKE_SINCE = (1, 2, 726)        # per-feature check in nightlies; the stable 1.2.725 has it too


class VersionError(ValueError):
    pass


def parse(version):
    """(major, minor, patch) of a Databend tag such as v1.2.680-nightly."""
    match = SEMVER_RE.match(str(version).strip())
    if not match:
        raise VersionError("not a Databend version: %r" % (version,))
    return tuple(int(part) for part in match.groups()[:3])


def tag(version):
    """The tag without the leading v, as DATABEND_SEMVER prints it."""
    return str(version).strip().lstrip("v")


def fault_tags(version):
    """The names a version-limited fault may use for this build: v1.2.3 and 1.2.3 alike."""
    return ["v" + tag(version), tag(version)]


def is_nightly(version):
    return "nightly" in tag(version)


def per_feature_handshake(version):
    """The query checks the server per feature: nightlies from 1.2.726, and the stable 1.2.725 (a33c9e72fd)."""
    triple = parse(version)
    return triple >= FEATURE_HANDSHAKE_SINCE or (triple == (1, 2, 725) and not is_nightly(version))


def required_features(version):
    """[(feature, min server triple)] the query of ``version`` requires, None before per-feature handshakes."""
    if not per_feature_handshake(version):
        return None
    triple = max(parse(version), FEATURE_HANDSHAKE_SINCE)  # the stable 1.2.725 has the first list
    chosen = None
    for since, features in REQUIRED_FEATURES:
        if triple >= since:
            chosen = features
    return chosen


def cluster_prefix(version):
    """The meta key prefix a query of ``version`` registers under (and lists its cluster from)."""
    chosen = None
    for since, prefix in CLUSTER_PREFIXES:
        if parse(version) >= since:
            chosen = prefix
    return chosen


def triple_str(triple):
    return "%d.%d.%d" % tuple(triple)


def to_digit(version):
    major, minor, patch = parse(version) if isinstance(version, str) else version
    return major * 1000000 + minor * 1000 + patch


def from_digit(digit):
    return (digit // 1000000, digit // 1000 % 1000, digit % 1000)


def supported_versions():
    return [triple_str(v) for v in sorted(MIN_COMPATIBLE)]


def release_facts(version):
    triple = parse(version)
    if triple not in MIN_COMPATIBLE:
        raise VersionError("no simulated Databend release %s (have %s)" % (version, ", ".join(supported_versions())))
    min_metasrv, min_client = MIN_COMPATIBLE[triple]
    return {"min_compatible_metasrv_version": min_metasrv, "min_compatible_client_version": min_client,
            "data_version": data_version_of(triple)}


FACT_KEYS = ("min_compatible_metasrv_version", "min_compatible_client_version", "data_version")


def binary_facts(buildinfo):
    """The facts a binary prints and acts on: those compiled into it (a build of a branch may differ from the
    release it is named after), else the release's."""
    facts = release_facts(buildinfo["version"])
    facts.update((key, buildinfo[key]) for key in FACT_KEYS if buildinfo.get(key))
    return facts


def data_version_of(triple):
    name = None
    for candidate, since, _debug in DATA_VERSIONS:
        if triple >= since:
            name = candidate
    return name


def data_version_debug(name):
    for candidate, _since, debug in DATA_VERSIONS:
        if candidate == name:
            return debug
    raise VersionError("unknown DataVersion %r" % (name,))


def data_version_rank(name):
    return [candidate for candidate, _since, _debug in DATA_VERSIONS].index(name)


def commit_sha(component, version):
    """Deterministic 10-char git sha for a simulated build (same tag -> same sha for all binaries)."""
    del component  # one release tag, one commit: query, meta and metactl share it
    return hashlib.sha1(("databend " + tag(version)).encode()).hexdigest()[:10]


def git_semver(version):
    return "v" + tag(version)


def databend_commit_version(version):
    """DATABEND_COMMIT_VERSION: v<tag>-<sha>(rust-<rustc>-<timestamp>)."""
    return "%s-%s(rust-%s-%s)" % (git_semver(version), commit_sha("query", version), RUSTC, BUILD_TIMESTAMP)


def metasrv_commit_version(version):
    """METASRV_COMMIT_VERSION: v<tag>-<sha>-simd(<rustc>-<timestamp>)."""
    return "%s-%s-simd(%s-%s)" % (git_semver(version), commit_sha("meta", version), RUSTC, BUILD_TIMESTAMP)


def is_compatible(query_version, query_min_metasrv, meta_version, meta_min_client):
    """The documented two-way rule."""
    return parse(query_version) >= parse(meta_min_client) and parse(meta_version) >= parse(query_min_metasrv)
