"""An agent: one message template published at a steady rate on the virtual clock.

Message k (from 0) is published at `start + k / rate` virtual seconds, scheduled on the
host's clock, so a run is the same whatever the tick sizes. Keys and payloads are
templates (`sandbox.runtime.placeholders`) expanded with an RNG seeded from the sandbox
seed and the producer's name. When the sandbox is full the agent is *blocked* (it skips
its turn, as RabbitMQ blocks publishers on a resource alarm); on a real broker that went
away it is *disconnected* and tries again every RETRY_AFTER seconds; any other refusal
stops it with the broker's words as its error. The agent reaches the runtime only
through `AgentHost`. Leaves out bursts smoother than one timer per message.
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from brokers.amqp.api import Properties
from brokers.clock import Clock, Timer
from brokers.errors import BrokerError, Disconnected
from sandbox.runtime.fields import CommandError
from sandbox.runtime.placeholders import TemplateError, compile_template, render

RETRY_AFTER = 1.0  # seconds between a disconnected agent's tries


class AgentHost(Protocol):
    """What an agent uses of the runtime that owns it."""

    seed: int
    clock: Clock

    def full(self) -> bool: ...
    def publish_message(self, conf: dict[str, Any], key: str, body: str, publisher: str) -> str: ...
    def agent_finished(self, agent: Agent) -> None: ...


class Agent:
    """Publishes one message template at a steady virtual rate."""

    def __init__(self, rt: AgentHost, name: str, conf: dict[str, Any], publisher: str):
        self.rt = rt
        self.name = name
        self.conf = conf
        self.publisher = publisher
        self.key = _compile(conf["key_pattern"] or conf["routing_key"], "key_pattern", False)
        self.payload = _compile(conf["payload"], "payload", True)
        self.rng = random.Random(f"{rt.seed}:producer:{name}")
        self.sent = 0
        self.state = "stopped"  # running, blocked, disconnected, done, error
        self.error = ""
        self._k = 0
        self._start = 0.0
        self._timer: Timer | None = None

    @property
    def rate(self) -> float:
        return float(self.conf.get("rate") or 0)

    @property
    def active(self) -> bool:
        return self.state in ("running", "blocked", "disconnected")

    def start(self) -> None:
        """Begin (again) from now: the first message goes out at once."""
        self.stop()
        self.state, self.error = "running", ""
        self._k, self._start = 0, self.rt.clock.now
        self._timer = self.rt.clock.at(self._start, self._fire)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.active:
            self.state = "stopped"

    def publish_next(self) -> str:
        """Expand the templates for the next message and publish it; returns its id."""
        n = self.sent + 1
        now = self.rt.clock.now
        key = render(self.key, n, "", self.rng, now)
        body = render(self.payload, n, key, self.rng, now)
        msg = self.rt.publish_message(self.conf, key, body, self.publisher)
        self.sent = n
        return msg

    def _fire(self) -> None:
        self._timer = None
        count = int(self.conf.get("count") or 0)
        if self.rt.full():
            self.state = "blocked"
        else:
            try:
                self.publish_next()
            except Disconnected as exc:  # the broker comes back: try again, then go on
                self.state, self.error = "disconnected", exc.message
                self._k, self._start = 0, self.rt.clock.now + RETRY_AFTER
                self._timer = self.rt.clock.at(self._start, self._fire)
                return
            except BrokerError as exc:
                self.state, self.error = "error", exc.message
                return
            self.state, self.error = "running", ""
        if count and self.sent >= count:
            self.state = "done"
            self.rt.agent_finished(self)
            return
        self._k += 1
        self._timer = self.rt.clock.at(self._start + self._k / self.rate, self._fire)

    def describe(self) -> dict[str, Any]:
        c = self.conf
        return {
            "name": self.name,
            "broker": c["broker"],
            "target": c["target"],
            "rate": self.rate,
            "count": int(c.get("count") or 0),
            "sent": self.sent,
            "state": self.state,
            "error": self.error,
        }


def _compile(text: str, field: str, allow_key: bool) -> list:
    try:
        return compile_template(text, allow_key)
    except TemplateError as exc:
        raise CommandError(str(exc), field) from None


def properties(conf: dict[str, Any]) -> Properties:
    """pika-style basic properties from a message template."""
    return Properties(
        headers=dict(conf.get("headers") or {}),
        priority=conf.get("priority"),
        expiration=conf.get("expiration"),
    )
