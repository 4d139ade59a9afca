"""Stream and consumer configurations: parsed, defaulted and checked as nats-server 2.9 does.

`stream_config(...)` and `consumer_config(...)` turn the API's keyword arguments into
frozen `StreamConfig`/`ConsumerConfig` records or raise `ValidationError` with the
server's reason in plain words (and its JetStream error code where it has one). Defaults
are the server's: 0 for a limit means unlimited (-1); a duplicate window of 0 means two
minutes, or `max_age` when that is shorter; ack_wait 30 s; max_ack_pending 1000.
Checks that need the other streams or consumers (overlapping subjects, workqueue rules,
a filter outside the stream) live in `brokers.nats.jetstream`. `to_api()` gives the
JetStream API JSON (durations in nanoseconds) that `nats stream add --config` and
`nats consumer add --config` read. Leaves out storage type and replicas (file, 1),
mirrors and sources, subject transforms, republish, rollups, backoff, flow control,
heartbeats, rate limits, replay policy (instant) and everything added after 2.9.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from brokers.errors import ValidationError
from brokers.nats import subjects as subj
from brokers.nats.api import ACK_POLICIES, DELIVER_POLICIES, DISCARDS, ON_FAILURE, RETENTIONS

MAX_LIMIT = 10**9
MAX_SECONDS = 10 * 365 * 86400.0
DEFAULT_DUPLICATE_WINDOW = 120.0
DEFAULT_ACK_WAIT = 30.0
DEFAULT_MAX_ACK_PENDING = 1000
NS = 1_000_000_000


@dataclass(frozen=True)
class StreamConfig:
    name: str
    subjects: tuple[str, ...]
    retention: str = "limits"
    discard: str = "old"
    max_msgs: int = -1
    max_bytes: int = -1
    max_age: float = 0.0
    max_msgs_per_subject: int = -1
    max_msg_size: int = -1
    duplicate_window: float = DEFAULT_DUPLICATE_WINDOW

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["subjects"] = list(self.subjects)
        return data

    def to_api(self) -> dict[str, Any]:
        """The JetStream API's StreamConfig JSON (what `nats stream add --config` reads)."""
        return {
            "name": self.name,
            "subjects": list(self.subjects),
            "retention": self.retention,
            "max_consumers": -1,
            "max_msgs": self.max_msgs,
            "max_bytes": self.max_bytes,
            "max_age": round(self.max_age * NS),
            "max_msgs_per_subject": self.max_msgs_per_subject,
            "max_msg_size": self.max_msg_size,
            "discard": self.discard,
            "storage": "file",
            "num_replicas": 1,
            "duplicate_window": round(self.duplicate_window * NS),
        }


