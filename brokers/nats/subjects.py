"""NATS subjects: validation, wildcard matching, overlap and subset, and a trie of interest.

A subject is dot-separated tokens (`orders.eu.new`). In a subscription or filter, `*`
matches exactly one token and `>` one or more trailing tokens (`orders.>` matches
`orders.eu` and `orders.eu.new`, not `orders`). The rules are those nats-server 2.9 and
nats-py enforce together, checked on the real server (tests/real/test_nats_subjects.py):
no empty tokens, no whitespace, `>` only as the last token, and a wildcard is a whole token
(nats-py refuses `orders.eu*` in a subscription; the server would take it as a literal).

Where the real pair is looser we refuse with a reason instead of accepting something
that cannot work: nats-server without pedantic mode accepts a publish to `a..b` (it
reaches nobody) or to `orders.*` (it treats the wildcard as a literal token), and both
are refused here. `$` subjects are the server's own APIs ($JS, $SYS) and `_INBOX.` is
where request replies go, so user subjects may not start with either. The playground caps
subjects at 255 characters; nats-server has no fixed limit.

`matches` and `why_matches` are pure and memoised (a bounded cache that only saves
time). `SubjectTrie` is the server's sublist in miniature: interest stored by token, so matching
a published subject walks its tokens instead of testing every subscription.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from brokers.errors import ValidationError

MAX_SUBJECT = 255
MAX_NAME = 64
_SPACE = frozenset(" \t\r\n\f\v")
#: characters nats-py and nats-server refuse in stream and consumer names
NAME_FORBIDDEN = frozenset(".*>/\\") | _SPACE
T = TypeVar("T")


def check_subject(subject: Any, *, wildcards: bool, what: str = "subject") -> str:
    """A publish subject (`wildcards=False`) or a subscription/filter subject; the reason
    for a refusal names the offending token."""
    if not isinstance(subject, str):
        raise ValidationError(f"{what} must be text, got {type(subject).__name__}")
    if not subject:
        raise ValidationError(f"{what} is empty")
    if len(subject) > MAX_SUBJECT:
        raise ValidationError(f"{what} is longer than {MAX_SUBJECT} characters")
    if any(c in _SPACE for c in subject) or not subject.isprintable():
        raise ValidationError(f"{what} {subject!r} contains whitespace or control characters")
    if subject[0] == "$":
        raise ValidationError(
            f"{what} {subject!r}: subjects starting with '$' belong to the server ($JS, $SYS)"
        )
    if subject == "_INBOX" or subject.startswith("_INBOX."):
        raise ValidationError(f"{what} {subject!r}: _INBOX. is reserved for request replies")
    tokens = subject.split(".")
    last = len(tokens) - 1
    for i, token in enumerate(tokens):
        if not token:
            raise ValidationError(
                f"{what} {subject!r} has an empty token (tokens are separated by single dots)"
            )
        if token in ("*", ">"):
            if not wildcards:
                raise ValidationError(
                    f"{what} {subject!r}: a published subject is literal; '{token}' is "
                    "a wildcard for subscriptions and filters"
                )
            if token == ">" and i != last:
                raise ValidationError(
                    f"{what} {subject!r}: '>' matches the rest, so it must be the last token"
                )
        elif "*" in token or ">" in token:
            raise ValidationError(
                f"{what} {subject!r}: token {token!r} mixes a wildcard with other characters; "
                "a wildcard is a whole token ('*' or '>')"
            )
    return subject


def check_name(what: str, name: Any) -> str:
    """A stream or consumer name: 1-64 printable characters, none of `. * > / \\` or spaces."""
    if not isinstance(name, str) or not name:
        raise ValidationError(f"{what} must be non-empty text")
    if len(name) > MAX_NAME:
        raise ValidationError(f"{what} {name[:20]!r}... is longer than {MAX_NAME} characters")
    bad = sorted({c for c in name if c in NAME_FORBIDDEN or not c.isprintable()})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise ValidationError(
            f"invalid {what} {name!r}: it may not contain {shown} "
            "(names become subject tokens in the JetStream API)"
        )
    return name


def is_literal(subject: str) -> bool:
    """Whether a (valid) subject has no wildcard token."""
    return "*" not in subject and ">" not in subject


@functools.lru_cache(maxsize=4096)  # a pure function: the cache only saves time
def matches(pattern: str, subject: str) -> bool:
    """Whether the literal `subject` matches `pattern` (`*` one token, `>` the rest)."""
    if pattern == subject:
        return True
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)


@functools.lru_cache(maxsize=4096)
def why_matches(pattern: str, subject: str) -> str:
    """One sentence saying why `pattern` matches or misses `subject`, token by token."""
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            if len(s) > i:
                rest = ".".join(s[i:])
                return f"'{pattern}' matches '{subject}': '>' takes '{rest}'"
            return f"'{pattern}' misses '{subject}': '>' needs at least one more token"
        if i >= len(s):
            return f"'{pattern}' misses '{subject}': the subject has only {len(s)} tokens"
        if token != "*" and token != s[i]:
            return f"'{pattern}' misses '{subject}': token {i + 1} is '{s[i]}', not '{token}'"
    if len(p) != len(s):
        return f"'{pattern}' misses '{subject}': {len(s)} tokens, the pattern has {len(p)}"
    if is_literal(pattern):
        return f"'{pattern}' is exactly '{subject}'"
    stars = [s[i] for i, t in enumerate(p) if t == "*"]
    return f"'{pattern}' matches '{subject}': '*' takes " + ", ".join(f"'{w}'" for w in stars)


def overlap(a: str, b: str) -> bool:
    """Whether some literal subject matches both patterns."""
    ta, tb = a.split("."), b.split(".")
    for i in range(max(len(ta), len(tb))):
        x = ta[i] if i < len(ta) else None
        y = tb[i] if i < len(tb) else None
        if x == ">" or y == ">":
            return x is not None and y is not None
        if x is None or y is None:
            return False
        if x != y and x != "*" and y != "*":
            return False
    return True


def subset(a: str, b: str) -> bool:
    """Whether every literal subject matching `a` also matches `b`."""
    ta, tb = a.split("."), b.split(".")
    for i, y in enumerate(tb):
        if y == ">":
            return len(ta) > i
        if i >= len(ta):
            return False
        x = ta[i]
        if x == ">" or (y != "*" and x != y):
            return False
    return len(ta) == len(tb)


class _Node(Generic[T]):
    __slots__ = ("literal", "star", "rest", "here")

    def __init__(self) -> None:
        self.literal: dict[str, _Node[T]] = {}
        self.star: _Node[T] | None = None
        self.rest: list[T] = []  # interest ending in '>' at this level
        self.here: list[T] = []  # interest ending exactly here


class SubjectTrie(Generic[T]):
    """Interest by pattern; `match(subject)` returns every item whose pattern matches."""

    def __init__(self) -> None:
        self._root: _Node[T] = _Node()
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, pattern: str, item: T) -> None:
        node = self._root
        tokens = pattern.split(".")
        for token in tokens[:-1] if tokens[-1] == ">" else tokens:
            node = self._child(node, token)
        (node.rest if tokens[-1] == ">" else node.here).append(item)
        self._count += 1

    def remove(self, pattern: str, item: T) -> None:
        node: _Node[T] | None = self._root
        tokens = pattern.split(".")
        for token in tokens[:-1] if tokens[-1] == ">" else tokens:
            node = node.star if token == "*" else node.literal.get(token)  # type: ignore[union-attr]
            if node is None:
                return
        bucket = node.rest if tokens[-1] == ">" else node.here
        if item in bucket:
            bucket.remove(item)
            self._count -= 1

    def match(self, subject: str) -> list[T]:
        """Items whose pattern matches the literal `subject` (in no particular order)."""
        out: list[T] = []
        self._walk(self._root, subject.split("."), 0, out)
        return out

    def _walk(self, node: _Node[T], tokens: list[str], i: int, out: list[T]) -> None:
        if i == len(tokens):
            out.extend(node.here)
            return
        if node.rest:
            out.extend(node.rest)
        child = node.literal.get(tokens[i])
        if child is not None:
            self._walk(child, tokens, i + 1, out)
        if node.star is not None:
            self._walk(node.star, tokens, i + 1, out)

    @staticmethod
    def _child(node: _Node[T], token: str) -> _Node[T]:
        if token == "*":
            if node.star is None:
                node.star = _Node()
            return node.star
        child = node.literal.get(token)
        if child is None:
            child = node.literal[token] = _Node()
        return child


def first_overlap(patterns: Iterable[str]) -> tuple[str, str] | None:
    """The first pair of patterns in the list that overlap, or None."""
    seen: list[str] = []
    for p in patterns:
        for q in seen:
            if overlap(q, p):
                return q, p
        seen.append(p)
    return None
