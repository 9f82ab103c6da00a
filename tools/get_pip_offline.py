"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test downloads get-pip-X.Y.py from the internet to put pip into the venvs it creates; this
machine has no route there. Called as: python get_pip.py --disable-pip-version-check pip==X.Y --no-setuptools --no-wheel
"""
import subprocess
import sys

# ensurepip runs in a child process: in-process it sets PIP_CONFIG_FILE=/dev/null, which would hide
# the machine's pip.conf (index and CA settings) from the pip call below.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "-q"] + args))
