"""Headers exchange: x-match all/any (with or without x- headers), typed comparison."""

import pytest

from brokers.amqp.routing import headers_match

CASES = [
    ({"x-match": "all", "a": 1, "b": "x"}, {"a": 1, "b": "x"}, True),
    ({"x-match": "all", "a": 1, "b": "x"}, {"a": 1}, False),
    ({"a": 1, "b": "x"}, {"a": 1, "b": "x", "c": 3}, True),
    ({"x-match": "any", "a": 1, "b": "x"}, {"b": "x"}, True),
    ({"x-match": "any", "a": 1, "b": "x"}, {"c": 1}, False),
    ({"x-match": "all", "a": 1}, {"a": "1"}, False),
    ({"x-match": "all", "a": 1}, {"a": 1.0}, False),
    ({"x-match": "all", "a": True}, {"a": 1}, False),
    ({"x-match": "all", "a": "1"}, {"a": b"1"}, True),
    ({"x-match": "all"}, {}, True),
    ({"x-match": "all"}, {"a": 1}, True),
    ({"x-match": "any"}, {"a": 1}, False),
    ({"x-match": "all", "x-trace": "on"}, {}, True),
    ({"x-match": "all-with-x", "x-trace": "on"}, {}, False),
    ({"x-match": "all-with-x", "x-trace": "on"}, {"x-trace": "on"}, True),
    ({"x-match": "any", "x-trace": "on"}, {"x-trace": "on"}, False),
    ({"x-match": "any-with-x", "x-trace": "on"}, {"x-trace": "on"}, True),
    ({"x-match": "any", "a": None}, {"a": None}, True),
    ({"x-match": "all", "a": None}, {"a": 7}, True),
    ({"x-match": "all", "a": None}, {"b": 7}, False),
    ({"x-match": "all", "a": None}, {}, False),
    ({"x-match": "all", "a": 5}, {"a": 2**40 + 5}, False),
    ({}, {}, True),
    ({}, {"z": 1}, True),
    ({"x-match": "all-with-x"}, {"x-z": 1}, True),
    ({"x-match": "any", "a": 1, "x-b": 2}, {"x-b": 2}, False),
    ({"x-match": "any-with-x", "a": 1, "x-b": 2}, {"x-b": 2}, True),
]


@pytest.mark.parametrize(("binding", "headers", "matches"), CASES)
def test_headers_bindings_match_with_typed_values(binding, headers, matches):
    """x-match mode, x- headers and value types decide the match as in RabbitMQ."""
    assert headers_match(binding, headers)[0] is matches


def test_headers_reason_names_each_header(rig):
    """The routed event says which headers matched and how."""
    from brokers.amqp.api import Properties

    b = rig.broker
    b.exchange_declare("h", "headers")
    b.queue_declare("pdf")
    b.queue_bind("pdf", "h", "", {"x-match": "all", "format": "pdf"})
    mid = b.basic_publish("h", "", "doc", Properties(headers={"format": "pdf"}))
    assert rig.routed_to(mid) == ("pdf",)
    assert "format='pdf' ok" in rig.events("routed")[0].matches[0].reason


def test_a_bad_x_match_value_is_refused_and_changes_nothing(rig):
    """x-match must be all, any, all-with-x or any-with-x."""
    from brokers.errors import ValidationError

    b = rig.broker
    b.exchange_declare("h", "headers")
    b.queue_declare("q")
    before = b.describe()
    with pytest.raises(ValidationError, match="x-match"):
        b.queue_bind("q", "h", "", {"x-match": "most"})
    assert b.describe() == before
