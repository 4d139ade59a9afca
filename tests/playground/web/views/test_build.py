"""Build forms: valid input changes the sandbox and asks for a redraw; bad input changes
nothing and says why under the field; edit, delete, buttons and details work."""

from __future__ import annotations

import pytest

from playground.models import Sandbox
from playground.web import page_state
from tests.playground.conftest import HX, post, start

pytestmark = pytest.mark.django_db(transaction=True)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def sandbox(client) -> Sandbox:
    return start(client)


def url(sandbox: Sandbox, path: str) -> str:
    return f"/s/{sandbox.id}/{path}"


def describe(sandbox: Sandbox) -> dict:
    return page_state.state(sandbox)


def names(items: list[dict], key: str = "name") -> list[str]:
    return [i[key] for i in items]


def add(client, sandbox, kind: str, **fields) -> str:
    return post(client, url(sandbox, f"{kind}/"), {f"{kind}-{k}": v for k, v in fields.items()})


def bind_queue(client, sandbox, exchange: str, queue: str, routing_key: str) -> str:
    return add(
        client,
        sandbox,
        "binding",
        source=exchange,
        destination=queue,
        destination_type="queue",
        routing_key=routing_key,
    )


def test_adding_an_exchange_declares_it_and_asks_for_a_redraw(client, sandbox):
    response = client.post(
        url(sandbox, "exchange/"), {"exchange-name": "orders", "exchange-type": "topic"}, **HX
    )
    assert "topology-changed" in response["HX-Trigger"]
    assert "Added exchange orders." in response.content.decode()
    assert "orders" in names(describe(sandbox)["amqp"]["exchanges"])


VERBS = {"exchange": "Add", "queue": "Add", "binding": "Bind", "consumer": "Add",
         "publish": "Publish", "topic": "Add", "group": "Add", "send": "Send",
         "producer": "Add"}  # fmt: skip


def test_every_build_button_says_its_verb_from_the_first_render(client, sandbox):
    page = client.get(url(sandbox, "")).content.decode()
    for kind, verb in VERBS.items():
        form = page.split(f'<form class="cmd-form {kind}"')[1].split("</form>")[0]
        assert f'<button type="submit" class="btn primary">{verb}</button>' in form, kind
        blank = client.get(url(sandbox, f"{kind}/")).content.decode()
        assert f'class="btn primary">{verb}</button>' in blank, kind


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("exchange", {"name": "amq.mine", "type": "topic"}, "reserved"),
        ("exchange", {"name": "", "type": "topic"}, "This field is required"),
        ("exchange", {"name": "a\tb", "type": "topic"}, "control characters"),
        ("exchange", {"name": "x" * 256, "type": "topic"}, "at most 255"),
        ("exchange", {"name": "ok", "type": "nope"}, "Select a valid choice"),
        ("exchange", {"name": "ok", "type": "direct", "arguments": "[1]"}, "JSON object"),
        ("exchange", {"name": "ok", "type": "direct", "arguments": "{bad"}, "not valid JSON"),
        ("queue", {"name": "q", "queue_type": "classic", "max_priority": "300"}, "less than"),
        ("queue", {"name": "q", "queue_type": "quorum", "exclusive": "on"}, "cannot be"),
        ("queue", {"name": "q", "queue_type": "classic", "message_ttl": "-1"}, "greater than"),
        ("topic", {"name": "t", "partitions": "0", "replication_factor": "1"}, "greater than"),
        ("topic", {"name": "a b", "partitions": "1", "replication_factor": "1"}, "letters"),
        ("consumer", {"queue": "nowhere", "ack_mode": "manual"}, "nowhere"),
        ("binding", {"source": "nope", "destination": "q", "destination_type": "queue"}, "nope"),
    ],
)
def test_bad_input_is_shown_under_the_form_and_changes_nothing(
    client, sandbox, kind, fields, message
):
    before = describe(sandbox)
    body = add(client, sandbox, kind, **fields)
    assert message in body
    assert 'class="error"' in body or 'class="errors"' in body
    after = describe(sandbox)
    assert after["amqp"] == before["amqp"]
    assert after["kafka"]["topics"] == before["kafka"]["topics"]


