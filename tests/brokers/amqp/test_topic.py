"""Topic exchange routing: `*` is one word, `#` zero or more, the empty key has no words."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.amqp import routing
from brokers.amqp.routing import Binding, TopicTrie, align_words, explain_topic, topic_words

CASES = [
    ("#", "", True),
    ("#", "a.b.c", True),
    ("a.#", "a", True),
    ("a.#", "a.b.c", True),
    ("a.#", "b.a", False),
    ("#.a", "a", True),
    ("#.a", "x.y.a", True),
    ("a.#.b", "a.b", True),
    ("a.#.b", "a.x.y.b", True),
    ("*", "", False),
    ("*", "a", True),
    ("*", "a.b", False),
    ("a.*", "a", False),
    ("a.*", "a.b", True),
    ("*.*", "a.", True),
    ("a..b", "a..b", True),
    ("a.*.b", "a..b", True),
    ("a..b", "a.b", False),
    (".", ".", True),
    ("*.*", ".", True),
    ("*", ".", False),
    ("", "", True),
    ("", "a", False),
    ("#.#", "", True),
    ("#.*", "", False),
    ("#.*", "a", True),
    ("a.b", "a.b", True),
    ("a.b", "a.B", False),
]


@pytest.mark.parametrize(("pattern", "key", "matches"), CASES)
def test_topic_patterns_match_as_rabbitmq_does(pattern, key, matches):
    """Each pattern matches exactly the keys RabbitMQ's topic trie would."""
    trie = TopicTrie()
    binding = Binding("x", "q", "queue", pattern)
    trie.add(binding)
    assert (trie.match(key) == [binding]) is matches


def test_a_binding_reached_by_several_trie_paths_is_returned_once():
    """'#.#' can match a key in many ways but yields its binding once."""
    trie = TopicTrie()
    binding = Binding("x", "q", "queue", "#.#.a")
    trie.add(binding)
    assert trie.match("a.a.a") == [binding]


def test_removing_a_binding_prunes_the_trie():
    """After unbinding the last pattern the trie is empty again."""
    trie = TopicTrie()
    bindings = [Binding("x", "q", "queue", p) for p in ("a.*.c", "a.#", "*.b")]
    for b in bindings:
        trie.add(b)
    for b in bindings:
        trie.remove(b)
    assert trie.root.empty()
    assert trie.match("a.b.c") == []


@pytest.mark.parametrize(
    ("pattern", "key", "words"),
    [
        ("a.*.c", "a.b.c", "a=a *=b c=c"),
        ("a.#", "a", "a=a #=(nothing)"),
        ("#.d", "a.b.d", "#=a.b d=d"),
    ],
)
def test_topic_reasons_say_which_pattern_word_took_which_key_words(pattern, key, words):
    """The reason pairs each pattern word with the key words it matched."""
    assert explain_topic(pattern, key).endswith(words)


def test_topic_exchange_routes_through_the_trie_and_explains(rig):
    """A topic publish reports the matched binding and the word-by-word reason."""
    b = rig.broker
    b.exchange_declare("logs", "topic")
    b.queue_declare("errors")
    b.queue_declare("all")
    b.queue_bind("errors", "logs", "*.error")
    b.queue_bind("all", "logs", "#")
    mid = b.basic_publish("logs", "kern.error", "disk")
    assert set(rig.routed_to(mid)) == {"errors", "all"}
    reasons = {m.destination: m.reason for m in rig.events("routed")[0].matches}
    assert "*=kern" in reasons["errors"] and "#=kern.error" in reasons["all"]


# -- cost: many `#` against a long key ------------------------------------------------
def _reference_walk(node, words, i, out):
    """The trie walk before states were remembered: every way of splitting the key."""
    n = len(words)
    if i == n and node.bindings:
        out.extend(node.bindings)
    if node.hash is not None:
        for j in range(i, n + 1):
            _reference_walk(node.hash, words, j, out)
    if i < n:
        if words[i] in node.words:
            _reference_walk(node.words[words[i]], words, i + 1, out)
        if node.star is not None:
            _reference_walk(node.star, words, i + 1, out)


