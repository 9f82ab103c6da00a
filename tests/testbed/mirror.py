"""Release mirrors on a lab host: one engine's catalog of simulated releases over plain HTTP.

Every release sits at the vendor's download path below the mirror's root, with `<file>.sha256sum`
(`<hex>  <file name>`) beside it:
- cockroachdb, like binaries.cockroachdb.com: `cockroach-vX.Y.Z.linux-amd64.tgz`, every release of
  sim/releases.py CRDB_CATALOG;
- kwdb: `KWDB-X.Y.Z-debian12-x86_64.tar.gz`, every version sim/kwdb_packages.py knows;
- databend, like github.com/databendlabs/databend/releases/download/:
  `v1.2.680-nightly/databend-v1.2.680-nightly-x86_64-unknown-linux-gnu.tar.gz` (a directory per release), every
  release of sim/databend_releases.py DATABEND_RELEASES (seven, built in about 0.5 s).
Each engine's `file_template` names a release by its tag (`{version}`, the URL template of the inventory); where
the vendor's name is not that (KWDB drops the tag's `V`), `KWDB-VX.Y.Z-debian12-x86_64.tar.gz` links to the
package, with a `.sha256sum` of its own. A Databend version is written without the tag's `v` (`1.2.680-nightly`,
as `databend-query --cmd ver` prints it), so its template adds the `v` itself: `v{version}/databend-v{version}-...`.

    catalog = ReleaseCatalog.ensure(lab, KWDB_RELEASES)   # built once per simulator source, cached in the work dir
    cluster = lab.up(name, 3, lb=True, mounts={"lb": catalog.mounts()})
    mirror = ReleaseMirror(cluster.lb, catalog).start()   # python3 -m http.server as a systemd unit
    mirror.url, mirror.releases()                         # http://10.89.K.10:8081, [{version, url, sha256}, ...]

The files reach the mirror host through a read-only bind mount of the cache directory (no copy per cluster);
the unit serves that directory, bound to the host's lab IP.
"""
import collections
import json
import os
import shutil
import time
import urllib.error
import urllib.request

from .hostlab import LabError, _FileLock, _poll, log
from .provision import releases
# `sim` is importable once .provision has put the testbed directory on sys.path
from sim import databend_releases, kwdb_packages  # pylint: disable=wrong-import-order

MIRROR_DIR = "/testbed/releases"
MIRROR_PORT = 8081
MIRROR_UNIT = "testbed-release-mirror"
CATALOG_FILE = "catalog.json"
KEEP_CATALOGS = 3  # older catalogs may still be mounted by running clusters; only the oldest beyond these go

UNIT = """[Unit]
Description=Release mirror (testbed): the simulated release catalog over HTTP
After=network.target
[Service]
ExecStart=/usr/bin/python3 -m http.server {port} --bind {ip} --directory {directory}
User=nobody
Restart=always
RestartSec=1
[Install]
WantedBy=multi-user.target
"""


class ReleaseSource(collections.namedtuple("ReleaseSource", "engine prefix file_template versions build digest")):
    """What one engine's catalog is made of: ``versions`` (oldest first), ``build(version, directory)`` writing a
    release and its ``.sha256sum`` and returning its path, ``digest()`` of what the releases are built from, and
    ``file_template``, a release's path below the mirror's root with ``{version}`` in place of its version."""


COCKROACHDB_RELEASES = ReleaseSource("cockroachdb", "catalog-", releases.tarball_name("{version}"),
                                     releases.cockroach_catalog(), releases.build_cockroach_tarball,
                                     releases.source_digest)
KWDB_RELEASES = ReleaseSource("kwdb", "kwdb-catalog-", kwdb_packages.TARBALL_NAME % "{version}",
                              kwdb_packages.KWDB_VERSIONS, kwdb_packages.build_kwdb_package,
                              kwdb_packages.source_digest)
DATABEND_RELEASES = ReleaseSource("databend", "databend-catalog-", databend_releases.download_path("{version}"),
                                  databend_releases.DATABEND_RELEASES, databend_releases.build_release,
                                  databend_releases.source_digest)


