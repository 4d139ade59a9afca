"""Caps per visitor and overall: sandboxes, live runtimes, memory; a refusal answers 429."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from playground import limits
from playground.access import OWNER_KEY, create_sandbox
from playground.live import host
from playground.models import Sandbox
from sandbox.runtime import Caps, SandboxRuntime
from sandbox.runtime.memory import MB

pytestmark = pytest.mark.django_db(transaction=True)

HX = {"HTTP_HX_REQUEST": "true"}
SLUG = "courier-and-pickup-board"


@pytest.fixture(autouse=True)
def fresh_host(monkeypatch):
    """A host of this test's own, so runtimes other tests left loaded do not count."""
    monkeypatch.setattr(host._Process, "host", None)
    monkeypatch.setattr(host._Process, "task", None)
    yield
    made = host._Process.host
    if made is not None:
        for sandbox_id in list(made.live):
            made.unload(sandbox_id)


def visitor(client: Client) -> str:
    """The client's owner token (made on its first start)."""
    client.post("/sandbox/new/")
    return client.session[OWNER_KEY]


def watched(sandbox_id: str) -> host.Live:
    live = host.local_host()._load_sync(sandbox_id)
    live.viewers = 1
    return live


# -- sandboxes per visitor and in all --------------------------------------------------------


def test_a_visitor_at_the_sandbox_cap_gets_a_429_page_listing_their_sandboxes(client, settings):
    settings.BP_MAX_SANDBOXES_PER_VISITOR = 2
    owner = visitor(client)
    client.post("/sandbox/new/")
    response = client.post("/sandbox/new/")
    assert response.status_code == 429
    body = response.content.decode()
    assert "You have 2 sandboxes, the most one browser may keep." in body
    assert "Delete one you no longer need" in body
    mine = Sandbox.objects.filter(owner=owner)
    assert mine.count() == 2
    for sb in mine:
        assert f'action="/s/{sb.id}/delete/"' in body and f'href="/s/{sb.id}/"' in body
    assert '<link rel="stylesheet" href="/static/css/app.css">' in body  # the app's own page


def test_an_htmx_request_at_a_cap_gets_a_429_flash_not_a_page(client, settings):
    settings.BP_MAX_SANDBOXES_PER_VISITOR = 1
    visitor(client)
    response = client.post("/sandbox/new/", **HX)
    assert response.status_code == 429
    body = response.content.decode()
    assert body.startswith('<p class="flash-msg error" role="alert">You have 1 sandboxes')
    assert "<html" not in body


@pytest.mark.parametrize("way", ["scenario", "fork"])
def test_every_way_to_make_a_sandbox_counts_against_the_cap(client, settings, way):
    settings.BP_MAX_SANDBOXES_PER_VISITOR = 1
    visitor(client)
    if way == "scenario":
        response = client.post(f"/scenario/{SLUG}/start/")
    else:
        source = create_sandbox("teacher")
        token = source.watch_token = "t0ken"
        source.save()
        response = client.post(f"/w/{token}/fork/")
    assert response.status_code == 429
    assert Sandbox.objects.exclude(owner="teacher").count() == 1


def test_at_the_total_cap_unused_sandboxes_are_deleted_first_then_new_ones_refused(settings):
    settings.BP_MAX_SANDBOXES = 3
    old, used = create_sandbox("a"), create_sandbox("b")
    create_sandbox("c")
    past = timezone.now() - timedelta(minutes=settings.BP_IDLE_MINUTES + 1)
    Sandbox.objects.filter(id=old.id).update(last_seen=past)
    create_sandbox("d")  # makes room by deleting the unused one
    assert not Sandbox.objects.filter(id=old.id).exists()
    assert Sandbox.objects.filter(id=used.id).exists()
    with pytest.raises(limits.LimitReached) as refused:
        create_sandbox("e")
    assert refused.value.limit == "sandboxes"
    assert "This server holds 3 sandboxes" in refused.value.error
    assert Sandbox.objects.count() == 3


def test_the_sandboxes_deleted_to_make_room_leave_no_runtime_and_no_broker_resources(
    settings, monkeypatch
):
    settings.BP_MAX_SANDBOXES = 2
    loaded, real = create_sandbox("a"), create_sandbox("b")
    Sandbox.objects.filter(id=real.id).update(backend="rabbitmq")
    host.local_host()._load_sync(loaded.id)
    destroyed: list[tuple[str, str]] = []
    monkeypatch.setattr(
        host.backend_choice, "destroy_resources", lambda kind, sid: destroyed.append((kind, sid))
    )
    past = timezone.now() - timedelta(minutes=settings.BP_IDLE_MINUTES + 1)
    Sandbox.objects.filter(id__in=[loaded.id, real.id]).update(last_seen=past)
    create_sandbox("c")
    assert loaded.id not in host.local_host().live
    assert destroyed == [("rabbitmq", real.id)]


