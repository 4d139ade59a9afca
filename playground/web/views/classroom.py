"""The classroom and the talk: scenario gallery, narration, sharing, lock, watch, fork.

- `scenario_start`: a gallery card's button; a new sandbox (owned by the visitor) with
  the scenario loaded in its runtime, then its page, narration panel open. A card's
  "runs on real RabbitMQ / Kafka" badge posts `backend`: the sandbox is made on that real
  broker when it answers (probed afresh); otherwise the card says why, and nothing is made.
- `scenario_op`: the owner's Next / Back / Check on the narration; the runtime holds
  the run, so every viewer's frames carry the step (`sandbox.runtime.classroom`).
- `share_panel`, `share_link`, `revoke_link`, `lock`: the owner's Share panel. Revoking
  forgets the token (the old link answers 404) and closes the watchers' sockets.
- `watch_page`, `watch_diagram`: anyone holding the current watch token follows the
  sandbox read-only; `fork` copies its spec, seed and scenario position into a new
  sandbox of the viewer's own.

Owner-only views answer 404 to anyone else, as every /s/<id>/ URL does.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from playground import backend_choice
from playground.access import create_sandbox, owner_token, revoke, share
from playground.live.consumers import kick_watchers
from playground.models import Sandbox
from playground.web import page_state
from playground.web.shortcuts import flash, go, owned
from playground.web.stranger import NotYours
from sandbox.layout import layout
from sandbox.scenarios import ScenarioError, load

SCENARIO_OPS = ("next", "back", "check", "close")


# -- the gallery and the narration ---------------------------------------------------------


@require_POST
def scenario_start(request: HttpRequest, slug: str) -> HttpResponse:
    """A new sandbox of the visitor's own with scenario `slug` loaded (on the real broker
    `backend` names, if any); go to it."""
    try:
        scenario = load(slug)
    except ScenarioError:
        raise Http404("No such scenario.") from None
    kind = request.POST.get("backend") or backend_choice.SIM
    if kind != backend_choice.SIM:
        refused = _real_refusal(scenario, kind)
        if refused:
            return flash(request, error=refused)
    sandbox = create_sandbox(owner_token(request.session), seed=scenario.seed)
    if kind != backend_choice.SIM:
        sandbox.backend = kind
        sandbox.save(update_fields=["backend"])
    answer = page_state.run(sandbox, {"op": "scenario.load", "slug": scenario.slug})
    if not answer.get("ok"):
        sandbox.delete()
        return flash(request, error=f"Could not load the scenario: {answer.get('error')}")
    return go(request, reverse("sandbox", args=[sandbox.id]))


def _real_refusal(scenario: Any, kind: str) -> str:
    """Why `scenario` cannot open on real broker `kind` now ("" when it can)."""
    if not backend_choice.is_real(kind):
        return "Choose the simulator, real RabbitMQ or real Kafka."
    label = backend_choice.LABELS[kind]
    if not scenario.real.get(kind):
        return f"“{scenario.title}” is not marked to run on {label}; open it on the simulator."
    ok, reason = backend_choice.probe(kind, fresh=True)
    if not ok:
        return f"{label} does not answer here, so this scenario cannot open on it: {reason}"
    return ""


@require_POST
@owned
def scenario_op(request: HttpRequest, sandbox: Sandbox, op: str) -> HttpResponse:
    """Next, Back, Check or Close on the sandbox's narration."""
    if op not in SCENARIO_OPS:
        raise Http404("No such scenario action.")
    answer = page_state.run(sandbox, {"op": f"scenario.{op}"})
    return flash(request, error="" if answer.get("ok") else answer.get("error", ""))


# -- sharing and the lock (owner) ----------------------------------------------------------


def _share_context(request: HttpRequest, sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    url = ""
    if sandbox.watch_token:
        url = request.build_absolute_uri(reverse("watch", args=[sandbox.watch_token]))
    return {"sandbox": sandbox, "watch_url": url, **extra}


@require_GET
@owned
def share_panel(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The Share panel: the watch link (if any), Copy, Revoke, Lock."""
    return render(request, "partials/share.html", _share_context(request, sandbox))


@require_POST
@owned
def share_link(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Make the read-only watch link (or keep the current one)."""
    share(sandbox)
    return render(request, "partials/share.html", _share_context(request, sandbox))


@require_POST
@owned
def revoke_link(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Withdraw the watch link and close every watcher's socket."""
    revoke(sandbox)
    async_to_sync(kick_watchers)(sandbox.id)
    done = "Link revoked: watchers were disconnected. Make a new link to share again."
    return render(request, "partials/share.html", _share_context(request, sandbox, done=done))


@require_POST
@owned
def lock(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Lock (locked=1) or unlock editing of the topology, from every tab and socket."""
    locked = request.POST.get("locked") == "1"
    answer = page_state.run(sandbox, {"op": "sandbox.lock", "locked": locked})
    if not answer.get("ok"):
        context = _share_context(request, sandbox, error=answer.get("error"))
        return render(request, "partials/share.html", context)
    sandbox.locked = locked
    sandbox.save(update_fields=["locked", "last_seen"])
    return render(request, "partials/share.html", _share_context(request, sandbox))


# -- watchers --------------------------------------------------------------------------------


def _watched(token: str) -> Sandbox:
    sandbox = Sandbox.objects.filter(watch_token=token).first() if token else None
    if sandbox is None:
        raise NotYours("watch")  # the app's own 404 page, the same for revoked and unknown
    return sandbox


@require_GET
def watch_page(request: HttpRequest, token: str) -> HttpResponse:
    """The sandbox, live and read-only, for anyone holding its current watch link."""
    sandbox = _watched(token)
    st = page_state.state(sandbox)
    context = {"sandbox": sandbox, "token": token, "state": st, "diagram": layout(st)}
    return render(request, "watch.html", context)


@require_GET
def watch_diagram(request: HttpRequest, token: str) -> HttpResponse:
    """The watched sandbox's diagram alone (redrawn when its topology changes)."""
    sandbox = _watched(token)
    st = page_state.state(sandbox)
    return render(request, "partials/diagram.html", {"sandbox": sandbox, "diagram": layout(st)})


@require_POST
def fork(request: HttpRequest, token: str) -> HttpResponse:
    """Copy the watched sandbox (spec, seed, scenario position) into one of the viewer's.

    The narration's slug and step travel in the spec's "scenario" key: the copy's runtime
    replays to that step when it is built (`sandbox.scenarios.commands.restore`)."""
    source = _watched(token)
    source.refresh_from_db(fields=["spec", "seed"])
    copy = create_sandbox(owner_token(request.session), spec=source.spec, seed=source.seed)
    return go(request, reverse("sandbox", args=[copy.id]))
