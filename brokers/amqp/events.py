"""The RabbitMQ events: what the AMQP model did to exchanges, queues, consumers and messages.

Every event about a message carries `msg`, the engine-assigned id ("m1", "m2", ...)
given at publish time. A message fanned out to several queues keeps the one id in each
queue (events name the `queue`, so `(msg, queue)` names one copy), and a dead-lettered
copy keeps the id of the message it came from, so the inspector can follow a journey
through any number of dead-letter hops. Fields are small, plain values: these go to a UI.
Leaves out connection and channel lifecycle (each simulated consumer is its own channel).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from brokers.events import Event

_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is tuple or kind is list:
        out = []  # a loop, not a comprehension: most of these hold one or two items
        for v in value:
            item = type(v)
            if item in _SCALARS:
                out.append(v)
            elif item is Match:
                out.append(dict(v.__dict__))
            else:
                out.append(_plain(v))
        return out
    if kind is dict:
        return {str(k): _plain(v) for k, v in value.items()}
    if kind is Match:
        return dict(value.__dict__)
    if kind is bytes:
        return value.decode("utf-8", "replace")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _plain_strings(value: Any) -> Any:
    """`_plain` of a `tuple[str, ...]` field (queue names, routing keys), done quicker."""
    if type(value) is tuple:
        for v in value:
            if type(v) not in _SCALARS:
                break
        else:
            return [*value]
    return _plain(value)


def _plain_matches(value: Any) -> Any:
    """`_plain` of a `tuple[Match, ...]` field, done quicker."""
    if type(value) is tuple:
        out = []
        for m in value:
            if type(m) is not Match:
                break
            out.append(dict(m.__dict__))
        else:
            return out
    return _plain(value)


@dataclass(frozen=True, kw_only=True)
class AmqpEvent(Event):
    """Base of the RabbitMQ events (no kind of its own)."""

    broker = "amqp"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with `kind` and `broker` added.

        Each event class gets its own compiled copy of this (see `_fast_to_dict`): the
        instance dict copied at once, only the fields holding tuples, tables or nested
        records converted.
        """
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name in self._nested:  # type: ignore[attr-defined]
            data[name] = _plain(data[name])
        data["kind"] = self.kind
        data["broker"] = "amqp"
        return data


@dataclass(frozen=True)
class Match:
    """One binding that matched during routing, and why in words."""

    source: str
    destination: str
    destination_type: str  # "queue" or "exchange"
    binding_key: str
    reason: str


# -- topology ------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ExchangeDeclared(AmqpEvent):
    kind = "exchange_declared"
    exchange: str
    type: str
    internal: bool = False
    auto_delete: bool = False
    alternate_exchange: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExchangeDeleted(AmqpEvent):
    kind = "exchange_deleted"
    exchange: str
    reason: str = "deleted"


@dataclass(frozen=True, kw_only=True)
class QueueDeclared(AmqpEvent):
    kind = "queue_declared"
    queue: str
    type: str
    arguments: dict
    exclusive: bool = False
    auto_delete: bool = False


@dataclass(frozen=True, kw_only=True)
class QueueDeleted(AmqpEvent):
    kind = "queue_deleted"
    queue: str
    messages: int
    reason: str = "deleted"


@dataclass(frozen=True, kw_only=True)
class QueuePurged(AmqpEvent):
    kind = "queue_purged"
    queue: str
    messages: int


@dataclass(frozen=True, kw_only=True)
class Bound(AmqpEvent):
    kind = "bound"
    source: str
    destination: str
    destination_type: str
    routing_key: str
    arguments: dict


@dataclass(frozen=True, kw_only=True)
class Unbound(AmqpEvent):
    kind = "unbound"
    source: str
    destination: str
    destination_type: str
    routing_key: str
    reason: str = "unbind"


# -- publishing and routing ----------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Published(AmqpEvent):
    kind = "published"
    msg: str
    exchange: str
    routing_key: str
    size: int
    publisher: str = ""
    mandatory: bool = False


