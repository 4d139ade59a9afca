"""Subjects: what is a valid subject, what matches what, and the trie agrees with the rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokers.errors import ValidationError
from brokers.nats.subjects import (
    SubjectTrie,
    check_name,
    check_subject,
    matches,
    overlap,
    subset,
    why_matches,
)

MATCHES = [
    ("orders.new", "orders.new", True),
    ("orders.*", "orders.new", True),
    ("orders.*", "orders.eu.new", False),
    ("orders.*", "orders", False),
    ("orders.>", "orders.new", True),
    ("orders.>", "orders.eu.new", True),
    ("orders.>", "orders", False),
    ("*.new", "orders.new", True),
    ("*.*", "a.b", True),
    ("*", "a.b", False),
    (">", "a", True),
    (">", "a.b.c", True),
    ("a.*.c", "a.b.c", True),
    ("a.*.c", "a.b.d", False),
    ("a.*.>", "a.b", False),
    ("a.*.>", "a.b.c.d", True),
    ("orders.new", "orders.New", False),
]


@pytest.mark.parametrize(("pattern", "subject", "expected"), MATCHES)
def test_a_pattern_matches_subjects_token_by_token(pattern, subject, expected):
    assert matches(pattern, subject) is expected
    assert (
        "matches" in why_matches(pattern, subject) or "is exactly" in why_matches(pattern, subject)
    ) is expected


REFUSED_SUBSCRIPTIONS = [
    ("", "empty"),
    ("a..b", "empty token"),
    ("a.", "empty token"),
    (".a", "empty token"),
    ("a.>.b", "must be the last token"),
    ("a.b*", "mixes a wildcard"),
    ("foo.>x", "mixes a wildcard"),
    ("a b", "whitespace"),
    ("a\tb", "whitespace"),
    ("$JS.API.INFO", "belong to the server"),
    ("_INBOX.abc", "reserved for request replies"),
    ("x" * 256, "longer than 255"),
]


@pytest.mark.parametrize(("subject", "words"), REFUSED_SUBSCRIPTIONS)
def test_a_bad_subscription_subject_is_refused_with_the_reason(subject, words):
    with pytest.raises(ValidationError, match=words):
        check_subject(subject, wildcards=True)


@pytest.mark.parametrize("subject", ["*", ">", "a.*.>", "orders.*.new", "ünï.côdé", "a-b_c"])
def test_wildcards_are_fine_in_subscriptions(subject):
    assert check_subject(subject, wildcards=True) == subject


@pytest.mark.parametrize("subject", ["orders.*", ">", "a.>"])
def test_a_published_subject_must_be_literal(subject):
    with pytest.raises(ValidationError, match="literal"):
        check_subject(subject, wildcards=False)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("ORDERS", True),
        ("ünï", True),
        ("a-b_c", True),
        ("a.b", False),
        ("a*", False),
        ("a>", False),
        ("a b", False),
        ("a/b", False),
        ("a\\b", False),
        ("", False),
        ("x" * 65, False),
    ],
)
def test_stream_and_consumer_names_refuse_what_nats_refuses(name, ok):
    if ok:
        assert check_name("stream name", name) == name
    else:
        with pytest.raises(ValidationError):
            check_name("stream name", name)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("a.*", "a.b", True),
        ("a.>", "a.b.c", True),
        ("a.*", "a.b.c", False),
        ("a.*.c", "a.b.*", True),
        ("a.b", "a.c", False),
        (">", "x", True),
        ("a.>", "a", False),
        ("*.x", "y.*", True),
    ],
)
def test_two_patterns_overlap_when_some_subject_matches_both(a, b, expected):
    assert overlap(a, b) is expected
    assert overlap(b, a) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("z.b.q.>", "z.b.>", True),
        ("z.a.*", "z.>", True),
        ("z.*.q", "z.a.*", False),
        ("a.b", "a.*", True),
        ("a.*", "a.b", False),
        ("a.>", "a.*", False),
        ("a.*", "a.>", True),
        ("a.*.c", "a.*.c", True),
    ],
)
def test_a_pattern_is_a_subset_when_everything_it_matches_the_other_matches(a, b, expected):
    assert subset(a, b) is expected


def test_the_trie_finds_exactly_the_matching_subscriptions():
    trie: SubjectTrie[str] = SubjectTrie()
    for pattern in ["a.b", "a.*", "a.>", ">", "*.b", "b.*"]:
        trie.add(pattern, pattern)
    assert sorted(trie.match("a.b")) == sorted(["a.b", "a.*", "a.>", ">", "*.b"])
    trie.remove("a.>", "a.>")
    assert sorted(trie.match("a.b.c")) == [">"]
    assert len(trie) == 5


tokens = st.sampled_from(["a", "b", "c"])
literal = st.lists(tokens, min_size=1, max_size=4).map(".".join)
pattern = st.lists(st.sampled_from(["a", "b", "*"]), min_size=1, max_size=4).flatmap(
    lambda ts: st.sampled_from([".".join(ts), ".".join([*ts, ">"])])
)


@given(st.lists(pattern, min_size=1, max_size=8), literal)
def test_the_trie_agrees_with_the_matching_rule(patterns, subject):
    trie: SubjectTrie[int] = SubjectTrie()
    for i, p in enumerate(patterns):
        trie.add(p, i)
    expected = sorted(i for i, p in enumerate(patterns) if matches(p, subject))
    assert sorted(trie.match(subject)) == expected


@given(pattern, pattern, literal)
def test_subset_and_overlap_agree_with_matching(a, b, subject):
    if subset(a, b) and matches(a, subject):
        assert matches(b, subject)
    if matches(a, subject) and matches(b, subject):
        assert overlap(a, b)