@dataclass(frozen=True)
class ConsumerConfig:
    name: str
    durable: bool
    deliver_subject: str | None = None
    deliver_group: str | None = None
    deliver_policy: str = "all"
    opt_start_seq: int | None = None
    opt_start_time: float | None = None
    ack_policy: str = "explicit"
    ack_wait: float = DEFAULT_ACK_WAIT
    max_deliver: int = -1
    max_ack_pending: int = DEFAULT_MAX_ACK_PENDING
    filter_subject: str | None = None
    inactive_threshold: float = 5.0

    @property
    def push(self) -> bool:
        return self.deliver_subject is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_api(self, start_time_iso: str | None = None) -> dict[str, Any]:
        """The JetStream API's ConsumerConfig JSON (what `nats consumer add --config` reads);
        `start_time_iso` is `opt_start_time` as RFC 3339, which only the caller can say."""
        data: dict[str, Any] = {
            "deliver_policy": self.deliver_policy,
            "ack_policy": self.ack_policy,
            "ack_wait": round(self.ack_wait * NS),
            "max_deliver": self.max_deliver,
            "replay_policy": "instant",
            "max_ack_pending": self.max_ack_pending,
        }
        if self.durable:
            data["durable_name"] = self.name
        else:
            data["name"] = self.name
            data["inactive_threshold"] = round(self.inactive_threshold * NS)
        optional = {
            "deliver_subject": self.deliver_subject,
            "deliver_group": self.deliver_group,
            "filter_subject": self.filter_subject,
            "opt_start_seq": self.opt_start_seq,
            "opt_start_time": start_time_iso,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data


# -- small checks ---------------------------------------------------------------------
def limit(name: str, value: Any) -> int:
    """A count or size limit: -1 (or 0) for unlimited, else 1..10^9."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(f"{name} must be an integer (-1 for unlimited), got {value!r}")
    if value in (0, -1):
        return -1
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationError(f"{name} must be -1 (unlimited) or 1 to {MAX_LIMIT}, got {value}")
    return value


def seconds(name: str, value: Any, *, positive: bool = False) -> float:
    """A duration in seconds: 0 (or more) and at most ten years."""
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        raise ValidationError(f"{name} must be a number of seconds, got {value!r}")
    low = "more than 0" if positive else "0 or more"
    if value < 0 or (positive and value == 0) or value > MAX_SECONDS:
        raise ValidationError(f"{name} must be {low} seconds (at most ten years), got {value}")
    return float(value)


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValidationError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def count(name: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def probability(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValidationError(f"{name} must be between 0 and 1, got {value!r}")
    return float(value)


def data_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    raise ValidationError(f"message data must be bytes or text, got {type(value).__name__}")


def headers(value: Any) -> dict[str, str]:
    """Message headers: names are RFC 7230 tokens, values one line of text."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError("headers must be a mapping of name to text")
    out = {}
    for key, val in value.items():
        if not isinstance(key, str) or not key or not all(_token_char(c) for c in key):
            raise ValidationError(f"header name {key!r} is not a token (letters, digits, -_.)")
        if not isinstance(val, str) or "\r" in val or "\n" in val:
            raise ValidationError(f"header {key!r} must be one line of text")
        out[key] = val
    return out


def _token_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in "!#$%&'*+-.^_`|~")


def header_size(hdrs: dict[str, str]) -> int:
    """Bytes of the headers block as nats-py encodes it (`NATS/1.0`, one line each)."""
    if not hdrs:
        return 0
    return 12 + sum(len(k.encode()) + len(v.encode()) + 4 for k, v in hdrs.items())


def stored_size(subject: str, data: bytes, hdrs: dict[str, str]) -> int:
    """A message's bytes in a file-backed stream, as `nats stream info` counts them
    (nats-server's fileStoreMsgSize: 30 + subject + data, + 4 + headers with headers);
    pinned against the real server."""
    size = 30 + len(subject.encode()) + len(data)
    return size + header_size(hdrs) + 4 if hdrs else size


# -- streams --------------------------------------------------------------------------
def stream_config(
    name: Any,
    subjects: Any = None,
    retention: Any = "limits",
    discard: Any = "old",
    max_msgs: Any = -1,
    max_bytes: Any = -1,
    max_age: Any = 0.0,
    max_msgs_per_subject: Any = -1,
    max_msg_size: Any = -1,
    duplicate_window: Any = 0.0,
) -> StreamConfig:
    """A checked stream config with the server's defaults filled in."""
    subj.check_name("stream name", name)
    if subjects is None or subjects == []:
        subjects = [name]
    if isinstance(subjects, str) or not isinstance(subjects, list | tuple):
        raise ValidationError("subjects must be a list of subjects")
    if len(subjects) > 32:
        raise ValidationError("a stream takes at most 32 subjects here")
    checked = tuple(subj.check_subject(s, wildcards=True, what="stream subject") for s in subjects)
    pair = subj.first_overlap(checked)
    if pair is not None:
        raise ValidationError(f"subject {pair[0]!r} overlaps with {pair[1]!r} in the same stream")
    age = seconds("max_age", max_age)
    window = seconds("duplicate_window", duplicate_window)
    if window == 0:
        window = min(DEFAULT_DUPLICATE_WINDOW, age) if age else DEFAULT_DUPLICATE_WINDOW
    if age and window > age:
        raise ValidationError(
            f"duplicate_window ({window:g}s) can not be larger than max_age ({age:g}s)"
        )
    return StreamConfig(
        name=name,
        subjects=checked,
        retention=choice("retention", retention, RETENTIONS),
        discard=choice("discard", discard, DISCARDS),
        max_msgs=limit("max_msgs", max_msgs),
        max_bytes=limit("max_bytes", max_bytes),
        max_age=age,
        max_msgs_per_subject=limit("max_msgs_per_subject", max_msgs_per_subject),
        max_msg_size=limit("max_msg_size", max_msg_size),
        duplicate_window=window,
    )