class ReleaseCatalog:
    """One engine's releases and checksums in `<work dir>/releases/<source prefix><source digest>/`."""

    def __init__(self, directory, entries, source):
        self.dir = directory
        self.entries = entries  # [{"version", "file" (relative to dir), "sha256"}], oldest first
        self.source = source

    @classmethod
    def ensure(cls, lab, source=COCKROACHDB_RELEASES):
        """The cached catalog of the current simulator sources, built (and timed) when missing."""
        root = os.path.join(lab.work_dir, "releases")
        os.makedirs(root, exist_ok=True)
        directory = os.path.join(root, source.prefix + source.digest())
        with _FileLock(os.path.join(root, "catalog.lock")):
            if not os.path.exists(os.path.join(directory, CATALOG_FILE)):
                started = time.monotonic()
                building = directory + ".tmp.%d" % os.getpid()
                shutil.rmtree(building, ignore_errors=True)
                entries = cls._build(source, building)
                with open(os.path.join(building, CATALOG_FILE), "w", encoding="utf-8") as out:
                    json.dump(entries, out, indent=1)
                os.chmod(building, 0o755)
                shutil.rmtree(directory, ignore_errors=True)
                os.rename(building, directory)
                size = sum(os.lstat(os.path.join(parent, name)).st_size
                           for parent, _dirs, names in os.walk(directory) for name in names)
                log("%s release catalog: %d releases, %d kB, built in %.2f s (%s)"
                    % (source.engine, len(entries), size // 1024, time.monotonic() - started, directory))
                cls._prune(root, directory, source.prefix)
        with open(os.path.join(directory, CATALOG_FILE), encoding="utf-8") as source_file:
            return cls(directory, json.load(source_file), source)

    @staticmethod
    def _build(source, directory):
        """Every release of ``source`` into ``directory``, each also under its tag's name; returns the entries."""
        entries = []
        for version in source.versions:
            path = source.build(version, directory)
            entry = {"version": version, "file": os.path.relpath(path, directory), "sha256": releases.sha256_of(path)}
            tagged = source.file_template.replace("{version}", version)
            if tagged != entry["file"]:
                os.symlink(entry["file"], os.path.join(directory, tagged))
                with open(os.path.join(directory, tagged + ".sha256sum"), "w", encoding="utf-8") as out:
                    out.write("%s  %s\n" % (entry["sha256"], tagged))
            entries.append(entry)
        return entries

    @staticmethod
    def _prune(root, keep, prefix):
        catalogs = sorted((os.path.join(root, name) for name in os.listdir(root)
                           if name.startswith(prefix) and ".tmp." not in name and os.path.isdir(os.path.join(root, name))),
                          key=os.path.getmtime, reverse=True)
        for old in [path for path in catalogs if path != keep][KEEP_CATALOGS - 1:]:
            shutil.rmtree(old, ignore_errors=True)

    def versions(self):
        return [entry["version"] for entry in self.entries]

    def path(self, version):
        """The cached tarball of ``version``, or None when it is not in the catalog."""
        for entry in self.entries:
            if entry["version"] == version:
                return os.path.join(self.dir, entry["file"])
        return None

    def mounts(self):
        """The read-only bind mount that puts the catalog on a host (hostlab `mounts`)."""
        return [(self.dir, MIRROR_DIR, "ro")]


class ReleaseMirror:
    """The HTTP mirror on one lab host."""

    def __init__(self, host, catalog, port=MIRROR_PORT):
        self.host, self.catalog, self.port = host, catalog, port

    @property
    def url(self):
        return "http://%s:%d" % (self.host.ip, self.port)

    @property
    def url_template(self):
        return "%s/%s" % (self.url, self.catalog.source.file_template)

    @property
    def checksum_url_template(self):
        return self.url_template + ".sha256sum"

    def releases(self):
        return [{"version": entry["version"], "url": "%s/%s" % (self.url, entry["file"]), "sha256": entry["sha256"]}
                for entry in self.catalog.entries]

    def start(self, timeout=30):
        """Install and start the unit; wait until the first release's checksum file is served."""
        listing = self.host.exec(["ls", MIRROR_DIR], check=False)
        if listing.returncode != 0 or CATALOG_FILE not in listing.stdout.split():
            raise LabError("release catalog is not mounted at %s on %s (start the cluster with mounts=%r)"
                           % (MIRROR_DIR, self.host.name, {self.host.hostname: self.catalog.mounts()}))
        self.host.write_file("/etc/systemd/system/%s.service" % MIRROR_UNIT,
                             UNIT.format(port=self.port, ip=self.host.ip, directory=MIRROR_DIR))
        self.host.systemctl("daemon-reload")
        self.host.systemctl("enable", "--now", MIRROR_UNIT)
        probe = "%s/%s.sha256sum" % (self.url, self.catalog.entries[0]["file"])

        def serving():
            try:
                with urllib.request.urlopen(probe, timeout=2) as response:
                    return response.status == 200, "HTTP %d" % response.status
            except (urllib.error.URLError, OSError) as error:
                return False, str(error)
        _poll("the release mirror to serve %s" % probe, serving, timeout, interval=0.2)
        return self
