"""Key and payload templates expand placeholders with the seeded RNG, and refuse unknown ones."""

from __future__ import annotations

import random

import pytest

from sandbox.runtime.placeholders import TemplateError, compile_template, expand, render


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("order-{n}", "order-7"),
        ("{key}:{n}", "eu.fr:7"),
        ("plain text", "plain text"),
        ("{{literal}} {n}", "{literal} 7"),
        ("{choice:only}", "only"),
        ("{int:3-3}", "3"),
    ],
)
def test_placeholders_expand(template, expected):
    assert expand(template, n=7, key="eu.fr") == expected


def test_choices_and_integers_follow_the_seeded_rng():
    parts = compile_template("{choice:a|b|c}-{int:1-100}")
    first = [render(parts, n, "", random.Random(5), 0.0) for n in range(20)]
    rng_a, rng_b = random.Random(5), random.Random(5)
    assert [render(parts, 1, "", rng_a, 0.0) for _ in range(50)] == [
        render(parts, 1, "", rng_b, 0.0) for _ in range(50)
    ]
    assert len(set(render(parts, 1, "", rng_a, 0.0) for _ in range(200))) > 10
    assert all(p.split("-")[0] in "abc" and 1 <= int(p.split("-")[1]) <= 100 for p in first)


@pytest.mark.parametrize(
    "template", ["{nope}", "{int:9-1}", "{int:x}", "{n", "n}", "{choice:}", "x" * 1001]
)
def test_a_bad_template_is_refused(template):
    with pytest.raises(TemplateError):
        compile_template(template)


def test_a_key_pattern_cannot_refer_to_the_key():
    with pytest.raises(TemplateError, match="key"):
        compile_template("{key}", allow_key=False)
