"""RabbitMQ and Kafka side by side: the compare page and "Load into my sandbox".

The page plays one of `sandbox.compare.presets.PRESETS` on the simulator (one stream, one
clock) and shows each side's diagram, the contrast counters, the preset's claims as
"what to notice" and a timeline. Loading a preset replaces the owner's sandbox with
both topologies and the stream, so it can be watched live.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from playground.models import Sandbox
from playground.web import page_state
from playground.web.shortcuts import flash, go, owned
from sandbox.compare import diagram, presets

CHOICES = [(name, p.title) for name, p in presets.PRESETS.items()]


class PresetForm(forms.Form):
    preset = forms.ChoiceField(choices=CHOICES, required=False)


def _preset(data) -> presets.Preset:
    form = PresetForm(data)
    name = form.cleaned_data.get("preset") if form.is_valid() else ""
    return presets.PRESETS[name or CHOICES[0][0]]


@require_GET
@owned
def compare_page(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """One preset played on both brokers, shown next to each other."""
    preset = _preset(request.GET)
    played = diagram.play(preset.name)
    context = {
        "sandbox": sandbox,
        "presets": CHOICES,
        "preset": preset,
        "played": played,
        "rows": diagram.counter_rows(played, preset),
        "amqp_diagram": (amqp := diagram.side_diagram(played, "amqp")),
        "kafka_diagram": (kafka := diagram.side_diagram(played, "kafka")),
        "amqp_view": diagram.view_box(amqp),
        "kafka_view": diagram.view_box(kafka),
        "timeline": diagram.timeline(played, preset),
        "actions": [(at, diagram._action_label(cmd)) for at, cmd in preset.actions],
    }
    return render(request, "compare.html", context)


@require_POST
@owned
def compare_load(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Replace the sandbox with the preset's two topologies and stream, then go watch it."""
    preset = _preset(request.POST)
    answer = page_state.run_all(sandbox, diagram.load_commands(preset))
    if not answer.get("ok"):
        return flash(request, error=f"Could not load the preset: {answer.get('error')}")
    url = reverse("sandbox", args=[sandbox.id])
    return go(request, url)
