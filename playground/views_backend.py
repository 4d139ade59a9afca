"""The backend selector: run a sandbox on the simulator, real RabbitMQ or real Kafka.

A real broker that does not answer is refused with the probe's reason and nothing
changes. Otherwise the choice is saved on the sandbox (a reload or a host restart keeps
it), the spec keeps the parts the backend can hold, and the host builds the runtime
again on the new backend (`sandbox.reload`). The answer is the selector again, with
what was left out and what the backend does not offer.
"""

from __future__ import annotations

from typing import Any

from django import forms as djforms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from playground import backend_choice, ui_state
from playground.models import Sandbox
from playground.views import CHANGED, owned


class BackendForm(djforms.Form):
    backend = djforms.ChoiceField(choices=list(backend_choice.LABELS.items()))


def selector_context(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    """What partials/backend_switch.html draws."""
    return {
        "sandbox": sandbox,
        "choices": backend_choice.choices(),
        "current": sandbox.backend,
        "real": backend_choice.is_real(sandbox.backend),
        "limits": backend_choice.limits(sandbox.backend),
        **extra,
    }


def _answer(request: HttpRequest, sandbox: Sandbox, **extra: Any) -> HttpResponse:
    return render(request, "partials/backend_switch.html", selector_context(sandbox, **extra))


@require_POST
@owned
def backend_switch(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Move the sandbox to another backend, or say why it cannot go there."""
    form = BackendForm(request.POST)
    if not form.is_valid():
        return _answer(request, sandbox, error="Choose the simulator, RabbitMQ or Kafka.")
    kind = form.cleaned_data["backend"]
    if kind == sandbox.backend:
        return _answer(request, sandbox)
    if backend_choice.is_real(kind):
        ok, reason = backend_choice.probe(kind, fresh=True)
        if not ok:
            label = backend_choice.LABELS[kind]
            return _answer(request, sandbox, error=f"{label} cannot be chosen: {reason}")
    previous = (sandbox.backend, sandbox.spec)
    spec, notes = backend_choice.applicable(sandbox.spec, kind)
    sandbox.backend, sandbox.spec = kind, spec
    sandbox.save(update_fields=["backend", "spec", "last_seen"])
    answer = ui_state.run(sandbox, {"op": "sandbox.reload"})
    if not answer.get("ok"):
        sandbox.backend, sandbox.spec = previous
        sandbox.save(update_fields=["backend", "spec", "last_seen"])
        ui_state.run(sandbox, {"op": "sandbox.reload"})
        return _answer(request, sandbox, error=answer.get("error") or "The switch failed.")
    done = f"Now on {backend_choice.LABELS[kind]}."
    response = _answer(request, sandbox, message=done, notes=notes)
    return trigger_client_event(response, CHANGED)