def test_deleting_a_sandbox_from_the_limit_page_makes_room(client, settings):
    settings.BP_MAX_SANDBOXES_PER_VISITOR = 1
    owner = visitor(client)
    mine = Sandbox.objects.get(owner=owner)
    host.local_host()._load_sync(mine.id)
    assert client.post("/sandbox/new/").status_code == 429
    response = client.post(f"/s/{mine.id}/delete/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert not Sandbox.objects.filter(id=mine.id).exists()
    assert mine.id not in host.local_host().live
    assert client.post("/sandbox/new/").status_code == 302


def test_only_the_owner_can_delete_a_sandbox(client):
    other = create_sandbox("someone-else")
    assert client.post(f"/s/{other.id}/delete/").status_code == 404
    assert client.get(f"/s/{other.id}/delete/").status_code in (404, 405)
    assert Sandbox.objects.filter(id=other.id).exists()


# -- live runtimes and memory --------------------------------------------------------------


def test_past_the_runtime_cap_the_least_recently_used_unwatched_runtime_sleeps(settings):
    settings.BP_MAX_RUNTIMES = 2
    h = host.local_host()
    old, seen, new = (create_sandbox(owner) for owner in ("a", "b", "c"))
    h._load_sync(old.id)
    watched(seen.id)
    h.live[old.id].last_active -= 60
    h._load_sync(new.id)
    assert set(h.live) == {seen.id, new.id}
    assert Sandbox.objects.filter(id=old.id).exists()  # asleep, not deleted


def test_when_every_runtime_is_watched_the_page_answers_429_and_says_why(client, settings):
    settings.BP_MAX_RUNTIMES = 2
    for owner in ("a", "b"):
        watched(create_sandbox(owner).id)
    response = client.post("/sandbox/new/")
    assert response.status_code == 302  # a sandbox can still be made ...
    page = client.get(response["Location"])
    assert page.status_code == 429  # ... but not run
    body = page.content.decode()
    assert "This server runs 2 sandboxes at once" in body
    assert "a sandbox with no tab open sleeps after 10 minutes" in body
    assert page["Retry-After"] == "120"
    hx = client.get(response["Location"] + "diagram/", **HX)
    assert hx.status_code == 429 and b"flash-msg error" in hx.content


def test_one_visitor_may_run_only_so_many_runtimes_and_others_still_run_theirs(settings):
    settings.BP_MAX_RUNTIMES_PER_VISITOR = 1
    h = host.local_host()
    first, second, bobs = create_sandbox("alice"), create_sandbox("alice"), create_sandbox("bob")
    watched(first.id)
    with pytest.raises(host.Refused) as refused:
        h._load_sync(second.id)
    assert refused.value.answer["limit"] == "visitor_runtimes"
    assert "You have 1 sandboxes running at once" in refused.value.answer["error"]
    watched(bobs.id)
    h.live[first.id].viewers = 0  # alice closed her tab: her old runtime makes room
    h._load_sync(second.id)
    assert set(h.live) == {second.id, bobs.id}


def test_the_hosts_memory_cap_counts_what_runtimes_hold(settings):
    """A runtime is admitted while the others' estimates leave room for it at its cap."""
    settings.BP_SANDBOX_MEMORY_MB = 8
    h = host.local_host()
    for owner in ("a", "b"):
        live = watched(create_sandbox(owner).id)
        live.runtime.apply({"op": "queue.declare", "name": "q"})
        answer = live.runtime.apply(
            {"op": "publish", "routing_key": "q", "body": "x" * 900, "count": 1000}
        )
        assert answer["ok"], answer
        live.runtime.advance(0.1)
        assert live.runtime.memory_estimate() > 1000 * 900
    needed = (h.memory() + h.caps.max_memory) / MB
    settings.BP_MEMORY_MB = int(needed)  # just short
    with pytest.raises(host.Refused) as refused:
        h._load_sync(create_sandbox("c").id)
    assert refused.value.answer["limit"] == "memory"
    assert f"about {round(h.memory() / MB)} MB of messages" in refused.value.answer["error"]
    settings.BP_MEMORY_MB = int(needed) + 1
    assert h._load_sync(create_sandbox("d").id) is not None


def test_a_refused_load_comes_back_as_the_hosts_answer_to_any_command(settings):
    settings.BP_MAX_RUNTIMES = 1
    watched(create_sandbox("a").id)
    answer = host.call_sync(create_sandbox("b").id, {"op": "sandbox.snapshot"})
    assert answer["ok"] is False and answer["limit"] == "runtimes"
    with pytest.raises(limits.LimitReached):
        limits.raise_for(answer)


# -- memory within one sandbox ---------------------------------------------------------------


def test_a_sandbox_at_its_memory_cap_blocks_producers_and_refuses_publishing():
    rt = SandboxRuntime(1, caps=Caps(max_retained=100_000, max_memory=2 * MB))
    rt.apply({"op": "queue.declare", "name": "q"})
    rt.apply({"op": "producer.add", "name": "p", "routing_key": "q", "payload": "y" * 900,
              "rate": 1000})  # fmt: skip
    for _ in range(40):
        rt.advance(0.1)
    assert rt.memory_estimate() >= 2 * MB
    assert rt.memory_estimate() < 2.5 * MB  # stopped within a tick of the cap
    assert rt.agents["p"].state == "blocked"
    answer = rt.apply({"op": "publish", "routing_key": "q", "body": "z"})
    assert not answer["ok"] and "its limit is 2 MB" in answer["error"]


def test_a_burst_that_would_pass_the_memory_cap_is_refused_whole():
    rt = SandboxRuntime(1, caps=Caps(max_memory=1 * MB))
    rt.apply({"op": "queue.declare", "name": "q"})
    answer = rt.apply({"op": "publish", "routing_key": "q", "body": "x" * 900, "count": 2000})
    assert not answer["ok"] and "memory limit of 1 MB" in answer["error"]
    assert rt.frame()["amqp"]["queues"][0]["ready"] == 0


def test_the_memory_estimate_grows_with_bodies_and_history():
    rt = SandboxRuntime(1)
    empty = rt.memory_estimate()
    rt.apply({"op": "queue.declare", "name": "q"})
    rt.apply({"op": "publish", "routing_key": "q", "body": "x" * 1000, "count": 100})
    rt.advance(0.1)
    grown = rt.memory_estimate()
    assert grown - empty >= 100 * 1000  # the bodies, at least
    assert rt.usage()["memory"] == grown and rt.usage()["max_memory"] == 32 * MB
