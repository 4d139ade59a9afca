"""`NatsAdapter`: core NATS on a real server, plus the connection, polling and shutdown.

Core NATS maps one to one: a playground subscriber is a nats-py subscription (a queue
subscription in a queue group), a publish is a publish. Message ids travel in the reply
subject: every publish carries `_<prefix>ack.<msg>` (a stream answers there with its
PubAck, the server with a 503 status when nobody listens, which is how a drop is seen),
every request `_<prefix>inbox.<msg>`. Responders reply with a `Bp-Sub` header naming
themselves. `NatsRouted` is computed from the sandbox's own subscriptions (only they can
match its prefixed subjects), `NatsDelivered` comes from the subscription that really got
the message. Stream and consumer state is polled every `POLL_INTERVAL` seconds for the
live view; removals the server made on its own (limits, max_age, interest) are found by
comparing the sequences the adapter saw stored with the stream's state. JetStream lives
in `jetstream`, workers in `workers`. Leaves out slow-consumer events and the JetStream
API's advisories other than max deliveries and consumer deletion.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

from brokers.errors import Disconnected, NotFound, ValidationError
from brokers.nats import events as ev
from brokers.nats import subjects as subj
from brokers.nats import validation as check
from brokers.nats.api import NatsApi
from brokers.nats.subjects import SubjectTrie
from brokers.real.common import EventSink
from brokers.real.nats.jetstream import JetStreamOps
from brokers.real.nats.loop import NatsLoop, api_error, explain
from brokers.real.nats.names import NatsNames
from brokers.real.nats.subscriber import Subscriber
from brokers.real.nats.workers import WorkerOps

POLL_INTERVAL = 0.5
SUB_HEADER = "Bp-Sub"
MSG_HEADER = "Bp-Msg"


class NatsAdapter(JetStreamOps, WorkerOps, NatsApi):
    """One sandbox's view of a real nats-server."""

    def __init__(self, url: str, prefix: str, seed: int, sink: EventSink) -> None:
        self.url = url
        self.names = NatsNames(prefix)
        self.seed = seed
        self.sink = sink
        self.rng = random.Random(f"{seed}:nats")
        self.loop: NatsLoop | None = None
        self._reason = "not connected"
        self.subscribers: dict[str, Subscriber] = {}
        self.interest: SubjectTrie[Subscriber] = SubjectTrie()
        self.requests: dict[str, tuple[str, float, Any]] = {}
        self._msg_seq = 0
        self._sub_order = 0
        self._sub_names = 0
        self._last_poll = 0.0
        self.wall_start = time.time() - sink.now()
        self._init_jetstream()
        self._init_workers()

    # -- connection ------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.loop is not None and self.loop.alive

    def connect(self) -> None:
        """Open a connection in a fresh loop thread and subscribe the adapter's inboxes."""
        if self.loop is not None:
            self.loop.stop(join=1)
        loop = NatsLoop(self.url, f"{self.names.prefix}nats")
        try:
            loop.start_and_wait()
        except Disconnected as exc:
            self._reason = str(exc)
            raise
        self.loop = loop
        loop.submit(self._subscribe_inboxes)
        self._reason = ""

    @property
    def lost_reason(self) -> str:
        """Why the connection is not up (empty while it is)."""
        if self.loop is not None and self.loop.lost:
            return self.loop.lost
        return self._reason or ("" if self.connected else "NATS is not connected")

    def redeclare(self) -> None:
        """After a reconnect: streams, consumers, subscribers and workers again."""
        self._redeclare_jetstream()
        for sub in list(self.subscribers.values()):
            if sub.worker is None:
                self._submit(lambda s=sub: self._open_subscriber(s))
        self._restart_workers()

    def _submit(self, factory: Any, timeout: float = 10.0) -> Any:
        if self.loop is None or not self.loop.alive:
            raise Disconnected(self.lost_reason or "NATS is not connected")
        return self.loop.submit(factory, timeout)

    async def _subscribe_inboxes(self) -> None:
        nc = self.loop.nc  # type: ignore[union-attr]
        await nc.subscribe(self.names.ack_inbox(), cb=self._on_ack)
        await nc.subscribe(self.names.request_inbox(), cb=self._on_reply)
        for kind in ("MAX_DELIVERIES", "DELETED"):
            await nc.subscribe(f"$JS.EVENT.ADVISORY.CONSUMER.{kind}.*.*", cb=self._on_advisory)
        await nc.flush()

    async def api(self, suffix: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """One JetStream API request; raises the playground error for an error reply."""
        data = json.dumps(payload).encode() if payload is not None else b""
        reply = await self.loop.nc.request(f"$JS.API.{suffix}", data, timeout=5)  # type: ignore[union-attr]
        resp = json.loads(reply.data)
        if "error" in resp:
            raise api_error(resp["error"], self.names.scrub)
        return resp

    def emit(self, cls: type, **fields: Any) -> None:
        self.sink.emit(cls, **fields)

    def _new_msg_id(self) -> str:
        self._msg_seq += 1
        return f"n{self._msg_seq}"

    # -- core NATS -------------------------------------------------------------------
    def subscribe(
        self,
        subject: str,
        queue: str = "",
        name: str | None = None,
        behaviour: str = "auto",
        processing_time: float = 0.0,
        reply_data: bytes | str = b"ok",
    ) -> str:
        subj.check_subject(subject, wildcards=True)
        if queue:
            subj.check_name("queue group", queue)
        check.choice("behaviour", behaviour, ("auto", "reply"))
        processing = check.seconds("processing_time", processing_time)
        data = check.data_bytes(reply_data)
        name = self._new_sub_name(name)
        self._sub_order += 1
        sub = Subscriber(name, subject, queue or "", behaviour, processing, data, self._sub_order)
        self._submit(lambda: self._open_subscriber(sub))
        self.subscribers[name] = sub
        self.interest.add(subject, sub)
        self.emit(ev.Subscribed, sub=name, subject=subject, queue=sub.queue, behaviour=behaviour)
        return name

    async def _open_subscriber(self, sub: Subscriber) -> None:
        async def cb(m: Any) -> None:
            await self._on_core_message(sub, m)

        sub.handle = await self.loop.nc.subscribe(  # type: ignore[union-attr]
            self.names.subject(sub.subject), queue=sub.queue, cb=cb
        )
        await self.loop.nc.flush()  # type: ignore[union-attr]
        self._interest_changed(sub.subject)

    def unsubscribe(self, name: str) -> None:
        sub = self.subscribers.get(name) if isinstance(name, str) else None
        if sub is None:
            raise NotFound(f"no subscriber {name!r}")
        if sub.worker is not None:
            self.stop_worker(sub.worker)
            return
        self._close_subscriber(sub, "unsubscribe")

    def _close_subscriber(self, sub: Subscriber, reason: str) -> None:
        handle = sub.handle

        async def close() -> None:
            if handle is not None:
                try:
                    await handle.unsubscribe()
                except Exception:  # noqa: BLE001, S110 - the connection may be gone
                    pass

        if self.connected:
            self._submit(close)
        self.interest.remove(sub.subject, sub)
        self.subscribers.pop(sub.name, None)
        self.emit(ev.Unsubscribed, sub=sub.name, subject=sub.subject, reason=reason)

    def _new_sub_name(self, name: str | None) -> str:
        if name is not None:
            subj.check_name("subscriber name", name)
            if name in self.subscribers or name in self.workers:
                raise ValidationError(f"the name {name!r} is in use")
            return name
        while True:
            self._sub_names += 1
            candidate = f"s{self._sub_names}"
            if candidate not in self.subscribers and candidate not in self.workers:
                return candidate

    def publish(
        self,
        subject: str,
        data: bytes | str = b"",
        headers: dict[str, str] | None = None,
        publisher: str = "",
    ) -> str:
        subj.check_subject(subject, wildcards=False)
        body = check.data_bytes(data)
        hdrs = check.headers(headers)
        msg = self._new_msg_id()
        self.emit(
            ev.NatsPublished,
            msg=msg,
            subject=subject,
            size=len(body) + check.header_size(hdrs),
            publisher=publisher,
        )
        self._routed(msg, subject)
        wait = self._captured_by(subject) is not None
        self._submit(lambda: self._send(msg, subject, body, hdrs, jetstream=False, wait=wait))
        return msg

    def request(
        self,
        subject: str,
        data: bytes | str = b"",
        timeout: float = 1.0,
        headers: dict[str, str] | None = None,
    ) -> str:
        subj.check_subject(subject, wildcards=False)
        body = check.data_bytes(data)
        hdrs = check.headers(headers)
        wait = check.seconds("timeout", timeout, positive=True)
        if wait > 60:
            raise ValidationError(f"timeout must be at most 60 seconds, got {wait:g}")
        msg = self._new_msg_id()
        self.emit(
            ev.NatsPublished,
            msg=msg,
            subject=subject,
            size=len(body) + check.header_size(hdrs),
            request=True,
        )
        self._routed(msg, subject)

        async def send() -> None:
            handle = self.loop.loop.call_later(wait, self._request_timeout, msg)  # type: ignore[union-attr]
            self.requests[msg] = (subject, self.sink.now(), handle)
            await self.loop.nc.publish(  # type: ignore[union-attr]
                self.names.subject(subject),
                body,
                reply=self.names.request_inbox(msg),
                headers=hdrs or None,
            )
            await self.loop.nc.flush()  # type: ignore[union-attr]

        self._submit(send)
        return msg

    def _request_timeout(self, msg: str) -> None:
        entry = self.requests.pop(msg, None)
        if entry is None:
            return
        subject, started, _ = entry
        self.emit(
            ev.RequestTimedOut,
            msg=msg,
            subject=subject,
            timeout=round(self.sink.now() - started, 3),
            reason="subscribers got the request but none replied in time",
        )

    def _routed(self, msg: str, subject: str) -> None:
        matched = sorted(self.interest.match(subject), key=lambda s: s.order)
        if matched:
            self.emit(
                ev.NatsRouted,
                msg=msg,
                subject=subject,
                matches=tuple(
                    ev.SubjectMatch(
                        s.name, s.subject, s.queue, subj.why_matches(s.subject, subject)
                    )
                    for s in matched
                ),
            )

    async def _on_core_message(self, sub: Subscriber, m: Any) -> None:
        msg = self._msg_of(m)
        subject = self.names.user_subject(m.subject)
        sub.received += 1
        if sub.queue:
            members = [s.name for s in self.interest.match(subject) if s.queue == sub.queue]
            reason = (
                f"queue group {sub.queue!r} gets one copy: the server picked {sub.name} "
                f"at random among {', '.join(members)}"
            )
        else:
            reason = f"{sub.subject!r} matches {subject!r}"
        self.emit(
            ev.NatsDelivered, msg=msg, sub=sub.name, subject=subject, queue=sub.queue, reason=reason
        )
        inbox = self.names.request_inbox("")
        if sub.behaviour == "reply" and m.reply and m.reply.startswith(inbox):
            await asyncio.sleep(sub.processing_time)
            if sub.name not in self.subscribers:
                return
            reply_msg = self._new_msg_id()
            self.emit(ev.Replied, msg=msg, reply_msg=reply_msg, sub=sub.name)
            await self.loop.nc.publish(  # type: ignore[union-attr]
                m.reply, sub.reply_data, headers={SUB_HEADER: sub.name, MSG_HEADER: reply_msg}
            )

    def _msg_of(self, m: Any) -> str:
        """The playground's id of a message a subscription received."""
        reply = m.reply or ""
        if reply.startswith(self.names.internal):
            return reply.rsplit(".", 1)[-1]
        if reply.startswith("$JS.ACK."):
            tokens = reply.split(".")
            stream = self.names.user_stream(tokens[2])
            return self.stream_msgs.get(stream, {}).get(int(tokens[5]), ("?",))[0]
        return "?"

    async def _on_reply(self, m: Any) -> None:
        msg = m.subject.rsplit(".", 1)[-1]
        entry = self.requests.pop(msg, None)
        if entry is None:
            return  # a late reply: the first one won
        subject, started, handle = entry
        handle.cancel()
        hdrs = m.headers or {}
        if hdrs.get("Status") == "503":
            self.emit(
                ev.NoResponders,
                msg=msg,
                subject=subject,
                reason=f"no subscription matches {subject!r}: the server answers at once "
                "with status 503 (no responders) instead of letting the request time out",
            )
            return
        by = hdrs.get(SUB_HEADER)
        reply_msg = hdrs.get(MSG_HEADER, msg)
        if by is None:
            stored = self._pub_ack_of(m.data)
            if stored is not None:
                by = f"stream:{stored[0]}"
                self._stored(msg, subject, stored, jetstream=False, hdrs={})
        self.emit(
            ev.ReplyReceived,
            msg=msg,
            reply_msg=reply_msg,
            sub=by or "?",
            elapsed=round(self.sink.now() - started, 3),
        )

    # -- state -----------------------------------------------------------------------
    def poll(self) -> None:
        """Refresh stream and consumer state for the live view (every POLL_INTERVAL)."""
        now = time.monotonic()
        if now - self._last_poll < POLL_INTERVAL or not self.connected:
            return
        self._last_poll = now
        self._submit(self._refresh)

    def describe(self) -> dict[str, Any]:
        return {
            "subscriptions": [s.describe() for s in self.subscribers.values()],
            "streams": self._describe_streams(),
            "consumers": self._describe_consumers(),
            "workers": [w.describe() for w in self.workers.values()],
        }

    def close(self) -> None:
        """Delete this sandbox's streams (their consumers go too) and close the connection."""
        if self.loop is None:
            return
        if self.connected:
            for name in list(self.streams):
                try:
                    self._submit(lambda n=name: self.api(f"STREAM.DELETE.{self.names.stream(n)}"))
                except Exception:  # noqa: BLE001, S112 - closing anyway
                    continue
        self._stop_all_workers()
        self.loop.stop()
        self.loop = None


def probe_nats(url: str) -> tuple[bool, str]:
    """Whether a nats-server with JetStream answers at `url`, and if not, why."""
    loop = NatsLoop(url, "bp.probe")
    try:
        loop.start_and_wait(timeout=5)
    except Disconnected as exc:
        return False, str(exc)
    try:

        async def info() -> None:
            reply = await loop.nc.request("$JS.API.INFO", b"", timeout=2)
            resp = json.loads(reply.data)
            if "error" in resp:
                raise ValidationError(resp["error"].get("description", "JetStream error"))

        loop.submit(info, timeout=5)
    except Exception as exc:  # noqa: BLE001 - every failure is a reason to show
        return False, f"NATS at {url} answers but JetStream does not ({explain(exc, url)})"
    finally:
        loop.stop()
    return True, ""
