"""The start page and one sandbox's page: make, show, reset and delete a sandbox, and the
buttons and the speed slider that act on what runs. Thin: parse (Django forms), call the
sandbox runtime, render a partial.

Every sandbox URL answers 404 to anyone but the sandbox's owner, with the app's own
page that names nothing of the sandbox (`playground.web.stranger`, via
`shortcuts.owned`). The build forms and the details panel are `views.entities`.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms as djforms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from playground import backend_choice
from playground.access import create_sandbox, owner_token
from playground.live.host import FORGET, UNLOAD_AFTER
from playground.models import Sandbox
from playground.web import forms, page_state
from playground.web.features import FEATURES
from playground.web.shortcuts import changed, flash, go, owned
from playground.web.views.entities import blank_forms
from sandbox.layout import layout
from sandbox.protocol import SPEED_MAX, SPEED_MIN
from sandbox.scenarios import list_scenarios


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The start page: what the playground is and what the simulator models."""
    context = {"features": FEATURES, "scenarios": list_scenarios()}
    return render(request, "index.html", context)


@require_POST
def sandbox_new(request: HttpRequest) -> HttpResponse:
    """Make a sandbox for this visitor, with the seed typed (empty: a random one); go to it."""
    form = forms.SeedForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return flash(request, error=form.error())
        context = {"features": FEATURES, "scenarios": list_scenarios()}
        context.update(start_error=form.error(), start_seed=request.POST.get("seed", ""))
        return render(request, "index.html", context, status=400)
    sandbox = create_sandbox(owner_token(request.session), seed=form.cleaned_data["seed"])
    url = reverse("sandbox", args=[sandbox.id])
    return go(request, url)


def speed_position(speed: float) -> int:
    """Where `speed` sits on the 0–100 slider, which is logarithmic (1× near the middle)."""
    speed = min(SPEED_MAX, max(SPEED_MIN, float(speed or 1.0)))
    return round(100 * math.log(speed / SPEED_MIN) / math.log(SPEED_MAX / SPEED_MIN))


# -- the page and its live parts -------------------------------------------------------


@require_GET
@owned
def sandbox_page(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The playground: controls, diagram, build forms, live log and charts."""
    st = page_state.state(sandbox)
    context = {
        "sandbox": sandbox,
        "state": st,
        "diagram": layout(st),
        "forms": blank_forms(),
        "speed_min": SPEED_MIN,
        "speed_max": SPEED_MAX,
        "speed_pos": speed_position(st["speed"]),
        "idle_minutes": settings.BP_IDLE_MINUTES,
        "sleep_minutes": round(UNLOAD_AFTER / 60),
    }
    return render(request, "sandbox.html", context)


@require_GET
@owned
def diagram(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The topology diagram alone (redrawn after every change)."""
    st = page_state.state(sandbox)
    return render(request, "partials/diagram.html", {"sandbox": sandbox, "diagram": layout(st)})


@require_POST
@owned
def sandbox_delete(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Delete this visitor's sandbox (on a real broker, its resources first: a reset)."""
    if backend_choice.is_real(sandbox.backend):
        page_state.run(sandbox, {"op": "sandbox.reset"})
    page_state.run(sandbox, {"op": FORGET})
    sandbox.delete()
    url = reverse("index")
    return go(request, url)


@require_POST
@owned
def sandbox_reset(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Empty the topology, kept parts too; the seed typed replaces the seed (empty: it stays)."""
    form = forms.SeedForm(request.POST)
    if not form.is_valid():
        return flash(request, error=form.error() + " Nothing changed.")
    command: dict[str, Any] = {"op": "sandbox.reset"}
    if form.cleaned_data["seed"] is not None:
        command["seed"] = form.cleaned_data["seed"]
    answer = page_state.run(sandbox, command)
    if not answer.get("ok"):
        return flash(request, error=answer.get("error"))
    seed = answer.get("seed", sandbox.seed)  # the host saved it with the spec
    same = seed == sandbox.seed
    message = f"Sandbox reset ({'same' if same else 'new'} seed {seed})."
    response = flash(request, message=message)
    return changed(response)


# -- actions on running things (buttons) -------------------------------------------------

# op -> the one field it needs
ACTIONS = {
    "consumer.crash": "tag",
    "consumer.restart": "tag",
    "producer.start": "name",
    "producer.stop": "name",
    "queue.purge": "name",
    "member.add": "group_id",
    "member.leave": "member",
    "member.crash": "member",
    "time.play": "",
    "time.pause": "",
    "time.step": "",
}


class ActionForm(djforms.Form):
    op = djforms.ChoiceField(choices=[(op, op) for op in ACTIONS])
    target = djforms.CharField(required=False, max_length=forms.MAX_NAME, strip=False)


@require_POST
@owned
def action(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """One button press: crash or restart a consumer, add a member, pause time..."""
    form = ActionForm(request.POST)
    if not form.is_valid():
        return flash(request, error="Unknown action.")
    op = form.cleaned_data["op"]
    command: dict[str, Any] = {"op": op}
    if ACTIONS[op]:
        command[ACTIONS[op]] = form.cleaned_data["target"]
    answer = page_state.run(sandbox, command)
    if not answer.get("ok"):
        return flash(request, error=answer.get("error"))
    response = flash(request, message="")
    return response if op.startswith("time.") else changed(response)


@require_POST
@owned
def speed(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Set the simulation speed (0.1× to 20×)."""
    form = forms.SpeedForm(request.POST)
    if not form.is_valid():
        return flash(request, error=f"Speed is {SPEED_MIN:g}× to {SPEED_MAX:g}×.")
    answer = page_state.run(sandbox, {"op": "time.speed", "speed": form.cleaned_data["speed"]})
    return flash(request, error=answer.get("error", ""))
