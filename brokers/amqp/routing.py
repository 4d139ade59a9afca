"""Exchanges and bindings: how RabbitMQ picks destinations for one routing key.

Models the four exchange types: direct (exact key, a dict lookup), fanout (every
binding), topic (a trie over words, as RabbitMQ's own topic trie: `*` is exactly one
word, `#` zero or more, and the empty key has zero words), and headers (`x-match`
all/any, with or without `x-` headers, values compared with their AMQP type class; a
void (None) binding value only asks that the header be present).
Each match comes with a reason in words. The walk across exchange-to-exchange bindings
and alternate exchanges lives in `brokers.amqp.model`; this module answers for one
exchange. Leaves out the consistent-hash and other plugin exchange types, and
sender-selected distribution (CC/BCC headers).
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass, field
from typing import Any

from brokers.amqp.events import Match


def freeze(value: Any) -> Any:
    """A hashable stand-in for an argument table, so bindings can be compared."""
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return (type_class(value), value)


@dataclass(eq=False)
class Binding:
    """A binding from exchange `source` to a queue or exchange."""

    source: str
    destination: str
    destination_type: str  # "queue" or "exchange"
    routing_key: str
    arguments: dict = field(default_factory=dict)
    _fixed: Match | None = field(default=None, repr=False)
    _by_key: dict[str, Match] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> tuple:
        """Identity as RabbitMQ sees it: endpoints, key and arguments."""
        return (
            self.destination_type,
            self.destination,
            self.routing_key,
            freeze(self.arguments),
        )

    def match(self, reason: str) -> Match:
        """This binding as a routing match; the same reason gives the same shared record."""
        m = self._fixed
        if m is None or m.reason != reason:
            m = self._fixed = Match(
                self.source, self.destination, self.destination_type, self.routing_key, reason
            )
        return m

    def topic_match(self, key: str) -> Match:
        """A topic match with its word-by-word reason, remembered for recent keys."""
        m = self._by_key.get(key)
        if m is None:
            m = self.match(explain_topic(self.routing_key, key))
            if len(self._by_key) >= 256:  # bounded: keys are open-ended
                self._by_key.clear()
            self._by_key[key] = m
        return m

    def describe(self) -> dict[str, Any]:
        """Plain data for the live view."""
        return {
            "source": self.source,
            "destination": self.destination,
            "destination_type": self.destination_type,
            "routing_key": self.routing_key,
            "arguments": dict(self.arguments),
        }


# -- topic ---------------------------------------------------------------------------
def topic_words(key: str) -> list[str]:
    """Split a routing key into words; the empty key has zero words, as in RabbitMQ."""
    return key.split(".") if key else []


class _Node:
    __slots__ = ("words", "star", "hash", "bindings", "loops", "remember", "_hashes")

    def __init__(self, hashes: int = 0) -> None:
        self.words: dict[str, _Node] = {}
        self.star: _Node | None = None
        self.hash: _Node | None = None
        self.bindings: list[Binding] = []
        #: reached through a `#`: may take more words and stay here
        self.loops = False
        #: two `#` or more on the way here: several walks can reach it at one key word
        self.remember = hashes >= 2
        self._hashes = hashes

    def child(self, word: str) -> _Node:
        if word == "*":
            self.star = self.star or _Node(self._hashes)
            return self.star
        if word == "#":
            if self.hash is None:
                self.hash = _Node(self._hashes + 1)
                self.hash.loops = True
            return self.hash
        return self.words.setdefault(word, _Node(self._hashes))

    def empty(self) -> bool:
        return not (self.words or self.star or self.hash or self.bindings)


class TopicTrie:
    """Topic bindings in a trie keyed by pattern words.

    Matching costs follow the key's words, not the number of bindings. The walk visits
    each (trie node, key word) state at most once, so a pattern with many `#` costs at
    most nodes x (words + 1) visits, not one per way of splitting the key among them
    (`#.#.#.#.#.z` against 85 words took seconds that way). Only states below two `#`
    or more can be reached twice, so only those are remembered.
    """

    def __init__(self) -> None:
        self.root = _Node()

    def add(self, binding: Binding) -> None:
        """Insert a binding under its pattern's words."""
        node = self.root
        for word in topic_words(binding.routing_key):
            node = node.child(word)
        node.bindings.append(binding)

    def remove(self, binding: Binding) -> None:
        """Remove a binding and prune branches left empty."""
        path = [self.root]
        words = topic_words(binding.routing_key)
        for word in words:
            node = path[-1]
            nxt = node.star if word == "*" else node.hash if word == "#" else node.words.get(word)
            if nxt is None:
                return
            path.append(nxt)
        path[-1].bindings.remove(binding)
        for depth in range(len(words), 0, -1):
            node, parent, word = path[depth], path[depth - 1], words[depth - 1]
            if not node.empty():
                break
            if word == "*":
                parent.star = None
            elif word == "#":
                parent.hash = None
            else:
                del parent.words[word]

    def match(self, key: str) -> list[Binding]:
        """Bindings whose pattern matches `key` (each once, in trie order)."""
        out: list[Binding] = []
        _walk(self.root, topic_words(key), 0, out, set())
        if len(out) > 1:
            out = list(dict.fromkeys(out))
        return out


