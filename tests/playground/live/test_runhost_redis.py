"""`manage.py runhost` over Redis: a separate host process answers commands and sends frames.

The host runs in a subprocess with REDIS_URL and its own database; this process talks to
it only through the Redis channel layer, as a serving process would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer

from playground.live import host

pytestmark = pytest.mark.real
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def runhost(tmp_path, redis_url):
    """A runhost process on `redis_url` with a fresh database holding one sandbox."""
    env = {
        **os.environ,
        "BP_VAR_DIR": str(tmp_path),
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "REDIS_URL": redis_url,
        "BP_RUNTIME_IN_PROCESS": "false",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    made = subprocess.run(
        [*manage, "shell", "-c",
         "from playground.access import create_sandbox; print(create_sandbox('t', seed=5).id)"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    sandbox_id = made.stdout.strip().splitlines()[-1]
    log = open(tmp_path / "runhost.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*manage, "runhost"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    try:
        yield sandbox_id
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def redis_layer(settings, redis_url):
    """This process on the Redis channel layer, with no host of its own."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                    "CONFIG": {"hosts": [redis_url]}},
    }  # fmt: skip
    settings.BP_RUNTIME_IN_PROCESS = False
    channel_layers.backends.clear()
    async_to_sync(get_channel_layer().flush)()
    yield get_channel_layer()
    channel_layers.backends.clear()


def test_runhost_answers_a_command_and_sends_its_frames_to_the_group(runhost, redis_layer):
    sandbox_id = runhost
    inbox = async_to_sync(redis_layer.new_channel)()
    async_to_sync(redis_layer.group_add)(host.group_name(sandbox_id), inbox)
    answer, deadline = host.NO_ANSWER, time.monotonic() + 30  # the host process starts
    while answer == host.NO_ANSWER and time.monotonic() < deadline:
        answer = host.call_sync(sandbox_id, {"op": "queue.declare", "name": "jobs"}, timeout=2)
    assert answer == {"ok": True, "name": "jobs"}
    frame, deadline = None, time.monotonic() + 10
    while frame is None and time.monotonic() < deadline:
        message = async_to_sync(redis_layer.receive)(inbox)
        data = json.loads(message["text"])
        if any(item.get("kind") == "queue_declared" for item in data["log"]):
            frame = data
    assert frame is not None and frame["sandbox"] == sandbox_id and frame["seed"] == 5
    assert [q["name"] for q in frame["amqp"]["queues"]] == ["jobs"]
