"""Streams: an append-only log read from an offset; acks remove nothing."""

import datetime

import pytest

from brokers.errors import ValidationError

STREAM = {"x-queue-type": "stream"}


def stream(rig, n=3):
    rig.broker.queue_declare("s", arguments=STREAM)
    return [rig.broker.basic_publish("", "s", f"m{i}") for i in range(n)]


@pytest.mark.parametrize(
    ("offset", "first_read"),
    [("first", 0), ("last", 2), ("next", None), (1, 1), (99, None), ("1h", 0)],
)
def test_x_stream_offset_chooses_where_reading_starts(rig, offset, first_read):
    """first, last, next, a number or an interval pick the first offset delivered."""
    stream(rig)
    rig.broker.basic_consume("s", "c", prefetch_count=10, arguments={"x-stream-offset": offset})
    rig.run()
    offsets = [e.offset for e in rig.events("delivered")]
    assert offsets[:1] == ([] if first_read is None else [first_read])


def test_a_timestamp_offset_starts_at_the_first_message_at_or_after_it(rig):
    """A datetime offset skips messages published before it (virtual seconds)."""
    rig.broker.queue_declare("s", arguments=STREAM)
    rig.broker.basic_publish("", "s", "early")
    rig.run(until=10)
    late = rig.broker.basic_publish("", "s", "late")
    at = datetime.datetime.fromtimestamp(5, tz=datetime.UTC)
    rig.broker.basic_consume("s", "c", prefetch_count=5, arguments={"x-stream-offset": at})
    rig.run()
    assert rig.delivered() == [late]


def test_acked_stream_messages_can_be_replayed(rig):
    """Unlike a classic queue, acking leaves the stream intact for the next reader."""
    ids = stream(rig)
    rig.broker.basic_consume("s", "a", prefetch_count=10, arguments={"x-stream-offset": "first"})
    rig.run()
    rig.broker.basic_consume("s", "b", prefetch_count=10, arguments={"x-stream-offset": "first"})
    rig.run()
    assert rig.delivered("a") == ids and rig.delivered("b") == ids
    assert rig.broker.describe()["queues"][0]["ready"] == 3


def test_stream_prefetch_limits_in_flight_and_acks_give_credit(rig):
    """A stream consumer gets prefetch messages until it acks."""
    stream(rig, n=5)
    rig.broker.basic_consume(
        "s", "c", prefetch_count=2, behaviour="manual", arguments={"x-stream-offset": "first"}
    )
    rig.run()
    assert len(rig.delivered()) == 2
    rig.broker.basic_ack("c", 2, multiple=True)
    rig.run()
    assert len(rig.delivered()) == 4


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda b: b.basic_consume("s", "c", prefetch_count=0), 406),
        (lambda b: b.basic_consume("s", "c", prefetch_count=5, auto_ack=True), 540),
        (lambda b: b.basic_get("s"), 540),
        (lambda b: b.queue_purge("s"), 540),
    ],
)
def test_streams_refuse_what_rabbitmq_refuses(rig, call, code):
    """No prefetch (406), auto-ack, basic.get and purge (540 NOT_IMPLEMENTED) are refused."""
    stream(rig)
    before = rig.broker.describe()
    with pytest.raises(ValidationError) as err:
        call(rig.broker)
    assert err.value.code == code
    assert rig.broker.describe() == before


def test_stream_retention_drops_oldest_messages_by_bytes(rig):
    """x-max-length-bytes trims the log from the start; offsets keep counting."""
    rig.broker.queue_declare("s", arguments={**STREAM, "x-max-length-bytes": 4})
    for body in ("aa", "bb", "cc"):
        rig.broker.basic_publish("", "s", body)
    rig.broker.basic_consume("s", "c", prefetch_count=5, arguments={"x-stream-offset": "first"})
    rig.run()
    assert [e.offset for e in rig.events("delivered")] == [1, 2]
