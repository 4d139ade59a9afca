"""Scenario files: the JSON shape, its validation, and the gallery's list.

One file per scenario in `data/<slug>.json`:

    {"slug", "title", "summary", "concepts": [str], "brokers": ["amqp"|"kafka"],
     "real": {"rabbitmq": bool, "kafka": bool}, "seed": int,
     "topology": [command],
     "steps": [{"title", "text", "at": virtual seconds, "actions": [command],
                "watch": [node id], "claims": [claim]}]}

A command is a `sandbox.protocol` command dict; an action may add `"at"` (virtual
seconds, between the previous step's `at` and its own) to happen later than the start of
its step. A claim is `{"what": <claim name>, <its args>, "equals"|"at_least"|"at_most":
value, "says": sentence}`, optionally `"real": false` (not checked on a real broker) or
`"real": {"at_least": n}` (a looser comparison there). Validation names the file, the
place and the problem; it checks ops, claim names and args, times, and that every
watched node id names something the scenario declares. Leaves out checking commands'
own fields: the runtime refuses bad ones, and the gallery test runs every scenario.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import sandbox.scenarios.claims as claim_kinds
from sandbox import protocol

DATA = Path(__file__).parent / "data"
BROKERS = ("amqp", "kafka")
REAL_KINDS = ("rabbitmq", "kafka")
COMPARATORS = ("equals", "at_least", "at_most")
#: actions the runner performs itself (fault injection the protocol has no op for)
RUNNER_OPS = ("producer.lose_acks",)


class ScenarioError(ValueError):
    """A scenario file is missing or malformed; the message says where and why."""


@dataclass(frozen=True)
class Claim:
    """One checkable sentence: a measurement, a comparison, and the words for it."""

    what: str
    args: dict[str, Any]
    expect: dict[str, Any]  # comparator -> value
    says: str
    real: bool | dict[str, Any] = True  # False: simulator only; dict: looser comparison

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, **self.args, **self.expect, "says": self.says}


@dataclass(frozen=True)
class Step:
    """One narration step: what to read, when, what happens, what to watch and check."""

    index: int
    title: str
    text: str
    at: float
    actions: tuple[dict[str, Any], ...]
    watch: tuple[str, ...]
    claims: tuple[Claim, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "title": self.title,
            "text": self.text,
            "at": self.at,
            "watch": list(self.watch),
            "claims": [c.says for c in self.claims],
        }


@dataclass(frozen=True)
class Scenario:
    """A ready-made topology, a timeline of actions and the narration that explains it."""

    slug: str
    title: str
    summary: str
    concepts: tuple[str, ...]
    brokers: tuple[str, ...]
    real: dict[str, bool]
    seed: int
    topology: tuple[dict[str, Any], ...]
    steps: tuple[Step, ...] = field(default_factory=tuple)
    order: int = 0

    def meta(self) -> dict[str, Any]:
        """What the gallery shows (no topology or steps)."""
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "concepts": list(self.concepts),
            "brokers": list(self.brokers),
            "real": dict(self.real),
            "steps": len(self.steps),
            "order": self.order,
        }


def list_scenarios() -> list[dict[str, Any]]:
    """Every scenario's meta, in gallery order."""
    return [s.meta() for s in _all()]


def load(slug: str) -> Scenario:
    """The scenario named `slug` (ScenarioError if there is none or it is malformed)."""
    for scenario in _all():
        if scenario.slug == slug:
            return scenario
    raise ScenarioError(f"No scenario named {slug!r}.")


@cache
def _all() -> tuple[Scenario, ...]:
    scenarios = [load_file(path) for path in sorted(DATA.glob("*.json"))]
    return tuple(sorted(scenarios, key=lambda s: (s.order, s.slug)))


