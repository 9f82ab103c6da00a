"""Cluster state shared by every simulated node: JSON files guarded by fcntl locks.

Writers take an exclusive lock on ``<file>.lock`` and replace the file atomically, so a reader
never sees a half-written document even without the lock.
"""
import contextlib
import fcntl
import json
import os


def read_json(path, default=None):
    try:
        with open(path) as source:
            return json.load(source)
    except (OSError, ValueError):
        return {} if default is None else default


def write_json(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as out:
        json.dump(data, out, sort_keys=True)
    os.replace(tmp, path)


@contextlib.contextmanager
def locked_json(path):
    """Yield the document at ``path`` (a dict) under an exclusive lock; write it back on success."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path + ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = read_json(path)
            yield data
            write_json(path, data)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
