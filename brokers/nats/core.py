"""Core NATS: subscriptions, queue groups, at-most-once publish, request/reply.

A published message goes to every subscription whose subject pattern matches, except
that a queue group gets one copy, given to one member picked at random (nats-server
picks a random start index among the group's members; here the injected RNG does, over
members in subscription order). Nothing is stored: with no matching subscription (and no
stream capturing the subject) the message is dropped and `NatsDropped` says so. A request
publishes with a reply inbox `_INBOX.<msg>`; with nobody listening the server answers at
once with "no responders" (503), otherwise the first reply wins and the rest are ignored,
or the request times out. Replies go straight to the requester and do not pass through
user subscriptions. Deliveries are instant on the virtual clock; subscribers with
`behaviour="reply"` answer after their `processing_time`. Leaves out slow-consumer
limits, max_msgs auto-unsubscribe, permissions and the old-style (one inbox per request)
request.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from brokers.clock import Clock, Timer
from brokers.errors import CapacityExceeded, NotFound, ValidationError
from brokers.events import Emit
from brokers.nats import events as ev
from brokers.nats import subjects as subj
from brokers.nats import validation as check
from brokers.nats.subjects import SubjectTrie

if TYPE_CHECKING:
    from brokers.nats.consumer import Delivery


class Receiver(Protocol):
    """A push worker as its subscription sees it: a name, and deliveries handed to it."""

    name: str

    def receive(self, delivery: Delivery) -> None: ...


MAX_SUBSCRIPTIONS = 200  # per sandbox, push workers' subscriptions included


@dataclass(eq=False, slots=True)
class Subscription:
    """One subscription; `worker` is set when it is a push worker's."""

    name: str
    subject: str
    queue: str
    behaviour: str
    processing_time: float
    reply_data: bytes
    order: int
    worker: Receiver | None = None
    received: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "subject": self.subject,
            "queue": self.queue,
            "behaviour": "worker" if self.worker else self.behaviour,
            "received": self.received,
            "worker": self.worker.name if self.worker else None,
        }


@dataclass(eq=False, slots=True)
class PendingRequest:
    msg: str
    subject: str
    started: float
    timeout: float
    timer: Timer | None = None
    answered: bool = False


