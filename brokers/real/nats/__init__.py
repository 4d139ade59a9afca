"""The NATS operations of `NatsApi` on a real nats-server with JetStream, via nats-py.

nats-py is asyncio, so one connection lives in one thread that runs its event loop
(`loop.NatsLoop`); every call from the runtime's thread is a coroutine submitted to it.
`NatsAdapter` (in `adapter`) is what `brokers.real.backend.RealBackend` drives; the
names it uses on the server come from `names.NatsNames`. Imported lazily by the backend,
so importing `brokers.real` does not load nats-py.
"""

from brokers.real.nats.adapter import NatsAdapter, probe_nats

__all__ = ["NatsAdapter", "probe_nats"]
