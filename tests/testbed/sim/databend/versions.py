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

# client-required server features (databend-meta client spec.rs; docs example for 1.2.677)
REQUIRED_FEATURE = {"1.2.677": "watch/initial_flush", "1.2.770": "expire_in_millis"}

RUSTC = "1.85.0-nightly"
BUILD_TIMESTAMP = "2025-02-14T11:57:01.874747910Z"

# Format eras (first version showing the behaviour). INFERRED boundaries are marked in FIDELITY.md.
CMD_VER_DATA_VERSION_SINCE = (1, 2, 300)
METACTL_SUBCOMMAND_SINCE = (1, 2, 300)
METACTL_LEGACY_FLAG_UNTIL = (1, 2, 655)      # `--status` accepted below this version
RAFT_LOG_FORMAT_SINCE = (1, 2, 655)          # V004: RaftLog block, T<term>-N<node>.<index> log ids
META_FULL_VERSION_SINCE = (1, 2, 828)        # PR #18856: multi-line `databend-meta -V`
FEATURE_HANDSHAKE_SINCE = (1, 2, 725)        # client checks per-feature server versions


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
