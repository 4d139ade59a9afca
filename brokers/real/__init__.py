"""Real brokers behind the playground's interface: RabbitMQ over pika, Kafka over kafka-python,
NATS over nats-py.

`make_backend(kind, url=..., prefix=..., seed=...)` gives a `Backend` the sandbox runtime
drives exactly like the simulator; `probe(kind, url)` says whether a broker answers.
Both live in `brokers.real.backend` and are imported lazily, so importing this package
does not load pika, kafka-python or nats-py.
"""

from typing import Any

__all__ = ["RealBackend", "make_backend", "probe"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from brokers.real import backend

        return getattr(backend, name)
    raise AttributeError(name)
