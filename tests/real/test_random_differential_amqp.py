"""Random RabbitMQ sessions on the simulator and on real RabbitMQ: an observer sees the same.

A hypothesis state machine (in the manner of fakeredis's tests against a real Redis)
declares queues (classic, with a dead-letter exchange, with a length limit, priority,
quorum, quorum with a delivery limit), binds them to a few exchanges, publishes, pulls
with basic.get, starts manual consumers, acks, nacks and rejects (one or `multiple`,
with or without requeue), cancels and crashes consumers and purges — the same step on
both backends. After each step the real broker is given time to settle, then both must
show the same: what each step returned (message id, redelivered, message count,
x-death), every consumer's deliveries (message id, redelivered), and each queue's ready
count. At the end every queue, the dead-letter queue included, is drained and compared
(the dead-letter queue by source queue: queues dead-letter concurrently).

The budget is `BP_RANDOM_SEQUENCES` sequences (200 by default) of up to
`BP_RANDOM_STEPS` steps (20), the same ones on every run (`BP_RANDOM_EXPLORE=1` draws
new ones); each sequence is a fresh sandbox prefix on the shared
broker, deleted afterwards. Message TTLs and streams are left out: virtual time and wall
time do not pass alike, and a stream's chunks follow the real writer's timing.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from brokers.amqp.api import Properties
from brokers.errors import BrokerError
from brokers.real.backend import make_backend
from brokers.sim import Simulator

pytestmark = pytest.mark.real
MGMT = os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")
SEQUENCES = int(os.environ.get("BP_RANDOM_SEQUENCES", "200"))
STEPS = int(os.environ.get("BP_RANDOM_STEPS", "20"))
STATS: dict[str, int] = {}  # steps taken, by kind (printed at the end)
SETTLE = 2.0  # seconds the real broker gets to show what the simulator shows

QUEUES = ("q0", "q1", "q2")
EXCHANGES = {"xd": "direct", "xt": "topic", "xf": "fanout"}
KEYS = ("a", "b", "a.b")
KINDS = {
    "classic": {},
    "dlx": {"x-dead-letter-exchange": "dlx"},
    "max2": {"x-max-length": 2},
    "max2-reject": {"x-max-length": 2, "x-overflow": "reject-publish"},
    "max2-dlx": {"x-max-length": 2, "x-dead-letter-exchange": "dlx"},
    "priority": {"x-max-priority": 5},
    "sac": {"x-single-active-consumer": True},
    "quorum": {"x-queue-type": "quorum"},
    "quorum-dlx": {"x-queue-type": "quorum", "x-dead-letter-exchange": "dlx"},
    "quorum-max2": {"x-queue-type": "quorum", "x-max-length": 2},
    "quorum-sac": {"x-queue-type": "quorum", "x-single-active-consumer": True},
    "quorum-limit": {
        "x-queue-type": "quorum",
        "x-delivery-limit": 1,
        "x-dead-letter-exchange": "dlx",
    },
}
DEATH_KEYS = ("queue", "reason", "count")


def _deaths(headers):
    return [tuple(d.get(k) for k in DEATH_KEYS) for d in headers.get("x-death", []) or []]


def _got(g):
    if g is None:
        return None
    return (g.msg, g.redelivered, g.message_count, _deaths(g.properties.headers))


class Side:
    """One backend and the events it produced so far."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.api = backend.amqp
        self.events: list = []

    def pump(self, seconds: float) -> None:
        self.backend.advance(seconds)
        self.events.extend(self.backend.drain())

    def deliveries(self) -> dict[str, list[tuple[str, bool]]]:
        out: dict[str, list[tuple[str, bool]]] = {}
        for e in self.events:
            if e.kind == "delivered" and not getattr(e, "get", False):
                out.setdefault(e.consumer_tag, []).append((e.msg, e.redelivered))
        return out