def _walk(node: _Node, words: list[str], i: int, out: list[Binding], seen: set) -> None:
    if node.remember:
        state = (id(node), i)
        if state in seen:  # everything reachable from here was found the first time
            return
        seen.add(state)
    n = len(words)
    if i == n and node.bindings:
        out.extend(node.bindings)
    if node.hash is not None:  # `#` taking no word; it takes more by looping, below
        _walk(node.hash, words, i, out, seen)
    if i < n:
        nxt = node.words.get(words[i])
        if nxt is not None:
            _walk(nxt, words, i + 1, out, seen)
        if node.star is not None:
            _walk(node.star, words, i + 1, out, seen)
        if node.loops:  # last, so bindings come in the order of the exhaustive walk
            _walk(node, words, i + 1, out, seen)


def explain_topic(pattern: str, key: str) -> str:
    """Which pattern words took which key words, e.g. "a=a *=b #=c.d"."""
    pairs = align_words(topic_words(pattern), topic_words(key))
    if pairs is None:
        return f"pattern {pattern!r} does not match {key!r}"
    shown = " ".join(f"{p}={'.'.join(ws) if ws else '(nothing)'}" for p, ws in pairs)
    return f"pattern {pattern!r} matches {key!r}: {shown}" if pairs else "empty pattern, empty key"


def align_words(
    pattern: list[str], words: list[str], failed: set[tuple[int, int]] | None = None
) -> list[tuple[str, list[str]]] | None:
    """Each pattern word with the key words it takes (each `#` as few as it can), or None.

    `failed` collects the (pattern word, key word) positions found not to align, each
    tried once: the cost is at most (pattern words + 1) x (key words + 1) positions.
    """
    return _align(pattern, words, 0, 0, set() if failed is None else failed)


def _align(p: list[str], w: list[str], i: int, j: int, failed: set) -> list | None:
    if (i, j) in failed:
        return None
    found = _align_here(p, w, i, j, failed)
    if found is None:
        failed.add((i, j))
    return found


def _align_here(p: list[str], w: list[str], i: int, j: int, failed: set) -> list | None:
    if i == len(p):
        return [] if j == len(w) else None
    head = p[i]
    if head == "#":
        tail = _align(p, w, i + 1, j, failed)  # `#` takes no more words
        if tail is not None:
            return [(head, []), *tail]
        if j < len(w):  # `#` takes w[j], and perhaps more
            more = _align(p, w, i, j + 1, failed)
            if more is not None:
                return [(head, [w[j], *more[0][1]]), *more[1:]]
        return None
    if j == len(w) or (head != "*" and head != w[j]):
        return None
    tail = _align(p, w, i + 1, j + 1, failed)
    return None if tail is None else [(head, w[j : j + 1]), *tail]