@dataclass(frozen=True, kw_only=True)
class Routed(AmqpEvent):
    kind = "routed"
    msg: str
    exchange: str
    routing_key: str
    queues: tuple[str, ...]
    matches: tuple[Match, ...]


@dataclass(frozen=True, kw_only=True)
class Unroutable(AmqpEvent):
    kind = "unroutable"
    msg: str
    exchange: str
    routing_key: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Returned(AmqpEvent):
    kind = "returned"
    msg: str
    exchange: str
    routing_key: str
    reply_code: int = 312
    reply_text: str = "NO_ROUTE"


@dataclass(frozen=True, kw_only=True)
class Confirmed(AmqpEvent):
    kind = "confirmed"
    msg: str
    ack: bool
    reason: str = ""


# -- queue life of a message ---------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Enqueued(AmqpEvent):
    kind = "enqueued"
    msg: str
    queue: str
    depth: int
    offset: int | None = None  # streams only


@dataclass(frozen=True, kw_only=True)
class Delivered(AmqpEvent):
    kind = "delivered"
    msg: str
    queue: str
    consumer_tag: str
    delivery_tag: int
    redelivered: bool
    delivery_count: int
    auto_ack: bool = False
    get: bool = False  # pulled with basic.get rather than pushed
    offset: int | None = None
    reason: str = ""  # why this consumer got this message


@dataclass(frozen=True, kw_only=True)
class Acked(AmqpEvent):
    kind = "acked"
    msg: str
    queue: str
    consumer_tag: str
    delivery_tag: int


@dataclass(frozen=True, kw_only=True)
class Nacked(AmqpEvent):
    kind = "nacked"
    msg: str
    queue: str
    consumer_tag: str
    delivery_tag: int
    requeue: bool


@dataclass(frozen=True, kw_only=True)
class Rejected(AmqpEvent):
    kind = "rejected"
    msg: str
    queue: str
    consumer_tag: str
    delivery_tag: int
    requeue: bool


@dataclass(frozen=True, kw_only=True)
class Requeued(AmqpEvent):
    kind = "requeued"
    msg: str
    queue: str
    position: int  # 0 is the head
    reason: str


@dataclass(frozen=True, kw_only=True)
class DeadLettered(AmqpEvent):
    kind = "dead_lettered"
    msg: str
    queue: str
    reason: str  # rejected, expired, maxlen, delivery_limit
    exchange: str
    routing_keys: tuple[str, ...]
    x_death: tuple[dict, ...]


@dataclass(frozen=True, kw_only=True)
class Expired(AmqpEvent):
    kind = "expired"
    msg: str
    queue: str
    ttl_ms: int


@dataclass(frozen=True, kw_only=True)
class Dropped(AmqpEvent):
    kind = "dropped"
    msg: str
    queue: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Lost(AmqpEvent):
    kind = "lost"
    msg: str
    queue: str
    consumer_tag: str
    reason: str


# -- consumers -----------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ConsumerStarted(AmqpEvent):
    kind = "consumer_started"
    consumer_tag: str
    queue: str
    prefetch: int
    auto_ack: bool
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class ConsumerCancelled(AmqpEvent):
    kind = "consumer_cancelled"
    consumer_tag: str
    queue: str
    requeued: int
    reason: str = "basic.cancel"


@dataclass(frozen=True, kw_only=True)
class ConsumerCrashed(AmqpEvent):
    kind = "consumer_crashed"
    consumer_tag: str
    queue: str
    requeued: int
    lost: int


@dataclass(frozen=True, kw_only=True)
class ConsumerRestarted(AmqpEvent):
    kind = "consumer_restarted"
    consumer_tag: str
    queue: str


@dataclass(frozen=True, kw_only=True)
class SingleActiveConsumerChanged(AmqpEvent):
    kind = "single_active_consumer_changed"
    queue: str
    consumer_tag: str | None


