"""KWDB container images built from the simulated kwbase, shipped as the vendor ships them: ``<DIR>/<V>/KaiwuDB.tar``.

The image follows the vendor's layout (flow-surfaces-kwdb §3): ``/kaiwudb/bin/kwbase``, ``/kaiwudb/lib``
(``libcommon.so``, ``libkwdbts2.so``, stubs as in the testbed's .deb packages), ``/kaiwudb/certs``, data under
``/kaiwudb/deploy``, work dir ``/kaiwudb/bin``, ``LD_LIBRARY_PATH=/kaiwudb/lib``, no entrypoint and a plain shell as
its command (the docs always pass ``./kwbase ...`` or ``bash -c '...'``). It is named ``kwdb/kwdb:<X.Y.Z>`` (Docker
Hub's name, and what the testbed's container package names), so ``docker load < KaiwuDB.tar`` prints
``Loaded image: kwdb/kwdb:3.0.0`` as deploy.sh expects.

Nothing can be pulled here: the base is a Debian bookworm minbase rootfs with python3 (the simulated kwbase is a
Python zipapp) made with mmdebstrap like the podman testbed's image (tests/testbed/hostlab.py), cached by content
under the work dir and brought in with ``docker import``; each version is a ``docker build`` on top of it (one small
layer). The images are removed from the daemon after ``docker save``: a lab loads the tar files, as an operator does.

A broken image (``--broken V3.1.0``) has the same name and a kwbase that answers ``version`` but exits 127 at every
start command with the loader error of a missing ``libkwdbts2.so`` (the library is absent from its /kaiwudb/lib):
the failure scenario of a bad image. It goes to ``<DIR>/<V>-broken/KaiwuDB.tar``.
"""
import hashlib
import os
import shutil
import tempfile
import time

from .docker import ContainerLabError, docker, log, work_dir
# provision puts the testbed directory on sys.path, for the simulator package `sim`
from tests.testbed import provision  # noqa: F401  pylint: disable=unused-import
from sim import kwdb_packages, releases  # pylint: disable=wrong-import-order
from sim.build import build_zipapp  # pylint: disable=wrong-import-order

IMAGE_REPO = "kwdb/kwdb"
BASE_REPO = "distsql-lab/kwdb-base"
BASE_PACKAGES = ("python3", "procps")
TESTBED_IMAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "testbed", "image")
DPKG_CFG = os.path.join(TESTBED_IMAGE_DIR, "dpkg.cfg")
VERSIONS = tuple(releases.KWDB_RELEASES)
KWBASE_IN_IMAGE = "/kaiwudb/bin/kwbase"
BROKEN_KWBASE = """#!/bin/bash
# testbed: a broken KaiwuDB image; its /kaiwudb/lib has no libkwdbts2.so
case "$1" in
start|start-single-node|start-single-replica)
    echo "$0: error while loading shared libraries: libkwdbts2.so: cannot open shared object file: No such file or directory" >&2
    exit 127 ;;
esac
exec /kaiwudb/bin/.kwbase.sim "$@"
"""
DOCKERFILE = """FROM %(base)s
COPY kaiwudb/ /kaiwudb/
ENV LD_LIBRARY_PATH=/kaiwudb/lib
WORKDIR /kaiwudb/bin
CMD ["/bin/bash"]
"""


def image_name(version):
    """``kwdb/kwdb:3.0.0`` for ``V3.0.0`` (ValueError for a version the simulator does not know)."""
    if version not in releases.KWDB_RELEASES:
        raise ValueError("unknown KWDB version %r (known: %s)" % (version, ", ".join(VERSIONS)))
    return "%s:%s" % (IMAGE_REPO, kwdb_packages.basic_version(version))


def default_out_dir():
    return os.path.join(work_dir(), "images")


def image_file(out_dir, version, broken=False):
    return os.path.join(out_dir, version + ("-broken" if broken else ""), "KaiwuDB.tar")


def _base_digest():
    digest = hashlib.sha256(" ".join(BASE_PACKAGES).encode())
    with open(DPKG_CFG, "rb") as source:
        digest.update(source.read())
    return digest.hexdigest()[:16]


