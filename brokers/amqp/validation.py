"""Validation of AMQP names, arguments and message properties, with RabbitMQ's words.

Each check raises a `brokers.errors` error carrying the reply code RabbitMQ would send
(406 PRECONDITION_FAILED for a bad argument, 403 ACCESS_REFUSED for reserved names,
540 NOT_IMPLEMENTED for what a queue type does not offer) before anything changes.
It knows which `x-` arguments each queue type accepts (as RabbitMQ 3.10 does: classic
queues ignore unknown ones, quorum queues and streams refuse the ones they do not
support). Leaves out policies and operator policies: arguments are the only source.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from brokers.amqp.api import Properties
from brokers.errors import AccessRefused, ValidationError

MAX_NAME_BYTES = 255
#: a str of at most this many characters fits in MAX_NAME_BYTES UTF-8 bytes
SURELY_SHORT = MAX_NAME_BYTES // 4
NOT_IMPLEMENTED = 540
QUEUE_TYPES = ("classic", "quorum", "stream")
EXCHANGE_TYPES = ("direct", "fanout", "topic", "headers")
OVERFLOWS = ("drop-head", "reject-publish", "reject-publish-dlx")
X_MATCH = ("all", "any", "all-with-x", "any-with-x")
OFFSET_WORDS = ("first", "last", "next")
_INTERVAL = re.compile(r"([0-9]{1,18})([YMDhms])", re.ASCII)  # fullmatch: "10m\n" is no interval
_INTERVAL_SECONDS = {"Y": 365 * 86400, "M": 30 * 86400, "D": 86400, "h": 3600, "m": 60, "s": 1}

# Arguments RabbitMQ knows, per queue type; anything else known to RabbitMQ is refused
# by quorum queues and streams ("invalid arg ... of queue type ...").
_COMMON = {"x-queue-type", "x-expires", "x-single-active-consumer"}
_CLASSIC = _COMMON | {
    "x-message-ttl",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-length",
    "x-max-length-bytes",
    "x-max-priority",
    "x-overflow",
    "x-queue-mode",
    "x-queue-master-locator",
    "x-queue-version",
}
_QUORUM = (_CLASSIC - {"x-max-priority", "x-queue-mode", "x-queue-version"}) | {
    "x-delivery-limit",
    "x-quorum-initial-group-size",
    "x-max-in-memory-length",
    "x-max-in-memory-bytes",
    "x-queue-leader-locator",
}
_STREAM = {
    "x-queue-type",
    "x-max-length-bytes",
    "x-max-age",
    "x-stream-max-segment-size-bytes",
    "x-initial-cluster-size",
    "x-queue-leader-locator",
}
_KNOWN = _CLASSIC | _QUORUM | _STREAM
SUPPORTED_ARGS = {"classic": _CLASSIC, "quorum": _QUORUM, "stream": _STREAM}


def check_name(kind: str, name: Any, *, declaring: bool = False) -> str:
    """A queue or exchange name: a string of at most 255 UTF-8 bytes, no reserved prefix."""
    if not isinstance(name, str):
        raise ValidationError(f"{kind} name must be a string, got {type(name).__name__}")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValidationError(f"{kind} name is longer than {MAX_NAME_BYTES} bytes")
    if declaring and name.startswith("amq."):
        raise AccessRefused(
            f"ACCESS_REFUSED - {kind} name '{name}' contains reserved prefix 'amq.*'"
        )
    return name


def check_routing_key(key: Any) -> str:
    """A routing or binding key: a string of at most 255 UTF-8 bytes."""
    if type(key) is not str:
        if not isinstance(key, str):
            raise ValidationError(f"routing key must be a string, got {type(key).__name__}")
    if len(key) > SURELY_SHORT and len(key.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValidationError(f"routing key is longer than {MAX_NAME_BYTES} bytes")
    return key


def _int_arg(queue: str, args: dict, key: str, *, minimum: int, maximum: int | None = None):
    value = args.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"PRECONDITION_FAILED - invalid arg '{key}' for queue '{queue}': "
            f"expected an integer, got {value!r}"
        )
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ValidationError(
            f"PRECONDITION_FAILED - invalid arg '{key}' for queue '{queue}': "
            f"{value} must be {bound}"
        )
    return value


def _str_arg(queue: str, args: dict, key: str) -> str | None:
    value = args.get(key)
    if value is not None and not isinstance(value, str):
        raise ValidationError(
            f"PRECONDITION_FAILED - invalid arg '{key}' for queue '{queue}': "
            f"expected a string, got {value!r}"
        )
    return value


def check_queue_arguments(
    queue: str, args: dict[str, Any], *, durable: bool, exclusive: bool, auto_delete: bool
) -> str:
    """Check queue arguments for their type; returns the queue type."""
    if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
        raise ValidationError("queue arguments must be a table with string keys")
    qtype = args.get("x-queue-type", "classic")
    if qtype not in QUEUE_TYPES:
        raise ValidationError(
            f"PRECONDITION_FAILED - invalid arg 'x-queue-type' for queue '{queue}': "
            f"unknown queue type {qtype!r} (expected one of {', '.join(QUEUE_TYPES)})"
        )
    for key in args:
        if key in _KNOWN and key not in SUPPORTED_ARGS[qtype]:
            raise ValidationError(
                f"PRECONDITION_FAILED - invalid arg '{key}' for queue '{queue}' "
                f"of queue type {qtype}"
            )
    if qtype != "classic":
        for flag, value, wanted in (
            ("durable", durable, True),
            ("exclusive", exclusive, False),
            ("auto-delete", auto_delete, False),
        ):
            if value != wanted:
                raise ValidationError(
                    f"PRECONDITION_FAILED - invalid property '{flag}' for queue '{queue}' "
                    f"of queue type {qtype}"
                )
    _int_arg(queue, args, "x-message-ttl", minimum=0)
    _int_arg(queue, args, "x-expires", minimum=1)
    _int_arg(queue, args, "x-max-length", minimum=0)
    _int_arg(queue, args, "x-max-length-bytes", minimum=0)
    _int_arg(queue, args, "x-delivery-limit", minimum=0)
    _int_arg(queue, args, "x-max-priority", minimum=1, maximum=255)
    overflow = _str_arg(queue, args, "x-overflow")
    if overflow is not None:
        allowed = OVERFLOWS if qtype == "classic" else OVERFLOWS[:2]
        if overflow not in allowed:
            raise ValidationError(
                f"PRECONDITION_FAILED - invalid arg 'x-overflow' for queue '{queue}': "
                f"{overflow!r} is not one of {', '.join(allowed)}"
            )
    dlx = _str_arg(queue, args, "x-dead-letter-exchange")
    if _str_arg(queue, args, "x-dead-letter-routing-key") is not None and dlx is None:
        raise ValidationError(
            f"PRECONDITION_FAILED - invalid arg 'x-dead-letter-routing-key' for queue "
            f"'{queue}': it needs 'x-dead-letter-exchange'"
        )
    if dlx is not None:
        check_name("dead-letter exchange", dlx)
    sac = args.get("x-single-active-consumer")
    if sac is not None and not isinstance(sac, bool):
        raise ValidationError(
            f"PRECONDITION_FAILED - invalid arg 'x-single-active-consumer' for queue "
            f"'{queue}': expected a boolean, got {sac!r}"
        )
    age = _str_arg(queue, args, "x-max-age")
    if age is not None and not _INTERVAL.fullmatch(age):
        raise ValidationError(
            f"PRECONDITION_FAILED - invalid arg 'x-max-age' for queue '{queue}': "
            f"{age!r} is not an interval such as '7D', '12h' or '30s'"
        )
    return qtype


def interval_seconds(text: str) -> int:
    """Seconds in an interval such as "7D" (RabbitMQ's x-max-age and x-stream-offset)."""
    number, unit = _INTERVAL.fullmatch(text).groups()  # type: ignore[union-attr]
    return int(number) * _INTERVAL_SECONDS[unit]


def check_exchange_arguments(exchange: str, args: dict[str, Any]) -> None:
    """Check exchange arguments (only `alternate-exchange` has meaning here)."""
    if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
        raise ValidationError("exchange arguments must be a table with string keys")
    ae = args.get("alternate-exchange")
    if ae is not None:
        if not isinstance(ae, str):
            raise ValidationError(
                f"PRECONDITION_FAILED - invalid arg 'alternate-exchange' for exchange "
                f"'{exchange}': expected a string, got {ae!r}"
            )
        check_name("alternate exchange", ae)


def check_binding_arguments(exchange_type: str, args: dict[str, Any]) -> None:
    """Check binding arguments; headers exchanges need a valid `x-match`."""
    if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
        raise ValidationError("binding arguments must be a table with string keys")
    if exchange_type == "headers" and args.get("x-match", "all") not in X_MATCH:
        raise ValidationError(
            f"PRECONDITION_FAILED - Invalid x-match field value {args['x-match']!r}; "
            f"expected one of {', '.join(X_MATCH)}"
        )


def check_consume_arguments(args: dict[str, Any]) -> None:
    """Check basic.consume arguments: `x-priority` and `x-stream-offset`."""
    if not isinstance(args, dict):
        raise ValidationError("consumer arguments must be a table")
    prio = args.get("x-priority")
    if prio is not None and (isinstance(prio, bool) or not isinstance(prio, int)):
        raise ValidationError(f"x-priority must be an integer, got {prio!r}")
    offset = args.get("x-stream-offset")
    if offset is None or isinstance(offset, datetime.datetime):
        return
    if isinstance(offset, bool):
        raise ValidationError(f"invalid x-stream-offset {offset!r}")
    if isinstance(offset, int):
        if offset < 0:
            raise ValidationError(f"x-stream-offset must be >= 0, got {offset}")
        return
    if isinstance(offset, str) and (offset in OFFSET_WORDS or _INTERVAL.fullmatch(offset)):
        return
    raise ValidationError(
        f"invalid x-stream-offset {offset!r}: use first, last, next, an offset number, "
        "a datetime or an interval such as '10m'"
    )


def check_properties(props: Properties) -> None:
    """Check basic properties as RabbitMQ would on publish."""
    if not isinstance(props.headers, dict) or not all(isinstance(k, str) for k in props.headers):
        raise ValidationError("headers must be a table with string keys")
    prio = props.priority
    if prio is not None and (
        isinstance(prio, bool) or not isinstance(prio, int) or not 0 <= prio <= 255
    ):
        raise ValidationError(f"priority must be an integer between 0 and 255, got {prio!r}")
    exp = props.expiration
    if exp is not None and (not isinstance(exp, str) or not exp.isdigit() or not exp.isascii()):
        raise ValidationError(
            f"PRECONDITION_FAILED - invalid expiration {exp!r}: "
            "milliseconds as a string of digits, e.g. '60000'"
        )
    if props.delivery_mode not in (None, 1, 2):
        raise ValidationError(f"delivery_mode must be 1 or 2, got {props.delivery_mode!r}")
    ts = props.timestamp
    if ts is not None and (isinstance(ts, bool) or not isinstance(ts, int) or ts < 0):
        raise ValidationError(f"timestamp must be a non-negative integer, got {ts!r}")
    for name in ("message_id", "correlation_id", "content_type"):
        value = getattr(props, name)
        if value is not None and (not isinstance(value, str) or len(value.encode()) > 255):
            raise ValidationError(f"{name} must be a short string (<= 255 bytes), got {value!r}")


def check_count(name: str, value: Any, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A non-negative integer setting such as prefetch_count."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValidationError(f"{name} must be <= {maximum}, got {value!r}")
    return value


def check_rate(name: str, value: Any, *, maximum: float | None = None) -> float:
    """A non-negative finite number such as processing_time or failure_rate."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValidationError(f"{name} must be a number >= 0, got {value!r}")
    if value == float("inf") or (maximum is not None and value > maximum):
        raise ValidationError(f"{name} must be <= {maximum}, got {value!r}")
    return float(value)
