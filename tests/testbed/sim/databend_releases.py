"""Simulated Databend releases: build info per binary and release tarballs laid out like the real ones.

Version table (real values of databend src/meta/ver/compat_docs/src/min_compatible_versions.txt):

| tag              | query min-compatible-metasrv | meta min-compatible-client | data-version |
|------------------|------------------------------|----------------------------|--------------|
| v1.2.200-nightly | 1.1.32                       | 0.9.41                     | V002         |
| v1.2.300-nightly | 1.2.226                      | 0.9.41                     | V002         |
| v1.2.410-nightly | 1.2.259                      | 0.9.41                     | V002         |
| v1.2.600-nightly | 1.2.259                      | 0.9.41                     | V003         |
| v1.2.680-nightly | 1.2.259                      | 1.2.288                    | V004         |
| v1.2.770-nightly | 1.2.677                      | 1.2.288                    | V004         |
| v1.2.828-nightly | 1.2.770                      | 1.2.288                    | V004         |

Incompatible pairs exist in both directions, e.g. query 1.2.300 refuses meta 1.2.200 (< 1.2.226),
query 1.2.770 refuses meta 1.2.600 (< 1.2.677), and meta 1.2.680 refuses query 1.2.200 (< 1.2.288).
"""
import gzip
import hashlib
import io
import os
import tarfile

from .build import package_files, zipapp_bytes
from .databend import versions

DATABEND_RELEASES = ["%s-nightly" % v for v in versions.supported_versions()]
COMPONENTS = {"query": "databend-query", "meta": "databend-meta", "metactl": "databend-metactl"}
TARGET = "x86_64-unknown-linux-gnu"
FIXED_MTIME = 1704067200  # 2024-01-01: same version, same tarball bytes

QUERY_TOML = """[query]
max_active_sessions = 256
shutdown_wait_timeout_ms = 5000
flight_api_address = "0.0.0.0:9090"
admin_api_address = "0.0.0.0:8080"
metric_api_address = "0.0.0.0:7070"
mysql_handler_host = "0.0.0.0"
mysql_handler_port = 3307
http_handler_host = "0.0.0.0"
http_handler_port = 8000
flight_sql_handler_host = "0.0.0.0"
flight_sql_handler_port = 8900
tenant_id = "default"
cluster_id = "default"
[log.file]
level = "WARN"
format = "text"
dir = "/var/log/databend"
[meta]
endpoints = ["0.0.0.0:9191"]
username = "root"
password = "root"
[storage]
type = "fs"
[storage.fs]
data_path = "/var/lib/databend/data"
[cache.disk]
path = "/var/lib/databend/cache"
"""

META_TOML = """admin_api_address       = "0.0.0.0:28002"
grpc_api_address        = "0.0.0.0:9191"
grpc_api_advertise_host = "localhost"
[log.file]
level = "WARN"
format = "text"
dir = "/var/log/databend"
[raft_config]
id            = 0
raft_dir      = "/var/lib/databend/raft"
raft_api_port = 28004
raft_listen_host = "0.0.0.0"
raft_advertise_host = "localhost"
single        = true
# join          = ["127.0.0.1:28004"]
"""

UNIT_TEMPLATE = """[Unit]
Description=Databend %(title)s
Documentation=https://docs.databend.com
After=%(after)s
Requires=network-online.target

[Service]
User=databend
Group=databend
%(limits)sExecStart=/usr/bin/databend-%(name)s --config-file /etc/databend/databend-%(name)s.toml
ExecReload=/bin/kill -HUP $MAINPID
Restart=no
AmbientCapabilities=CAP_NET_BIND_SERVICE
EnvironmentFile=-/etc/default/databend-%(name)s

[Install]
WantedBy=multi-user.target
"""
META_UNIT = UNIT_TEMPLATE % {"title": "Meta", "after": "network-online.target", "limits": "", "name": "meta"}
QUERY_UNIT = UNIT_TEMPLATE % {"title": "Query", "after": "network-online.target databend-meta.service",
                              "limits": "LimitNOFILE=65535\n", "name": "query"}


def databend_buildinfo(component, version):
    """Build info baked into one simulated binary.

    Returns {"engine": "databend", "component", "version" (tag without v), "commit" (10 hex),
    "min_compatible_metasrv_version", "min_compatible_client_version", "data_version"}.
    """
    if component not in COMPONENTS:
        raise ValueError("unknown Databend component %r (have %s)" % (component, ", ".join(COMPONENTS)))
    info = {"engine": "databend", "component": component, "version": versions.tag(version),
            "commit": versions.commit_sha(component, version)}
    info.update(versions.release_facts(version))
    return info


def tarball_name(version):
    return "databend-v%s-%s.tar.gz" % (versions.tag(version), TARGET)


def download_path(version):
    """Where GitHub serves the tarball under releases/download/: `v<version>/databend-v<version>-<target>.tar.gz`."""
    return "v%s/%s" % (versions.tag(version), tarball_name(version))


def build_release(version, root):
    """The tarball (and its .sha256sum) under ``root`` at its download path; returns the tarball's path."""
    return build_databend_tarball(version, os.path.join(root, os.path.dirname(download_path(version))))[0]


def source_digest():
    """A digest of everything a release is built from: the simulator's sources and the release list."""
    digest = hashlib.sha256(" ".join(DATABEND_RELEASES).encode())
    for path, arcname in package_files():
        with open(path, "rb") as source:
            digest.update(b"\0" + arcname.encode() + b"\0" + source.read())
    return digest.hexdigest()[:16]


def _add(archive, name, data, mode):
    member = tarfile.TarInfo(name)
    member.size, member.mode, member.mtime = len(data), mode, FIXED_MTIME
    member.uname = member.gname = "root"
    archive.addfile(member, io.BytesIO(data))


def tarball_members(version):
    """{path inside the tarball: (bytes, mode)}."""
    members = {"bin/%s" % binary: (zipapp_bytes(databend_buildinfo(component, version)), 0o755)
               for component, binary in COMPONENTS.items()}
    members.update({"configs/databend-query.toml": (QUERY_TOML.encode(), 0o644),
                    "configs/databend-meta.toml": (META_TOML.encode(), 0o644),
                    "systemd/databend-query.service": (QUERY_UNIT.encode(), 0o644),
                    "systemd/databend-meta.service": (META_UNIT.encode(), 0o644)})
    return members


def build_databend_tarball(version, outdir):
    """Write <outdir>/databend-v<ver>-x86_64-unknown-linux-gnu.tar.gz and its .sha256sum; return both paths."""
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, tarball_name(version))
    payload = io.BytesIO()
    with gzip.GzipFile(fileobj=payload, mode="wb", mtime=0) as compressed:
        with tarfile.open(fileobj=compressed, mode="w", format=tarfile.GNU_FORMAT) as archive:
            for name, (data, mode) in sorted(tarball_members(version).items()):
                _add(archive, name, data, mode)
    data = payload.getvalue()
    with open(path, "wb") as out:
        out.write(data)
    checksum = path + ".sha256sum"
    with open(checksum, "w") as out:
        out.write("%s  %s\n" % (hashlib.sha256(data).hexdigest(), os.path.basename(path)))
    return path, checksum
