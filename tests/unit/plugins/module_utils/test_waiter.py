"""The waiter: consecutive passes, a monotonic deadline, failed reads as failed checks, a trace."""
import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import CommandError, DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import poll, read_once, wait_until


class FakeClock:
    """A monotonic clock that only moves when the waiter sleeps (plus a fixed cost per observation)."""

    def __init__(self, cost=0.0):
        self.now = 100.0
        self.cost = cost
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def sequence(*states):
    """observe() returning the given states in turn (exceptions are raised), repeating the last."""
    items = list(states)

    def observe():
        item = items.pop(0) if len(items) > 1 else items[0]
        if isinstance(item, Exception):
            raise item
        return item

    return observe


def healthy(state):
    return state.get("ok") is True


def test_needs_consecutive_passes():
    clock = FakeClock()
    observe = sequence({"ok": True}, {"ok": False}, {"ok": True}, {"ok": True}, {"ok": True})
    result = wait_until(observe, healthy, timeout=60, interval=2, stable_checks=3, clock=clock, sleep=clock.sleep)
    assert result.checks == 5
    assert result.elapsed == 8
    assert clock.sleeps == [2, 2, 2, 2]


def test_timeout_carries_last_state_and_counts():
    clock = FakeClock()
    observe = sequence({"ok": False, "seen": 1}, {"ok": False, "seen": 2})
    with pytest.raises(WaitTimeout) as caught:
        wait_until(observe, healthy, timeout=5, interval=2, stable_checks=1, describe="the moon",
                   clock=clock, sleep=clock.sleep)
    assert str(caught.value) == ("timed out after 4.0s waiting for the moon (3 checks, 0 consecutive passes of 1 "
                                 "needed)")
    assert caught.value.last_state == {"ok": False, "seen": 2}
    assert caught.value.as_result() == {"ok": False, "seen": 2, "msg": str(caught.value), "checks": 3, "elapsed": 4.0}


def test_failed_read_is_a_failed_check_and_resets_the_streak():
    clock = FakeClock()
    failure = CommandError(["/usr/local/bin/cockroach", "node", "status", "--url=postgresql://u:secret@h"], 1, "",
                           "ERROR: cannot dial server.\n")
    observe = sequence({"ok": True}, failure, {"ok": True}, {"ok": True})
    result = wait_until(observe, healthy, timeout=60, interval=1, stable_checks=2, clock=clock, sleep=clock.sleep,
                        trace=lambda state: {"ok": state["ok"]})
    assert result.checks == 4
    assert result.trace[1] == {"elapsed": 1.0,
                               "error": "`/usr/local/bin/cockroach node status` failed (rc=1): ERROR: cannot dial server."}
    assert [entry.get("ok") for entry in result.trace] == [True, None, True, True]


def test_zero_timeout_still_checks_once():
    clock = FakeClock()
    result = wait_until(sequence({"ok": True}), healthy, timeout=0, interval=1, stable_checks=1, clock=clock,
                        sleep=clock.sleep)
    assert result.checks == 1 and clock.sleeps == []


@pytest.mark.parametrize("timeout, interval, stable_checks", [(-1, 1, 1), (10, 0, 1), (10, 1, 0)])
def test_invalid_settings_are_refused(timeout, interval, stable_checks):
    with pytest.raises(DistsqlError) as caught:
        wait_until(sequence({"ok": True}), healthy, timeout, interval, stable_checks)
    assert str(caught.value) == ("invalid wait settings: timeout=%s interval=%s stable_checks=%s (need timeout >= 0, "
                                 "interval > 0, stable_checks >= 1)" % (timeout, interval, stable_checks))


def test_read_once_propagates_errors():
    with pytest.raises(DistsqlError):
        read_once(sequence(DistsqlError("boom")))


def test_poll_reads_once_without_a_condition():
    result = poll(sequence({"ok": False}), None, {"timeout": 1, "interval": 1, "stable_checks": 1}, "x")
    assert result.state == {"ok": False} and result.checks == 1 and result.trace is None
