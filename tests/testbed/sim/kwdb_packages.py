"""Simulated KWDB bare-metal release packages, laid out like the vendor's.

``KWDB-<basic>-debian12-x86_64.tar.gz`` unpacks to ``kwdb_install/`` with ``deploy.sh``, ``deploy.cfg``,
``utils/*.sh`` (the testbed's deploy scripts, sim/kwdb_deploy) and ``packages/``: ``.version`` (line 1 the
basic version, line 2 the extended tag when there is one) and two real Debian packages built with
``dpkg-deb``. kaiwudb-server installs the simulated ``kwbase`` as /usr/local/kaiwudb/bin/kwbase and a stub
lib/libkwdbts2.so; kaiwudb-libcommon installs lib/libcommon.so; their maintainer scripts make the
/usr/bin and /usr/lib links and /etc/ld.so.conf.d/kaiwudb.conf as the vendor's do. A ``.sha256sum``
file in sha256sum format sits next to the tarball. The lab's release mirror serves the package of every version
(KWDB_VERSIONS), cached per ``source_digest()``.

Faults: ``corrupt`` damages the tarball after its checksum was taken (a bad download); ``full_disk``
makes the server package's preinst fail with "No space left on device" (install stops before unpacking).
``container`` is the container-mode package instead: ``packages/KaiwuDB.tar`` (what deploy.sh's verify_files takes
for a container install) in place of the .debs; container installs are not simulated, so the image archive only
names its tag (``manifest.json``), enough for deploy.sh's check that the package fits the installed mode.
"""
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile

from sim import releases
from sim.build import zipapp_bytes
from sim.releases import KWDB_RELEASES, kwbase_buildinfo

DEPLOY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kwdb_deploy")
DEBIAN_DIR = os.path.join(DEPLOY_DIR, "debian")
TOP_DIR = "kwdb_install"
CONTAINER_PACKAGE = "KaiwuDB.tar"
PLATFORM = "debian12-x86_64"
FIXED_MTIME = 1704067200  # 2024-01-01: every archive member and deb timestamp
MAINTAINER = "kaiwudb <marketing@kaiwudb.org.cn>"
KWDB_VERSIONS = tuple(KWDB_RELEASES)
TARBALL_NAME = "KWDB-%s-" + PLATFORM + ".tar.gz"  # % the basic version


def basic_version(version):
    """'V3.1.0' -> '3.1.0' (the first line of packages/.version)."""
    if version not in KWDB_RELEASES:
        raise ValueError("unsupported KWDB version %r" % version)
    return version[1:]


def tarball_name(version):
    return TARBALL_NAME % basic_version(version)


def deb_name(package, version):
    return "%s_%s_amd64.deb" % (package, basic_version(version))


def _control(package, version, depends):
    fields = [("Package", package), ("Version", basic_version(version)), ("Architecture", "amd64"),
              ("Maintainer", MAINTAINER)]
    if depends:
        fields.append(("Depends", depends))
    fields.append(("Description", "KaiwuDB %s (testbed simulation)." % (
        "server binaries and libraries" if package.endswith("server") else "common library")))
    return "".join("%s: %s\n" % field for field in fields)


def _maintainer_script(name):
    with open(os.path.join(DEBIAN_DIR, "common.sh")) as common, open(os.path.join(DEBIAN_DIR, name)) as body:
        return "#!/bin/bash\n" + common.read() + "\n" + body.read()


def _write(path, data, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def _build_deb(workdir, package, version, files, scripts, depends=None):
    """dpkg-deb --build a package holding ``files`` {path: bytes} with maintainer ``scripts`` {kind: source}."""
    root = os.path.join(workdir, package)
    _write(os.path.join(root, "DEBIAN", "control"), _control(package, version, depends), 0o644)
    for kind, source in scripts.items():
        _write(os.path.join(root, "DEBIAN", kind), _maintainer_script(source), 0o755)
    for path, data in files.items():
        _write(os.path.join(root, path.lstrip("/")), data, 0o755)
    out = os.path.join(workdir, deb_name(package, version))
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(FIXED_MTIME))
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", root, out], check=True,
                   capture_output=True, env=env)
    return out


def _server_deb(workdir, version, full_disk):
    scripts = {"preinst": "kaiwudb-server.preinst.full_disk" if full_disk else "kaiwudb-server.preinst",
               "postinst": "kaiwudb-server.postinst", "prerm": "kaiwudb-server.prerm"}
    files = {"/usr/local/kaiwudb/bin/kwbase": zipapp_bytes(kwbase_buildinfo(version)),
             "/usr/local/kaiwudb/lib/libkwdbts2.so": b"testbed stub of libkwdbts2.so %s\n" % version.encode()}
    depends = "kaiwudb-libcommon (>= %s)" % basic_version(version)
    return _build_deb(workdir, "kaiwudb-server", version, files, scripts, depends)