def test_engine_errors_do_not_trigger_a_redraw(client, sandbox):
    response = client.post(
        url(sandbox, "binding/"),
        {
            "binding-source": "ghost",
            "binding-destination": "q",
            "binding-destination_type": "queue",
        },
        **HX,
    )
    assert "HX-Trigger" not in response


def test_a_topic_exchange_routes_to_the_bound_queue(client, sandbox):
    add(client, sandbox, "exchange", name="orders", type="topic")
    add(client, sandbox, "queue", name="eu", queue_type="classic")
    add(client, sandbox, "queue", name="us", queue_type="classic")
    bind_queue(client, sandbox, "orders", "eu", "eu.#")
    bind_queue(client, sandbox, "orders", "us", "us.#")
    body = add(
        client, sandbox, "publish", exchange="orders", routing_key="eu.paris", body="hi", count="3"
    )
    assert "Published 3 messages." in body
    queues = {q["name"]: q["ready"] for q in describe(sandbox)["amqp"]["queues"]}
    assert queues == {"eu": 3, "us": 0}


def test_headers_bindings_take_a_table_and_x_match(client, sandbox):
    add(client, sandbox, "exchange", name="h", type="headers")
    add(client, sandbox, "queue", name="pdf", queue_type="classic")
    body = add(client, sandbox, "binding", source="h", destination="pdf", destination_type="queue")
    assert "headers exchange matches on a table" in body
    add(
        client,
        sandbox,
        "binding",
        source="h",
        destination="pdf",
        destination_type="queue",
        x_match="any",
        headers='{"format": "pdf", "size": 3}',
    )
    (binding,) = describe(sandbox)["amqp"]["bindings"]
    assert binding["arguments"] == {"format": "pdf", "size": 3, "x-match": "any"}


def test_queue_arguments_come_from_their_fields(client, sandbox):
    add(client, sandbox, "exchange", name="dlx", type="fanout")
    add(
        client,
        sandbox,
        "queue",
        name="work",
        queue_type="classic",
        message_ttl="5000",
        max_length="10",
        overflow="reject-publish",
        dead_letter_exchange="dlx",
        max_priority="5",
        single_active_consumer="on",
    )
    (queue,) = describe(sandbox)["amqp"]["queues"]
    args = queue["arguments"]
    assert args["x-message-ttl"] == 5000 and args["x-max-length"] == 10
    assert args["x-overflow"] == "reject-publish" and args["x-dead-letter-exchange"] == "dlx"
    assert args["x-max-priority"] == 5 and args["x-single-active-consumer"] is True


def test_editing_a_queue_redeclares_it_and_keeps_its_bindings(client, sandbox):
    add(client, sandbox, "exchange", name="orders", type="direct")
    add(client, sandbox, "queue", name="jobs", queue_type="classic")
    bind_queue(client, sandbox, "orders", "jobs", "k")
    body = post(
        client,
        url(sandbox, "queue/"),
        {
            "original": "jobs",
            "queue-name": "jobs",
            "queue-queue_type": "classic",
            "queue-max_length": "7",
        },
    )
    assert "Saved." in body
    st = describe(sandbox)
    (queue,) = st["amqp"]["queues"]
    assert queue["arguments"]["x-max-length"] == 7
    assert [b["destination"] for b in st["amqp"]["bindings"]] == ["jobs"]


def test_editing_a_consumer_changes_its_prefetch(client, sandbox):
    add(client, sandbox, "queue", name="jobs", queue_type="classic")
    add(
        client,
        sandbox,
        "consumer",
        queue="jobs",
        tag="worker",
        ack_mode="manual",
        prefetch_count="1",
    )
    fields = {"queue": "jobs", "tag": "worker", "ack_mode": "manual", "prefetch_count": "5"}
    body = post(
        client,
        url(sandbox, "consumer/"),
        {"original": "worker", **{f"consumer-{k}": v for k, v in fields.items()}},
    )
    assert "Saved." in body
    (consumer,) = describe(sandbox)["amqp"]["consumers"]
    assert consumer["prefetch"] == 5


