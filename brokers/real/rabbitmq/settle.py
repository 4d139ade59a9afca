"""What happens to a nacked, rejected or returned delivery, said from the client's side.

Part of `RabbitMQAdapter` (see `brokers.real.rabbitmq.adapter`). RabbitMQ does not tell a client
that it requeued or dead-lettered a message; these follow from the ack/nack the consumer
sent and the queue's arguments (x-dead-letter-exchange, x-delivery-limit), and x-death
headers are given back with the user's names. Leaves out TTL and max-length expiry.
"""

from __future__ import annotations

from typing import Any

from brokers.amqp import events as ev
from brokers.real.rabbitmq.consumer import Delivery


class SettleOps:
    """Outcomes of negative acks and returns (mixed into `RabbitMQAdapter`)."""

    def _user_key(self, real_exchange: str, key: str) -> str:
        return self.names.user(key) if real_exchange == "" else key

    def user_headers(self, headers: dict[str, Any]) -> dict[str, Any]:
        """Headers with broker names in x-death and x-first-death-* given as the user's."""
        out = dict(headers)
        if isinstance(out.get("x-death"), list):
            out["x-death"] = [self.user_death(d) for d in out["x-death"]]
        for key in (
            "x-first-death-queue",
            "x-first-death-exchange",
            "x-last-death-queue",
            "x-last-death-exchange",
        ):
            if isinstance(out.get(key), str):
                out[key] = self.names.user(out[key])
        return out

    def user_death(self, death: dict[str, Any]) -> dict[str, Any]:
        """One x-death entry with user names."""
        d = dict(death)
        if isinstance(d.get("count"), int):
            d["count"] = int(d["count"])  # pika's `long` prints as 1L
        exchange = d.get("exchange", "")
        if isinstance(d.get("queue"), str):
            d["queue"] = self.names.user(d["queue"])
        if isinstance(exchange, str):
            d["exchange"] = self.names.user(exchange)
            if isinstance(d.get("routing-keys"), list):
                d["routing-keys"] = [self._user_key(exchange, k) for k in d["routing-keys"]]
        return d

    # -- what happens after a nack or a closed channel (said from the client's side) ------
    def settle_negative(self, d: Delivery, queue: str, requeue: bool, how: str) -> None:
        """Emit what RabbitMQ does with a nacked/rejected delivery."""
        spec = self.queues.get(queue, {"arguments": {}, "type": "classic"})
        if requeue:
            self.settle_return(d, queue, f"basic.{how} with requeue")
        elif "x-dead-letter-exchange" in spec["arguments"]:
            self._dead_letter(d, queue, "rejected")
        else:
            self.sink.emit(
                ev.Dropped, msg=d.msg, queue=queue, reason="rejected; no dead-letter exchange"
            )

    def settle_return(self, d: Delivery, queue: str, reason: str) -> None:
        """Emit a requeue, or a delivery_limit dead-letter on a quorum queue past its limit."""
        spec = self.queues.get(queue, {"arguments": {}, "type": "classic"})
        limit = spec["arguments"].get("x-delivery-limit")
        returns = d.headers.get("x-delivery-count", d.delivery_count - 1)
        if spec["type"] == "quorum" and isinstance(limit, int) and returns + 1 > limit:
            if "x-dead-letter-exchange" in spec["arguments"]:
                self._dead_letter(d, queue, "delivery_limit")
            else:
                self.sink.emit(
                    ev.Dropped,
                    msg=d.msg,
                    queue=queue,
                    reason="delivery_limit; no dead-letter exchange",
                )
            return
        self.sink.emit(ev.Requeued, msg=d.msg, queue=queue, position=0, reason=reason)

    def _dead_letter(self, d: Delivery, queue: str, reason: str) -> None:
        args = self.queues[queue]["arguments"]
        real_exchange = d.exchange
        exchange = self.names.user(real_exchange)
        original = [self._user_key(real_exchange, d.routing_key)]
        dl_key = args.get("x-dead-letter-routing-key")
        deaths = [self.user_death(x) for x in d.headers.get("x-death", []) or []]
        for i, death in enumerate(deaths):
            if death.get("queue") == queue and death.get("reason") == reason:
                death = {**death, "count": int(death.get("count", 1)) + 1}
                deaths = [death] + deaths[:i] + deaths[i + 1 :]
                break
        else:
            deaths.insert(
                0,
                {
                    "count": 1,
                    "reason": reason,
                    "queue": queue,
                    "time": self.sink.now(),
                    "exchange": exchange,
                    "routing-keys": original,
                },
            )
        self.sink.emit(
            ev.DeadLettered,
            msg=d.msg,
            queue=queue,
            reason=reason,
            exchange=args["x-dead-letter-exchange"],
            routing_keys=tuple([dl_key] if isinstance(dl_key, str) else original),
            x_death=tuple(deaths),
        )