def _libcommon_deb(workdir, version):
    scripts = {"preinst": "kaiwudb-libcommon.preinst", "postinst": "kaiwudb-libcommon.postinst",
               "prerm": "kaiwudb-libcommon.prerm"}
    files = {"/usr/local/kaiwudb/lib/libcommon.so": b"testbed stub of libcommon.so %s\n" % version.encode()}
    return _build_deb(workdir, "kaiwudb-libcommon", version, files, scripts)


def _deploy_members():
    """(archive name, local path, mode) of deploy.sh, deploy.cfg and utils/*.sh."""
    yield "deploy.sh", os.path.join(DEPLOY_DIR, "deploy.sh"), 0o755
    yield "deploy.cfg", os.path.join(DEPLOY_DIR, "deploy.cfg"), 0o644
    utils = os.path.join(DEPLOY_DIR, "utils")
    for name in sorted(os.listdir(utils)):
        if name.endswith(".sh"):
            yield "utils/" + name, os.path.join(utils, name), 0o755


def _tarball(members):
    """gzip'd tar of ``members`` [(name, bytes or None for a directory, mode)] with fixed metadata."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, data, mode in members:
            entry = tarfile.TarInfo(name)
            entry.mode, entry.mtime, entry.uname, entry.gname = mode, FIXED_MTIME, "root", "root"
            if data is None:
                entry.type = tarfile.DIRTYPE
                archive.addfile(entry)
            else:
                entry.size = len(data)
                archive.addfile(entry, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=FIXED_MTIME) as compressed:
        compressed.write(raw.getvalue())
    return packed.getvalue()


def _container_image(version):
    """A docker-save-shaped archive naming image kwdb/kwdb:<basic> (nothing loads it in the testbed)."""
    manifest = ('[{"Config": "config.json", "RepoTags": ["kwdb/kwdb:%s"], "Layers": []}]\n' % basic_version(version))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, data in (("manifest.json", manifest.encode()), ("config.json", b"{}\n")):
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode, entry.mtime = len(data), 0o644, FIXED_MTIME
            archive.addfile(entry, io.BytesIO(data))
    return raw.getvalue()


def _variant_dir(outdir, corrupt, full_disk, extended, container=False):
    faults = [name for name, on in (("corrupt", corrupt), ("full_disk", full_disk), ("container", container)) if on]
    if extended:
        faults.append("ext-" + extended)
    return os.path.join(outdir, "-".join(faults)) if faults else outdir


def build_kwdb_package(version, outdir, corrupt=False, full_disk=False, extended="", container=False):
    """Write the release tarball of KWDB ``version`` (+ ``.sha256sum``) and return the tarball's path.

    A fault variant goes to a subdirectory of ``outdir`` named after its faults, under the same file name.
    ``extended`` is the extended tag written as line 2 of packages/.version (e.g. 'hotfix1', 'beta1').
    """
    version_file = basic_version(version) + "\n" + (extended + "\n" if extended else "")
    with tempfile.TemporaryDirectory(prefix="kwdb-pkg-") as workdir:
        debs = [] if container else [_libcommon_deb(workdir, version), _server_deb(workdir, version, full_disk)]
        members = [(TOP_DIR, None, 0o755), (TOP_DIR + "/utils", None, 0o755), (TOP_DIR + "/packages", None, 0o755)]
        for name, path, mode in _deploy_members():
            with open(path, "rb") as source:
                members.append((TOP_DIR + "/" + name, source.read(), mode))
        members.append((TOP_DIR + "/packages/.version", version_file.encode(), 0o644))
        if container:
            members.append((TOP_DIR + "/packages/" + CONTAINER_PACKAGE, _container_image(version), 0o644))
        for deb in debs:
            with open(deb, "rb") as source:
                members.append((TOP_DIR + "/packages/" + os.path.basename(deb), source.read(), 0o644))
        data = _tarball(members)
    digest = hashlib.sha256(data).hexdigest()
    if corrupt:
        middle = len(data) // 2
        data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
    target = _variant_dir(outdir, corrupt, full_disk, extended, container)
    os.makedirs(target, exist_ok=True)
    path = os.path.join(target, tarball_name(version))
    with open(path + ".tmp", "wb") as out:
        out.write(data)
    shutil.move(path + ".tmp", path)
    with open(path + ".sha256sum", "w") as out:
        out.write("%s  %s\n" % (digest, tarball_name(version)))
    return path


def source_digest():
    """A digest of everything a package is built from: the simulator's sources (its kwbase) and sim/kwdb_deploy."""
    digest = hashlib.sha256(releases.source_digest().encode())
    for dirpath, dirnames, filenames in os.walk(DEPLOY_DIR):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as source:
                digest.update(b"\0" + os.path.relpath(path, DEPLOY_DIR).encode() + b"\0" + source.read())
    return digest.hexdigest()[:16]
