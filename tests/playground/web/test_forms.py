"""Build forms validate what people type and turn it into protocol commands."""

from __future__ import annotations

import pytest

from playground.web import forms


def form(cls, prefix: str, **data):
    return cls({f"{prefix}-{k}": v for k, v in data.items()}, prefix=prefix)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("orders", True),
        ("ü-ñ.*#", True),
        ("x" * 255, True),
        ("x" * 256, False),
        ("é" * 128, False),  # 256 bytes
        ("", False),
        ("a\nb", False),
        ("amq.foo", False),
    ],
)
def test_exchange_names(name, ok):
    assert form(forms.ExchangeForm, "exchange", name=name, type="direct").is_valid() is ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("", True),
        ('{"a": 1, "b": "x", "c": true, "d": null, "e": [1, 2]}', True),
        ("[]", False),
        ('"text"', False),
        ("{nope}", False),
        ('{"a": {"nested": 1}}', False),
        ('{"a\\u0000": 1}', False),
    ],
)
def test_json_tables_are_objects_of_typed_values(text, ok):
    f = form(forms.ExchangeForm, "exchange", name="x", type="direct", arguments=text)
    assert f.is_valid() is ok


def test_an_exchange_command_carries_its_alternate_exchange():
    f = form(forms.ExchangeForm, "exchange", name="x", type="topic", alternate_exchange="ae",
             arguments='{"k": 1}', durable="on")  # fmt: skip
    assert f.is_valid()
    assert f.to_command() == {
        "op": "exchange.declare", "name": "x", "type": "topic", "durable": True,
        "auto_delete": False, "internal": False, "arguments": {"k": 1, "alternate-exchange": "ae"},
    }  # fmt: skip


def test_queue_fields_become_x_arguments_and_back():
    f = form(
        forms.QueueForm,
        "queue",
        name="q",
        queue_type="quorum",
        delivery_limit="3",
        dead_letter_exchange="dlx",
        dead_letter_routing_key="dead",
        message_ttl="1000",
    )
    assert f.is_valid(), f.errors
    cmd = f.to_command()
    assert cmd["durable"] is True
    assert cmd["arguments"] == {
        "x-queue-type": "quorum", "x-delivery-limit": 3, "x-dead-letter-exchange": "dlx",
        "x-dead-letter-routing-key": "dead", "x-message-ttl": 1000,
    }  # fmt: skip
    initial = forms.QueueForm.initial_from({"name": "q", "type": "quorum", **cmd})
    assert initial["delivery_limit"] == 3 and initial["queue_type"] == "quorum"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"queue_type": "stream", "exclusive": "on"}, "exclusive"),
        ({"queue_type": "quorum", "max_priority": "5"}, "max_priority"),
        ({"queue_type": "classic", "delivery_limit": "5"}, "delivery_limit"),
        ({"queue_type": "classic", "dead_letter_routing_key": "k"}, "dead_letter_routing_key"),
        ({"queue_type": "classic", "max_priority": "256"}, "max_priority"),
    ],
)
def test_queue_settings_that_do_not_fit_the_type_are_refused(data, field):
    f = form(forms.QueueForm, "queue", name="q", **data)
    assert not f.is_valid() and field in f.errors


def test_headers_bindings_add_x_match():
    f = forms.BindingForm(
        {"b-source": "h", "b-destination": "q", "b-destination_type": "queue",
         "b-x_match": "any", "b-headers": '{"format": "pdf"}'},
        prefix="b", exchange_types={"h": "headers"},
    )  # fmt: skip
    assert f.is_valid()
    assert f.to_command()["arguments"] == {"format": "pdf", "x-match": "any"}


def test_kafka_topic_names_follow_kafkas_rules():
    assert form(forms.TopicForm, "t", name="a.b_c-1", partitions="3", replication_factor="1",
                cleanup_policy="delete").is_valid()  # fmt: skip
    assert not form(forms.TopicForm, "t", name="a/b", partitions="3", replication_factor="1",
                    cleanup_policy="delete").is_valid()  # fmt: skip


def test_groups_take_a_list_of_topics():
    f = form(forms.GroupForm, "g", group_id="billing", topics="a, b,a", members="2",
             partition_assignment_strategy="range", commit_policy="after",
             auto_offset_reset="earliest")  # fmt: skip
    assert f.is_valid(), f.errors
    assert f.to_command()["topics"] == ["a", "b"]


def test_offset_resets_to_an_offset_need_one():
    assert not form(forms.OffsetResetForm, "r", topic="t", to="offset").is_valid()
    f = form(forms.OffsetResetForm, "r", topic="t", to="offset", value="4")
    assert f.is_valid()
    assert f.to_command("g") == {
        "op": "group.reset",
        "group_id": "g",
        "topic": "t",
        "to": "offset",
        "value": 4,
    }


@pytest.mark.parametrize(("mode", "count"), [("rate", 0), ("once", 5)])
def test_producers_run_forever_or_one_shot(mode, count):
    f = form(forms.ProducerForm, "p", name="p", broker="amqp", mode=mode, rate="2", count="5")
    assert f.is_valid(), f.errors
    assert f.to_command()["count"] == count


def test_a_burst_publish_carries_count_rate_and_key_pattern():
    f = form(forms.PublishForm, "p", exchange="x", routing_key="k", key_pattern="k.{n}",
             count="10", rate="5", priority="3", headers='{"a": 1}')  # fmt: skip
    assert f.is_valid(), f.errors
    cmd = f.to_command()
    assert (cmd["count"], cmd["rate"], cmd["key_pattern"], cmd["priority"]) == (10, 5.0, "k.{n}", 3)
