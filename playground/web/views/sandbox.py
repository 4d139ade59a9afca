"""Page views. Thin: parse (Django forms), call the sandbox runtime, render a partial.

Every sandbox URL answers 404 to anyone but the sandbox's owner, with the app's own
page that names nothing of the sandbox (`playground.web.stranger`). A form that fails
validation, or whose command the engine refuses, comes back with the message under the
field and nothing changed; a form that succeeds comes back blank and tells the page
(`topology-changed`) to redraw the diagram.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms as djforms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from playground import backend_choice
from playground.access import create_sandbox, get_owned, owner_token
from playground.live.host import FORGET, UNLOAD_AFTER
from playground.models import Sandbox
from playground.web import forms, page_state
from playground.web.features import FEATURES
from playground.web.stranger import NotYours
from sandbox import editing
from sandbox.layout import layout
from sandbox.protocol import SPEED_MAX, SPEED_MIN
from sandbox.scenarios import list_scenarios

CHANGED = "topology-changed"
EDIT_ID = "edit-%s"  # edit forms sit beside the build forms: keep element ids unique


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
            return render(request, "partials/flash.html", {"error": form.error()})
        context = {"features": FEATURES, "scenarios": list_scenarios()}
        context.update(start_error=form.error(), start_seed=request.POST.get("seed", ""))
        return render(request, "index.html", context, status=400)
    sandbox = create_sandbox(owner_token(request.session), seed=form.cleaned_data["seed"])
    url = reverse("sandbox", args=[sandbox.id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def owned(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pass the sandbox to `view` if this visitor owns it; the stranger's 404 otherwise
    (the same answer whether the sandbox exists or not)."""

    @wraps(view)
    def wrapper(request: HttpRequest, sandbox_id: str, *args: Any, **kw: Any) -> HttpResponse:
        sandbox = get_owned(sandbox_id, owner_token(request.session, create=False))
        if sandbox is None:
            raise NotYours("sandbox")
        return view(request, sandbox, *args, **kw)

    return wrapper


def speed_position(speed: float) -> int:
    """Where `speed` sits on the 0–100 slider, which is logarithmic (1× near the middle)."""
    speed = min(SPEED_MAX, max(SPEED_MIN, float(speed or 1.0)))
    return round(100 * math.log(speed / SPEED_MIN) / math.log(SPEED_MAX / SPEED_MIN))


# -- the page and its live parts -------------------------------------------------------


def _blank_forms(sandbox: Sandbox) -> dict[str, djforms.Form]:
    return {kind: spec.form_class(prefix=kind) for kind, spec in KINDS.items()}


