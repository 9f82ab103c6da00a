"""Build a simulated database binary: a self-contained Python zipapp with its build info baked in.

Every simulated release is one executable file (like the vendors' single static binaries), so a
release tarball can ship it at the path the vendor uses and install it by copying one file.
"""
import io
import json
import os
import stat
import zipfile

SIM_ROOT = os.path.dirname(os.path.abspath(__file__))
SHEBANG = b"#!/usr/bin/python3\n"
FIXED_DATE = (2024, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same build info gives the same bytes

MAIN_TEMPLATE = """import sys
from sim.entry import main
BUILDINFO = %s
sys.exit(main(sys.argv, BUILDINFO))
"""


def package_files():
    """(path, name inside the zipapp) of every simulator source file, in a fixed order."""
    for dirpath, dirnames, filenames in os.walk(SIM_ROOT):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                yield path, os.path.join("sim", os.path.relpath(path, SIM_ROOT))


def zipapp_bytes(buildinfo):
    """The executable's bytes for this build info (deterministic)."""
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, arcname in package_files():
            with open(path, "rb") as source:
                archive.writestr(zipfile.ZipInfo(arcname, FIXED_DATE), source.read())
        main_py = MAIN_TEMPLATE % json.dumps(buildinfo, sort_keys=True, indent=1)
        archive.writestr(zipfile.ZipInfo("__main__.py", FIXED_DATE), main_py)
    return SHEBANG + payload.getvalue()


def build_zipapp(buildinfo, dest):
    """Write the simulated binary described by ``buildinfo`` to ``dest`` (mode 0755)."""
    with open(dest, "wb") as out:
        out.write(zipapp_bytes(buildinfo))
    os.chmod(dest, os.stat(dest).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return dest
