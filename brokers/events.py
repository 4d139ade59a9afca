"""The event vocabulary: typed, timestamped records of what a broker did.

Both the simulator and the real adapters emit these; the UI renders only from them.
Each event carries the virtual time `t` and, where it concerns one message, that
message's id `msg`, so the inspector can follow a journey. `reason` fields say why, in
words a learner can read. The AMQP events live in `brokers.amqp.events` and the Kafka
ones in `brokers.kafka.events`; this module holds the base and the registry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: a virtual timestamp and a kind name."""

    kind: ClassVar[str] = "event"
    broker: ClassVar[str] = ""
    t: float

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            EVENT_TYPES[cls.kind] = cls

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with `kind` and `broker` added."""
        data = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        data["kind"] = self.kind
        data["broker"] = self.broker
        return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


Emit = Callable[[Event], None]


class EventLog(list):
    """A sink that keeps emitted events in order until drained.

    A list whose call appends: the models call their sink once per event, and
    `list.append` is the cheapest call Python has.
    """

    __call__ = list.append

    @property
    def events(self) -> list[Event]:
        """The events collected so far (the log itself)."""
        return self

    def drain(self) -> list[Event]:
        """Return and forget every event collected so far."""
        events = self[:]
        self.clear()
        return events