def load_file(path: Path) -> Scenario:
    """Read and validate one scenario file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path.name}: cannot read it as JSON: {exc}") from None
    return parse(raw, where=path.name, order=_order_from(path.name))


def _order_from(filename: str) -> int:
    head = filename.split("-", 1)[0]
    return int(head) if head.isdigit() else 999


def parse(raw: Any, where: str = "scenario", order: int = 0) -> Scenario:
    """Validate a scenario dict and build a `Scenario` (ScenarioError naming the place)."""
    c = _Checker(where)
    c.obj(raw, "", ("slug", "title", "summary", "concepts", "brokers", "real", "seed",
                    "topology", "steps"))  # fmt: skip
    brokers = c.strings(raw["brokers"], "brokers", BROKERS)
    real = raw["real"]
    c.obj(real, "real", REAL_KINDS)
    for kind in REAL_KINDS:
        c.bool(real[kind], f"real.{kind}")
    if not isinstance(raw["seed"], int) or isinstance(raw["seed"], bool):
        c.fail("seed", "must be a whole number")
    topology = c.commands(raw["topology"], "topology")
    if not isinstance(raw["steps"], list) or not 1 <= len(raw["steps"]) <= 8:
        c.fail("steps", "must list 1 to 8 steps")
    names = _declared(topology + [a for s in raw["steps"] for a in _list(s, "actions")])
    steps, previous = [], 0.0
    for i, step in enumerate(raw["steps"]):
        steps.append(_step(c, step, f"steps[{i}]", i, previous, names))
        previous = steps[-1].at
    return Scenario(
        slug=c.text(raw["slug"], "slug"),
        title=c.text(raw["title"], "title"),
        summary=c.text(raw["summary"], "summary"),
        concepts=tuple(c.strings(raw["concepts"], "concepts")),
        brokers=tuple(brokers),
        real={k: real[k] for k in REAL_KINDS},
        seed=raw["seed"],
        topology=tuple(topology),
        steps=tuple(steps),
        order=order,
    )


def _list(obj: Any, key: str) -> list:
    value = obj.get(key, []) if isinstance(obj, dict) else []
    return value if isinstance(value, list) else []


def _step(c: _Checker, raw: Any, at: str, index: int, previous: float, names: set) -> Step:
    c.obj(raw, at, ("title", "text", "at", "actions", "watch", "claims"))
    when = raw["at"]
    if not isinstance(when, int | float) or isinstance(when, bool) or when < previous:
        c.fail(f"{at}.at", f"must be a number of virtual seconds, at least {previous:g}")
    actions = c.commands(raw["actions"], f"{at}.actions")
    for k, action in enumerate(actions):
        t = action.get("at", previous)
        if not isinstance(t, int | float) or not previous <= t <= when:
            c.fail(f"{at}.actions[{k}].at", f"must be from {previous:g} to {when:g}")
    watch = c.strings(raw["watch"], f"{at}.watch")
    for node in watch:
        problem = _node_problem(node, names)
        if problem:
            c.fail(f"{at}.watch", f"{node!r}: {problem}")
    if not isinstance(raw["claims"], list) or not raw["claims"]:
        c.fail(f"{at}.claims", "must list at least one claim")
    claims = tuple(_claim(c, cl, f"{at}.claims[{k}]") for k, cl in enumerate(raw["claims"]))
    return Step(
        index=index,
        title=c.text(raw["title"], f"{at}.title"),
        text=c.text(raw["text"], f"{at}.text"),
        at=float(when),
        actions=tuple(actions),
        watch=tuple(watch),
        claims=claims,
    )


def _claim(c: _Checker, raw: Any, at: str) -> Claim:
    if not isinstance(raw, dict):
        c.fail(at, "must be an object")
    what = raw.get("what")
    if what not in claim_kinds.CLAIMS:
        known = ", ".join(sorted(claim_kinds.CLAIMS))
        c.fail(f"{at}.what", f"unknown claim {what!r} (known: {known})")
    spec = claim_kinds.CLAIMS[what]
    says = raw.get("says")
    if not isinstance(says, str) or not says.strip():
        c.fail(f"{at}.says", "must be a sentence")
    expect = {k: raw[k] for k in COMPARATORS if k in raw}
    if not expect:
        c.fail(at, "needs one of equals, at_least, at_most")
    for k in ("at_least", "at_most"):
        if k in expect and not isinstance(expect[k], int | float):
            c.fail(f"{at}.{k}", "must be a number")
    args = {k: v for k, v in raw.items() if k not in (*COMPARATORS, "what", "says", "real")}
    missing = [a for a in spec.required if a not in args]
    unknown = [a for a in args if a not in spec.required + spec.optional]
    if missing:
        c.fail(at, f"claim {what!r} needs {', '.join(missing)}")
    if unknown:
        allowed = ", ".join(spec.required + spec.optional)
        c.fail(at, f"claim {what!r} does not take {', '.join(unknown)} (it takes: {allowed})")
    real = raw.get("real", True)
    if isinstance(real, dict):
        if not real or any(k not in COMPARATORS for k in real):
            c.fail(f"{at}.real", "must hold equals, at_least or at_most")
    elif not isinstance(real, bool):
        c.fail(f"{at}.real", "must be true, false or a looser comparison")
    return Claim(what=what, args=args, expect=expect, says=says, real=real)


def _declared(commands: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(node prefix, name) for everything the commands create, by the protocol's id scheme."""
    names: set[tuple[str, str]] = {("x", "")}
    for cmd in commands:
        op = cmd.get("op")
        if op == "exchange.declare":
            names.add(("x", cmd.get("name", "")))
        elif op == "queue.declare":
            names.add(("q", cmd.get("name", "")))
        elif op == "consumer.add":
            names.add(("c", cmd.get("tag") or f"{cmd.get('queue')}-c1"))
        elif op == "producer.add":
            names.add(("p", cmd.get("name", "")))
        elif op == "topic.create":
            names.add(("t", cmd.get("name", "")))
            for p in range(int(cmd.get("partitions", 1))):
                names.add(("tp", f"{cmd.get('name')}:{p}"))
        elif op == "topic.partitions":
            for p in range(int(cmd.get("total", 1))):
                names.add(("tp", f"{cmd.get('name')}:{p}"))
        elif op == "group.add":
            group = cmd.get("group_id", "")
            names.add(("g", group))
            for k in range(1, int(cmd.get("members", 1)) + 1):
                names.add(("m", f"{group}-{k}"))
        elif op == "member.add":
            group = cmd.get("group_id", "")
            taken = sum(1 for kind, n in names if kind == "m" and n.startswith(f"{group}-"))
            names.add(("m", f"{group}-{taken + 1}"))
    return names