@require_GET
@owned
def sandbox_page(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The playground: controls, diagram, build forms, live log and charts."""
    st = page_state.state(sandbox)
    context = {
        "sandbox": sandbox,
        "state": st,
        "diagram": layout(st),
        "forms": _blank_forms(sandbox),
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
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
@owned
def sandbox_reset(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Empty the topology, kept parts too; the seed typed replaces the seed (empty: it stays)."""
    form = forms.SeedForm(request.POST)
    if not form.is_valid():
        return render(request, "partials/flash.html", {"error": form.error() + " Nothing changed."})
    command: dict[str, Any] = {"op": "sandbox.reset"}
    if form.cleaned_data["seed"] is not None:
        command["seed"] = form.cleaned_data["seed"]
    answer = page_state.run(sandbox, command)
    if not answer.get("ok"):
        return render(request, "partials/flash.html", {"error": answer.get("error")})
    seed = answer.get("seed", sandbox.seed)  # the host saved it with the spec
    same = seed == sandbox.seed
    message = f"Sandbox reset ({'same' if same else 'new'} seed {seed})."
    response = render(request, "partials/flash.html", {"message": message})
    return trigger_client_event(response, CHANGED)


# -- build forms -------------------------------------------------------------------------


class Kind:
    """How one kind of entity is created, edited and deleted from the page."""

    def __init__(
        self,
        form_class: type[forms.CommandForm],
        title: str,
        broker: str,
        delete_op: str = "",
        key: str = "name",
    ) -> None:
        self.form_class = form_class
        self.title = title
        self.broker = broker
        self.delete_op = delete_op
        self.key = key


KINDS: dict[str, Kind] = {
    "exchange": Kind(forms.ExchangeForm, "Exchange", "amqp", "exchange.delete"),
    "queue": Kind(forms.QueueForm, "Queue", "amqp", "queue.delete"),
    "binding": Kind(forms.BindingForm, "Binding", "amqp", "unbind"),
    "consumer": Kind(forms.ConsumerForm, "Consumer", "amqp", "consumer.remove", "tag"),
    "producer": Kind(forms.ProducerForm, "Producer", "both", "producer.remove"),
    "publish": Kind(forms.PublishForm, "Publish to an exchange", "amqp"),
    "topic": Kind(forms.TopicForm, "Topic", "kafka", "topic.delete"),
    "group": Kind(forms.GroupForm, "Consumer group", "kafka", "group.remove", "group_id"),
    "send": Kind(forms.SendForm, "Send to a topic", "kafka"),
}


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


def _edit_plan(kind: str, original: str, command: dict, st: dict) -> tuple[list, list]:
    amqp, kafka = st.get("amqp", {}), st.get("kafka", {})
    if kind == "exchange":
        return editing.plan_exchange(amqp, original, command)
    if kind == "queue":
        return editing.plan_queue(amqp, original, command)
    if kind == "topic":
        topic = next((t for t in kafka.get("topics", []) if t["name"] == original), None)
        return editing.plan_topic(topic, command)
    update = {"consumer": "consumer.update", "producer": "producer.update", "group": "group.update"}
    command = {**command, "op": update[kind], KINDS[kind].key: original}
    if kind == "group":
        command.pop("members", None)
    return [command], []


def _check_edit(kind: str, original: str, form: djforms.Form, st: dict) -> None:
    if kind == "topic":
        topic = next((t for t in st["kafka"].get("topics", []) if t["name"] == original), None)
        have = len((topic or {}).get("partitions") or [])
        if form.cleaned_data["partitions"] < have:
            form.add_error("partitions", f"Kafka never shrinks a topic: it has {have} partitions.")
        if form.cleaned_data["name"] != original:
            form.add_error("name", "Kafka topics cannot be renamed.")


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
    if original:
        _check_edit(kind, original, form, st)
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
    return trigger_client_event(response, CHANGED)


def _submit(sandbox: Sandbox, kind: str, form: djforms.Form, original: str, st: dict) -> dict:
    command = form.to_command()
    if kind == "binding" and original:
        old = page_state.find_binding(st, original)
        if old is None:
            return {"ok": False, "error": "That binding is gone."}
        plan, restore = editing.plan_binding(old, command)
    elif original:
        plan, restore = _edit_plan(kind, original, command, st)
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
        return render(request, "partials/flash.html", {"error": error})
    message = f"Deleted {KINDS[kind].title.lower()} {name if kind != 'binding' else ''}".strip()
    response = render(request, "partials/flash.html", {"message": message + "."})
    return trigger_client_event(response, CHANGED)


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
        return render(request, "partials/flash.html", {"error": "Unknown action."})
    op = form.cleaned_data["op"]
    command: dict[str, Any] = {"op": op}
    if ACTIONS[op]:
        command[ACTIONS[op]] = form.cleaned_data["target"]
    answer = page_state.run(sandbox, command)
    if not answer.get("ok"):
        return render(request, "partials/flash.html", {"error": answer.get("error")})
    response = render(request, "partials/flash.html", {"message": ""})
    return response if op.startswith("time.") else trigger_client_event(response, CHANGED)


@require_POST
@owned
def speed(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Set the simulation speed (0.1× to 20×)."""
    form = forms.SpeedForm(request.POST)
    if not form.is_valid():
        return render(request, "partials/flash.html", {"error": "Speed is 0.1× to 20×."})
    answer = page_state.run(sandbox, {"op": "time.speed", "speed": form.cleaned_data["speed"]})
    return render(request, "partials/flash.html", {"error": answer.get("error", "")})


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
            return trigger_client_event(response, CHANGED)
    return render(request, "partials/reset_form.html", context)


# -- details of one node -------------------------------------------------------------------


@require_GET
@owned
def node(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The details panel of one diagram node: settings, live counters, edit and delete."""
    node_id = request.GET.get("id", "")
    st = page_state.state(sandbox)
    details = page_state.details(st, node_id)
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
