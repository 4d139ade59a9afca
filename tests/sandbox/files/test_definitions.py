"""RabbitMQ definitions.json: import with policies applied as RabbitMQ does, export, refusals."""

from __future__ import annotations

import json

import pytest

from sandbox.files.definitions import export_definitions, import_definitions
from sandbox.files.sandbox_json import FileRefused
from sandbox.runtime import SandboxRuntime

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


# -- policy rules, each checked against a real RabbitMQ 3.10.8 ---------------------------
def policy_doc(policies, queues=(), exchanges=()) -> str:
    """A minimal definitions file: policies plus (name, arguments) queues and exchanges."""
    return json.dumps(
        {
            "vhosts": [{"name": "/"}],
            "policies": [
                {"vhost": "/", "apply-to": "queues", "priority": 0, **p} for p in policies
            ],
            "queues": [
                {"name": n, "vhost": "/", "durable": True, "auto_delete": False, "arguments": a}
                for n, a in queues
            ],
            "exchanges": [
                {"name": n, "vhost": "/", "type": "fanout", "durable": True,
                 "auto_delete": False, "internal": False, "arguments": a}
                for n, a in exchanges
            ],
        }
    )  # fmt: skip


def queue_args(result, name: str) -> dict:
    return result.spec["queues"][name]["arguments"]


def test_highest_priority_policy_wins_alone_without_merging():
    """Highest priority wins and only its definition applies (checked on RabbitMQ 3.10.8)."""
    doc = policy_doc(
        [
            {"name": "low", "pattern": "^p", "priority": 1,
             "definition": {"max-length": 5, "message-ttl": 1000}},
            {"name": "high", "pattern": "^p", "priority": 2, "definition": {"max-length": 7}},
        ],
        [("prio-q", {})],
    )  # fmt: skip
    assert queue_args(import_definitions(doc), "prio-q") == {"x-max-length": 7}


def test_a_priority_tie_takes_the_first_in_the_file_and_says_so():
    """Priority ties follow RabbitMQ's table order, not file or name order (RabbitMQ 3.10.8)."""
    doc = policy_doc(
        [
            {"name": "tie-b", "pattern": "^tie", "priority": 5, "definition": {"max-length": 2}},
            {"name": "tie-a", "pattern": "^tie", "priority": 5, "definition": {"max-length": 1}},
        ],
        [("tie-q", {})],
    )  # fmt: skip
    result = import_definitions(doc)
    assert queue_args(result, "tie-q") == {"x-max-length": 2}
    assert any("tie at priority 5" in n and "'tie-b'" in n for n in result.notices)


@pytest.mark.parametrize(
    "pattern, name, applies",
    [("r.x3", "bp-rrx3-q", True), ("check-rx", "bp-policycheck-rx-q", True),
     ("^policycheck", "bp-policycheck-q", False), ("q$", "bp-q", True)],
)  # fmt: skip
def test_a_policy_pattern_is_a_regex_searched_in_the_name(pattern, name, applies):
    """A policy pattern is a regex searched anywhere in the name (checked on RabbitMQ 3.10.8)."""
    doc = policy_doc([{"name": "rx", "pattern": pattern, "definition": {"max-length": 4}}],
                     [(name, {})])  # fmt: skip
    assert queue_args(import_definitions(doc), name) == ({"x-max-length": 4} if applies else {})


@pytest.mark.parametrize("apply_to", ["classic_queues", "quorum_queues", "streams"])
def test_apply_to_values_from_3_12_are_refused(apply_to):
    """apply-to classic_queues/quorum_queues/streams is refused (checked on RabbitMQ 3.10.8)."""
    doc = policy_doc([{"name": "p", "pattern": ".", "apply-to": apply_to,
                       "definition": {"max-length": 1}}], [("q", {})])  # fmt: skip
    with pytest.raises(FileRefused, match="3.12"):
        import_definitions(doc)


