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
    rig.broker.queue_declare("s", arguments=STREAM)
    for i in range(3):  # one chunk each: written at different instants
        rig.broker.basic_publish("", "s", f"m{i}")
        rig.run(until=i + 1)
    rig.broker.basic_consume("s", "c", prefetch_count=10, arguments={"x-stream-offset": offset})
    rig.run()
    offsets = [e.offset for e in rig.events("delivered")]
    assert offsets[:1] == ([] if first_read is None else [first_read])


def test_last_starts_at_the_first_message_of_the_last_chunk(rig):
    """Messages written together form one chunk; `last` reads the whole last chunk
    (osiris; checked on RabbitMQ 3.10 with the stream's writer held while a batch is sent)."""
    rig.broker.queue_declare("s", arguments=STREAM)
    first = [rig.broker.basic_publish("", "s", f"a{i}", confirm=False) for i in range(3)]
    rig.run(until=1)
    second = [rig.broker.basic_publish("", "s", f"b{i}", confirm=False) for i in range(4)]
    rig.run(until=2)
    rig.broker.basic_consume("s", "c", prefetch_count=10, arguments={"x-stream-offset": "last"})
    rig.run()
    assert rig.delivered() == second
    assert [e.offset for e in rig.events("delivered")] == [3, 4, 5, 6]
    assert first == ["m1", "m2", "m3"]


def test_a_confirmed_publish_is_a_chunk_of_its_own(rig):
    """In confirm mode (pika's BlockingChannel) each publish waits for its confirm, so each
    message is written alone and `last` reads only the last one (checked on RabbitMQ 3.10)."""
    rig.broker.queue_declare("s", arguments=STREAM)
    ids = [rig.broker.basic_publish("", "s", f"m{i}") for i in range(3)]
    ids += [rig.broker.basic_publish("", "s", "u", confirm=False) for _ in range(2)]
    ids += [rig.broker.basic_publish("", "s", "c")]
    rig.broker.basic_consume("s", "c", prefetch_count=10, arguments={"x-stream-offset": "last"})
    rig.run()
    assert rig.delivered() == ids[-1:]
    assert rig.broker.queues["s"].store.chunk_starts == [0, 1, 2, 3, 5]


@pytest.mark.parametrize(("spec", "expected"), [("last", []), ("first", []), ("next", [])])
def test_an_empty_stream_starts_reading_at_its_end(rig, spec, expected):
    """On an empty stream every spec waits for the next message."""
    rig.broker.queue_declare("s", arguments=STREAM)
    rig.broker.basic_consume("s", "c", prefetch_count=10, arguments={"x-stream-offset": spec})
    rig.run()
    assert rig.delivered() == expected
    mid = rig.broker.basic_publish("", "s", "x")
    rig.run()
    assert rig.delivered() == [mid]


def test_last_after_retention_cut_into_the_last_chunk_starts_at_the_log_start(rig):
    """Retention drops whole messages; `last` never points below the first offset kept."""
    rig.broker.queue_declare("s", arguments={**STREAM, "x-max-length-bytes": 2})
    ids = [rig.broker.basic_publish("", "s", "x", confirm=False) for _ in range(4)]  # 1 chunk
    rig.broker.basic_consume("s", "c", prefetch_count=10, arguments={"x-stream-offset": "last"})
    rig.run()
    assert rig.delivered() == ids[2:]


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