def test_a_removed_consumer_leaves_the_diagram(client, sandbox):
    add(client, sandbox, "queue", name="jobs", queue_type="classic")
    add(client, sandbox, "consumer", queue="jobs", tag="worker", ack_mode="manual")
    post(client, url(sandbox, "consumer/delete/"), {"name": "worker"})
    assert describe(sandbox)["amqp"]["consumers"] == []
    assert 'data-node="c:worker"' not in client.get(url(sandbox, "diagram/")).content.decode()


def test_a_failed_edit_puts_the_old_queue_back(client, sandbox):
    add(client, sandbox, "queue", name="jobs", queue_type="classic", max_length="3")
    body = post(
        client,
        url(sandbox, "queue/"),
        {
            "original": "jobs",
            "queue-name": "jobs",
            "queue-queue_type": "quorum",
            "queue-arguments": '{"x-max-priority": 4}',
        },
    )
    assert 'class="error' in body
    (queue,) = describe(sandbox)["amqp"]["queues"]
    assert queue["arguments"]["x-max-length"] == 3


def test_topics_grow_but_never_shrink(client, sandbox):
    add(
        client,
        sandbox,
        "topic",
        name="clicks",
        partitions="2",
        replication_factor="1",
        cleanup_policy="delete",
    )
    body = post(
        client,
        url(sandbox, "topic/"),
        {
            "original": "clicks",
            "topic-name": "clicks",
            "topic-partitions": "1",
            "topic-replication_factor": "1",
            "topic-cleanup_policy": "delete",
        },
    )
    assert "never shrinks" in body
    post(
        client,
        url(sandbox, "topic/"),
        {
            "original": "clicks",
            "topic-name": "clicks",
            "topic-partitions": "4",
            "topic-replication_factor": "1",
            "topic-cleanup_policy": "delete",
            "topic-retention_ms": "60000",
        },
    )
    (topic,) = describe(sandbox)["kafka"]["topics"]
    assert len(topic["partitions"]) == 4 and topic["configs"]["retention.ms"] == 60000


def test_deleting_removes_the_entity_and_asks_for_a_redraw(client, sandbox):
    add(client, sandbox, "exchange", name="orders", type="direct")
    response = client.post(url(sandbox, "exchange/delete/"), {"name": "orders"}, **HX)
    assert "topology-changed" in response["HX-Trigger"]
    assert "orders" not in names(describe(sandbox)["amqp"]["exchanges"])


def test_unbinding_uses_the_bindings_key(client, sandbox):
    add(client, sandbox, "exchange", name="orders", type="direct")
    add(client, sandbox, "queue", name="jobs", queue_type="classic")
    bind_queue(client, sandbox, "orders", "jobs", "k")
    (binding,) = describe(sandbox)["amqp"]["bindings"]
    post(client, url(sandbox, "binding/delete/"), {"name": page_state.binding_key(binding)})
    assert describe(sandbox)["amqp"]["bindings"] == []


def test_consumer_crash_and_restart_buttons(client, sandbox):
    add(client, sandbox, "queue", name="jobs", queue_type="classic")
    add(
        client,
        sandbox,
        "consumer",
        queue="jobs",
        tag="worker",
        ack_mode="manual",
        prefetch_count="1",
    )
    post(client, url(sandbox, "action/"), {"op": "consumer.crash", "target": "worker"})
    (consumer,) = describe(sandbox)["amqp"]["consumers"]
    assert consumer["state"] != "active"
    post(client, url(sandbox, "action/"), {"op": "consumer.restart", "target": "worker"})
    (consumer,) = describe(sandbox)["amqp"]["consumers"]
    assert consumer["state"] == "active"


