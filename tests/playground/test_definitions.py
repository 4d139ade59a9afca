"""RabbitMQ definitions.json: import with policies applied as RabbitMQ does, export, refusals."""

from __future__ import annotations

import json

import pytest

from playground.definitions import export_definitions, import_definitions
from playground.runtime import SandboxRuntime
from playground.sandbox_file import FileRefused

REGIONS = ["eu", "us", "apac", "latam"]
SERVICES = ["orders", "billing", "shipping", "audit", "email", "search"]


def realistic() -> dict:
    """A definitions file shaped like `rabbitmqctl export_definitions` output."""
    queues, bindings = [], []
    for service in SERVICES:
        for region in REGIONS:
            name = f"{service}.{region}"
            args = {"x-queue-type": "quorum"} if service == "billing" else {}
            if service == "email":
                args = {"x-message-ttl": 5000}  # smaller than the policy's: stays
            queues.append(
                {
                    "name": name,
                    "vhost": "/",
                    "durable": True,
                    "auto_delete": False,
                    "arguments": args,
                }
            )
            bindings.append(
                {
                    "source": "events",
                    "vhost": "/",
                    "destination": name,
                    "destination_type": "queue",
                    "routing_key": f"{service}.{region}.#",
                    "arguments": {},
                }
            )
        bindings.append(
            {
                "source": "by-header",
                "vhost": "/",
                "destination": f"{service}.eu",
                "destination_type": "queue",
                "routing_key": "",
                "arguments": {"x-match": "all", "service": service, "region": "eu"},
            }
        )
    queues += [
        {"name": "dead", "vhost": "/", "durable": True, "auto_delete": False, "arguments": {}},
        {"name": "tmp-1", "vhost": "/", "durable": False, "auto_delete": True, "arguments": {}},
    ]
    bindings += [
        {
            "source": "dlx",
            "vhost": "/",
            "destination": "dead",
            "destination_type": "queue",
            "routing_key": "",
            "arguments": {},
        },
        {
            "source": "events",
            "vhost": "/",
            "destination": "mirror",
            "destination_type": "exchange",
            "routing_key": "#",
            "arguments": {},
        },
        {
            "source": "mirror",
            "vhost": "/",
            "destination": "tmp-1",
            "destination_type": "queue",
            "routing_key": "",
            "arguments": {},
        },
        {
            "source": "by-header",
            "vhost": "/",
            "destination": "audit.us",
            "destination_type": "queue",
            "routing_key": "",
            "arguments": {"x-match": "any", "priority": "high", "urgent": None},
        },
    ]
    return {
        "rabbit_version": "3.10.8",
        "rabbitmq_version": "3.10.8",
        "product_name": "RabbitMQ",
        "product_version": "3.10.8",
        "users": [{"name": "guest", "password_hash": "xg1Qv1Pv4cM0qZ7eTnCtYfbVrt0=",
                   "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"],
                   "limits": {}}],
        "vhosts": [{"name": "/"}],
        "permissions": [{"user": "guest", "vhost": "/", "configure": ".*", "write": ".*",
                         "read": ".*"}],
        "topic_permissions": [],
        "parameters": [],
        "global_parameters": [{"name": "cluster_name", "value": "rabbit@box"}],
        "policies": [
            {"vhost": "/", "name": "all-dlx", "pattern": ".*", "apply-to": "queues",
             "definition": {"dead-letter-exchange": "dlx"}, "priority": 0},
            {"vhost": "/", "name": "eu-limits", "pattern": r"\.eu$", "apply-to": "queues",
             "definition": {"max-length": 1000, "overflow": "reject-publish",
                            "message-ttl": 60000, "delivery-limit": 3, "ha-mode": "all"},
             "priority": 5},
            {"vhost": "/", "name": "email", "pattern": "^email\\.", "apply-to": "queues",
             "definition": {"message-ttl": 30000, "dead-letter-exchange": "dlx"},
             "priority": 10},
            {"vhost": "/", "name": "never-dead", "pattern": "^dead$", "apply-to": "exchanges",
             "definition": {"alternate-exchange": "dlx"}, "priority": 99},
            {"vhost": "/", "name": "ae", "pattern": "^events$", "apply-to": "exchanges",
             "definition": {"alternate-exchange": "dlx"}, "priority": 0},
        ],
        "queues": queues,
        "exchanges": [
            {"name": n, "vhost": "/", "type": t, "durable": True, "auto_delete": False,
             "internal": n == "mirror", "arguments": {}}
            for n, t in [("events", "topic"), ("by-header", "headers"), ("dlx", "fanout"),
                         ("mirror", "fanout")]
        ],
        "bindings": bindings,
    }  # fmt: skip


