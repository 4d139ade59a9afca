"""The publish window: how far basic_publish runs ahead of the control thread's confirms."""

from __future__ import annotations

import threading
import time

import pytest

from brokers.errors import Disconnected
from brokers.real.rabbitmq.publish_window import PublishWindow


def up() -> str:
    return ""


def wait_until(cond, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def waiting_take(window: PublishWindow, lost=up) -> tuple[threading.Thread, list]:
    """A thread blocked in `take()`; its list gets "took" or the error once it returns."""
    outcome: list = []

    def run() -> None:
        try:
            window.take(lost)
            outcome.append("took")
        except Disconnected as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_it_hands_out_size_places_without_waiting():
    window = PublishWindow(size=4, low=1)
    for _ in range(4):
        window.take(up)
    assert window.in_flight == 4


def test_a_full_window_waits_until_confirms_bring_it_down_to_low():
    window = PublishWindow(size=4, low=1)
    for _ in range(4):
        window.take(up)
    thread, outcome = waiting_take(window)
    wait_until(lambda: window.waiting)
    window.settle()
    window.settle()  # two left: above low, still waiting
    thread.join(0.6)  # past a wait slice: it still waits for `low`, not just for room
    assert outcome == [] and thread.is_alive()
    window.settle()  # one left: low
    thread.join(2)
    assert outcome == ["took"]
    assert window.in_flight == 2


def test_a_wait_ends_with_disconnected_when_the_connection_goes():
    window = PublishWindow(size=1, low=0)
    window.take(up)
    reason = [""]
    thread, outcome = waiting_take(window, lambda: reason[0])
    reason[0] = "connection reset"
    thread.join(2)
    assert len(outcome) == 1 and "connection reset" in str(outcome[0])


def test_a_wait_ends_with_disconnected_when_nothing_is_confirmed_for_the_stall_time():
    window = PublishWindow(size=1, low=0, stall=0.3)
    window.take(up)
    started = time.monotonic()
    with pytest.raises(Disconnected, match="not confirmed any of 1 publishes"):
        window.take(up)
    assert time.monotonic() - started < 2


def test_many_takes_and_settles_on_two_threads_never_exceed_the_size():
    window = PublishWindow(size=8, low=3)
    most = [0]
    done = threading.Event()

    def confirm() -> None:
        settled = 0
        while settled < 5000:
            if window.in_flight > 0:
                most[0] = max(most[0], window.in_flight)
                window.settle()
                settled += 1
            else:
                time.sleep(0)  # let the taking thread have the GIL
        done.set()

    threading.Thread(target=confirm, daemon=True).start()
    for _ in range(5000):
        window.take(up)
    assert done.wait(10)
    assert most[0] <= 8 and window.in_flight == 0


@pytest.mark.parametrize(("size", "low"), [(4, 4), (4, -1), (0, 0)])
def test_it_refuses_a_low_mark_outside_the_window(size, low):
    with pytest.raises(ValueError, match="low"):
        PublishWindow(size=size, low=low)