def _compile(cls: type, name: str, lines: list[str], namespace: dict[str, Any]) -> Any:
    """Compile a generated method of `cls` (named in tracebacks and profiles)."""
    code = compile("\n".join(lines), f"<{cls.__qualname__}.{name}>", "exec")
    exec(code, namespace)  # the same technique dataclasses itself uses
    function = namespace[name]
    function.__qualname__ = f"{cls.__qualname__}.{name}"
    return function


def _fast_init(cls: type) -> None:
    """Give an event class a plain `__init__` that fills `__dict__` directly, and `make`.

    A frozen dataclass sets each field through `object.__setattr__`, about 3 us for
    ten fields; events are made several times per message, so this one writes the
    instance dict at once. Signature, defaults, equality and frozenness stay the same.
    The dict also holds `kind` and `broker` (the class's values, after the fields): it
    is then exactly what `to_dict` returns, and copying a dict whose keys are shared
    by every instance is much cheaper than adding two keys to the copy.
    Calling a class with keywords also costs a dict of them (about 0.4 us) before
    `__init__` runs; `make` takes the same keywords and builds the same event without
    that, for the paths run once per message.
    """
    params, sets = [], []
    for f in dataclasses.fields(cls):
        default = "" if f.default is dataclasses.MISSING else f"={f.default!r}"
        params.append(f"{f.name}{default}")
        sets.append(f"    d[{f.name!r}] = {f.name}")
    signature = ", ".join(params)
    # kind and broker go last into the instance dict too, so to_dict is one copy
    # (`__class__`: a field may be called `type`)
    tail = ["    d['kind'] = self.__class__.kind", "    d['broker'] = 'amqp'"]
    init = [f"def __init__(self, *, {signature}):", "    d = self.__dict__", *sets, *tail]
    cls.__init__ = _compile(cls, "__init__", init, {})
    make = [f"def make(cls, *, {signature}):", "    self = _new(cls)", "    d = self.__dict__"]
    make += [*sets, *tail, "    return self"]
    function = _compile(cls, "make", make, {"_new": object.__new__})
    function.__doc__ = f"The same as `{cls.__name__}(...)`, made faster (see `_fast_init`)."
    cls.make = classmethod(function)


def _fast_to_dict(cls: type) -> None:
    """Give an event class a `to_dict` with its nested fields written in.

    The live view turns every event into a dict; unrolling the generic loop saves the
    attribute lookups and the loop itself, and the output stays the same dict (the
    instance dict already ends with `kind` and `broker`, see `_fast_init`).
    """
    types = {f.name: str(f.type) for f in dataclasses.fields(cls)}
    converters = {"tuple[str, ...]": "_plain_strings", "tuple[Match, ...]": "_plain_matches"}
    lines = ["def to_dict(self):", "    data = self.__dict__.copy()"]
    for name in cls._nested:
        convert = converters.get(types[name], "_plain")
        lines.append(f"    data[{name!r}] = {convert}(data[{name!r}])")
    lines += ["    return data"]
    namespace = {
        "_plain": _plain,
        "_plain_strings": _plain_strings,
        "_plain_matches": _plain_matches,
    }
    function = _compile(cls, "to_dict", lines, namespace)
    function.__doc__ = AmqpEvent.to_dict.__doc__
    cls.to_dict = function


def _prepare_event_classes() -> None:
    """Record the fields that need converting for JSON and install the fast methods."""
    scalar = ("str", "int", "float", "bool", "None")
    for cls in list(globals().values()):
        if isinstance(cls, type) and issubclass(cls, AmqpEvent) and cls is not AmqpEvent:
            cls._nested = tuple(
                f.name
                for f in dataclasses.fields(cls)
                if not all(part.strip() in scalar for part in str(f.type).split("|"))
            )
            _fast_init(cls)
            _fast_to_dict(cls)


_prepare_event_classes()