# -- headers -------------------------------------------------------------------------
def type_class(value: Any) -> str:
    """The AMQP field type class RabbitMQ compares by: a long never equals a string."""
    if value is None:
        return "void"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, decimal.Decimal):
        return "decimal"
    if isinstance(value, str | bytes):
        return "str"
    if isinstance(value, datetime.datetime):
        return "timestamp"
    if isinstance(value, dict):
        return "table"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _same(a: Any, b: Any) -> bool:
    if type_class(a) != type_class(b):
        return False
    if isinstance(a, bytes) != isinstance(b, bytes):
        a = a.decode("utf-8", "replace") if isinstance(a, bytes) else a
        b = b.decode("utf-8", "replace") if isinstance(b, bytes) else b
    return a == b


def headers_match(binding_args: dict[str, Any], headers: dict[str, Any]) -> tuple[bool, str]:
    """Whether a headers binding matches a message's headers, and why in words."""
    mode = binding_args.get("x-match", "all")
    with_x = mode.endswith("-with-x")
    wanted = {
        k: v
        for k, v in binding_args.items()
        if k != "x-match" and (with_x or not k.startswith("x-"))
    }
    results = []
    for k, v in wanted.items():
        if k not in headers:
            results.append((False, f"{k} missing"))
        elif v is None:  # a void binding value asks only that the header be present
            results.append((True, f"{k} present"))
        elif _same(v, headers[k]):
            results.append((True, f"{k}={v!r} ok"))
        else:
            results.append((False, f"{k}: wanted {v!r}, got {headers[k]!r}"))
    if mode.startswith("all"):
        ok = all(r for r, _ in results)
    else:
        ok = any(r for r, _ in results)
    detail = "; ".join(text for _, text in results) or "empty binding table"
    return ok, f"x-match={mode}: {detail}"


# -- exchanges -----------------------------------------------------------------------
class Exchange:
    """One exchange with the bindings where it is the source, indexed by its type."""

    def __init__(
        self,
        name: str,
        exchange_type: str,
        *,
        durable: bool = True,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict[str, Any] | None = None,
        builtin: bool = False,
    ) -> None:
        self.name = name
        self.type = exchange_type
        self.durable = durable
        self.auto_delete = auto_delete
        self.internal = internal
        self.arguments = dict(arguments or {})
        self.alternate: str | None = self.arguments.get("alternate-exchange")
        self.builtin = builtin
        self.bindings: dict[tuple, Binding] = {}
        self._direct: dict[str, list[Binding]] = {}
        self._trie = TopicTrie()

    def add(self, binding: Binding) -> bool:
        """Add a binding; False when an identical one exists."""
        if binding.key in self.bindings:
            return False
        self.bindings[binding.key] = binding
        if self.type == "direct":
            self._direct.setdefault(binding.routing_key, []).append(binding)
        elif self.type == "topic":
            self._trie.add(binding)
        return True

    def remove(self, key: tuple) -> Binding | None:
        """Remove the binding with this identity, if any."""
        binding = self.bindings.pop(key, None)
        if binding is None:
            return None
        if self.type == "direct":
            same = self._direct[binding.routing_key]
            same.remove(binding)
            if not same:
                del self._direct[binding.routing_key]
        elif self.type == "topic":
            self._trie.remove(binding)
        return binding

    def match(self, routing_key: str, headers: dict[str, Any]) -> list[Match]:
        """The bindings that take this message, as matches carrying the reason."""
        kind = self.type
        if kind == "direct":
            found = self._direct.get(routing_key)
            return [b.match(f"routing key {routing_key!r} equals binding key") for b in found or ()]
        if kind == "fanout":
            return [b.match("fanout: every binding") for b in self.bindings.values()]
        if kind == "topic":
            return [b.topic_match(routing_key) for b in self._trie.match(routing_key)]
        out = []
        for b in self.bindings.values():
            ok, why = headers_match(b.arguments, headers)
            if ok:
                out.append(Match(b.source, b.destination, b.destination_type, b.routing_key, why))
        return out

    def describe(self) -> dict[str, Any]:
        """Plain data for the live view."""
        return {
            "name": self.name,
            "type": self.type,
            "internal": self.internal,
            "durable": self.durable,
            "auto_delete": self.auto_delete,
            "arguments": dict(self.arguments),
            "builtin": self.builtin,
        }
