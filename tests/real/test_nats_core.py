"""Core NATS on nats_both: queue groups, request/reply, no responders, timeouts."""

from __future__ import annotations

import pytest

from tests.real.nats_helpers import count, received

pytestmark = pytest.mark.real


def test_a_queue_group_gets_each_message_once_and_plain_subscribers_get_all(nats_both):
    def script(api, wait):
        for name in ("w1", "w2", "w3"):
            api.subscribe("jobs.*", queue="workers", name=name)
        api.subscribe("jobs.>", name="audit")
        for i in range(40):
            api.publish("jobs.resize", str(i))
        wait(5, until=count("nats_delivered", 80))

    for r in nats_both(script):
        got = received(r)
        assert got["audit"] == [f"n{i}" for i in range(1, 41)]
        members = sorted(m for name in ("w1", "w2", "w3") for m in got.get(name, []))
        assert members == sorted(got["audit"])  # each message to exactly one member
        assert len([n for n in ("w1", "w2", "w3") if got.get(n)]) >= 2  # spread at random


def test_request_reply_no_responders_and_timeout(nats_both):
    def script(api, wait):
        api.subscribe("svc.echo", behaviour="reply", processing_time=0.1, name="echo")
        api.subscribe("svc.silent", name="mute")
        answered = api.request("svc.echo", "ping", timeout=2)
        nobody = api.request("svc.none", "ping", timeout=2)
        ignored = api.request("svc.silent", "ping", timeout=0.5)
        wait(
            4,
            until=lambda ev: (
                count("nats_reply_received", 1)(ev) and count("nats_request_timed_out", 1)(ev)
            ),
        )
        return answered, nobody, ignored

    sim, real = nats_both(script)
    for r in (sim, real):
        answered, nobody, ignored = r.result
        assert [(e.msg, e.sub) for e in r.of("nats_reply_received")] == [(answered, "echo")]
        assert [e.msg for e in r.of("nats_no_responders")] == [nobody]
        assert [e.msg for e in r.of("nats_request_timed_out")] == [ignored]


def test_a_request_to_a_queue_group_is_answered_once(nats_both):
    def script(api, wait):
        for name in ("r1", "r2", "r3"):
            api.subscribe("svc", queue="g", behaviour="reply", name=name)
        for _ in range(5):
            api.request("svc", timeout=2)
        wait(4, until=count("nats_reply_received", 5))

    for r in nats_both(script):
        assert len(r.of("nats_replied")) == 5
        assert len(r.of("nats_reply_received")) == 5