class CoreNats:
    """Core NATS half of `NatsServer` (mixed in; state is set up by the server)."""

    clock: Clock
    rng: random.Random
    emit: Emit
    interest: SubjectTrie[Subscription]
    subscriptions: dict[str, Subscription]
    requests: dict[str, PendingRequest]
    _sub_order: int
    _sub_names: int

    # -- subscriptions ---------------------------------------------------------------
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
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise CapacityExceeded(f"at most {MAX_SUBSCRIPTIONS} subscriptions per sandbox")
        name = self._new_sub_name(name)
        sub = self._add_subscription(name, subject, queue or "", behaviour, processing, data)
        self.emit(
            ev.Subscribed(
                t=self.clock.now, sub=name, subject=subject, queue=sub.queue, behaviour=behaviour
            )
        )
        self._interest_changed(subject)  # type: ignore[attr-defined]
        return name

    def unsubscribe(self, name: str) -> None:
        sub = self._subscription(name)
        if sub.worker is not None:
            self.stop_worker(sub.worker.name)  # type: ignore[attr-defined]
            return
        self._remove_subscription(sub, "unsubscribe")

    def _add_subscription(
        self,
        name: str,
        subject: str,
        queue: str,
        behaviour: str,
        processing: float,
        reply_data: bytes,
        worker: Receiver | None = None,
    ) -> Subscription:
        self._sub_order += 1
        sub = Subscription(
            name, subject, queue, behaviour, processing, reply_data, self._sub_order, worker
        )
        self.subscriptions[name] = sub
        self.interest.add(subject, sub)
        return sub

    def _remove_subscription(self, sub: Subscription, reason: str) -> None:
        self.interest.remove(sub.subject, sub)
        del self.subscriptions[sub.name]
        self.emit(
            ev.Unsubscribed(t=self.clock.now, sub=sub.name, subject=sub.subject, reason=reason)
        )
        self._interest_changed(sub.subject)  # type: ignore[attr-defined]

    def _new_sub_name(self, name: str | None) -> str:
        if name is not None:
            subj.check_name("subscriber name", name)
            if name in self.subscriptions or name in self.workers:  # type: ignore[attr-defined]
                raise ValidationError(f"the name {name!r} is in use")
            return name
        while True:
            self._sub_names += 1
            candidate = f"s{self._sub_names}"
            if candidate not in self.subscriptions and candidate not in self.workers:  # type: ignore[attr-defined]
                return candidate

    def _subscription(self, name: str) -> Subscription:
        sub = self.subscriptions.get(name) if isinstance(name, str) else None
        if sub is None:
            raise NotFound(f"no subscriber {name!r}")
        return sub

    # -- publishing ------------------------------------------------------------------
    def publish(
        self,
        subject: str,
        data: bytes | str = b"",
        headers: dict[str, str] | None = None,
        publisher: str = "",
    ) -> str:
        self._check_publish_subject(subject)  # type: ignore[attr-defined]
        body = check.data_bytes(data)
        hdrs = check.headers(headers)
        msg = self._new_msg_id()
        self.emit(
            ev.NatsPublished(
                t=self.clock.now,
                msg=msg,
                subject=subject,
                size=len(body) + check.header_size(hdrs),
                publisher=publisher,
            )
        )
        reached = self._route(msg, subject, None)
        stored = self._capture(msg, subject, body, hdrs, None)  # type: ignore[attr-defined]
        if not reached and stored is None:
            self.emit(
                ev.NatsDropped(
                    t=self.clock.now,
                    msg=msg,
                    subject=subject,
                    reason=f"no subscription matches {subject!r} and no stream captures it: "
                    "core NATS keeps nothing, so the message is gone (at-most-once)",
                )
            )
        return msg

    def request(
        self,
        subject: str,
        data: bytes | str = b"",
        timeout: float = 1.0,
        headers: dict[str, str] | None = None,
    ) -> str:
        self._check_publish_subject(subject)  # type: ignore[attr-defined]
        body = check.data_bytes(data)
        hdrs = check.headers(headers)
        wait = check.seconds("timeout", timeout, positive=True)
        if wait > 60:
            raise ValidationError(f"timeout must be at most 60 seconds, got {wait:g}")
        msg = self._new_msg_id()
        now = self.clock.now
        self.emit(
            ev.NatsPublished(
                t=now,
                msg=msg,
                subject=subject,
                size=len(body) + check.header_size(hdrs),
                request=True,
            )
        )
        pending = self.requests[msg] = PendingRequest(msg, subject, now, wait)
        reached = self._route(msg, subject, pending)
        stored = self._capture(msg, subject, body, hdrs, None)  # type: ignore[attr-defined]
        if stored is not None:
            # A stream answers a request on its subjects with its PubAck.
            self._answer(pending, msg, f"stream:{stored[0]}")
        elif not reached:
            del self.requests[msg]
            self.emit(
                ev.NoResponders(
                    t=now,
                    msg=msg,
                    subject=subject,
                    reason=f"no subscription matches {subject!r}: the server answers at once "
                    "with status 503 (no responders) instead of letting the request time out",
                )
            )
        if msg in self.requests and not pending.answered:
            pending.timer = self.clock.schedule(wait, self._request_timeout, pending)
        return msg

    def _request_timeout(self, pending: PendingRequest) -> None:
        if self.requests.pop(pending.msg, None) is None or pending.answered:
            return
        self.emit(
            ev.RequestTimedOut(
                t=self.clock.now,
                msg=pending.msg,
                subject=pending.subject,
                timeout=pending.timeout,
                reason=f"subscribers got the request but none replied within {pending.timeout:g}s",
            )
        )

    def _answer(self, pending: PendingRequest, reply_msg: str, by: str) -> None:
        if pending.answered:
            return
        pending.answered = True
        self.requests.pop(pending.msg, None)
        if pending.timer is not None:
            pending.timer.cancel()
        self.emit(
            ev.ReplyReceived(
                t=self.clock.now,
                msg=pending.msg,
                reply_msg=reply_msg,
                sub=by,
                elapsed=round(self.clock.now - pending.started, 9),
            )
        )

    def _reply(self, sub: Subscription, pending: PendingRequest) -> None:
        if sub.name not in self.subscriptions:
            return  # unsubscribed while working on it
        reply_msg = self._new_msg_id()
        self.emit(ev.Replied(t=self.clock.now, msg=pending.msg, reply_msg=reply_msg, sub=sub.name))
        if self.requests.get(pending.msg) is pending:
            self._answer(pending, reply_msg, sub.name)

    # -- routing ---------------------------------------------------------------------
    def _route(self, msg: str, subject: str, pending: PendingRequest | None) -> list[Subscription]:
        """Deliver to matching subscriptions (one member per queue group); returns them in
        subscription order. Responders start answering a request; a push worker's
        subscription is handed its delivery by the consumer that routed it."""
        matched = self.interest.match(subject)
        if not matched:
            return []
        matched.sort(key=_order)
        now = self.clock.now
        self.emit(
            ev.NatsRouted(
                t=now,
                msg=msg,
                subject=subject,
                matches=tuple(
                    ev.SubjectMatch(
                        s.name, s.subject, s.queue, subj.why_matches(s.subject, subject)
                    )
                    for s in matched
                ),
            )
        )
        groups: dict[str, list[Subscription]] = {}
        receivers: list[tuple[Subscription, str]] = []
        for s in matched:
            if s.queue:
                groups.setdefault(s.queue, []).append(s)
            else:
                receivers.append((s, f"{s.subject!r} matches {subject!r}"))
        for queue, members in groups.items():
            chosen = members[self.rng.randrange(len(members))] if len(members) > 1 else members[0]
            names = ", ".join(m.name for m in members)
            receivers.append(
                (
                    chosen,
                    f"queue group {queue!r} gets one copy: {chosen.name} picked at random "
                    f"among {names}",
                )
            )
        receivers.sort(key=lambda pair: pair[0].order)
        for s, reason in receivers:
            s.received += 1
            self.emit(
                ev.NatsDelivered(
                    t=now, msg=msg, sub=s.name, subject=subject, queue=s.queue, reason=reason
                )
            )
            if pending is not None and s.behaviour == "reply" and s.worker is None:
                self.clock.schedule(s.processing_time, self._reply, s, pending)
        return [s for s, _ in receivers]

    def _check_publish_subject(self, subject: str) -> None:
        valid = self.valid_subjects  # type: ignore[attr-defined]
        if subject not in valid:
            subj.check_subject(subject, wildcards=False)
            if len(valid) < 10_000:
                valid.add(subject)

    def _new_msg_id(self) -> str:
        self._msg_seq += 1  # type: ignore[attr-defined]
        return f"n{self._msg_seq}"  # type: ignore[attr-defined]


def _order(sub: Subscription) -> int:
    return sub.order
