"""RabbitMQ `definitions.json`: import into a sandbox spec, export a spec back.

Import reads exchanges, queues (with arguments), bindings (queue and exchange
destinations, header tables) and policies. The simulator has no policies, so each
queue's (or exchange's) *effective* arguments are computed the way RabbitMQ does and
stored on the entity: among the policies whose `pattern` (a regular expression, searched
anywhere in the name) matches and whose `apply-to` covers the entity, the one with the
highest `priority` wins — only one policy applies, its definition is not merged with
lower ones (ties: RabbitMQ's pick follows its internal table order, so the first in the
file is used and the user is told). `apply-to` is queues, exchanges or all, as in 3.10;
the 3.12+ values classic_queues/quorum_queues/streams are refused. Where a
policy key and a queue argument both set a limit (`message-ttl`, `expires`,
`max-length`, `max-length-bytes`, `delivery-limit`) the smaller wins; for
`dead-letter-exchange`, `dead-letter-routing-key` and `overflow` the queue's own argument
wins, key by key (a queue's own dead-letter-exchange with the policy's routing key is
what 3.10 uses); an exchange's own `alternate-exchange` argument wins over a policy's.
All of these were checked on RabbitMQ 3.10.8. A queue whose own arguments have
`x-dead-letter-routing-key` without `x-dead-letter-exchange` is refused, as 3.10 refuses
to declare it. Other policy keys (ha-*, queue-mode, federation...) are ignored with a
notice, as are users, permissions, password hashes, parameters and operator policies.

Policy patterns are evaluated with RE2 (google-re2), whose matching time is linear in
the name: Python's backtracking `re` took seconds on `(a+)+$` against a 27-character
queue name, on the thread every sync view shares. A pattern RE2 cannot compile
(backreferences, lookaround) is refused with a message naming the policy, and so is a
counted repetition above RE2's 1000 (RabbitMQ's PCRE stops at 65535). A queue's
`x-queue-type` must be one of the three types before any policy is looked up for it.

One virtual host is read: "/" when the file has it, else the only one, else the one
asked for. The result is checked by replaying it as commands on a fresh runtime
(`sandbox.files.sandbox_json.replay`), so an import either gives a whole valid spec or a
`FileRefused` with a message, and changes nothing by itself. Export writes the spec's
RabbitMQ part with the effective arguments and no policies; exclusive queues are left
out, as RabbitMQ's own export does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import re2

from brokers.amqp.validation import EXCHANGE_TYPES, MAX_NAME_BYTES, QUEUE_TYPES
from sandbox.files.sandbox_json import FileRefused, parse_json, replay
from sandbox.runtime import Caps
from sandbox.runtime.json_values import shown
from sandbox.runtime.spec import normalize, topology

#: policy key -> (queue argument, how a queue argument and the policy combine)
QUEUE_POLICY_KEYS: dict[str, tuple[str, str]] = {
    "message-ttl": ("x-message-ttl", "min"),
    "expires": ("x-expires", "min"),
    "max-length": ("x-max-length", "min"),
    "max-length-bytes": ("x-max-length-bytes", "min"),
    "delivery-limit": ("x-delivery-limit", "min"),
    "overflow": ("x-overflow", "argument"),
    "dead-letter-exchange": ("x-dead-letter-exchange", "argument"),
    "dead-letter-routing-key": ("x-dead-letter-routing-key", "argument"),
    "max-age": ("x-max-age", "argument"),
}
#: which queue types each argument means something for
_FOR_TYPES = {
    "x-delivery-limit": {"quorum"},
    "x-max-age": {"stream"},
    "x-message-ttl": {"classic", "quorum"},
    "x-expires": {"classic", "quorum"},
    "x-max-length": {"classic", "quorum"},
    "x-overflow": {"classic", "quorum"},
    "x-dead-letter-exchange": {"classic", "quorum"},
    "x-dead-letter-routing-key": {"classic", "quorum"},
}
#: the apply-to values RabbitMQ 3.10 accepts (checked on 3.10.8, which refuses the
#: 3.12+ values "classic_queues", "quorum_queues" and "streams")
APPLY_TO = {
    "queues": {"queue"},
    "exchanges": {"exchange"},
    "all": {"queue", "exchange"},
}
APPLY_TO_LATER = ("classic_queues", "quorum_queues", "streams")
IGNORED_SECTIONS = (
    "users",
    "permissions",
    "topic_permissions",
    "parameters",
    "global_parameters",
    "operator_policies",
)


@dataclass(frozen=True)
class DefinitionsImport:
    """A checked import: the spec to build and what the user should be told."""

    spec: dict[str, Any]
    notices: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def import_definitions(
    data: bytes | str,
    base: dict[str, Any] | None = None,
    vhost: str | None = None,
    caps: Caps | None = None,
) -> DefinitionsImport:
    """Read a definitions.json upload over `base` (the current spec); or FileRefused."""
    doc = parse_json(data, "definitions file")
    if not isinstance(doc, dict):
        raise FileRefused("A definitions file is a JSON object with queues, exchanges, ...")
    notices: list[str] = []
    chosen = _pick_vhost(doc, vhost, notices)
    _note_ignored(doc, notices)
    items = {k: _items(doc, k, chosen) for k in ("exchanges", "queues", "bindings", "policies")}
    policies = _policies(items["policies"])
    spec = topology(base)  # only the topology replays; other state stays behind
    skipped = _read_exchanges(items["exchanges"], policies, spec, notices)
    _read_queues(items["queues"], policies, spec, notices)
    _read_bindings(items["bindings"], skipped, spec)
    checked = replay(spec, caps=caps)
    counts = {k: len(items[k]) for k in items}
    return DefinitionsImport(checked, notices, counts)


def _pick_vhost(doc: dict, wanted: str | None, notices: list[str]) -> str:
    raw = doc.get("vhosts", [])
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        raise FileRefused("'vhosts' must be a list of objects with a name.")
    names = [v.get("name") for v in raw]
    if wanted is not None:
        if names and wanted not in names:
            raise FileRefused(f"The file has no virtual host {wanted!r} (it has {names}).")
        chosen = wanted
    elif not names or "/" in names:
        chosen = "/"
    elif len(names) == 1:
        chosen = names[0]
    else:
        raise FileRefused(
            f"The file defines several virtual hosts ({', '.join(map(repr, names))}) and "
            "none is '/'; choose which one to import."
        )
    others = [n for n in names if n != chosen]
    if others:
        notices.append(
            f"Imported virtual host {chosen!r} only; {', '.join(map(repr, others))} ignored."
        )
    return chosen


def _note_ignored(doc: dict, notices: list[str]) -> None:
    present = [k for k in IGNORED_SECTIONS if doc.get(k)]
    if present:
        notices.append(
            f"Ignored {', '.join(present)}: a sandbox has no users, permissions or password "
            "hashes, and nothing from them was kept."
        )


def _items(doc: dict, key: str, vhost: str) -> list[dict]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise FileRefused(f"{key!r} must be a list of objects.")
    return [v for v in value if v.get("vhost", vhost) == vhost]


def _name(kind: str, value: Any, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not allow_empty):
        raise FileRefused(f"Every {kind} needs a name (text); found {value!r}.")
    if len(value.encode("utf-8")) > MAX_NAME_BYTES:
        raise FileRefused(
            f"The {kind} name {value[:40]!r}... is longer than {MAX_NAME_BYTES} bytes."
        )
    return value


def _table(kind: str, name: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FileRefused(f"The arguments of {kind} {name!r} must be an object.")
    return dict(value)


def _flag(kind: str, name: str, item: dict, key: str, default: bool) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise FileRefused(f"{key!r} of {kind} {name!r} must be true or false.")
    return value


# -- policies ------------------------------------------------------------------------
MAX_PATTERN = 1000  # characters in a policy pattern
MAX_REPEAT = 1000  # RE2's largest counted repetition, e.g. a{1000}
_RE2 = re2.Options()
_RE2.log_errors = False  # a refused pattern is the user's message, not a log line
_COUNT = re.compile(r"\{([0-9]+)(?:,([0-9]*))?\}", re.ASCII)


@dataclass(frozen=True)
class Policy:
    name: str
    pattern: Any  # a compiled RE2 pattern: `search(text)` in time linear in the text
    apply_to: str
    priority: int
    definition: dict[str, Any]


def compile_pattern(policy: str, pattern: Any) -> Any:
    """A policy's pattern compiled with RE2, or FileRefused saying why not."""
    if not isinstance(pattern, str):
        raise FileRefused(f"Policy {policy!r} has a bad pattern: it must be text.")
    if len(pattern) > MAX_PATTERN:
        raise FileRefused(f"Policy {policy!r} has a pattern longer than {MAX_PATTERN} characters.")
    count = largest_count(pattern)
    if count > MAX_REPEAT:
        raise FileRefused(
            f"Policy {policy!r} has a bad pattern: it repeats something {count:,} times; "
            f"here at most {MAX_REPEAT} (RE2's limit; RabbitMQ's own stops at 65,535)."
        )
    try:
        return re2.compile(pattern, options=_RE2)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args else "refused"
        raise FileRefused(
            f"Policy {policy!r} has a bad pattern {shown(pattern)!r}: {detail}. Patterns are "
            "evaluated in linear time (RE2), which has no backreferences or lookaround."
        ) from None


