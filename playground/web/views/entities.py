"""The build forms and the details panel: create, edit and delete one entity of a kind.

Which form builds each kind's command, what the page calls it, which op deletes it and
how an edit is planned are `playground.web.kinds`'s (`KINDS`). A form that fails
validation, or whose command the engine refuses, comes back with the message under the
field and nothing changed; a form that succeeds comes back blank and tells the page
(`topology-changed`) to redraw the diagram.
Editing runs the plan `sandbox.editing` makes, and its restore when a step fails.
"""

from __future__ import annotations

from typing import Any

from django import forms as djforms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from playground.models import Sandbox
from playground.web import forms, kinds, page_state
from playground.web.kinds import KINDS
from playground.web.shortcuts import changed, flash, owned
from sandbox import editing

EDIT_ID = "edit-%s"  # edit forms sit beside the build forms: keep element ids unique


def blank_forms() -> dict[str, djforms.Form]:
    """One empty build form per kind, for the sandbox page."""
    return {kind: spec.form_class(prefix=kind) for kind, spec in KINDS.items()}


def _make_form(kind: str, data: Any, st: dict[str, Any] | None, **kw: Any) -> djforms.Form:
    form_class = KINDS[kind].form_class
    if form_class is forms.BindingForm:
        types = {e["name"]: e.get("type") for e in (st or {}).get("amqp", {}).get("exchanges", [])}
        kw["exchange_types"] = types
    return form_class(data, prefix=kind, **kw)


def _form_response(
    request: HttpRequest, sandbox: Sandbox, kind: str, form: djforms.Form, **extra: Any
) -> HttpResponse:
    context = {
        "sandbox": sandbox,
        "kind": kind,
        "spec": KINDS[kind],
        "form": form,
        "action": reverse("entity", args=[sandbox.id, kind]),
        **extra,
    }
    return render(request, "partials/form.html", context)


def _apply_engine_error(form: djforms.Form, answer: dict[str, Any]) -> None:
    """Show the engine's refusal under the field it names, else above the form."""
    field = answer.get("field")
    message = answer.get("error") or "The broker refused this."
    if field and field in form.fields:
        form.add_error(field, message)
    else:
        form.add_error(None, message)


@require_http_methods(["GET", "POST"])
@owned
def entity(request: HttpRequest, sandbox: Sandbox, kind: str) -> HttpResponse:
    """GET: a blank form. POST: create (or edit, when `original` is given) one entity."""
    if kind not in KINDS:
        raise Http404("No such kind.")
    if request.method == "GET":
        return _form_response(request, sandbox, kind, _make_form(kind, None, None))
    # only what can be deleted can be edited: publish and send have no "original"
    original = request.POST.get("original", "") if KINDS[kind].delete_op else ""
    st = page_state.state(sandbox)
    form = _make_form(kind, request.POST, st, **({"auto_id": EDIT_ID} if original else {}))
    extra = {"original": original, "edit": bool(original)}
    if not form.is_valid():
        return _form_response(request, sandbox, kind, form, **extra)
    if original and KINDS[kind].check_edit:
        KINDS[kind].check_edit(st, original, form)
        if form.errors:
            return _form_response(request, sandbox, kind, form, **extra)
    answer = _submit(sandbox, kind, form, original, st)
    if not answer.get("ok"):
        _apply_engine_error(form, answer)
        return _form_response(request, sandbox, kind, form, **extra)
    if original:
        extra["saved"] = True
        response = _form_response(request, sandbox, kind, form, **extra)
    else:
        done = _done_message(kind, form.to_command(), answer)
        response = _form_response(request, sandbox, kind, _kept_form(kind, form), done=done)
    return changed(response)


def _submit(sandbox: Sandbox, kind: str, form: djforms.Form, original: str, st: dict) -> dict:
    command = form.to_command()
    if kind == "binding" and original:
        old = page_state.find_binding(st, original)
        if old is None:
            return {"ok": False, "error": "That binding is gone."}
        plan, restore = editing.plan_binding(old, command)
    elif original:
        plan, restore = KINDS[kind].plan_edit(st, original, command)
    else:
        plan, restore = [command], []
    answer = page_state.run_all(sandbox, plan)
    if not answer.get("ok") and restore:
        page_state.run_all(sandbox, restore, stop=False)
    return answer


