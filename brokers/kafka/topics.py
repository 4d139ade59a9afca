"""Topic names, topic configs and replica placement, validated the way Kafka validates them.

`TopicConfig` holds the per-topic settings the simulator obeys, with Kafka's defaults;
`parse_configs` turns user input (strings or numbers) into it or raises `ValidationError`
naming the bad key. `place_replicas` is Kafka's rack-unaware replica assignment with an
injected RNG for the start broker and the shift. Leaves out rack awareness, message
format and compression settings, and every config the simulator does not act on (they
are rejected, so nobody thinks they took effect).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from brokers.errors import ValidationError

MAX_PARTITIONS = 64
#: brokers in a simulated cluster unless it is built with another number (1 to 5)
DEFAULT_BROKERS = 3
#: a replica per broker: Kafka refuses a replication factor above the brokers it has
#: (INVALID_REPLICATION_FACTOR), and a sandbox's cluster has DEFAULT_BROKERS
MAX_REPLICATION_FACTOR = DEFAULT_BROKERS
#: characters in a topic name (Kafka: 1-249 of [a-zA-Z0-9._-], not "." or "..")
MAX_TOPIC_NAME = 249
TOPIC_NAME = re.compile(rf"^[a-zA-Z0-9._-]{{1,{MAX_TOPIC_NAME}}}$")
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicConfig:
    """The topic configs the simulator acts on (Kafka's names, with dots as underscores)."""

    retention_ms: int = 7 * DAY_MS
    retention_bytes: int = -1
    segment_ms: int = 7 * DAY_MS
    segment_bytes: int = 1024**3
    cleanup_policy: str = "delete"
    min_insync_replicas: int = 1
    unclean_leader_election_enable: bool = False
    delete_retention_ms: int = DAY_MS

    @property
    def deletes(self) -> bool:
        return "delete" in self.cleanup_policy

    @property
    def compacts(self) -> bool:
        return "compact" in self.cleanup_policy

    def to_dict(self) -> dict[str, Any]:
        """Configs under Kafka's dotted names."""
        return {f.name.replace("_", "."): getattr(self, f.name) for f in fields(self)}


_KEYS = {f.name.replace("_", "."): f.name for f in fields(TopicConfig)}
#: cleanup.policy: Kafka's is a list of "delete" and "compact", so both orders of both
CLEANUP_POLICIES = ("delete", "compact", "compact,delete", "delete,compact")


def parse_configs(configs: dict[str, Any] | None, base: TopicConfig | None = None) -> TopicConfig:
    """Validate user configs on top of `base`; raises ValidationError before anything changes."""
    changes: dict[str, Any] = {}
    for key, raw in (configs or {}).items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ValidationError(f"unknown or unsupported topic config {key!r} (known: {known})")
        changes[_KEYS[key]] = _parse_one(key, raw)
    return replace(base or TopicConfig(), **changes)


def _parse_one(key: str, raw: Any) -> Any:
    if key == "cleanup.policy":
        value = str(raw).replace(" ", "")
        if value not in CLEANUP_POLICIES:
            raise ValidationError(f"cleanup.policy must be delete, compact or both, got {raw!r}")
        return value
    if key == "unclean.leader.election.enable":
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise ValidationError(f"{key} must be true or false, got {raw!r}")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError(f"{key} must be an integer, got {raw!r}") from None
    lowest = {"retention.ms": -1, "retention.bytes": -1, "min.insync.replicas": 1}.get(key, 0)
    if key in ("segment.ms", "segment.bytes"):
        lowest = 1
    if value < lowest or isinstance(raw, bool):
        raise ValidationError(f"{key} must be >= {lowest}, got {raw!r}")
    return value


def validate_topic_name(name: Any) -> str:
    """Kafka's rule: 1-249 of [a-zA-Z0-9._-], not '.' or '..'."""
    if not isinstance(name, str) or not TOPIC_NAME.match(name) or name in (".", ".."):
        raise ValidationError(
            f"invalid topic name {name!r}: use 1-{MAX_TOPIC_NAME} letters, digits, '.', '_' or '-'"
        )
    return name


def place_replicas(
    partitions: int, replication_factor: int, brokers: list[int], rng: random.Random, first: int = 0
) -> list[list[int]]:
    """Kafka's rack-unaware placement: leaders round robin from a random broker, followers shifted.

    With brokers [1, 2, 3], start index 0 and shift 0, three partitions with RF 2 get
    [[1, 2], [2, 3], [3, 1]].
    """
    n = len(brokers)
    start = rng.randrange(n)
    shift = rng.randrange(n)
    out = []
    for p in range(first, first + partitions):
        if p > 0 and p % n == 0:
            shift += 1
        leader = (p + start) % n
        replicas = [brokers[leader]]
        for j in range(replication_factor - 1):
            replicas.append(brokers[(leader + 1 + (shift + j) % (n - 1)) % n])
        out.append(replicas)
    return out
