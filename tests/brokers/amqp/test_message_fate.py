"""Property: with manual acks and no crash, every message ends exactly once, with a reason."""

from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.amqp.api import Properties
from tests.brokers.amqp.conftest import Rig

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["publish", "ack", "nack", "reject", "requeue", "wait"]),
        st.integers(min_value=0, max_value=5),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(
    actions=ACTIONS,
    max_length=st.none() | st.integers(min_value=1, max_value=4),
    overflow=st.sampled_from(["drop-head", "reject-publish", "reject-publish-dlx"]),
    ttl=st.none() | st.integers(min_value=0, max_value=3000),
    dlx=st.booleans(),
)
def test_every_message_is_acked_queued_dead_lettered_or_dropped(
    actions, max_length, overflow, ttl, dlx
):
    """Each published message is accounted for exactly once at the end."""
    rig = Rig(1)
    b = rig.broker
    args = {"x-overflow": overflow}
    if max_length is not None:
        args["x-max-length"] = max_length
    if ttl is not None:
        args["x-message-ttl"] = ttl
    if dlx:
        args["x-dead-letter-exchange"] = ""
        args["x-dead-letter-routing-key"] = "dead"
    b.queue_declare("dead")
    b.queue_declare("q", arguments=args)
    b.basic_consume("q", "c", prefetch_count=3, behaviour="manual")
    published = []
    for action, n in actions:
        unacked = sorted(b.consumers["c"].channel.unacked)
        tag = unacked[n % len(unacked)] if unacked else None
        if action == "publish":
            published.append(b.basic_publish("", "q", "x" * n, Properties(expiration=str(n * 500))))
        elif action == "wait":
            rig.run(until=rig.clock.now + n / 2)
        elif tag is not None and action == "ack":
            b.basic_ack("c", tag)
        elif tag is not None and action == "nack":
            b.basic_nack("c", tag, requeue=False)
        elif tag is not None and action == "reject":
            b.basic_reject("c", tag, requeue=False)
        elif tag is not None:
            b.basic_nack("c", tag, requeue=True)
        rig.run(until=rig.clock.now)
    b.basic_cancel("c")
    queued = _drain_ids(b, "q")
    ends: dict[str, list[str]] = {m: ["queued"] for m in queued}
    ends.update({m: [] for m in published if m not in ends})
    for e in rig.events():
        if e.kind == "acked":
            ends[e.msg].append("acked")
        elif e.kind == "dropped":
            ends[e.msg].append("dropped")
        elif e.kind == "dead_lettered":
            ends[e.msg].append("dead-lettered")
    for msg, fate in ends.items():
        assert len(fate) == 1, (msg, fate)


def _drain_ids(b, queue):
    out = []
    while (got := b.basic_get(queue, auto_ack=True)) is not None:
        out.append(got.msg)
    return out