def _kept_form(kind: str, form: djforms.Form) -> djforms.Form:
    """After publishing, keep what was typed (people publish again); otherwise start blank."""
    if kind in ("publish", "send"):
        return KINDS[kind].form_class(initial=form.cleaned_data, prefix=kind)
    return KINDS[kind].form_class(prefix=kind)


def _done_message(kind: str, command: dict, answer: dict) -> str:
    if kind in ("publish", "send"):
        count = command.get("count", 1)
        return (
            f"{'Published' if kind == 'publish' else 'Sent'} {count} message{'s' * (count != 1)}."
        )
    name = command.get("name") or command.get("group_id") or command.get("tag") or answer.get("tag")
    if kind == "binding":
        return f"Bound {command['source']} → {command['destination']}."
    return f"Added {KINDS[kind].title.lower()} {name or ''}".strip() + "."


@require_POST
@owned
def entity_delete(request: HttpRequest, sandbox: Sandbox, kind: str) -> HttpResponse:
    """Delete one entity (its details panel closes, the diagram redraws)."""
    if kind not in KINDS or not KINDS[kind].delete_op:
        raise Http404("No such kind.")
    name = request.POST.get("name", "")
    if kind == "binding":
        st = page_state.state(sandbox)
        binding = page_state.find_binding(st, name)
        answer = page_state.run(sandbox, editing.bind(binding, "unbind")) if binding else {}
    else:
        answer = page_state.run(sandbox, {"op": KINDS[kind].delete_op, KINDS[kind].key: name})
    if not answer.get("ok"):
        error = answer.get("error") or "Nothing to delete."
        return flash(request, error=error)
    message = f"Deleted {KINDS[kind].title.lower()} {name if kind != 'binding' else ''}".strip()
    response = flash(request, message=message + ".")
    return changed(response)


@require_POST
@owned
def group_reset(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Reset a group's committed offsets on one topic."""
    group_id = request.POST.get("group_id", "")
    form = forms.OffsetResetForm(request.POST, prefix="reset")
    context = {"sandbox": sandbox, "form": form, "group_id": group_id}
    if form.is_valid():
        answer = page_state.run(sandbox, form.to_command(group_id))
        if not answer.get("ok"):
            _apply_engine_error(form, answer)
        else:
            context["done"] = "Offsets reset."
            response = render(request, "partials/reset_form.html", context)
            return changed(response)
    return render(request, "partials/reset_form.html", context)


# -- details of one node -------------------------------------------------------------------


@require_GET
@owned
def node(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The details panel of one diagram node: settings, live counters, edit and delete."""
    node_id = request.GET.get("id", "")
    st = page_state.state(sandbox)
    details = kinds.details(st, node_id)
    if details is None:
        context = {"sandbox": sandbox, "node_id": node_id, "missing": True}
        return render(request, "partials/details.html", context)
    kind = details["kind"]
    context: dict[str, Any] = {"sandbox": sandbox, "node_id": node_id, **details}
    if kind in KINDS and details.get("initial") is not None:
        form = KINDS[kind].form_class(initial=details["initial"], prefix=kind, auto_id=EDIT_ID)
        context["edit_form"] = form
        context["edit_action"] = reverse("entity", args=[sandbox.id, kind])
        context["spec"] = KINDS[kind]
    if kind == "group" and not details.get("kept"):
        context["reset_form"] = forms.OffsetResetForm(prefix="reset", auto_id=EDIT_ID)
    if kind == "exchange":
        context["binding_forms"] = [
            (b, forms.BindingForm(initial=forms.BindingForm.initial_from(b), prefix="binding",
                                  auto_id=f"edit-b{i}-%s"))
            for i, b in enumerate(details["bindings"])
        ]  # fmt: skip
        context["binding_spec"] = KINDS["binding"]
    return render(request, "partials/details.html", context)
