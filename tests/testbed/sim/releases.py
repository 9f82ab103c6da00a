"""Simulated vendor releases: build info per version and release artifacts laid out like the vendors'.

CockroachDB: ``cockroach-vX.Y.Z.linux-amd64.tgz`` holding ``cockroach-vX.Y.Z.linux-amd64/cockroach``,
next to ``<tgz>.sha256sum`` in sha256sum format (what binaries.cockroachdb.com publishes).
KWDB: build info only (packaging with deploy.sh is done elsewhere).
Everything is deterministic: the same version always gives the same bytes.
"""
import datetime
import gzip
import hashlib
import io
import os
import re
import tarfile

from sim.build import package_files, zipapp_bytes
from sim.crdb import versions as crdb_versions

# series -> (first release date, Go version) from the vendors' release notes era
CRDB_SERIES = {
    "23.1": ("2023/05/15", "go1.19.10"),
    "23.2": ("2024/02/05", "go1.21.12"),
    "24.1": ("2024/05/20", "go1.22.5"),
    "24.2": ("2024/08/12", "go1.22.5"),
    "24.3": ("2024/11/18", "go1.22.8 X:nocoverageredesign"),
    "25.1": ("2025/02/18", "go1.23.6 X:nocoverageredesign"),
    "25.2": ("2025/05/12", "go1.23.7 X:nocoverageredesign"),
    "25.3": ("2025/08/04", "go1.23.7 X:nocoverageredesign"),
    "25.4": ("2025/11/03", "go1.23.12 X:nocoverageredesign"),
}
# real published build info, used verbatim where known (real-formats.md 1.1)
CRDB_REAL = {"v23.1.8": {"build_time": "2023/08/04 18:11:44", "commit": "2c1d4afd2c2de091a00a4dba4392ceeaf8504a95"}}
# The releases the simulator knows and the lab's release mirror serves (a few patches per series; the last
# one of each series is its latest patch, the one a multi-hop upgrade steps through).
CRDB_CATALOG = (
    "v23.1.8", "v23.1.20", "v23.1.28",
    "v23.2.5", "v23.2.9", "v23.2.12",
    "v24.1.3", "v24.1.4", "v24.1.6",
    "v24.2.1", "v24.2.3",
    "v24.3.1", "v24.3.2",
    "v25.1.0", "v25.1.1",
    "v25.2.0", "v25.2.1",
    "v25.3.0", "v25.3.1",
    "v25.4.0", "v25.4.1",
)
KWDB_RELEASES = {
    "V2.2.0": ("2025/03/10", "go1.22.5", "gcc 11.4.0"),
    "V2.2.1": ("2025/05/12", "go1.22.5", "gcc 11.4.0"),
    "V2.2.2": ("2025/07/07", "go1.22.5", "gcc 11.4.0"),
    "V3.0.0": ("2025/09/15", "go1.22.5", "gcc 11.4.0"),
    "V3.1.0": ("2025/12/15", "go1.22.5", "gcc 11.4.0"),
}
FIXED_MTIME = 1704067200  # 2024-01-01: tar and gzip timestamps


def _digest(text):
    return hashlib.sha1(text.encode()).hexdigest()


def _build_time(first_release, offset_days, seed):
    day = datetime.datetime.strptime(first_release, "%Y/%m/%d") + datetime.timedelta(days=offset_days)
    seconds = int(seed[:8], 16) % 86400
    return (day + datetime.timedelta(seconds=seconds)).strftime("%Y/%m/%d %H:%M:%S")


def cockroach_buildinfo(version):
    """Build info of simulated CockroachDB ``version`` (e.g. 'v23.2.9'); ValueError if unsupported."""
    series = crdb_versions.series_of_tag(version)
    if series not in CRDB_SERIES:
        raise ValueError("unsupported CockroachDB version %r" % version)
    first_release, go_version = CRDB_SERIES[series]
    patch = int(re.match(r"^v\d+\.\d+\.(\d+)", version).group(1))
    commit = _digest("cockroachdb/" + version)
    info = {"engine": "cockroachdb", "version": version, "build_time": _build_time(first_release, 21 * patch, commit),
            "go_version": go_version, "c_compiler": "gcc 6.5.0", "commit": commit,
            "platform": "linux amd64 (x86_64-pc-linux-gnu)", "distribution": "CCL", "build_type": "release"}
    info.update(CRDB_REAL.get(version, {}))
    return info


def kwbase_buildinfo(version):
    """Build info of simulated KWDB ``version`` (V2.2.0 .. V2.2.2, V3.0.0, V3.1.0)."""
    if version not in KWDB_RELEASES:
        raise ValueError("unsupported KWDB version %r" % version)
    release_day, go_version, compiler = KWDB_RELEASES[version]
    commit = _digest("KWDB/" + version)
    return {"engine": "kwdb", "version": version, "build_time": _build_time(release_day, 0, commit),
            "go_version": go_version, "c_compiler": compiler, "commit": commit,
            "platform": "linux amd64 (x86_64-linux-gnu)", "distribution": "", "build_type": "release"}


def _patch_key(version):
    return tuple(int(part) for part in re.match(r"^v(\d+)\.(\d+)\.(\d+)$", version).groups())


def cockroach_catalog():
    """Every CockroachDB release of the catalog, oldest first."""
    return sorted(CRDB_CATALOG, key=_patch_key)


def latest_patches():
    """{series: latest patch in the catalog}, e.g. {"23.2": "v23.2.12", ...}."""
    latest = {}
    for version in cockroach_catalog():
        latest[crdb_versions.series_of_tag(version)] = version
    return latest


def tarball_name(version):
    return "cockroach-%s.linux-amd64.tgz" % version


def _tar_bytes(members):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, data, mode in members:
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode, entry.mtime = len(data or b""), mode, FIXED_MTIME
            entry.type = tarfile.DIRTYPE if data is None else tarfile.REGTYPE
            entry.uname = entry.gname = "root"
            archive.addfile(entry, None if data is None else io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=FIXED_MTIME) as compressed:
        compressed.write(raw.getvalue())
    return packed.getvalue()


def cockroach_tarball_bytes(version):
    """The bytes of ``cockroach-<version>.linux-amd64.tgz`` (deterministic)."""
    base = "cockroach-%s.linux-amd64" % version
    binary = zipapp_bytes(cockroach_buildinfo(version))
    return _tar_bytes([(base, None, 0o755), (base + "/cockroach", binary, 0o755)])


def _write_atomically(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as out:
        out.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def build_cockroach_tarball(version, outdir):
    """Write ``cockroach-<version>.linux-amd64.tgz`` (+ ``.sha256sum``) into ``outdir``; return the tgz path.

    Both files are replaced atomically, so concurrent builders and readers never see a partial file.
    """
    data = cockroach_tarball_bytes(version)
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, tarball_name(version))
    _write_atomically(path, data)
    _write_atomically(path + ".sha256sum",
                      ("%s  %s\n" % (hashlib.sha256(data).hexdigest(), tarball_name(version))).encode())
    return path


def sha256_of(path):
    """The digest recorded in ``<path>.sha256sum``."""
    with open(path + ".sha256sum", encoding="utf-8") as source:
        return source.read().split()[0]


def source_digest():
    """A digest of everything a simulated release is built from (the simulator's sources and the catalog)."""
    digest = hashlib.sha256(" ".join(cockroach_catalog()).encode())
    for path, arcname in package_files():
        with open(path, "rb") as source:
            digest.update(b"\0" + arcname.encode() + b"\0" + source.read())
    return digest.hexdigest()[:16]
