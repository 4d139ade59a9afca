"""`manage.py bench_sandbox`: make a sandbox for a benchmark and print how to reach it.

Prints one JSON line: the sandbox id, a watch token (for `?watch=` viewers) and a
session cookie value that carries the owner token (for the owner's WebSocket).
"""

from __future__ import annotations

import json

from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.management.base import BaseCommand

from playground.access import OWNER_KEY, create_sandbox, owner_token, share


class Command(BaseCommand):
    help = "Create a sandbox and print its id, a watch token and an owner session cookie."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options) -> None:
        session = SessionStore()
        owner = owner_token(session)
        session.save()
        sandbox = create_sandbox(owner, seed=options["seed"])
        line = {
            "sandbox": sandbox.id,
            "seed": sandbox.seed,
            "watch": share(sandbox),
            "cookie": session.session_key,
            "owner_key": OWNER_KEY,
        }
        self.stdout.write(json.dumps(line))