def base_image():
    """The imported base image (built, or the rootfs cached under the work dir imported, when missing)."""
    name = "%s:%s" % (BASE_REPO, _base_digest())
    if docker("image", "inspect", name, check=False).returncode == 0:
        return name
    cache = os.path.join(work_dir(), "base")
    os.makedirs(cache, exist_ok=True)
    rootfs = os.path.join(cache, "rootfs-%s.tar" % _base_digest())
    if not os.path.exists(rootfs):
        started = time.monotonic()
        from tests.testbed.hostlab import SUITE, _run  # pylint: disable=import-outside-toplevel
        _run(["mmdebstrap", "--quiet", "--mode=root", "--variant=minbase", "--format=tar",
              "--include=" + ",".join(BASE_PACKAGES), "--dpkgopt=" + DPKG_CFG, SUITE, rootfs + ".tmp"], timeout=1800)
        os.replace(rootfs + ".tmp", rootfs)
        size_mb = os.path.getsize(rootfs) // 2 ** 20
        log("base rootfs built with mmdebstrap in %.1f s (%d MB)" % (time.monotonic() - started, size_mb))
    docker("import", rootfs, name, timeout=600)
    log("base image %s imported" % name)
    return name


def build_image(version, out_dir, broken=False):
    """Build ``kwdb/kwdb:<X.Y.Z>`` for ``version``, ``docker save`` it to its KaiwuDB.tar and remove it from the
    daemon again; returns the tar's path."""
    name = image_name(version)
    base = base_image()
    target = image_file(out_dir, version, broken)
    with tempfile.TemporaryDirectory(prefix="kwdb-image-") as context:
        root = os.path.join(context, "kaiwudb")
        for sub in ("bin", "lib", "certs", "deploy"):
            os.makedirs(os.path.join(root, sub))
        kwbase = os.path.join(root, "bin", "kwbase")
        build_zipapp(releases.kwbase_buildinfo(version), os.path.join(root, "bin", ".kwbase.sim") if broken else kwbase)
        if broken:
            with open(kwbase, "w", encoding="utf-8") as out:
                out.write(BROKEN_KWBASE)
            os.chmod(kwbase, 0o755)
        libs = ("libcommon.so",) if broken else ("libcommon.so", "libkwdbts2.so")
        for lib in libs:
            with open(os.path.join(root, "lib", lib), "wb") as out:
                out.write(b"testbed stub of %s %s\n" % (lib.encode(), version.encode()))
        with open(os.path.join(context, "Dockerfile"), "w", encoding="utf-8") as out:
            out.write(DOCKERFILE % {"base": base})
        docker("build", "--quiet", "--tag", name, context, timeout=600)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    docker("save", "--output", target + ".tmp", name, timeout=600)
    os.replace(target + ".tmp", target)
    with open(os.path.join(os.path.dirname(target), ".version"), "w", encoding="utf-8") as out:
        out.write(kwdb_packages.basic_version(version) + "\n")  # packages/.version, as the vendor's package has it
    docker("rmi", name, check=False)
    return target


def build_images(versions, out_dir=None, broken=()):
    """KaiwuDB.tar of every version (and of the broken ones); returns {label: path}, label ``V`` or ``V-broken``."""
    out_dir = os.path.abspath(out_dir or default_out_dir())
    built = {}
    for version in list(versions) + list(broken):
        image_name(version)  # refuse an unknown version before anything is built
    for version in versions:
        started = time.monotonic()
        built[version] = build_image(version, out_dir)
        log("%s -> %s (%.1f s)" % (image_name(version), built[version], time.monotonic() - started))
    for version in broken:
        built[version + "-broken"] = build_image(version, out_dir, broken=True)
        log("broken %s -> %s" % (image_name(version), built[version + "-broken"]))
    return built


def load(path):
    """``docker load < KaiwuDB.tar`` (the vendor's way); returns the image name from ``Loaded image: NAME``."""
    if not os.path.exists(path):
        raise ContainerLabError("no image file %s (run: python -m tests.containers images)" % path)
    with open(path, "rb") as source:
        result = docker("load", stdin=source, timeout=600)
    for line in result.stdout.splitlines():
        if line.startswith("Loaded image: "):
            return line.split(": ", 1)[1].strip()
    raise ContainerLabError("docker load < %s printed no 'Loaded image:' line: %r" % (path, result.stdout))


def remove_base():
    """Remove the imported base images (the rootfs stays cached on disk)."""
    listed = docker("images", "--format", "{{.Repository}}:{{.Tag}}", BASE_REPO, check=False).stdout.split()
    for name in listed:
        docker("rmi", name, check=False)
    shutil.rmtree(os.path.join(work_dir(), "tmp"), ignore_errors=True)
