"""`manage.py runhost`: run the sandbox runtime host in its own process (with REDIS_URL).

Serving processes then send commands over the channel layer (BP_RUNTIME_IN_PROCESS
false) and this process ticks every loaded sandbox and sends its frames.
"""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from playground import gctune
from playground.live.host import RuntimeHost


class Command(BaseCommand):
    help = "Run the sandbox runtime host: receive commands on 'bp-runtime', tick, send frames."

    def handle(self, *args, **options) -> None:
        if settings.BP_RUNTIME_IN_PROCESS:
            raise CommandError(
                "BP_RUNTIME_IN_PROCESS is true, so the serving process runs its own host; "
                "set REDIS_URL (and BP_RUNTIME_IN_PROCESS=false) to run it separately."
            )
        gctune.tune(settings.BP_GC_THRESHOLD)
        self.stdout.write(f"runtime host ticking at {settings.BP_TICK_HZ} Hz")
        try:
            asyncio.run(RuntimeHost().serve(listen=True))
        except KeyboardInterrupt:
            pass
