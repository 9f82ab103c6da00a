"""CockroachDB version rules as the simulator applies them.

Series from 24.1 on alternate Regular and Innovation releases (24.2, 25.1, 25.3 are Innovation).
A binary opens stores last finalized at its nearest earlier Regular series or later, and never a
store finalized at a newer series than its own (pkg/storage/fs/min_version.go). Before 24.1 every
series was Regular, so a binary needs the previous series.
"""
import re

SERIES = ("22.2", "23.1", "23.2", "24.1", "24.2", "24.3", "25.1", "25.2", "25.3", "25.4")
INNOVATION = ("24.2", "25.1", "25.3")
TAG_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$")


def parse_series(text):
    """'24.1' -> (24, 1)."""
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def series_of_tag(tag):
    """'v24.1.3' -> '24.1'; raise ValueError for anything that is not a CockroachDB release tag."""
    match = TAG_RE.match(tag)
    if not match or "%s.%s" % match.group(1, 2) not in SERIES:
        raise ValueError("unsupported CockroachDB version %r" % tag)
    return "%s.%s" % match.group(1, 2)


def is_regular(series):
    return series not in INNOVATION


def min_supported(series):
    """The oldest store/cluster version a binary of ``series`` accepts."""
    earlier = [s for s in SERIES if parse_series(s) < parse_series(series)]
    for candidate in reversed(earlier):
        if is_regular(candidate):
            return candidate
    return earlier[-1]


def newer(a, b):
    """True when cluster version series ``a`` is newer than ``b``."""
    return parse_series(a) > parse_series(b)


def has_drain_ok(series):
    """`node drain` prints "drain ok" (and supports --shutdown) from 24.2 on."""
    return parse_series(series) >= (24, 2)


def has_json_format(series):
    """--format=json (PR #102595) shipped with 23.2."""
    return parse_series(series) >= (23, 2)


def upgrading_version(from_series, to_series, step):
    """Cluster version text while finalizing (roachpb.Version.SafeFormat; the form changed in 24.1)."""
    if parse_series(to_series) >= (24, 1):
        return "%s-upgrading-to-%s-step-%03d" % (from_series, to_series, step)
    return "%s-%d" % (from_series, step)
