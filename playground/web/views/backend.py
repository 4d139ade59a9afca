"""The backend selector: run a sandbox on the simulator, real RabbitMQ or real Kafka.

A real broker that does not answer is refused with the probe's reason and nothing
changes. Otherwise the choice is saved on the sandbox (a reload or a host restart keeps
it) and the host builds the runtime again on the new backend (`sandbox.reload`). The
spec is not touched: the part the backend cannot run is kept, greyed in the diagram,
and runs again after a switch back. The answer is the selector again, with what is kept
and what the backend does not offer.
"""

from __future__ import annotations

from typing import Any

from django import forms as djforms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from playground import backend_choice
from playground.models import Sandbox
from playground.web import page_state
from playground.web.shortcuts import changed, owned


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
    previous = sandbox.backend
    sandbox.backend = kind  # the spec stays whole: the runtime keeps what `kind` cannot run
    sandbox.save(update_fields=["backend", "last_seen"])
    answer = page_state.run(sandbox, {"op": "sandbox.reload"})
    if not answer.get("ok"):
        sandbox.backend = previous
        sandbox.save(update_fields=["backend", "last_seen"])
        page_state.run(sandbox, {"op": "sandbox.reload"})
        return _answer(request, sandbox, error=answer.get("error") or "The switch failed.")
    sandbox.refresh_from_db(fields=["spec"])
    done = f"Now on {backend_choice.LABELS[kind]}."
    notes = backend_choice.kept_notes(sandbox.spec, kind)
    response = _answer(request, sandbox, message=done, notes=notes)
    return changed(response)