def _node_problem(node: str, names: set[tuple[str, str]]) -> str:
    prefix, sep, name = node.partition(":")
    if not sep or prefix not in ("p", "x", "q", "c", "t", "tp", "g", "m"):
        return "not a node id (p:, x:, q:, c:, t:, tp:<topic>:<n>, g:, m:)"
    if (prefix, name) not in names:
        return "names nothing this scenario declares"
    return ""


class _Checker:
    """Small typed checks that raise ScenarioError naming the file and the place."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, at: str, problem: str) -> None:
        place = f"{self.where}: {at}" if at else self.where
        raise ScenarioError(f"{place}: {problem}")

    def obj(self, value: Any, at: str, keys: tuple[str, ...]) -> None:
        if not isinstance(value, dict):
            self.fail(at, "must be an object")
        missing = [k for k in keys if k not in value]
        if missing:
            self.fail(at, f"missing {', '.join(missing)}")

    def bool(self, value: Any, at: str) -> None:
        if not isinstance(value, bool):
            self.fail(at, "must be true or false")

    def text(self, value: Any, at: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(at, "must be non-empty text")
        return value

    def strings(self, value: Any, at: str, allowed: tuple[str, ...] | None = None) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(at, "must be a list of strings")
        if allowed is not None:
            bad = [v for v in value if v not in allowed]
            if bad or not value:
                self.fail(at, f"must list some of {', '.join(allowed)}")
        return list(value)

    def commands(self, value: Any, at: str) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            self.fail(at, "must be a list of commands")
        for k, cmd in enumerate(value):
            if not isinstance(cmd, dict) or "op" not in cmd:
                self.fail(f"{at}[{k}]", 'must be a command object with an "op"')
            if cmd["op"] not in protocol.ALL_OPS + RUNNER_OPS:
                self.fail(f"{at}[{k}].op", f"unknown op {cmd['op']!r}")
        return list(value)