def largest_count(pattern: str) -> int:
    """The largest n in a counted repetition {n}, {n,} or {n,m} of `pattern` (0: none),
    skipping escapes and character classes, where braces are literal."""
    largest, i, n, in_class = 0, 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += 1
            i += pattern.startswith("^", i)
            i += pattern.startswith("]", i)  # "[]" and "[^]" start with a literal "]"
            continue
        elif ch == "{" and (m := _COUNT.match(pattern, i)):
            largest = max(largest, int(m[1]), int(m[2] or 0))
        i += 1
    return largest


def _policies(raw: list[dict]) -> list[Policy]:
    out = []
    for p in raw:
        name = _name("policy", p.get("name"))
        pattern = compile_pattern(name, p.get("pattern", ""))
        apply_to = p.get("apply-to", "all")
        if not isinstance(apply_to, str):
            raise FileRefused(f"Policy {name!r}: apply-to must be one of {', '.join(APPLY_TO)}.")
        if apply_to in APPLY_TO_LATER:
            raise FileRefused(
                f"Policy {name!r}: apply-to {apply_to!r} needs RabbitMQ 3.12 or later; "
                "3.10 accepts queues, exchanges or all."
            )
        if apply_to not in APPLY_TO:
            raise FileRefused(f"Policy {name!r}: apply-to must be one of {', '.join(APPLY_TO)}.")
        priority = p.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise FileRefused(f"Policy {name!r}: priority must be a whole number.")
        definition = p.get("definition")
        if not isinstance(definition, dict):
            raise FileRefused(f"Policy {name!r} needs a definition object.")
        out.append(Policy(name, pattern, apply_to, priority, definition))
    return out


