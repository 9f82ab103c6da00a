"""Put one collection from the `ansible` community package's wheel into a collections directory, without Galaxy.

Galaxy is not reachable from these machines, but PyPI is (through the machine's pip configuration), and the
`ansible` package ships every collection it includes. This downloads the pinned wheel once into a cache directory
(its sha256 checked by pip), extracts only ansible_collections/<namespace>/<name>/ into the destination and checks
the version in the extracted MANIFEST.json:

    python tools/collection_from_wheel.py --cache DIR --dest COLLECTIONS_DIR [--collection awx.awx]

COLLECTIONS_DIR then works as ANSIBLE_COLLECTIONS_PATH (it holds ansible_collections/awx/awx).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

ANSIBLE_RELEASE = '12.3.0'
WHEEL_NAME = 'ansible-%s-py3-none-any.whl' % ANSIBLE_RELEASE
WHEEL_SHA256 = 'cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414'
# What ansible 12.3.0 ships (ansible-build-data 12/ansible-12.3.0.deps).
COLLECTION_VERSIONS = {'awx.awx': '24.6.1'}


class WheelError(RuntimeError):
    """The wheel could not be fetched, or does not hold the collection as expected."""


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as source:
        for block in iter(lambda: source.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def cached_wheel(cache_dir):
    """The wheel in cache_dir, downloaded with pip (hash-checked) unless a good copy is already there."""
    wheel = os.path.join(cache_dir, WHEEL_NAME)
    if os.path.isfile(wheel) and sha256_of(wheel) == WHEEL_SHA256:
        return wheel
    os.makedirs(cache_dir, exist_ok=True)
    requirement = os.path.join(cache_dir, 'ansible-wheel.txt')
    with open(requirement, 'w', encoding='utf-8') as out:
        out.write('ansible==%s --hash=sha256:%s\n' % (ANSIBLE_RELEASE, WHEEL_SHA256))
    command = [sys.executable, '-m', 'pip', 'download', '--no-deps', '--require-hashes', '--only-binary', ':all:',
               '--disable-pip-version-check', '--dest', cache_dir, '-r', requirement]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not os.path.isfile(wheel):
        raise WheelError('pip download of ansible==%s failed (rc %s): %s'
                         % (ANSIBLE_RELEASE, result.returncode, (result.stderr or result.stdout).strip()[-2000:]))
    return wheel


def collection_members(archive, prefix):
    """The archive's members under prefix; refuses absolute paths and `..` (the wheel is data, not trusted code)."""
    members = [info for info in archive.infolist() if info.filename.startswith(prefix)]
    for info in members:
        parts = info.filename.split('/')
        if info.filename.startswith('/') or '..' in parts:
            raise WheelError('unsafe member in %s: %s' % (WHEEL_NAME, info.filename))
    if not members:
        raise WheelError('%s has no %s' % (WHEEL_NAME, prefix))
    return members


def manifest_version(collection_dir):
    path = os.path.join(collection_dir, 'MANIFEST.json')
    if not os.path.isfile(path):
        return None
    with open(path, encoding='utf-8') as source:
        return json.load(source)['collection_info']['version']


def extract_collection(wheel, fqcn, dest):
    """Extract ansible_collections/<ns>/<name>/ from the wheel into dest (replacing an older copy); its path."""
    namespace, name = fqcn.split('.')
    prefix = 'ansible_collections/%s/%s/' % (namespace, name)
    target = os.path.join(dest, 'ansible_collections', namespace, name)
    staging = tempfile.mkdtemp(prefix='.%s-' % fqcn, dir=dest)
    try:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(staging, members=collection_members(archive, prefix))
        found = manifest_version(os.path.join(staging, prefix))
        if found != COLLECTION_VERSIONS[fqcn]:
            raise WheelError('%s in %s is version %s, expected %s' % (fqcn, WHEEL_NAME, found, COLLECTION_VERSIONS[fqcn]))
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.rename(os.path.join(staging, prefix), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cache', required=True, help='directory that keeps the downloaded wheel')
    parser.add_argument('--dest', required=True, help='collections directory to put ansible_collections/<ns>/<name> in')
    parser.add_argument('--collection', default='awx.awx', choices=sorted(COLLECTION_VERSIONS))
    args = parser.parse_args(argv)
    os.makedirs(args.dest, exist_ok=True)
    target = os.path.join(args.dest, 'ansible_collections', *args.collection.split('.'))
    if manifest_version(target) == COLLECTION_VERSIONS[args.collection]:
        print('%s %s already in %s' % (args.collection, COLLECTION_VERSIONS[args.collection], args.dest))
        return 0
    try:
        extract_collection(cached_wheel(args.cache), args.collection, args.dest)
    except WheelError as error:
        print('collection_from_wheel: %s' % error, file=sys.stderr)
        return 1
    print('%s %s from %s into %s' % (args.collection, COLLECTION_VERSIONS[args.collection], WHEEL_NAME, args.dest))
    return 0


if __name__ == '__main__':
    sys.exit(main())
