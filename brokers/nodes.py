"""Node ids: how the engine names the places a message can be, for the diagram and the inspector.

A node id is a kind prefix, a colon and the entity's name; a partition adds its index:

    "x:<exchange>"  "q:<queue>"  "c:<consumer tag>"  "p:<producer or publisher>"
    "t:<topic>"  "tp:<topic>:<partition>"  "g:<group>"  "m:<member>"

The inspector's steps (`brokers.journey`), the frames' moves and the diagram's nodes all
use these ids, so a step or a move finds the box it belongs to. Names are user text and
ids are not escaped here: escape them wherever they are rendered. An id splits back at
its first colon (`node_id.partition(":")`), so a name with colons comes back whole.
Leaves out ids for things the diagram does not draw (bindings, a cluster's brokers).
"""

from __future__ import annotations

EXCHANGE = "x"
QUEUE = "q"
CONSUMER = "c"
PRODUCER = "p"
TOPIC = "t"
PARTITION = "tp"
GROUP = "g"
MEMBER = "m"
PREFIXES = (EXCHANGE, QUEUE, CONSUMER, PRODUCER, TOPIC, PARTITION, GROUP, MEMBER)


def exchange(name: str) -> str:
    return f"{EXCHANGE}:{name}"


def queue(name: str) -> str:
    return f"{QUEUE}:{name}"


def consumer(tag: str) -> str:
    return f"{CONSUMER}:{tag}"


def producer(name: str) -> str:
    return f"{PRODUCER}:{name}"


def topic(name: str) -> str:
    return f"{TOPIC}:{name}"


def partition(topic: str, index: int) -> str:
    return f"{PARTITION}:{topic}:{index}"


def group(group_id: str) -> str:
    return f"{GROUP}:{group_id}"


def member(member_id: str) -> str:
    return f"{MEMBER}:{member_id}"