def winning_policy(
    policies: list[Policy], name: str, kind: str, notices: list[str] | None = None
) -> Policy | None:
    """The one policy RabbitMQ applies to entity `name` of `kind` (a queue type or
    "exchange"): the highest priority among those matching. RabbitMQ breaks a tie by
    its internal table order (neither file order nor name order), so a tie goes to the
    first in the file and, when `notices` is given, the user is told."""
    target = "exchange" if kind == "exchange" else "queue"
    matching = [p for p in policies if target in APPLY_TO[p.apply_to] and p.pattern.search(name)]
    if not matching:
        return None
    top = max(p.priority for p in matching)
    best = [p for p in matching if p.priority == top]
    if len(best) > 1 and notices is not None:
        _once(notices, f"Policies {', '.join(repr(p.name) for p in best)} tie at priority {top} "
                       f"for {target} {name!r}; RabbitMQ's pick in a tie is not defined by "
                       f"the file, {best[0].name!r} (first in the file) was applied.")  # fmt: skip
    return best[0]


def effective_queue_arguments(
    arguments: dict[str, Any], policy: Policy | None, queue_type: str, notices: list[str]
) -> dict[str, Any]:
    """A queue's own arguments combined with its policy, as RabbitMQ resolves them."""
    args = dict(arguments)
    if policy is None:
        return args
    for key, value in policy.definition.items():
        if key not in QUEUE_POLICY_KEYS:
            _once(notices, f"Policy {policy.name!r}: key {key!r} has no effect here; ignored.")
            continue
        arg, combine = QUEUE_POLICY_KEYS[key]
        if queue_type not in _FOR_TYPES.get(arg, {queue_type}):
            continue  # RabbitMQ ignores it for this queue type too
        if arg not in args:
            args[arg] = value
        elif combine == "min" and _is_int(value) and _is_int(args[arg]):
            args[arg] = min(args[arg], value)
    return args


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _once(notices: list[str], text: str) -> None:
    if text not in notices:
        notices.append(text)


# -- entities ------------------------------------------------------------------------
def _read_exchanges(raw: list[dict], policies: list[Policy], spec: dict, notes: list) -> set:
    skipped: set[str] = set()
    for x in raw:
        name = _name("exchange", x.get("name"))
        xtype = x.get("type", "direct")
        if name.startswith("amq."):
            continue  # built in; bindings from them are kept
        if xtype not in EXCHANGE_TYPES:
            skipped.add(name)
            notes.append(f"Exchange {name!r} has plugin type {xtype!r}; skipped with its bindings.")
            continue
        args = _table("exchange", name, x.get("arguments"))
        policy = winning_policy(policies, name, "exchange", notes)
        if policy and "alternate-exchange" in policy.definition:
            args.setdefault("alternate-exchange", policy.definition["alternate-exchange"])
        spec["exchanges"][name] = {
            "type": xtype,
            "durable": _flag("exchange", name, x, "durable", True),
            "auto_delete": _flag("exchange", name, x, "auto_delete", False),
            "internal": _flag("exchange", name, x, "internal", False),
            "arguments": args,
        }
    return skipped


