"""Validation: bad names, arguments and properties are refused and change nothing."""

import pytest

from brokers.amqp import validation
from brokers.amqp.api import Properties
from brokers.errors import AccessRefused, BrokerError, NotFound, ValidationError

LONG = "q" * 256


def setup(b):
    b.exchange_declare("x", "direct")
    b.queue_declare("q", arguments={"x-message-ttl": 1000})


BAD = [
    (
        lambda b: b.queue_declare("t", arguments={"x-message-ttl": -1}),
        ValidationError,
        "x-message-ttl",
    ),
    (lambda b: b.queue_declare("t", arguments={"x-message-ttl": "10"}), ValidationError, "integer"),
    (
        lambda b: b.queue_declare("t", arguments={"x-overflow": "drop-tail"}),
        ValidationError,
        "x-overflow",
    ),
    (
        lambda b: b.queue_declare("t", arguments={"x-max-priority": 0}),
        ValidationError,
        "x-max-priority",
    ),
    (
        lambda b: b.queue_declare("t", arguments={"x-max-priority": 256}),
        ValidationError,
        "x-max-priority",
    ),
    (
        lambda b: b.queue_declare("t", arguments={"x-queue-type": "lazy"}),
        ValidationError,
        "queue type",
    ),
    (
        lambda b: b.queue_declare("t", arguments={"x-dead-letter-routing-key": "k"}),
        ValidationError,
        "x-dead-letter-exchange",
    ),
    (
        lambda b: b.queue_declare("t", arguments={"x-queue-type": "stream", "x-message-ttl": 5}),
        ValidationError,
        "x-message-ttl",
    ),
    (
        lambda b: b.queue_declare("q", arguments={"x-message-ttl": 2000}),
        ValidationError,
        "inequivalent arg 'x-message-ttl'",
    ),
    (
        lambda b: b.queue_declare("q", durable=False, arguments={"x-message-ttl": 1000}),
        ValidationError,
        "durable",
    ),
    (lambda b: b.queue_declare(LONG), ValidationError, "255 bytes"),
    (lambda b: b.queue_declare("amq.mine"), AccessRefused, "reserved"),
    (lambda b: b.exchange_declare("amq.mine", "direct"), AccessRefused, "reserved"),
    (lambda b: b.exchange_declare("x", "fanout"), ValidationError, "inequivalent arg 'type'"),
    (lambda b: b.exchange_declare("y", "zigzag"), ValidationError, "unknown exchange type"),
    (
        lambda b: b.exchange_declare("y", "direct", arguments={"alternate-exchange": 5}),
        ValidationError,
        "alternate-exchange",
    ),
    (lambda b: b.exchange_delete("amq.direct"), AccessRefused, "amq.direct"),
    (lambda b: b.queue_bind("q", "nope"), NotFound, "no exchange"),
    (lambda b: b.queue_bind("nope", "x"), NotFound, "no queue"),
    (lambda b: b.queue_bind("q", "x", LONG), ValidationError, "255 bytes"),
    (
        lambda b: b.basic_publish("x", "k", "m", Properties(priority=300)),
        ValidationError,
        "priority",
    ),
    (
        lambda b: b.basic_publish("x", "k", "m", Properties(expiration="-5")),
        ValidationError,
        "expiration",
    ),
    (
        lambda b: b.basic_publish("x", "k", "m", Properties(expiration="soon")),
        ValidationError,
        "expiration",
    ),
    (
        lambda b: b.basic_publish("x", "k", "m", Properties(delivery_mode=3)),
        ValidationError,
        "delivery_mode",
    ),
    (lambda b: b.basic_publish("x", "k", 42), ValidationError, "body"),
    (
        lambda b: b.basic_publish("x", "k", "m", Properties(message_id=7)),
        ValidationError,
        "message_id",
    ),
    (
        lambda b: b.basic_publish("x", "k", "m", Properties(correlation_id=LONG)),
        ValidationError,
        "correlation_id",
    ),
    (
        lambda b: b.basic_publish("x", "k", "m", Properties(timestamp=-1)),
        ValidationError,
        "timestamp",
    ),
    (lambda b: b.basic_consume("q", prefetch_count=-1), ValidationError, "prefetch_count"),
    (lambda b: b.basic_consume("q", failure_rate=1.5), ValidationError, "failure_rate"),
    (lambda b: b.basic_consume("q", behaviour="lazy"), ValidationError, "behaviour"),
    (lambda b: b.basic_consume("nope"), NotFound, "no queue"),
    (lambda b: b.basic_ack("nobody", 1), NotFound, "nobody"),
    (
        lambda b: b.basic_consume("q", arguments={"x-stream-offset": "yesterday"}),
        ValidationError,
        "x-stream-offset",
    ),
]


@pytest.mark.parametrize(("call", "error", "text"), BAD)
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(rig, call, error, text):
    """Each invalid command raises the right error before changing state or emitting."""
    setup(rig.broker)
    before, count = rig.broker.describe(), len(rig.events())
    with pytest.raises(error, match=text):
        call(rig.broker)
    assert rig.broker.describe() == before
    assert len(rig.events()) == count


def test_errors_carry_rabbitmq_reply_codes(rig):
    """Inequivalent redeclare is 406, reserved names 403, missing entities 404."""
    setup(rig.broker)
    codes = []
    for call in (
        lambda: rig.broker.queue_declare("q"),
        lambda: rig.broker.queue_declare("amq.q"),
        lambda: rig.broker.queue_purge("missing"),
    ):
        with pytest.raises(BrokerError) as err:
            call()
        codes.append(err.value.code)
    assert codes == [406, 403, 404]


def test_an_equivalent_redeclare_is_accepted_silently(rig):
    """Declaring the same queue and exchange again with the same settings is fine."""
    setup(rig.broker)
    count = len(rig.events())
    rig.broker.exchange_declare("x", "direct")
    rig.broker.queue_declare("q", arguments={"x-message-ttl": 1000})
    rig.broker.exchange_declare("amq.topic", "topic")
    assert len(rig.events()) == count


@pytest.mark.parametrize("offset", ["٣m", "10m\n", "1" * 19 + "s"])
def test_a_stream_offset_interval_is_ascii_digits_and_nothing_after(offset):
    """Python's \\d takes Arabic-Indic digits and $ a trailing newline; RabbitMQ takes neither."""
    with pytest.raises(ValidationError):
        validation.check_consume_arguments({"x-stream-offset": offset})
