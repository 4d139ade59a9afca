"""The command and frame vocabulary shared by views, the WebSocket consumer and the runtime.

Commands are JSON dicts `{"op": <name>, ...fields}` sent to the sandbox runtime through
the channel layer; the runtime answers `{"ok": True, ...}` or `{"ok": False, "error": str,
"field": str | None}`. Frames are what every viewer's WebSocket receives, one per tick.

Node ids in frames, in the inspector's steps and in the SVG diagram are the engine's,
`brokers.nodes` (ids are the entity names, so they are escaped wherever they are rendered).
"""

from __future__ import annotations

# Topology and agents (RabbitMQ)
AMQP_OPS = (
    "exchange.declare",  # name, type, durable, auto_delete, internal, arguments
    "exchange.delete",  # name
    "queue.declare",  # name, durable, exclusive, auto_delete, arguments
    "queue.delete",  # name
    "queue.purge",  # name
    "bind",  # source, destination, destination_type ("queue"|"exchange"), routing_key, arguments
    "unbind",  # same fields as bind
    "consumer.add",  # queue, tag?, prefetch_count, auto_ack, processing_time, failure_rate,
    #                  requeue_on_failure, arguments
    "consumer.update",  # tag + the fields of consumer.add
    "consumer.remove",  # tag
    "consumer.crash",  # tag
    "consumer.restart",  # tag
    "publish",  # exchange, routing_key, body, headers, priority, expiration, mandatory,
    #             count (>=1), rate (msgs/s, 0 = all at once), key_pattern
)

# Topology and agents (Kafka)
KAFKA_OPS = (
    "topic.create",  # name, partitions, replication_factor, configs
    "topic.alter",  # name, configs
    "topic.partitions",  # name, total
    "topic.delete",  # name
    "group.add",  # group_id, topics, partition_assignment_strategy, commit_policy,
    #               auto_commit_interval_ms, auto_offset_reset, max_poll_records,
    #               processing_time, session_timeout_ms, members (how many to start)
    "group.update",  # group_id + the fields of group.add
    "group.remove",  # group_id
    "member.add",  # group_id
    "member.leave",  # member
    "member.crash",  # member
    "group.reset",  # group_id, topic, to ("earliest"|"latest"|"offset"|"timestamp"), value
    "send",  # topic, key, value, headers, partition, count, rate, key_pattern
    "broker.stop",  # id
    "broker.start",  # id
)

# Producers that publish on their own (either broker)
PRODUCER_OPS = (
    "producer.add",  # name, broker ("amqp"|"kafka"), target (exchange or topic), routing_key,
    #                  key_pattern, headers, payload, priority, rate (msgs/s), count (0 = forever)
    "producer.update",  # name + the fields of producer.add
    "producer.remove",  # name
    "producer.start",  # name
    "producer.stop",  # name
)

# Time and the sandbox itself
CONTROL_OPS = (
    "time.play",
    "time.pause",
    "time.step",  # run exactly one scheduled engine action
    "time.speed",  # speed: 0.1 .. 20
    "time.at",  # after (virtual s, 0..3600), command: run an engine command then (not saved)
    "sandbox.reset",  # empty topology; seed (optional): a new seed, else the same
    "sandbox.snapshot",  # answer with a full frame (sent to a viewer on connect)
    "message.trace",  # msg?, limit?: the history's events about one message (inspector)
    "message.journey",  # msg: {"journey": brokers.journey Journey.to_dict(), "body", "headers"}
    "message.search",  # text, limit?: {"msgs": ids} by id, routing/record key or payload text
    "message.recent",  # node, cell?: {"items": [{msg, t, kind, text}]} seen lately at a node
    "sandbox.load",  # spec, seed?: replace the topology with an already-checked spec
)

# The classroom: a narrated scenario in the runtime, and the owner's edit lock
CLASSROOM_OPS = (
    "scenario.load",  # slug, position?: empty the sandbox, the scenario's seed and topology
    "scenario.next",  # start the next step playing (finish a playing one on the simulator)
    "scenario.back",  # replay to the previous step's end (from a playing step: its start)
    "scenario.check",  # measure the current step's claims again
    "scenario.close",  # forget the narration, keep the topology
    "sandbox.lock",  # locked: refuse topology edits until unlocked
)

ALL_OPS = AMQP_OPS + KAFKA_OPS + PRODUCER_OPS + CONTROL_OPS + CLASSROOM_OPS

# Frame keys: {"type": "frame", "seq", "now", "speed", "paused", "seed", "status",
#   "amqp": describe()["amqp"], "kafka": describe()["kafka"],
#   "moves": [{"msg", "kind", "from", "to"}] (at most FRAME_MAX_MOVES),
#   "log": [event dicts] (at most FRAME_MAX_LOG, newest last), "more": int (events not shown),
#   "series": {"now", "lag": {group: int}, "depth": {queue: int}},
#   added by the runtime: "behind" (the engine could not keep up with speed this tick),
#   "producers": [{"name", "broker", "target", "rate", "count", "sent", "state", "error"}],
#   "caps": {"entities", "max_entities", "retained", "max_retained", "max_publish_rate"},
#   "truncated": [list names cut to fit FRAME_MAX_BYTES] (only when it happened);
#   "locked": bool, "scenario": None or {"slug", "title", "summary", "concepts", "index",
#     "total", "finished", "playing": None | {"progress", "phase", "from", "to"},
#     "step": Step.to_dict() | None, "claims": [{"ok", "says", "message", "skipped",
#     "pending"?}], "note", "backend", "real"} (sandbox.runtime.classroom);
#   "dot_ms": how long a dot travels (frames.dot_seconds); "chart": {"t", "lag", "depth"}
#     (a scenario's chart history: in snapshots, and after a replay replaced it);
#   added by the host: "wall" (epoch seconds when sent), "sandbox" (id);
#   a move may carry "n" (records in a Kafka batch); "from"/"to" may be null}
#: characters in a message body or payload template, wherever it is typed or loaded
MAX_PAYLOAD = 1000
FRAME_MAX_MOVES = 64
FRAME_MAX_LOG = 50
FRAME_MAX_BYTES = 64 * 1024
SPEED_MIN = 0.1
SPEED_MAX = 20.0
# Playground caps (not broker rules): they protect a shared server. The runtime checks
# them on every door; the forms take their limits from here.
#: messages one publish or send command may ask for (with a rate; at once, also the
#: sandbox's publish-rate and retained caps apply)
MAX_BURST = 10_000
#: messages a one-shot producer sends (0 = forever, at its rate)
MAX_PRODUCER_COUNT = 1_000_000
#: members one consumer group may have (a member polls on its own; 64 partitions at most)
MAX_GROUP_MEMBERS = 16
#: msg/s a sandbox's producers and bursts may publish in all, by default
#: (settings.BP_MAX_PUBLISH_RATE sets it; runtime Caps.max_publish_rate carries it)
MAX_PUBLISH_RATE = 2_000
#: a sandbox's seed, wherever it is typed, loaded or sent: 0 .. MAX_SEED (a signed 64-bit int)
MAX_SEED = 2**63 - 1
