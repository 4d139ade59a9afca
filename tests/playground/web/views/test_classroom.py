"""The classroom: scenario ops in the runtime, the gallery, share/revoke/lock, watch, fork."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.layers import get_channel_layer
from django.test import Client

from playground.live import fanout
from playground.models import Sandbox
from playground.web.page_state import run
from sandbox.runtime import SandboxRuntime
from sandbox.scenarios import list_scenarios, load

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "courier-and-pickup-board"
QUEUE = {"queue-name": "x", "queue-queue_type": "classic"}
HX = {"HTTP_HX_REQUEST": "true"}


# -- runtime ops ---------------------------------------------------------------------------


def test_scenario_load_seeds_the_runtime_and_frames_carry_the_narration():
    rt = SandboxRuntime(7)
    answer = rt.apply({"op": "scenario.load", "slug": SLUG})
    assert answer["ok"] and answer["seed"] == load(SLUG).seed
    scenario = rt.take_frame()["scenario"]
    assert (scenario["slug"], scenario["index"], scenario["total"]) == (SLUG, -1, 4)
    assert scenario["step"] is None and scenario["claims"] == []


def play_out(rt: SandboxRuntime, wall_dt: float = 0.05, limit: int = 10_000) -> list[dict]:
    """Tick the runtime as the host does until the playing step ends; the frames."""
    seen = []
    for _ in range(limit):
        seen.append(rt.tick(wall_dt))
        if not rt.frame()["scenario"]["playing"]:
            return seen
    raise AssertionError("the step never ended")


def test_next_plays_a_step_over_time_and_checks_its_claims_at_its_end():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    scenario = rt.apply({"op": "scenario.next"})["scenario"]
    assert scenario["index"] == 0 and scenario["playing"]["progress"] == 0.0
    assert scenario["step"]["watch"] == ["q:orders", "c:notification-svc", "c:business-svc"]
    assert [c["ok"] for c in scenario["claims"]] == [None] * 4  # "…" until the step ends
    assert rt.backend.now == 0.0 and not rt.spec["time"]["paused"]
    frames = play_out(rt)
    assert len(frames) > 10  # many ticks, not one jump
    assert sum(len(f["moves"]) for f in frames if f) >= 12  # dots inside the step
    done = rt.frame()["scenario"]
    assert [c["ok"] for c in done["claims"]] == [True] * 4
    assert rt.backend.now == load(SLUG).steps[0].at and rt.spec["time"]["paused"]


def test_a_step_paused_midway_waits_and_goes_on_when_played():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    rt.apply({"op": "scenario.next"})
    rt.tick(0.1)
    rt.apply({"op": "time.pause"})
    held = rt.backend.now
    for _ in range(20):
        rt.tick(0.1)
    assert rt.backend.now == held and rt.frame()["scenario"]["playing"]
    rt.apply({"op": "time.play"})
    play_out(rt)
    assert all(c["ok"] for c in rt.frame()["scenario"]["claims"])


def test_next_during_a_playing_step_finishes_it_at_once():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    rt.apply({"op": "scenario.next"})
    rt.tick(0.05)
    scenario = rt.apply({"op": "scenario.next"})["scenario"]
    assert scenario["index"] == 0 and scenario["playing"] is None
    assert [c["ok"] for c in scenario["claims"]] == [True] * 4


def test_back_lands_in_the_same_state_as_playing_forward():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    rt.apply({"op": "scenario.next"})
    play_out(rt)
    first = rt.frame()["amqp"]
    rt.apply({"op": "scenario.next"})
    play_out(rt)
    scenario = rt.apply({"op": "scenario.back"})["scenario"]
    assert scenario["index"] == 0 and rt.frame()["amqp"] == first


def test_back_during_a_playing_step_goes_to_its_start():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    rt.apply({"op": "scenario.next"})
    play_out(rt)
    ended = rt.frame()["amqp"]
    rt.apply({"op": "scenario.next"})
    rt.tick(0.3)
    scenario = rt.apply({"op": "scenario.back"})["scenario"]
    assert (scenario["index"], scenario["playing"]) == (0, None)
    assert rt.frame()["amqp"] == ended


def test_back_at_the_start_and_next_at_the_end_are_refused():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    assert not rt.apply({"op": "scenario.back"})["ok"]
    for _ in range(4):
        assert rt.apply({"op": "scenario.next"})["ok"]  # starts the step
        assert rt.apply({"op": "scenario.next"})["ok"]  # finishes it
    refused = rt.apply({"op": "scenario.next"})
    assert not refused["ok"] and "last step" in refused["error"]


def test_the_narration_is_kept_in_the_spec_and_comes_back_after_an_unload():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    for _ in range(3):  # step 1 starts, is finished; step 2 starts
        rt.apply({"op": "scenario.next"})
    assert rt.spec["scenario"] == {"slug": SLUG, "position": 1}
    rt.apply({"op": "scenario.next"})
    before = rt.frame()
    again = SandboxRuntime(1, spec=rt.spec)  # what the host builds from the database
    after = again.frame()
    assert after["scenario"]["index"] == 1 and after["scenario"]["playing"] is None
    assert (after["amqp"], after["kafka"], after["now"]) == (
        before["amqp"], before["kafka"], before["now"]
    )  # fmt: skip
    assert after["scenario"]["claims"] == before["scenario"]["claims"]
    assert after["chart"]["t"][-1] == 6.0  # the chart's history too


def test_a_reopened_sandbox_keeps_what_its_owner_built_on_the_scenario():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    rt.apply({"op": "scenario.next"})
    rt.apply({"op": "scenario.next"})
    assert rt.apply({"op": "queue.declare", "name": "mine"})["ok"]
    again = SandboxRuntime(1, spec=rt.spec)
    assert "mine" in again.spec["queues"]
    scenario = again.frame()["scenario"]
    assert scenario["index"] == 0 and "they are kept" in scenario["note"]
    scenario = again.apply({"op": "scenario.next"})["scenario"]
    assert "replayed to the end of step 1" in scenario["note"]


def test_a_narration_that_cannot_come_back_is_dropped_and_the_topology_kept():
    queue = {"durable": True, "exclusive": False, "auto_delete": False, "arguments": {}}
    spec = {"queues": {"q": queue}, "scenario": {"slug": "gone", "position": 2}}
    rt = SandboxRuntime(1, spec=spec)
    assert rt.frame()["scenario"] is None and "q" in rt.spec["queues"]
    assert "scenario" not in rt.spec


def test_frames_while_a_step_plays_carry_its_progress_and_pending_claims():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    rt.take_frame()
    rt.apply({"op": "scenario.next"})
    progress = []
    for _ in range(10):
        frame = rt.tick(0.05)
        progress.append(frame["scenario"]["playing"]["progress"])
        assert {c.get("pending") for c in frame["scenario"]["claims"]} == {True}
    assert progress == sorted(progress) and progress[-1] > progress[0]
    assert rt.apply({"op": "scenario.check"})["ok"] is False  # judged at the end


def test_a_quiet_playing_sandbox_still_sends_a_frame_each_tick_and_a_paused_one_does_not():
    rt = SandboxRuntime(1)
    rt.take_frame()
    assert all(rt.tick(0.05) is not None for _ in range(5))  # the clock moved
    rt.apply({"op": "time.pause"})
    rt.take_frame()
    assert all(rt.tick(0.05) is None for _ in range(5))


def test_scenario_ops_without_a_scenario_or_with_an_unknown_slug_are_refused():
    rt = SandboxRuntime(1)
    assert rt.apply({"op": "scenario.next"})["field"] == "op"
    assert rt.apply({"op": "scenario.load", "slug": "nope"})["field"] == "slug"


def test_a_reset_forgets_the_narration():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    rt.apply({"op": "sandbox.reset"})
    assert rt.frame()["scenario"] is None


def test_a_locked_runtime_refuses_topology_edits_but_not_time_or_narration():
    rt = SandboxRuntime(1)
    rt.apply({"op": "scenario.load", "slug": SLUG})
    assert rt.apply({"op": "sandbox.lock", "locked": True})["locked"] is True
    for command in ({"op": "queue.declare", "name": "x"}, {"op": "sandbox.reset"},
                    {"op": "scenario.load", "slug": SLUG}):  # fmt: skip
        refused = rt.apply(command)
        assert not refused["ok"] and "locked" in refused["error"]
    assert rt.apply({"op": "scenario.next"})["ok"]
    assert rt.apply({"op": "time.play"})["ok"]
    assert rt.frame()["locked"] is True
    rt.apply({"op": "sandbox.lock", "locked": False})
    assert rt.apply({"op": "queue.declare", "name": "x"})["ok"]


# -- the fan-out hub -----------------------------------------------------------------------


class FakeSocket:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.got: list[str] = []

    async def frame_message(self, message):
        if self.fail:
            raise ConnectionError("gone")
        self.got.append(message["text"])

    async def watch_revoked(self, message):
        self.got.append("revoked")


def test_a_hub_hands_each_message_to_every_local_socket_and_drops_a_broken_one():
    hub = fanout.Hub("sb-x")
    good, broken = FakeSocket(), FakeSocket(fail=True)
    hub.members |= {good, broken}
    asyncio.run(hub.deliver({"type": "frame.message", "text": "f1"}))
    asyncio.run(hub.deliver({"type": "watch.revoked"}))
    asyncio.run(hub.deliver({"type": "something.else"}))
    assert good.got == ["f1", "revoked"] and hub.members == {good}


def test_a_hub_renews_its_group_membership_before_the_layer_expires_it(monkeypatch):
    monkeypatch.setattr(fanout, "REFRESH", 0.01)

    async def scenario():
        layer = get_channel_layer()
        hub = fanout.Hub("sb-renew")
        await hub.start()
        try:
            members = layer.groups["sb-renew"]
            members[hub.channel] = 0.0  # joined in 1970: the next clean-up would drop it
            await asyncio.sleep(0.05)
            assert members[hub.channel] > time.time() - 5
        finally:
            await hub.stop()

    asyncio.run(scenario())


# -- views ---------------------------------------------------------------------------------


def open_scenario(client: Client, slug: str = SLUG) -> Sandbox:
    response = client.post(f"/scenario/{slug}/start/")
    assert response.status_code == 302, response.content[:300]
    return Sandbox.objects.get(id=response["Location"].split("/")[2])


def snapshot(sandbox: Sandbox) -> dict:
    return run(sandbox, {"op": "sandbox.snapshot"})["frame"]


def shared(client: Client, sandbox: Sandbox) -> str:
    body = client.post(f"/s/{sandbox.id}/share/link/", **HX).content.decode()
    sandbox.refresh_from_db()
    assert f"/w/{sandbox.watch_token}/" in body
    return sandbox.watch_token


def test_the_start_page_shows_every_scenario_with_its_badges(client):
    body = client.get("/").content.decode()
    assert body.count('class="scenario-card"') == len(list_scenarios()) == 14
    assert "runs on real RabbitMQ" in body and "runs on real Kafka" in body
    assert f'action="/scenario/{SLUG}/start/"' in body


def test_opening_a_scenario_makes_an_owned_sandbox_with_it_loaded(client):
    sandbox = open_scenario(client)
    assert sandbox.seed == load(SLUG).seed
    assert snapshot(sandbox)["scenario"]["slug"] == SLUG
    page = client.get(f"/s/{sandbox.id}/").content.decode()
    assert 'id="narration"' in page and 'id="narr-next"' in page


def test_a_real_broker_badge_says_why_when_the_broker_does_not_answer(client, monkeypatch):
    from playground import backend_choice

    monkeypatch.setattr(backend_choice, "probe", lambda kind, fresh=False: (False, "refused."))
    made = Sandbox.objects.count()
    response = client.post(f"/scenario/{SLUG}/start/", {"backend": "kafka"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and "Real Kafka does not answer here" in body
    assert "refused." in body and Sandbox.objects.count() == made
    response = client.post("/scenario/retention/start/", {"backend": "rabbitmq"}, **HX)
    assert "not marked to run on Real RabbitMQ" in response.content.decode()
    response = client.post(f"/scenario/{SLUG}/start/", {"backend": "mars"}, **HX)
    assert "Choose the simulator" in response.content.decode()
    assert Sandbox.objects.count() == made


def test_each_real_badge_of_the_gallery_posts_its_broker(client):
    body = client.get("/").content.decode()
    assert body.count('name="backend" value="rabbitmq"') == sum(
        m["real"]["rabbitmq"] for m in list_scenarios()
    )
    assert body.count('name="backend" value="kafka"') == sum(
        m["real"]["kafka"] for m in list_scenarios()
    )


def test_an_unknown_scenario_is_404_and_starting_is_post_only(client):
    assert client.post("/scenario/nope/start/").status_code == 404
    assert client.get(f"/scenario/{SLUG}/start/").status_code == 405


def test_the_owner_steps_the_narration_and_a_stranger_cannot(client):
    sandbox = open_scenario(client)
    assert client.post(f"/s/{sandbox.id}/scenario/next/", **HX).status_code == 200
    assert snapshot(sandbox)["scenario"]["index"] == 0
    stranger = Client()
    assert stranger.post(f"/s/{sandbox.id}/scenario/next/").status_code == 404
    assert client.post(f"/s/{sandbox.id}/scenario/jump/").status_code == 404
    assert snapshot(sandbox)["scenario"]["index"] == 0


def test_only_the_owner_can_share_revoke_or_lock(client):
    sandbox = open_scenario(client)
    stranger = Client()
    for url in ("share/link/", "share/revoke/", "lock/"):
        assert stranger.post(f"/s/{sandbox.id}/{url}", {"locked": "1"}).status_code == 404
    assert stranger.get(f"/s/{sandbox.id}/share/").status_code == 404
    sandbox.refresh_from_db()
    assert sandbox.watch_token is None and not sandbox.locked


def test_a_watch_link_shows_the_sandbox_read_only(client):
    sandbox = open_scenario(client)
    token = shared(client, sandbox)
    assert len(token) >= 20
    viewer = Client()
    body = viewer.get(f"/w/{token}/").content.decode()
    assert 'id="narration"' in body and 'id="topology"' in body and "Fork a copy" in body
    for control in ('id="narr-next"', 'id="play"', "cmd-form", 'id="share-open"', "Reset"):
        assert control not in body
    assert viewer.get(f"/w/{token}/diagram/").status_code == 200
    assert viewer.post(f"/s/{sandbox.id}/action/", {"op": "time.play"}).status_code == 404
    assert viewer.post(f"/s/{sandbox.id}/queue/", {"queue-name": "x"}).status_code == 404


def test_sharing_twice_keeps_the_link_and_revoking_makes_it_404(client):
    sandbox = open_scenario(client)
    token = shared(client, sandbox)
    assert shared(client, sandbox) == token
    body = client.post(f"/s/{sandbox.id}/share/revoke/", **HX).content.decode()
    assert "revoked" in body and token not in body
    viewer = Client()
    assert viewer.get(f"/w/{token}/").status_code == 404
    assert viewer.post(f"/w/{token}/fork/").status_code == 404
    assert shared(client, sandbox) != token


def test_locking_refuses_edits_from_every_tab_until_unlocked(client):
    sandbox = open_scenario(client)
    client.post(f"/s/{sandbox.id}/lock/", {"locked": "1"}, **HX)
    sandbox.refresh_from_db()
    assert sandbox.locked and snapshot(sandbox)["locked"] is True
    other_tab = client.post(f"/s/{sandbox.id}/queue/", QUEUE, **HX)
    assert "locked" in other_tab.content.decode()
    assert "x" not in [q["name"] for q in snapshot(sandbox)["amqp"]["queues"]]
    assert client.post(f"/s/{sandbox.id}/scenario/next/", **HX).status_code == 200
    client.post(f"/s/{sandbox.id}/lock/", {"locked": "0"}, **HX)
    client.post(f"/s/{sandbox.id}/queue/", QUEUE, **HX)
    assert "x" in [q["name"] for q in snapshot(sandbox)["amqp"]["queues"]]


def test_a_fork_is_an_owned_copy_with_the_same_spec_seed_and_step(client):
    sandbox = open_scenario(client)
    for _ in range(4):  # start step 1, finish it, start step 2, finish it
        client.post(f"/s/{sandbox.id}/scenario/next/", **HX)
    token = shared(client, sandbox)
    viewer = Client()
    response = viewer.post(f"/w/{token}/fork/")
    assert response.status_code == 302
    copy = Sandbox.objects.get(id=response["Location"].split("/")[2])
    sandbox.refresh_from_db()
    assert copy.id != sandbox.id and copy.owner != sandbox.owner
    assert (copy.spec, copy.seed) == (sandbox.spec, sandbox.seed)
    assert snapshot(copy)["scenario"]["index"] == 1
    assert snapshot(copy)["amqp"] == snapshot(sandbox)["amqp"]
    assert viewer.get(f"/s/{copy.id}/").status_code == 200
    assert client.get(f"/s/{copy.id}/").status_code == 404
    assert viewer.get(f"/w/{token}/fork/").status_code == 405
