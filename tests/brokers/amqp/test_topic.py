"""Topic exchange routing: `*` is one word, `#` zero or more, the empty key has no words."""

import pytest

from brokers.amqp.routing import Binding, TopicTrie, explain_topic

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