@pytest.mark.parametrize(
    "key, arg, qtype",
    [("message-ttl", "x-message-ttl", "classic"), ("expires", "x-expires", "classic"),
     ("max-length", "x-max-length", "classic"),
     ("max-length-bytes", "x-max-length-bytes", "classic"),
     ("delivery-limit", "x-delivery-limit", "quorum")],
)  # fmt: skip
def test_a_limit_takes_the_smaller_of_policy_and_argument(key, arg, qtype):
    """Limits take the smaller of policy and queue argument (checked on RabbitMQ 3.10.8)."""
    base = {"x-queue-type": "quorum"} if qtype == "quorum" else {}
    doc = policy_doc(
        [{"name": "lim", "pattern": "^lim-", "definition": {key: 2000}}],
        [("lim-policy-smaller", {**base, arg: 60000}), ("lim-arg-smaller", {**base, arg: 300}),
         ("lim-policy-only", dict(base))],
    )  # fmt: skip
    result = import_definitions(doc)
    assert queue_args(result, "lim-policy-smaller")[arg] == 2000
    assert queue_args(result, "lim-arg-smaller")[arg] == 300
    assert queue_args(result, "lim-policy-only")[arg] == 2000


def test_dead_lettering_and_overflow_arguments_win_key_by_key():
    """Queue dead-letter/overflow arguments beat the policy, key by key (RabbitMQ 3.10.8)."""
    doc = policy_doc(
        [{"name": "dl", "pattern": "^d", "definition": {
            "dead-letter-exchange": "dx-pol", "dead-letter-routing-key": "kpol",
            "overflow": "drop-head"}}],
        [("d1", {"x-dead-letter-exchange": "dx-arg"}),
         ("d2", {"x-dead-letter-exchange": "dx-arg", "x-dead-letter-routing-key": "karg",
                 "x-overflow": "reject-publish"}),
         ("d3", {})],
        [("dx-arg", {}), ("dx-pol", {})],
    )  # fmt: skip
    result = import_definitions(doc)
    assert queue_args(result, "d1") == {"x-dead-letter-exchange": "dx-arg",
                                        "x-dead-letter-routing-key": "kpol",
                                        "x-overflow": "drop-head"}  # fmt: skip
    assert queue_args(result, "d2") == {"x-dead-letter-exchange": "dx-arg",
                                        "x-dead-letter-routing-key": "karg",
                                        "x-overflow": "reject-publish"}  # fmt: skip
    assert queue_args(result, "d3") == {"x-dead-letter-exchange": "dx-pol",
                                        "x-dead-letter-routing-key": "kpol",
                                        "x-overflow": "drop-head"}  # fmt: skip


def test_a_dead_letter_routing_key_without_an_exchange_argument_is_refused():
    """x-dead-letter-routing-key without x-dead-letter-exchange is refused (RabbitMQ 3.10.8)."""
    doc = policy_doc([], [("q", {"x-dead-letter-routing-key": "k"})])
    with pytest.raises(FileRefused, match="routing_key_but_no_dlx_defined"):
        import_definitions(doc)


def test_an_exchange_alternate_exchange_argument_beats_the_policy():
    """An exchange's alternate-exchange argument beats a policy's (checked on RabbitMQ 3.10.8)."""
    doc = policy_doc(
        [{"name": "ae", "pattern": "^src", "apply-to": "exchanges",
          "definition": {"alternate-exchange": "ae-pol"}}],
        exchanges=[("ae-arg", {}), ("ae-pol", {}), ("src-1", {"alternate-exchange": "ae-arg"}),
                   ("src-2", {})],
    )  # fmt: skip
    exchanges = import_definitions(doc).spec["exchanges"]
    assert exchanges["src-1"]["arguments"] == {"alternate-exchange": "ae-arg"}
    assert exchanges["src-2"]["arguments"] == {"alternate-exchange": "ae-pol"}
