"""Placeholders in producer keys and payloads, expanded with the sandbox's seeded RNG.

A template is plain text with `{...}` placeholders:

    {n}                 the message's sequence number for this producer (1, 2, 3...)
    {key}               the routing key (AMQP) or record key (Kafka) after expansion
    {choice:a|b|c}      one of the options, picked by the seeded RNG
    {int:1-100}         an integer in the inclusive range, picked by the seeded RNG
    {t}                 the virtual time in seconds, 3 decimals
    {{ and }}           literal braces

`{key}` is not allowed in a key pattern. Anything else inside braces is an error, found
when the producer is added rather than when it first publishes. Same seed, same
templates, same order of expansion: same text. Leaves out nesting and formatting specs.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from sandbox import protocol

MAX_TEMPLATE = protocol.MAX_PAYLOAD
#: {int:LOW-HIGH}: ASCII digits only, at most 18 of them (Python's int() takes "٣")
_RANGE = re.compile(r"\s*([0-9]{1,18})\s*-\s*([0-9]{1,18})\s*", re.ASCII)
_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")

Piece = Callable[[int, str, random.Random, float], str]


class TemplateError(ValueError):
    """A template has an unknown or malformed placeholder."""


def compile_template(text: str, allow_key: bool = True) -> list[str | Piece]:
    """Parse `text` once into literal strings and placeholder functions."""
    if len(text) > MAX_TEMPLATE:
        raise TemplateError(f"A template is at most {MAX_TEMPLATE} characters.")
    parts: list[str | Piece] = []
    pos = 0
    for match in _PART.finditer(text):
        parts.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
            continue
        parts.append(_placeholder(match.group(1), allow_key))
    tail = text[pos:]
    if "{" in tail or "}" in tail:
        raise TemplateError("Unmatched brace in template; write {{ or }} for a literal one.")
    parts.append(tail)
    return [p for p in parts if p != ""]


def _placeholder(body: str, allow_key: bool) -> Piece:
    name, _, arg = body.partition(":")
    if name == "n" and not arg:
        return lambda n, key, rng, t: str(n)
    if name == "key" and not arg:
        if not allow_key:
            raise TemplateError("{key} cannot appear in the key pattern itself.")
        return lambda n, key, rng, t: key
    if name == "t" and not arg:
        return lambda n, key, rng, t: f"{t:.3f}"
    if name == "choice" and arg:
        options = arg.split("|")
        return lambda n, key, rng, t: options[rng.randrange(len(options))]
    if name == "int":
        bounds = _RANGE.fullmatch(arg)
        if bounds and int(bounds[1]) <= int(bounds[2]):
            lo, hi = int(bounds[1]), int(bounds[2])
            return lambda n, key, rng, t: str(rng.randint(lo, hi))
        raise TemplateError(
            "Write {int:LOW-HIGH} with digits 0-9 (at most 18), for example {int:1-100}."
        )
    raise TemplateError(
        f"Unknown placeholder {{{body}}}; use {{n}}, {{key}}, {{t}}, {{choice:a|b}} or {{int:1-9}}."
    )


def render(parts: list[str | Piece], n: int, key: str, rng: random.Random, t: float) -> str:
    """Expand a compiled template for message number `n`."""
    if len(parts) == 1 and isinstance(parts[0], str):
        return parts[0]
    return "".join(p if isinstance(p, str) else p(n, key, rng, t) for p in parts)


def expand(text: str, n: int = 1, key: str = "", rng: random.Random | None = None) -> str:
    """Compile and render in one go (for one-off use and tests)."""
    return render(compile_template(text), n, key, rng or random.Random(0), 0.0)
