"""Node ids are the engine's: each kind has one prefix, and an id splits back to its name."""

import pytest

from brokers import nodes


@pytest.mark.parametrize(
    ("node_id", "prefix", "name"),
    [
        (nodes.exchange("orders"), "x", "orders"),
        (nodes.exchange(""), "x", ""),  # the default exchange
        (nodes.queue("a:b"), "q", "a:b"),  # a colon in a name survives the split
        (nodes.consumer("ctag-1"), "c", "ctag-1"),
        (nodes.producer("web"), "p", "web"),
        (nodes.topic("clicks"), "t", "clicks"),
        (nodes.partition("clicks", 2), "tp", "clicks:2"),
        (nodes.group("billing"), "g", "billing"),
        (nodes.member("billing-1"), "m", "billing-1"),
    ],
)
def test_an_id_is_its_kind_prefix_a_colon_and_the_name(node_id, prefix, name):
    assert node_id.partition(":")[::2] == (prefix, name)
    assert prefix in nodes.PREFIXES


def test_no_two_kinds_share_a_prefix():
    assert len(set(nodes.PREFIXES)) == len(nodes.PREFIXES)
