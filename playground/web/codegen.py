"""Code panel: the sandbox's spec as runnable Python for real brokers (pika, kafka-python).

`generate(spec)` gives two scripts: one declares the RabbitMQ exchanges, queues and
bindings and runs the consumers and producers with pika; the other creates the Kafka
topics and runs the group members and producers with kafka-python. Both take
`--seconds`, a `--prefix` for every name (so runs can share a broker) and `--cleanup`,
and end with a `RESULT {...}` JSON line of what was published and consumed.

The scripts are Django templates under `templates/codegen/`, rendered with autoescape
off (this is Python, not HTML); every value from the spec goes through the `pyrepr`
filter, which writes a Python literal, so no name, key or payload can break out of its
string. Leaves out Kafka broker faults, crashed consumers (not started) and
per-message state.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

from django.template import Context, Engine, Library

from sandbox.runtime.spec import normalize

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

register = Library()


@register.filter
def pyrepr(value: Any) -> str:
    """A Python literal for plain data; anything else becomes the literal of its text."""
    return repr(_literal(value))


def _literal(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): _literal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_literal(v) for v in value]
    return str(value)


@cache
def _engine() -> Engine:
    return Engine(
        dirs=[str(TEMPLATES)],
        autoescape=False,
        builtins=["playground.web.codegen"],
    )


def _render(name: str, context: dict[str, Any]) -> str:
    return _engine().get_template(f"codegen/{name}").render(Context(context, autoescape=False))


def pika_script(spec: dict[str, Any]) -> str:
    """A pika script that builds and drives the spec's RabbitMQ part."""
    s = normalize(spec)
    producers = [(n, _producer(p)) for n, p in s["producers"].items() if p["broker"] == "amqp"]
    consumers = [(t, c) for t, c in s["consumers"].items() if c.get("running", True)]
    context = {
        "exchanges": list(s["exchanges"].items()),
        "queues": list(s["queues"].items()),
        "bindings": s["bindings"],
        "consumers": consumers,
        "producers": producers,
        "counts": {
            "exchanges": len(s["exchanges"]),
            "queues": len(s["queues"]),
            "bindings": len(s["bindings"]),
            "consumers": len(consumers),
            "producers": len(producers),
        },
    }
    return _render("pika.py.tmpl", context)


def kafka_script(spec: dict[str, Any]) -> str:
    """A kafka-python script that builds and drives the spec's Kafka part."""
    s = normalize(spec)
    producers = [(n, _producer(p)) for n, p in s["producers"].items() if p["broker"] == "kafka"]
    groups = [
        (g, {**conf, "count": len(conf.get("members") or [])}) for g, conf in s["groups"].items()
    ]
    context = {
        "topics": list(s["topics"].items()),
        "groups": groups,
        "producers": producers,
        "counts": {
            "topics": len(s["topics"]),
            "members": sum(c["count"] for _, c in groups),
            "producers": len(producers),
        },
    }
    return _render("kafka.py.tmpl", context)


def _producer(p: dict[str, Any]) -> dict[str, Any]:
    return {
        **p,
        "key": p.get("key_pattern") or p.get("routing_key") or "",
        "payload": p.get("payload") or "",
        "headers": p.get("headers") or {},
        "rate": float(p.get("rate") or 1.0),
        "count": int(p.get("count") or 0),
        "priority": p.get("priority"),
        "expiration": p.get("expiration"),
        "mandatory": bool(p.get("mandatory")),
        "partition": p.get("partition"),
        "acks": p.get("acks", "all"),
        "enable_idempotence": p.get("enable_idempotence", True),
        "linger_ms": p.get("linger_ms", 0),
    }


def generate(spec: dict[str, Any]) -> dict[str, str]:
    """Both scripts: {"pika": source, "kafka": source}."""
    return {"pika": pika_script(spec), "kafka": kafka_script(spec)}
