"""JetStream on a real server: streams, publishes with PubAcks, consumers, and polled state.

Streams and consumers are created through the JetStream API with the JSON that
`StreamConfig.to_api()` and `ConsumerConfig.to_api()` produce (the same JSON the page
exports for `nats stream add --config`), with the sandbox's names put in. Input is
checked by `brokers.nats.validation` first, so a bad config gets the simulator's message;
what only the server knows (overlaps, workqueue rules, filters outside the stream) comes
back as the server's own description and JetStream error code. Ephemeral consumers are
named by the adapter ("eph1", ...) as the simulator names them, which nats-server 2.9
allows. The sequence of every message the sandbox stored is learnt from its PubAck;
`_refresh` compares those with each stream's state (`deleted_details`) to report what
the server removed, with the cause the stream's config implies.

Byte counts are reported as the user's own server would count them: the server stores
every subject with the sandbox prefix (`bp.<id>.`), so `bytes` has that many bytes per
message taken off. Limits cannot be translated that way: on the real server `max_bytes`
is reached that much sooner, by the prefix's length per stored message.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any

from brokers.errors import NotFound, ValidationError
from brokers.nats import events as ev
from brokers.nats import subjects as subj
from brokers.nats import validation as check
from brokers.nats.api import MSG_ID_HEADER
from brokers.nats.stream import DESCRIBE_MESSAGES
from brokers.nats.validation import NS, ConsumerConfig, StreamConfig

PUB_ACK_TIMEOUT = 2.0


class JetStreamOps:
    """Streams and consumers of `NatsAdapter` (mixed in)."""

    def _init_jetstream(self) -> None:
        self.streams: dict[str, StreamConfig] = {}
        self.stream_state: dict[str, dict[str, Any]] = {}
        #: stream -> seq -> (msg id, subject, time seen, size) for what the sandbox stored
        self.stream_msgs: dict[str, dict[int, tuple[str, str, float, int]]] = {}
        self.consumers: dict[tuple[str, str], ConsumerConfig] = {}
        self.consumer_state: dict[tuple[str, str], dict[str, Any]] = {}
        self.acked: dict[str, set[int]] = {}  # stream -> seqs acked or termed by the sandbox
        self._acks: dict[str, tuple[str, bool, dict[str, str], Any, int]] = {}
        self._seq_waiters: dict[tuple[str, int], list[Any]] = {}
        self._eph_seq = 0

    def _redeclare_jetstream(self) -> None:
        for cfg in list(self.streams.values()):
            self._quietly(
                lambda c=cfg: self.api(
                    f"STREAM.CREATE.{self.names.stream(c.name)}", self._stream_json(c)
                )
            )
        for (stream, _), cfg in list(self.consumers.items()):
            self._quietly(lambda s=stream, c=cfg: self._create_consumer(s, c))

    def _quietly(self, factory: Any) -> None:
        try:
            self._submit(factory)
        except ValidationError:
            pass  # it is still there: the server kept it across the disconnect

    # -- streams ---------------------------------------------------------------------
    def _stream_json(self, cfg: StreamConfig) -> dict[str, Any]:
        data = cfg.to_api()
        data["name"] = self.names.stream(cfg.name)
        data["subjects"] = [self.names.subject(s) for s in cfg.subjects]
        return data

    def _user_stream_config(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": self.names.user_stream(data["name"]),
            "subjects": [self.names.user_subject(s) for s in data.get("subjects", [])],
            "retention": data.get("retention", "limits"),
            "discard": data.get("discard", "old"),
            "max_msgs": data.get("max_msgs", -1),
            "max_bytes": data.get("max_bytes", -1),
            "max_age": data.get("max_age", 0) / NS,
            "max_msgs_per_subject": data.get("max_msgs_per_subject", -1),
            "max_msg_size": data.get("max_msg_size", -1),
            "duplicate_window": data.get("duplicate_window", 0) / NS,
        }

    def _info(self, resp: dict[str, Any]) -> dict[str, Any]:
        state = resp.get("state", {})
        name = self.names.user_stream(resp["config"]["name"])
        info = {
            "config": self._user_stream_config(resp["config"]),
            "state": {
                "messages": state.get("messages", 0),
                # the server counts the sandbox prefix in every subject; the user's own
                # server would not
                "bytes": state.get("bytes", 0) - len(self.names.prefix) * state.get("messages", 0),
                "first_seq": state.get("first_seq", 0),
                "last_seq": state.get("last_seq", 0),
                "num_subjects": state.get("num_subjects", 0),
                "consumer_count": state.get("consumer_count", 0),
            },
        }
        self.stream_state[name] = info
        return info

    def add_stream(self, name: str, subjects: list[str] | None = None, **config: Any) -> dict:
        cfg = check.stream_config(name, subjects, **config)
        resp = self._submit(
            lambda: self.api(f"STREAM.CREATE.{self.names.stream(name)}", self._stream_json(cfg))
        )
        if name not in self.streams:
            self.emit(ev.StreamCreated, stream=name, config=cfg.to_dict())
        self.streams[name] = cfg
        self.stream_msgs.setdefault(name, {})
        self.acked.setdefault(name, set())
        return self._info(resp)

    def update_stream(self, name: str, **config: Any) -> dict:
        old = self._stream_cfg(name)
        cfg = check.stream_update(old, config)
        resp = self._submit(
            lambda: self.api(f"STREAM.UPDATE.{self.names.stream(name)}", self._stream_json(cfg))
        )
        self.streams[name] = cfg
        changed = tuple(k for k, v in old.to_dict().items() if cfg.to_dict()[k] != v)
        self.emit(ev.StreamUpdated, stream=name, config=cfg.to_dict(), changed=changed)
        self._submit(lambda: self._reconcile(name))
        return self._info(resp)

    def delete_stream(self, name: str) -> None:
        self._stream_cfg(name)
        self._submit(lambda: self.api(f"STREAM.DELETE.{self.names.stream(name)}"))
        for key in [k for k in self.consumers if k[0] == name]:
            self._forget_consumer(key, f"stream {name} deleted")
        self.streams.pop(name)
        held = self.stream_msgs.pop(name, {})
        self.stream_state.pop(name, None)
        self.emit(ev.StreamDeleted, stream=name, messages=len(held))

    def purge_stream(self, name: str, subject: str | None = None) -> int:
        self._stream_cfg(name)
        body: dict[str, Any] = {}
        if subject is not None:
            subj.check_subject(subject, wildcards=False, what="purge subject")
            body["filter"] = self.names.subject(subject)
        resp = self._submit(lambda: self.api(f"STREAM.PURGE.{self.names.stream(name)}", body))
        words = f"purged ({subject})" if subject else "purged"
        known = self.stream_msgs.get(name, {})
        for seq in sorted(known):
            if subject is None or known[seq][1] == subject:
                msg = known.pop(seq)[0]
                self.emit(
                    ev.JsRemoved,
                    msg=msg,
                    stream=name,
                    stream_seq=seq,
                    cause="purge",
                    reason=f"stream {words}",
                )
        n = resp.get("purged", 0)
        self.emit(ev.StreamPurged, stream=name, messages=n, subject=subject)
        return n

    def stream_info(self, name: str) -> dict[str, Any]:
        self._stream_cfg(name)
        return self._info(self._submit(lambda: self.api(f"STREAM.INFO.{self.names.stream(name)}")))

    def _stream_cfg(self, name: str) -> StreamConfig:
        cfg = self.streams.get(name) if isinstance(name, str) else None
        if cfg is None:
            raise NotFound(f"stream {name!r} not found (10059)")
        return cfg

    def _captured_by(self, subject: str) -> tuple[StreamConfig, str] | None:
        for cfg in self.streams.values():
            for pattern in cfg.subjects:
                if subj.matches(pattern, subject):
                    return cfg, pattern
        return None

    # -- publishing ------------------------------------------------------------------
    def js_publish(
        self,
        subject: str,
        data: bytes | str = b"",
        msg_id: str | None = None,
        headers: dict[str, str] | None = None,
        publisher: str = "",
    ) -> str:
        subj.check_subject(subject, wildcards=False)
        body = check.data_bytes(data)
        hdrs = check.headers(headers)
        if msg_id is not None:
            if not isinstance(msg_id, str) or not msg_id or len(msg_id) > 128:
                raise ValidationError("msg_id must be 1 to 128 characters of text")
            check.headers({MSG_ID_HEADER: msg_id})
            hdrs = {**hdrs, MSG_ID_HEADER: msg_id}
        msg = self._new_msg_id()
        self.emit(
            ev.NatsPublished,
            msg=msg,
            subject=subject,
            size=len(body) + check.header_size(hdrs),
            publisher=publisher,
            jetstream=True,
        )
        self._routed(msg, subject)
        self._submit(lambda: self._send(msg, subject, body, hdrs, jetstream=True, wait=True))
        return msg

    async def _send(
        self,
        msg: str,
        subject: str,
        body: bytes,
        hdrs: dict[str, str],
        jetstream: bool,
        wait: bool,
    ) -> None:
        nc = self.loop.nc
        future = asyncio.get_running_loop().create_future()
        self._acks[msg] = (subject, jetstream, hdrs, future, check.stored_size(subject, body, hdrs))
        await nc.publish(
            self.names.subject(subject), body, reply=self.names.ack_inbox(msg), headers=hdrs or None
        )
        await nc.flush()
        if not wait:
            return
        try:
            await asyncio.wait_for(future, PUB_ACK_TIMEOUT)
        except TimeoutError:
            self._acks.pop(msg, None)
            if jetstream:
                self.emit(
                    ev.JsRefused,
                    msg=msg,
                    stream=None,
                    code=408,
                    err_code=0,
                    reason=f"no stream captures {subject!r}; subscribers got it as a core "
                    "message but none answers with a PubAck, so js.publish times out",
                )

    async def _on_ack(self, m: Any) -> None:
        msg = m.subject.rsplit(".", 1)[-1]
        entry = self._acks.pop(msg, None)
        if entry is None:
            return
        subject, jetstream, hdrs, future, size = entry
        if (m.headers or {}).get("Status") == "503":
            if jetstream:
                self.emit(
                    ev.JsRefused,
                    msg=msg,
                    stream=None,
                    code=503,
                    err_code=0,
                    reason=f"no stream captures {subject!r} and nobody listens: nats-py "
                    "raises NoStreamResponseError (no response from stream)",
                )
            else:
                self.emit(
                    ev.NatsDropped,
                    msg=msg,
                    subject=subject,
                    reason=f"no subscription matches {subject!r} and no stream captures "
                    "it: core NATS keeps nothing, so the message is gone (at-most-once)",
                )
        else:
            resp = json.loads(m.data or b"{}")
            if "error" in resp:
                err = resp["error"]
                captured = self._captured_by(subject)
                self.emit(
                    ev.JsRefused,
                    msg=msg,
                    stream=captured[0].name if captured else None,
                    code=err.get("code", 500),
                    err_code=err.get("err_code", 0),
                    reason=self.names.scrub(err.get("description", "refused")),
                )
            else:
                stored = (
                    self.names.user_stream(resp["stream"]),
                    resp["seq"],
                    bool(resp.get("duplicate")),
                )
                self._stored(msg, subject, stored, jetstream, hdrs, size)
        if not future.done():
            future.set_result(True)

    def _pub_ack_of(self, data: bytes) -> tuple[str, int, bool] | None:
        try:
            resp = json.loads(data)
        except ValueError:
            return None
        if not isinstance(resp, dict) or "stream" not in resp or "seq" not in resp:
            return None
        return self.names.user_stream(resp["stream"]), resp["seq"], bool(resp.get("duplicate"))

    def _stored(
        self,
        msg: str,
        subject: str,
        stored: tuple[str, int, bool],
        jetstream: bool,
        hdrs: dict[str, str],
        size: int = 0,
    ) -> None:
        stream, seq, duplicate = stored
        if duplicate:
            cfg = self.streams.get(stream)
            window = cfg.duplicate_window if cfg else 0
            self.emit(
                ev.JsDuplicate,
                msg=msg,
                stream=stream,
                stream_seq=seq,
                msg_id=hdrs.get(MSG_ID_HEADER, ""),
                reason=f"Nats-Msg-Id {hdrs.get(MSG_ID_HEADER, '')!r} was stored as seq "
                f"{seq}, inside the duplicate_window of {window:g}s: not stored again",
            )
        else:
            captured = self._captured_by(subject)
            why = (
                f"stream {stream} captures it: {subj.why_matches(captured[1], subject)}"
                if captured
                else f"stream {stream} captures it"
            )
            self.emit(
                ev.JsStored,
                msg=msg,
                stream=stream,
                stream_seq=seq,
                subject=subject,
                size=size,
                reason=why,
            )
            cfg = captured[0] if captured else None
            if (
                cfg is not None
                and cfg.retention == "interest"
                and not any(
                    c.filter_subject is None or subj.matches(c.filter_subject, subject)
                    for (s, _), c in self.consumers.items()
                    if s == stream
                )
            ):
                self.emit(
                    ev.JsRemoved,
                    msg=msg,
                    stream=stream,
                    stream_seq=seq,
                    cause="no_interest",
                    reason="interest retention and no consumer's "
                    f"filter matches {subject!r}: the stream does not keep it",
                )
            else:
                self.stream_msgs.setdefault(stream, {})[seq] = (msg, subject, self.sink.now(), size)
                for waiter in self._seq_waiters.pop((stream, seq), []):
                    if not waiter.done():
                        waiter.set_result(msg)
        if jetstream:
            self.emit(ev.JsPubAcked, msg=msg, stream=stream, stream_seq=seq, duplicate=duplicate)

    async def msg_for(self, stream: str, seq: int) -> str:
        """The id of the message stored as `seq` (waiting briefly for its PubAck)."""
        known = self.stream_msgs.get(stream, {}).get(seq)
        if known is not None:
            return known[0]
        waiter = asyncio.get_running_loop().create_future()
        self._seq_waiters.setdefault((stream, seq), []).append(waiter)
        try:
            return await asyncio.wait_for(waiter, 1.0)
        except TimeoutError:
            return "?"

    # -- consumers -------------------------------------------------------------------
    def add_consumer(self, stream: str, **config: Any) -> str:
        self._stream_cfg(stream)
        generated = None
        if config.get("durable_name") is None and config.get("name") is None:
            generated = self._new_ephemeral_name(stream)
        cfg = check.consumer_config(generated or "", **config)
        key = (stream, cfg.name)
        resp = self._submit(lambda: self._create_consumer(stream, cfg))
        existed = key in self.consumers
        self.consumers[key] = cfg
        self.emit(
            ev.ConsumerCreated,
            stream=stream,
            consumer=cfg.name,
            config=cfg.to_dict(),
            durable=cfg.durable,
            push=cfg.push,
        )
        self.consumer_state[key] = self._consumer_info(resp)
        if not existed:
            self._consumer_added(stream, cfg)
        return cfg.name

    def _new_ephemeral_name(self, stream: str) -> str:
        while True:
            self._eph_seq += 1
            candidate = f"eph{self._eph_seq}"
            if (stream, candidate) not in self.consumers:
                return candidate

    async def _create_consumer(self, stream: str, cfg: ConsumerConfig) -> dict[str, Any]:
        start = None
        if cfg.opt_start_time is not None:
            wall = self.wall_start + cfg.opt_start_time
            start = datetime.datetime.fromtimestamp(wall, datetime.UTC).isoformat()
        data = cfg.to_api(start)
        for field in ("deliver_subject", "filter_subject"):
            if field in data:
                data[field] = self.names.subject(data[field])
        real = self.names.stream(stream)
        return await self.api(
            f"CONSUMER.CREATE.{real}.{cfg.name}", {"stream_name": real, "config": data}
        )

    def delete_consumer(self, stream: str, consumer: str) -> None:
        key = self._consumer_key(stream, consumer)
        self._submit(lambda: self.api(f"CONSUMER.DELETE.{self.names.stream(stream)}.{consumer}"))
        self._forget_consumer(key, "deleted")
        if self.streams[stream].retention == "interest":
            self._submit(lambda: self._reconcile(stream))

    def _forget_consumer(self, key: tuple[str, str], reason: str) -> None:
        if self.consumers.pop(key, None) is None:
            return
        self.consumer_state.pop(key, None)
        self._consumer_gone(key, reason)
        self.emit(ev.ConsumerDeleted, stream=key[0], consumer=key[1], reason=reason)

    def consumer_info(self, stream: str, consumer: str) -> dict[str, Any]:
        key = self._consumer_key(stream, consumer)
        resp = self._submit(
            lambda: self.api(f"CONSUMER.INFO.{self.names.stream(stream)}.{consumer}")
        )
        info = self._consumer_info(resp)
        self.consumer_state[key] = info
        return info

    def _consumer_key(self, stream: str, consumer: str) -> tuple[str, str]:
        self._stream_cfg(stream)
        key = (stream, consumer)
        if key not in self.consumers:
            raise NotFound(f"consumer {consumer!r} not found on stream {stream} (10014)")
        return key

    def _consumer_info(self, resp: dict[str, Any]) -> dict[str, Any]:
        stream = self.names.user_stream(resp.get("stream_name", ""))
        name = resp.get("name", "")
        cfg = self.consumers.get((stream, name))
        delivered, floor = resp.get("delivered", {}), resp.get("ack_floor", {})
        return {
            "stream_name": stream,
            "name": name,
            "config": cfg.to_dict() if cfg else {},
            "created": resp.get("created"),
            "delivered": {
                "consumer_seq": delivered.get("consumer_seq", 0),
                "stream_seq": delivered.get("stream_seq", 0),
            },
            "ack_floor": {
                "consumer_seq": floor.get("consumer_seq", 0),
                "stream_seq": floor.get("stream_seq", 0),
            },
            "num_ack_pending": resp.get("num_ack_pending", 0),
            "num_redelivered": resp.get("num_redelivered", 0),
            "num_waiting": resp.get("num_waiting", 0),
            "num_pending": resp.get("num_pending", 0),
        }

    async def _on_advisory(self, m: Any) -> None:
        tokens = m.subject.split(".")
        real_stream, consumer = tokens[-2], tokens[-1]
        if not self.names.ours(real_stream):
            return
        stream = self.names.user_stream(real_stream)
        data = json.loads(m.data or b"{}")
        if tokens[4] == "MAX_DELIVERIES":
            seq, n = data.get("stream_seq", 0), data.get("deliveries", 0)
            msg = await self.msg_for(stream, seq)
            self.emit(
                ev.JsMaxDeliveries,
                msg=msg,
                stream=stream,
                consumer=consumer,
                stream_seq=seq,
                deliveries=n,
                reason=f"delivered {n} times = max_deliver: {consumer} stops trying; "
                "the message stays in the stream",
            )
        elif (stream, consumer) in self.consumers:
            cfg = self.consumers[(stream, consumer)]
            why = (
                f"ephemeral, inactive for {cfg.inactive_threshold:g}s (inactive_threshold)"
                if not cfg.durable
                else "deleted on the server"
            )
            self._forget_consumer((stream, consumer), why)

    # -- polled state ----------------------------------------------------------------
    async def _refresh(self) -> None:
        for stream in list(self.streams):
            try:
                await self._reconcile(stream)
                for key in [k for k in self.consumers if k[0] == stream]:
                    resp = await self.api(f"CONSUMER.INFO.{self.names.stream(stream)}.{key[1]}")
                    self.consumer_state[key] = self._consumer_info(resp)
            except NotFound:
                continue

    async def _reconcile(self, stream: str) -> None:
        """Report the sandbox's messages the server no longer holds, with their cause."""
        resp = await self.api(f"STREAM.INFO.{self.names.stream(stream)}", {"deleted_details": True})
        info = self._info(resp)
        state, cfg = resp.get("state", {}), self.streams.get(stream)
        first, deleted = state.get("first_seq", 0), set(state.get("deleted") or ())
        known = self.stream_msgs.get(stream, {})
        gone = [seq for seq in known if seq < first or seq in deleted]
        acked = self.acked.get(stream, set())
        now = self.sink.now()
        for seq in sorted(gone):
            msg, subject, seen, _ = known.pop(seq)
            cause, reason = self._why_removed(cfg, seq in acked, now - seen)
            acked.discard(seq)
            self.emit(
                ev.JsRemoved, msg=msg, stream=stream, stream_seq=seq, cause=cause, reason=reason
            )
        info["messages"] = [
            {"seq": s, "subject": known[s][1], "msg": known[s][0], "size": known[s][3]}
            for s in sorted(known)[-DESCRIBE_MESSAGES:]
        ]

    @staticmethod
    def _why_removed(cfg: StreamConfig | None, acked: bool, age: float) -> tuple[str, str]:
        if cfg is None:
            return "limits", "removed by the server"
        if cfg.retention == "workqueue" and acked:
            return "ack", "acked: a workqueue stream removes a message once its consumer acks it"
        if cfg.retention == "interest":
            return "interest", "every interested consumer has acked it (interest retention)"
        if cfg.max_age and age >= cfg.max_age - 0.5:
            return "max_age", f"older than max_age {cfg.max_age:g}s"
        if cfg.max_msgs_per_subject > 0:
            return "per_subject", f"max_msgs_per_subject={cfg.max_msgs_per_subject}"
        return "limits", "a limit of the stream made room (discard old)"

    def _describe_streams(self) -> list[dict[str, Any]]:
        out = []
        for name in self.streams:
            info = self.stream_state.get(name) or {
                "config": self.streams[name].to_dict(),
                "state": {},
            }
            known = self.stream_msgs.get(name, {})
            newest = [
                {"seq": s, "subject": known[s][1], "msg": known[s][0], "size": known[s][3]}
                for s in sorted(known)[-DESCRIBE_MESSAGES:]
            ]
            out.append(
                {"config": info["config"], "state": info["state"], "name": name, "messages": newest}
            )
        return out

    def _describe_consumers(self) -> list[dict[str, Any]]:
        out = []
        for key, cfg in self.consumers.items():
            info = self.consumer_state.get(key) or {"stream_name": key[0], "name": key[1]}
            out.append(
                {
                    **info,
                    "config": cfg.to_dict(),
                    "kind": "push" if cfg.push else "pull",
                    "durable": cfg.durable,
                    "workers": sorted(
                        w.name for w in self.workers.values() if (w.stream, w.consumer) == key
                    ),
                }
            )
        return out