def stream_update(old: StreamConfig, changes: dict[str, Any]) -> StreamConfig:
    """The config after `changes`, refusing what nats-server 2.9 refuses to update."""
    unknown = set(changes) - set(StreamConfig.__dataclass_fields__) - {"name"}
    if unknown:
        raise ValidationError(f"unknown stream setting(s): {', '.join(sorted(unknown))}")
    if changes.get("name", old.name) != old.name:
        raise ValidationError("a stream can not be renamed")
    if "retention" in changes and changes["retention"] != old.retention:
        raise ValidationError(
            f"stream configuration update can not change retention policy "
            f"({old.retention} to {changes['retention']}): create another stream"
        )
    merged = {**old.to_dict(), **changes}
    if "duplicate_window" not in changes and "max_age" in changes:
        merged["duplicate_window"] = 0.0  # the server derives it again
    merged.pop("name")
    return stream_config(old.name, **merged)


# -- consumers ------------------------------------------------------------------------
def consumer_config(
    generated_name: str,
    durable_name: Any = None,
    name: Any = None,
    deliver_subject: Any = None,
    deliver_group: Any = None,
    deliver_policy: Any = "all",
    opt_start_seq: Any = None,
    opt_start_time: Any = None,
    ack_policy: Any = "explicit",
    ack_wait: Any = DEFAULT_ACK_WAIT,
    max_deliver: Any = -1,
    max_ack_pending: Any = DEFAULT_MAX_ACK_PENDING,
    filter_subject: Any = None,
    inactive_threshold: Any = 5.0,
) -> ConsumerConfig:
    """A checked consumer config; an ephemeral without `name` is called `generated_name`."""
    if durable_name is not None:
        subj.check_name("durable name", durable_name)
        if name is not None and name != durable_name:
            raise ValidationError(
                f"consumer name {name!r} does not match durable name {durable_name!r}"
            )
        final, durable = durable_name, True
    elif name is not None:
        final, durable = subj.check_name("consumer name", name), False
    else:
        final, durable = generated_name, False
    if deliver_subject is not None:
        subj.check_subject(deliver_subject, wildcards=False, what="deliver subject")
    if deliver_group is not None:
        if deliver_subject is None:
            raise ValidationError(
                "deliver_group is a queue group for push consumers: set a "
                "deliver_subject, or leave it out for a pull consumer"
            )
        subj.check_name("deliver group", deliver_group)
    policy = choice("deliver_policy", deliver_policy, DELIVER_POLICIES)
    ack = choice("ack_policy", ack_policy, ACK_POLICIES)
    if deliver_subject is None and ack == "none":
        raise ValidationError("consumer in pull mode requires ack policy all or explicit")
    _check_start(policy, opt_start_seq, opt_start_time)
    if filter_subject is not None:
        subj.check_subject(filter_subject, wildcards=True, what="filter subject")
    if policy == "last_per_subject" and filter_subject is None:
        raise ValidationError(
            "consumer delivery policy is deliver last per subject, but the filter subject "
            "is not set (use '>' for every subject)"
        )
    max_del = max_deliver
    if max_del == 0:
        max_del = -1
    if max_del != -1:
        count("max_deliver", max_del, 1, 1000)
    pending = max_ack_pending
    if pending == 0:
        pending = DEFAULT_MAX_ACK_PENDING
    if pending != -1:
        count("max_ack_pending", pending, 1, 100_000)
    return ConsumerConfig(
        name=final,
        durable=durable,
        deliver_subject=deliver_subject,
        deliver_group=deliver_group,
        deliver_policy=policy,
        opt_start_seq=opt_start_seq,
        opt_start_time=None if opt_start_time is None else float(opt_start_time),
        ack_policy=ack,
        ack_wait=seconds("ack_wait", ack_wait, positive=True),
        max_deliver=max_del,
        max_ack_pending=pending,
        filter_subject=filter_subject,
        inactive_threshold=seconds("inactive_threshold", inactive_threshold, positive=True),
    )