def _trie_nodes(node) -> int:
    kids = [*node.words.values(), node.star, node.hash]
    return 1 + sum(_trie_nodes(k) for k in kids if k is not None)


@pytest.fixture
def walks(monkeypatch):
    """Counts the trie walk's visits (its recursive calls go through the module name)."""
    calls = [0]
    walk = routing._walk

    def counted(*args):
        calls[0] += 1
        return walk(*args)

    monkeypatch.setattr(routing, "_walk", counted)
    return calls


def test_many_hashes_against_a_long_key_visit_each_trie_state_once(walks):
    """`#.#.#.#.z` against 40 words: the old walk made 148,995 visits. Each (node, word)
    state is now walked from at most once, and a walk makes at most four calls (`#`,
    word, `*`, loop), so there are at most 1 + 4 x nodes x (words + 1)."""
    trie = TopicTrie()
    trie.add(Binding("x", "q", "queue", "#.#.#.#.z"))
    key = ".".join(["a"] * 40)
    assert trie.match(key) == []
    assert walks[0] <= 1 + 4 * _trie_nodes(trie.root) * 41 == 985


def test_the_pathological_pattern_from_the_report_is_matched_in_few_steps(walks):
    """8 `#` x 120 words never returned; 255-byte patterns and keys stay polynomial."""
    trie = TopicTrie()
    pattern = ".".join(["#"] * 8 + ["z"])
    hit, miss = Binding("x", "q", "queue", "#.a.#.z"), Binding("x", "q2", "queue", pattern)
    trie.add(hit)
    trie.add(miss)
    key = ".".join(["a"] * 119 + ["z"])
    assert len(key.encode()) <= 255
    assert set(trie.match(key)) == {hit, miss}
    assert walks[0] <= 1 + 4 * _trie_nodes(trie.root) * 121
    widest = ".".join(["#"] * 128)  # the most `#` a 255-byte pattern holds
    trie.add(Binding("x", "q3", "queue", widest))
    walks[0] = 0
    assert len(trie.match(key)) == 3
    assert walks[0] <= 1 + 4 * _trie_nodes(trie.root) * 121


def test_explaining_a_pathological_match_tries_each_position_once():
    """The word-by-word reason is found in at most (pattern + 1) x (key + 1) tries."""
    pattern = topic_words(".".join(["#"] * 8 + ["a", "b"]))
    words = topic_words(".".join(["a"] * 100 + ["c"]))
    failed: set = set()
    assert align_words(pattern, words, failed) is None
    assert len(failed) <= (len(pattern) + 1) * (len(words) + 1)
    words = words[:-1] + ["b"]
    pairs = align_words(pattern, words)
    assert [w for _, ws in pairs for w in ws] == words and pairs[-1] == ("b", ["b"])


WORD = st.sampled_from(["a", "b", ""])
PATTERN_WORD = st.sampled_from(["a", "b", "", "*", "#"])


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    patterns=st.lists(st.lists(PATTERN_WORD, max_size=5).map(".".join), min_size=1, max_size=6),
    key=st.lists(WORD, max_size=6).map(".".join),
)
def test_the_trie_finds_what_the_exhaustive_walk_finds_in_the_same_order(patterns, key):
    """Remembering states changes the cost, not the answer or its order."""
    trie = TopicTrie()
    bindings = [Binding("x", f"q{i}", "queue", p) for i, p in enumerate(patterns)]
    for b in bindings:
        trie.add(b)
    expected: list = []
    _reference_walk(trie.root, topic_words(key), 0, expected)
    assert trie.match(key) == list(dict.fromkeys(expected))
    for b in bindings:
        aligned = align_words(topic_words(b.routing_key), topic_words(key))
        assert (aligned is not None) is (b in expected)
