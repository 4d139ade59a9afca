"""Subject matching and validation: the same subscriptions and publishes on the simulator
and on nats-server 2.9.10 reach the same subscribers, and the same bad subjects fail."""

from __future__ import annotations

import pytest

from brokers.errors import BrokerError
from tests.real.nats_helpers import count, received

pytestmark = pytest.mark.real

PATTERNS = ["orders.*", "orders.>", "orders.eu.*", "*.eu.*", ">", "orders.eu.new", "*"]
SUBJECTS = ["orders", "orders.eu", "orders.eu.new", "orders.us.new", "billing.eu.x", "a.b.c.d"]


def test_every_pattern_reaches_the_same_subjects(nats_both):
    def script(api, wait):
        for i, pattern in enumerate(PATTERNS):
            api.subscribe(pattern, name=f"p{i}")
        for subject in SUBJECTS:
            api.publish(subject, "x")
        expected = sum(1 for p in PATTERNS for s in SUBJECTS if _m(p, s))
        wait(5, until=count("nats_delivered", expected))

    sim, real = nats_both(script)
    assert received(sim) == received(real)
    assert received(real)["p0"] == ["n2"]  # orders.* takes orders.eu only


def _m(pattern: str, subject: str) -> bool:
    from brokers.nats.subjects import matches

    return matches(pattern, subject)


BAD = [
    ("subscribe", "a..b"),
    ("subscribe", "a.>.b"),
    ("subscribe", "a.b*"),
    ("subscribe", "a b"),
    ("subscribe", ""),
    ("publish", "a b"),
    ("publish", ""),
]


@pytest.mark.parametrize(("call", "subject"), BAD)
def test_a_subject_both_refuse(nats_both, call, subject):
    def script(api, wait):
        try:
            getattr(api, call)(subject)
        except BrokerError:
            return "refused"
        return "accepted"

    sim, real = nats_both(script)
    assert sim.result == real.result == "refused"


def test_a_message_nobody_listens_to_is_dropped_on_both(nats_both):
    def script(api, wait):
        api.subscribe("orders.*")
        api.publish("orders.eu.late")
        wait(3, until=count("nats_dropped", 1))

    sim, real = nats_both(script)
    assert (
        [e.msg for e in sim.of("nats_dropped")]
        == [e.msg for e in real.of("nats_dropped")]
        == ["n1"]
    )


def _raw(nats_url, coro):
    """Run `coro(nc)` on a fresh nats-py connection, bypassing the playground's checks."""
    import asyncio

    import nats

    async def go():
        nc = await nats.connect(nats_url, allow_reconnect=False)
        try:
            return await coro(nc)
        finally:
            await nc.close()

    return asyncio.run(go())


@pytest.mark.parametrize("subject", ["a..b", "a.>.b", "a.b*", "a b", "", "a."])
def test_nats_py_and_the_server_refuse_these_subscriptions_too(nats_url, subject):
    async def sub(nc):
        errors = []

        async def on_error(exc):
            errors.append(exc)

        nc._error_cb = on_error
        try:
            await nc.subscribe(subject)
            await nc.flush()
        except Exception as exc:  # noqa: BLE001 - nats-py's refusal
            return type(exc).__name__
        return "accepted" if not errors else "server refused"

    assert _raw(nats_url, sub) != "accepted"


@pytest.mark.parametrize("subject", ["a..b", "orders.*"])
def test_the_server_takes_publishes_we_refuse_as_they_cannot_do_what_they_seem(nats_url, subject):
    """nats-server without pedantic mode accepts these (`a..b` reaches nobody, `orders.*`
    is taken as a literal token): the simulator and adapter refuse them with a reason."""

    async def pub(nc):
        await nc.publish(subject, b"x")
        await nc.flush()
        return nc.last_error

    assert _raw(nats_url, pub) is None