def _read_queues(raw: list[dict], policies: list[Policy], spec: dict, notes: list) -> None:
    applied: dict[str, int] = {}
    for q in raw:
        name = _name("queue", q.get("name"))
        args = _table("queue", name, q.get("arguments"))
        if "x-dead-letter-routing-key" in args and "x-dead-letter-exchange" not in args:
            raise FileRefused(
                f"Queue {name!r} has x-dead-letter-routing-key but no x-dead-letter-exchange; "
                "RabbitMQ refuses to declare it (routing_key_but_no_dlx_defined)."
            )
        qtype = args.get("x-queue-type", "classic")
        if not isinstance(qtype, str) or qtype not in QUEUE_TYPES:
            raise FileRefused(
                f"Queue {shown(name)!r}: x-queue-type must be one of {', '.join(QUEUE_TYPES)}; "
                f"found {shown(repr(qtype))}."
            )
        policy = winning_policy(policies, name, qtype, notes)
        if policy is not None:
            applied[policy.name] = applied.get(policy.name, 0) + 1
        spec["queues"][name] = {
            "durable": _flag("queue", name, q, "durable", True),
            "exclusive": False,
            "auto_delete": _flag("queue", name, q, "auto_delete", False),
            "arguments": effective_queue_arguments(args, policy, qtype, notes),
        }
    for name, count in applied.items():
        notes.append(f"Policy {name!r} applied to {count} queue(s); its settings are now "
                     "the queues' arguments.")  # fmt: skip


def _read_bindings(raw: list[dict], skipped: set[str], spec: dict) -> None:
    for b in raw:
        source = _name("binding source", b.get("source"), allow_empty=True)
        destination = _name("binding destination", b.get("destination"))
        kind = b.get("destination_type", "queue")
        if kind not in ("queue", "exchange"):
            raise FileRefused(f"Binding to {destination!r}: destination_type must be queue or "
                              "exchange.")  # fmt: skip
        key = b.get("routing_key", "")
        if not isinstance(key, str):
            raise FileRefused(f"Binding to {destination!r}: routing_key must be text.")
        if source in skipped or (kind == "exchange" and destination in skipped):
            continue
        binding = {
            "source": source,
            "destination": destination,
            "destination_type": kind,
            "routing_key": key,
            "arguments": _table("binding to", destination, b.get("arguments")),
        }
        if source != "" and binding not in spec["bindings"]:
            spec["bindings"].append(binding)


# -- export --------------------------------------------------------------------------
def export_definitions(spec: dict[str, Any], rabbit_version: str = "3.10.8") -> dict[str, Any]:
    """The spec's RabbitMQ part as a definitions.json document for vhost "/"."""
    s = normalize(spec)
    return {
        "rabbit_version": rabbit_version,
        "rabbitmq_version": rabbit_version,
        "product_name": "RabbitMQ",
        "product_version": rabbit_version,
        "users": [],
        "vhosts": [{"name": "/"}],
        "permissions": [],
        "topic_permissions": [],
        "parameters": [],
        "global_parameters": [],
        "policies": [],
        "queues": [
            {"name": name, "vhost": "/", "durable": q.get("durable", True),
             "auto_delete": q.get("auto_delete", False), "arguments": q.get("arguments") or {}}
            for name, q in s["queues"].items()
            if not q.get("exclusive")
        ],
        "exchanges": [
            {"name": name, "vhost": "/", "type": x["type"], "durable": x.get("durable", True),
             "auto_delete": x.get("auto_delete", False), "internal": x.get("internal", False),
             "arguments": x.get("arguments") or {}}
            for name, x in s["exchanges"].items()
        ],
        "bindings": [
            {"source": b["source"], "vhost": "/", "destination": b["destination"],
             "destination_type": b["destination_type"], "routing_key": b["routing_key"],
             "arguments": b.get("arguments") or {}}
            for b in s["bindings"]
            if not _to_exclusive(b, s)
        ],
    }  # fmt: skip


def _to_exclusive(b: dict[str, Any], spec: dict[str, Any]) -> bool:
    q = spec["queues"].get(b["destination"]) if b["destination_type"] == "queue" else None
    return bool(q and q.get("exclusive"))