def test_unknown_actions_are_refused(client, sandbox):
    body = post(client, url(sandbox, "action/"), {"op": "sandbox.reset"})
    assert "Unknown action" in body


def test_groups_members_and_offset_resets(client, sandbox):
    add(
        client,
        sandbox,
        "topic",
        name="clicks",
        partitions="3",
        replication_factor="1",
        cleanup_policy="delete",
    )
    add(
        client,
        sandbox,
        "group",
        group_id="billing",
        topics="clicks",
        members="2",
        partition_assignment_strategy="range",
        commit_policy="after",
        auto_offset_reset="earliest",
    )
    (group,) = describe(sandbox)["kafka"]["groups"]
    assert len(group["members"]) == 2
    post(client, url(sandbox, "action/"), {"op": "member.add", "target": "billing"})
    (group,) = describe(sandbox)["kafka"]["groups"]
    assert len(group["members"]) == 3
    body = post(
        client,
        url(sandbox, "group-reset/"),
        {"group_id": "billing", "reset-topic": "clicks", "reset-to": "offset"},
    )
    assert "Give the offset" in body


def test_send_and_speed(client, sandbox):
    add(
        client,
        sandbox,
        "topic",
        name="clicks",
        partitions="3",
        replication_factor="1",
        cleanup_policy="delete",
    )
    body = add(
        client, sandbox, "send", topic="clicks", key_pattern="user-{n}", value="v", count="9"
    )
    assert "Sent 9 messages." in body
    assert "Speed is" in post(client, url(sandbox, "speed/"), {"speed": "50"})
    post(client, url(sandbox, "speed/"), {"speed": "2.5"})
    assert describe(sandbox)["speed"] == 2.5


def test_producers_need_a_rate_and_a_target_topic_for_kafka(client, sandbox):
    body = add(client, sandbox, "producer", name="p", broker="kafka", mode="rate", rate="0")
    assert "Name the topic" in body and "rate above 0" in body
    add(client, sandbox, "exchange", name="orders", type="fanout")
    add(
        client,
        sandbox,
        "producer",
        name="web",
        broker="amqp",
        target="orders",
        mode="once",
        rate="5",
        count="3",
    )
    (producer,) = describe(sandbox)["producers"]
    assert producer["name"] == "web" and producer["count"] == 3


def test_details_escape_names_and_offer_edit_and_delete(client, sandbox):
    add(client, sandbox, "exchange", name=XSS, type="fanout")
    body = client.get(url(sandbox, "node/"), {"id": "x:" + XSS}).content.decode()
    assert XSS not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "Delete exchange" in body and "Edit" in body


def test_details_of_a_deleted_node_say_it_is_gone(client, sandbox):
    body = client.get(url(sandbox, "node/"), {"id": "q:ghost"}).content.decode()
    assert "That is gone" in body


def test_the_diagram_escapes_labels(client, sandbox):
    add(client, sandbox, "queue", name=XSS, queue_type="classic")
    body = client.get(url(sandbox, "diagram/")).content.decode()
    assert XSS not in body and "&lt;img" in body


def test_editing_a_binding_replaces_it(client, sandbox):
    add(client, sandbox, "exchange", name="orders", type="topic")
    add(client, sandbox, "queue", name="eu", queue_type="classic")
    bind_queue(client, sandbox, "orders", "eu", "eu.*")
    (binding,) = describe(sandbox)["amqp"]["bindings"]
    details = client.get(url(sandbox, "node/"), {"id": "x:orders"}).content.decode()
    assert "Edit binding" in details and 'id="edit-b0-binding-routing_key"' in details
    fields = {
        "source": "orders",
        "destination": "eu",
        "destination_type": "queue",
        "routing_key": "eu.#",
    }
    body = post(
        client,
        url(sandbox, "binding/"),
        {
            "original": page_state.binding_key(binding),
            **{f"binding-{k}": v for k, v in fields.items()},
        },
    )
    assert "Saved." in body
    assert [b["routing_key"] for b in describe(sandbox)["amqp"]["bindings"]] == ["eu.#"]