def _check_start(policy: str, seq: Any, start: Any) -> None:
    words = policy.replace("_", " ")
    if policy == "by_start_sequence":
        if seq is None:
            raise ValidationError(
                "consumer delivery policy is deliver by start sequence, but the optional "
                "start sequence (opt_start_seq) is not set"
            )
        count("opt_start_seq", seq, 1, 2**63 - 1)
    elif seq is not None:
        raise ValidationError(
            f"consumer delivery policy is deliver {words}, but an optional start sequence "
            "is also set"
        )
    if policy == "by_start_time":
        if start is None:
            raise ValidationError(
                "consumer delivery policy is deliver by start time, but the optional start "
                "time (opt_start_time) is not set"
            )
        seconds("opt_start_time", start)
    elif start is not None:
        raise ValidationError(
            f"consumer delivery policy is deliver {words}, but an optional start time is also set"
        )


#: fields an existing consumer may change when it is added again (checked on 2.9.10)
UPDATABLE = (
    "ack_wait",
    "max_deliver",
    "max_ack_pending",
    "inactive_threshold",
    "filter_subject",
    "deliver_group",
)


def consumer_update(old: ConsumerConfig, new: ConsumerConfig, bound: bool) -> ConsumerConfig:
    """`new` when it only changes what 2.9 lets a consumer update; else the refusal.
    `bound` says whether a push consumer's deliver subject has subscribers."""
    for name in ConsumerConfig.__dataclass_fields__:
        if name in UPDATABLE or getattr(old, name) == getattr(new, name):
            continue
        if name == "deliver_subject":
            if old.push != new.push:
                frm, to = ("push", "pull") if old.push else ("pull", "push")
                raise ValidationError(f"can not update {frm} consumer to {to} based")
            if bound:
                raise ValidationError(
                    f"consumer name {old.name!r} already in use: its deliver subject "
                    f"{old.deliver_subject!r} has subscribers, so it can not move"
                )
            continue
        words = {"opt_start_seq": "start sequence", "opt_start_time": "start time"}.get(
            name, name.replace("_", " ")
        )
        raise ValidationError(
            f"consumer {old.name!r} exists: {words} can not be updated "
            f"(only {', '.join(UPDATABLE)} can)"
        )
    return replace(old, **{k: getattr(new, k) for k in (*UPDATABLE, "deliver_subject")})


def worker_settings(
    behaviour: Any,
    processing_time: Any,
    failure_rate: Any,
    on_failure: Any,
    nak_delay: Any,
    batch: Any,
) -> dict[str, Any]:
    """Checked settings of a simulated worker."""
    return {
        "behaviour": choice("behaviour", behaviour, ("auto", "manual")),
        "processing_time": _bounded_seconds("processing_time", processing_time),
        "failure_rate": probability("failure_rate", failure_rate),
        "on_failure": choice("on_failure", on_failure, ON_FAILURE),
        "nak_delay": _bounded_seconds("nak_delay", nak_delay),
        "batch": count("batch", batch, 1, 1000),
    }


def _bounded_seconds(name: str, value: Any) -> float:
    value = seconds(name, value)
    if value > 3600:
        raise ValidationError(f"{name} must be at most 3600 seconds, got {value:g}")
    return value
