"""Argument checks shared by the Kafka commands: each raises `ValidationError` with a message.

Models nothing; leaves out everything but type and range checks of user input.
"""

from __future__ import annotations

import re
from typing import Any

from brokers.errors import ValidationError
from brokers.kafka.partitioner import key_bytes
from brokers.kafka.topics import TopicConfig

NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def int_in(name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationError(f"{name} must be an integer from {low} to {high}, got {value!r}")


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValidationError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def name(what: str, value: Any) -> None:
    if not isinstance(value, str) or not NAME.match(value):
        raise ValidationError(f"invalid {what} {value!r}: use 1-64 letters, digits, '.', '_', '-'")


def as_bytes(what: str, value: Any) -> bytes:
    if isinstance(value, str | bytes | bytearray):
        return key_bytes(value)
    raise ValidationError(f"{what} must be bytes, text or None, got {type(value).__name__}")


def headers(items: Any) -> list[tuple[str, bytes]]:
    out = []
    for item in items or []:
        if not isinstance(item, list | tuple) or len(item) != 2 or not isinstance(item[0], str):
            raise ValidationError(f"each header is (name, bytes), got {item!r}")
        out.append((item[0], as_bytes("header value", item[1])))
    return out


def check_min_insync(config: TopicConfig, replication_factor: int) -> None:
    if config.min_insync_replicas > replication_factor:
        # Kafka accepts this and then refuses every acks=all write; say so up front.
        raise ValidationError(
            f"min.insync.replicas={config.min_insync_replicas} exceeds replication factor "
            f"{replication_factor}: every acks=all write would fail"
        )