class RandomAmqp(RuleBasedStateMachine):
    """The same random session on the simulator and on real RabbitMQ."""

    url = ""

    def __init__(self) -> None:
        super().__init__()
        self.sim = Side(Simulator(seed=1))
        real = make_backend(
            "rabbitmq",
            url=self.url,
            prefix=f"bp.r{uuid.uuid4().hex[:8]}.",
            management_url=MGMT,
        )
        assert real.status()["state"] == "connected", real.status()
        self.real = Side(real)
        self.queues: dict[str, str] = {}  # name -> kind
        self.consumers: dict[str, str] = {}  # live consumer tag -> queue
        self.next_consumer = 0
        self.log: list[str] = []

    # -- doing one step on both ----------------------------------------------------------
    def both(self, what: str, fn):
        """Run `fn(api)` on both; both must return the same or fail the same way."""
        self.log.append(what)
        STATS[what.split()[0]] = STATS.get(what.split()[0], 0) + 1
        out = []
        for side in (self.sim, self.real):
            try:
                out.append(("ok", fn(side.api)))
            except BrokerError as exc:
                out.append(("error", type(exc).__name__, str(exc)))
        assert out[0] == out[1], f"{what}: simulator {out[0]} vs real {out[1]}\n{self.log}"
        self.settle()
        return out[0]

    def ready(self, side: Side) -> dict[str, int]:
        if side is self.sim:
            return {q["name"]: q["ready"] for q in side.api.describe()["queues"]}
        adapter = side.api
        out = {}
        for name in [*self.queues, "dead"]:
            frame = adapter._do(
                lambda ch, n=name: ch.queue_declare(adapter.names.queue(n), passive=True)
            )
            out[name] = frame.method.message_count
        return out

    def observed(self, side: Side):
        ready = self.ready(side)
        return side.deliveries(), {q: ready.get(q, 0) for q in [*self.queues, "dead"]}

    def settle(self) -> None:
        """Let the simulator run to rest, then wait until real RabbitMQ shows the same."""
        self.sim.pump(1.0)
        want = self.observed(self.sim)
        deadline = time.monotonic() + SETTLE
        while True:
            self.real.pump(0.0)
            got = self.observed(self.real)
            if got == want or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert got == want, f"after {self.log}:\n simulator {want}\n real      {got}"

    # -- topology ------------------------------------------------------------------------
    @initialize(
        kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=len(QUEUES)),
        bindings=st.lists(
            st.tuples(
                st.integers(0, len(QUEUES) - 1),
                st.sampled_from(sorted(EXCHANGES)),
                st.sampled_from((*KEYS, "#", "*")),
            ),
            max_size=4,
        ),
    )
    def topology(self, kinds, bindings) -> None:
        """A random small topology: 1-3 queues of random kinds, up to 4 bindings."""

        def setup(api):
            for name, kind in EXCHANGES.items():
                api.exchange_declare(name, kind)
            api.exchange_declare("dlx", "fanout")
            api.queue_declare("dead")
            api.queue_bind("dead", "dlx", "")

        self.both("setup", setup)
        for name, kind in zip(QUEUES, kinds, strict=False):
            self.both(
                f"declare {name} {kind}",
                lambda api, name=name, kind=kind: api.queue_declare(name, arguments=KINDS[kind]),
            )
            self.queues[name] = kind
        for i, exchange, key in bindings:
            queue = QUEUES[i % len(kinds)]
            self.both(
                f"bind {queue} {exchange} {key}",
                lambda api, q=queue, x=exchange, k=key: api.queue_bind(q, x, k),
            )

    # -- one step: weighted towards what moves messages ------------------------------------
    OPS = ("publish",) * 4 + ("get",) * 2 + ("settle",) * 4 + ("consume",) * 2 + ("stop", "purge")

    @rule(data=st.data())
    def step(self, data) -> None:
        op = data.draw(st.sampled_from(self.OPS), label="op")
        if op == "settle" and not self._unacked():
            op = "publish"
        if op == "stop" and not self.consumers:
            op = "consume"
        if op == "consume" and len(self.consumers) >= 3:
            op = "get"
        getattr(self, f"_{op}")(data)

    def _queue(self, data) -> str:
        return data.draw(st.sampled_from(sorted(self.queues)), label="queue")

    def _publish(self, data) -> None:
        exchange = data.draw(st.sampled_from(["", "", *sorted(EXCHANGES)]), label="exchange")
        if exchange == "":
            key = data.draw(st.sampled_from([*sorted(self.queues), "nowhere"]), label="key")
        else:
            key = data.draw(st.sampled_from(KEYS), label="key")
        priority = data.draw(st.sampled_from([None, 1, 5]), label="priority")
        mandatory = data.draw(st.booleans(), label="mandatory")
        props = Properties(priority=priority) if priority is not None else None
        self.both(
            f"publish {exchange!r} {key} p={priority} mandatory={mandatory}",
            lambda api: api.basic_publish(
                exchange, key, "x", properties=props, mandatory=mandatory
            ),
        )

    def _get(self, data) -> None:
        queue = self._queue(data)
        auto_ack = data.draw(st.booleans(), label="auto_ack")
        self.both(
            f"get {queue} auto_ack={auto_ack}",
            lambda api: _got(api.basic_get(queue, auto_ack=auto_ack)),
        )

    def _unacked(self) -> list[tuple[str, int]]:
        broker = self.sim.api
        out = [(c, t) for c in self.consumers for t in broker.consumers[c].channel.unacked]
        getter = broker.getters.get("get")
        if getter is not None:
            out += [("get", t) for t in getter.unacked]
        return sorted(out)

    def _settle(self, data) -> None:
        tag, delivery = data.draw(st.sampled_from(self._unacked()), label="delivery")
        how = data.draw(st.sampled_from(["ack", "nack", "reject"]), label="how")
        requeue = data.draw(st.booleans(), label="requeue")
        multiple = how != "reject" and data.draw(st.booleans(), label="multiple")
        if how == "ack":
            fn = lambda api: api.basic_ack(tag, delivery, multiple=multiple)  # noqa: E731
        elif how == "nack":
            fn = lambda api: api.basic_nack(tag, delivery, multiple=multiple, requeue=requeue)  # noqa: E731
        else:
            fn = lambda api: api.basic_reject(tag, delivery, requeue=requeue)  # noqa: E731
        self.both(f"{how} {tag} {delivery} requeue={requeue} multiple={multiple}", fn)

    def _consume(self, data) -> None:
        queue = self._queue(data)
        prefetch = data.draw(st.integers(1, 3), label="prefetch")
        priority = data.draw(st.sampled_from([0, 0, 5]), label="x-priority")
        args = {"x-priority": priority} if priority else {}
        tag = f"c{self.next_consumer}"
        self.next_consumer += 1
        self.both(
            f"consume {queue} {tag} prefetch={prefetch} x-priority={priority}",
            lambda api: api.basic_consume(
                queue, tag, prefetch_count=prefetch, behaviour="manual", arguments=args
            ),
        )
        self.consumers[tag] = queue

    def _stop(self, data) -> None:
        tag = data.draw(st.sampled_from(sorted(self.consumers)), label="consumer")
        if data.draw(st.booleans(), label="crash"):
            self.both(f"crash {tag}", lambda api: api.crash_consumer(tag))
        else:
            self.both(f"cancel {tag}", lambda api: api.basic_cancel(tag))
        del self.consumers[tag]

    def _purge(self, data) -> None:
        queue = self._queue(data)
        self.both(f"purge {queue}", lambda api: api.queue_purge(queue))

    # -- the end -------------------------------------------------------------------------
    def teardown(self) -> None:
        try:
            for tag in sorted(self.consumers):
                self.both(f"cancel {tag}", lambda api, tag=tag: api.basic_cancel(tag))
            for queue in [*sorted(self.queues), "dead"]:

                def drain(api, queue=queue):
                    out = []
                    while (got := api.basic_get(queue, auto_ack=True)) is not None:
                        out.append(_got(got))
                    if queue != "dead":
                        return out
                    # each source queue dead-letters on its own: their order is kept within
                    # one source queue, not across them
                    return sorted(((m, r, d) for m, r, _, d in out), key=lambda g: g[2][:1])

                self.both(f"drain {queue}", drain)
        finally:
            self.real.backend.destroy()
            self.real.backend.close()


@pytest.fixture
def machine(rabbitmq_url):
    RandomAmqp.url = rabbitmq_url
    return RandomAmqp


def test_random_sessions_look_the_same_on_the_simulator_and_on_rabbitmq(machine):
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=SEQUENCES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=os.environ.get("BP_RANDOM_EXPLORE") != "1",
            phases=[Phase.explicit, Phase.generate]
            if os.environ.get("BP_RANDOM_NO_SHRINK") == "1"
            else list(Phase),
        ),
    )
    print("steps by kind:", dict(sorted(STATS.items())))