def test_a_realistic_file_imports_with_policies_resolved_per_queue():
    result = import_definitions(json.dumps(realistic()))
    spec = result.spec
    assert len(spec["queues"]) == 26 and len(spec["exchanges"]) == 4
    assert len(spec["bindings"]) == 24 + 6 + 4
    q = spec["queues"]
    # highest priority wins, and only one policy applies: no dlx from all-dlx on eu queues
    assert q["orders.eu"]["arguments"] == {
        "x-max-length": 1000, "x-overflow": "reject-publish", "x-message-ttl": 60000,
    }  # fmt: skip
    assert q["orders.us"]["arguments"] == {"x-dead-letter-exchange": "dlx"}
    # delivery-limit only means something to quorum queues
    assert q["billing.eu"]["arguments"]["x-delivery-limit"] == 3
    # priority 10 beats 5; a smaller queue TTL wins over the policy's
    assert q["email.eu"]["arguments"] == {"x-message-ttl": 5000, "x-dead-letter-exchange": "dlx"}
    assert spec["exchanges"]["events"]["arguments"] == {"alternate-exchange": "dlx"}
    assert spec["exchanges"]["mirror"]["internal"] is True
    header = next(b for b in spec["bindings"] if b["destination"] == "audit.us"
                  and b["source"] == "by-header")  # fmt: skip
    assert header["arguments"] == {"x-match": "any", "priority": "high", "urgent": None}
    assert any(b["destination_type"] == "exchange" for b in spec["bindings"])


def test_the_import_tells_what_it_ignored_and_applied():
    notices = " ".join(import_definitions(json.dumps(realistic())).notices)
    assert "Ignored users, permissions, global_parameters" in notices
    assert "password hashes" in notices
    assert "'ha-mode' has no effect" in notices
    assert "Policy 'eu-limits' applied to 5 queue(s)" in notices


def test_a_realistic_file_round_trips_through_export():
    first = import_definitions(json.dumps(realistic())).spec
    exported = export_definitions(first)
    second = import_definitions(json.dumps(exported)).spec
    assert second == first
    assert exported["users"] == [] and exported["policies"] == []


def test_an_imported_topology_routes_like_the_file_says():
    rt = SandboxRuntime(1, import_definitions(json.dumps(realistic())).spec)
    rt.apply({"op": "publish", "exchange": "by-header", "routing_key": "",
              "headers": {"service": "audit", "region": "eu"}})  # fmt: skip
    rt.apply({"op": "publish", "exchange": "events", "routing_key": "orders.eu.new"})
    depth = {q["name"]: q["ready"] for q in rt.backend.describe()["amqp"]["queues"]}
    assert depth["audit.eu"] == 1 and depth["audit.us"] == 0
    assert depth["orders.eu"] == 1
    assert depth["tmp-1"] == 1  # through the exchange-to-exchange binding


def test_an_import_adds_to_the_current_spec_and_keeps_kafka():
    base = {"topics": {"t": {"partitions": 2, "replication_factor": 1, "configs": {}}}}
    spec = import_definitions(json.dumps(realistic()), base=base).spec
    assert "t" in spec["topics"] and "orders.eu" in spec["queues"]


def test_one_vhost_is_chosen_and_the_others_are_named():
    doc = realistic()
    doc["vhosts"].append({"name": "staging"})
    doc["queues"].append({"name": "elsewhere", "vhost": "staging", "arguments": {}})
    result = import_definitions(json.dumps(doc))
    assert "elsewhere" not in result.spec["queues"]
    assert any("'staging' ignored" in n for n in result.notices)
    only = import_definitions(json.dumps(doc), vhost="staging")
    assert list(only.spec["queues"]) == ["elsewhere"]


def with_(**changes) -> str:
    doc = realistic()
    doc.update(changes)
    return json.dumps(doc)


@pytest.mark.parametrize(
    "data, message",
    [
        ("{", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (with_(queues={"a": 1}), "'queues' must be a list"),
        (with_(queues=[{"name": ""}]), "needs a name"),
        (with_(queues=[{"name": "x" * 300}]), "longer than 255 bytes"),
        (with_(queues=[{"name": "q", "arguments": {"x-max-length": "lots"}}]), "x-max-length"),
        (with_(queues=[{"name": "q", "durable": "yes"}]), "'durable' of queue 'q'"),
        (with_(exchanges=[{"name": "x", "type": "topic", "arguments": []}]), "must be an object"),
        (with_(bindings=[{"source": "events", "destination": "nope",
                          "destination_type": "queue", "routing_key": ""}]), "bind 'nope'"),
        (with_(bindings=[{"source": "events", "destination": "q", "destination_type": "topic"}]),
         "destination_type"),
        (with_(policies=[{"name": "p", "pattern": "(", "definition": {}}]), "bad pattern"),
        (with_(policies=[{"name": "p", "pattern": ".", "apply-to": "everything",
                          "definition": {}}]), "apply-to"),
        (with_(vhosts=[{"name": "a"}, {"name": "b"}]), "choose which one"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_refused_with_a_clear_message(data, message):
    with pytest.raises(FileRefused) as exc:
        import_definitions(data)
    assert message in exc.value.message


def test_an_oversized_file_is_refused():
    with pytest.raises(FileRefused, match="limit"):
        import_definitions(b"[" + b"0," * 600_000 + b"0]")


def test_a_plugin_exchange_type_is_skipped_with_its_bindings():
    doc = realistic()
    doc["exchanges"].append({"name": "hash", "type": "x-consistent-hash", "arguments": {}})
    doc["bindings"].append({"source": "hash", "destination": "dead", "routing_key": "1"})
    result = import_definitions(json.dumps(doc))
    assert "hash" not in result.spec["exchanges"]
    assert any("x-consistent-hash" in n for n in result.notices)
