"""Settings come from the environment; a bad value stops start-up with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground.env import BadSetting, envbool, envint

ROOT = Path(__file__).resolve().parents[2]


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "playground.settings", **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=full, capture_output=True, text=True
    )


def test_defaults_start_on_the_embedded_simulator(settings):
    """With no environment, the in-memory channel layer serves one process."""
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer")
    assert settings.BP_RUNTIME_IN_PROCESS is True


@pytest.mark.parametrize(
    ("name", "value"),
    [("BP_TICK_HZ", "fast"), ("BP_TICK_HZ", "100"), ("DEBUG", "maybe"), ("BP_MAX_ENTITIES", "0")],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    """manage.py exits non-zero and names the variable and the bad value."""
    result = run_check({name: value})
    assert result.returncode != 0
    assert f"Bad setting {name}={value!r}" in result.stderr


def test_envbool_reads_the_usual_spellings(monkeypatch):
    """true/yes/on/1 and false/no/off/0, any case."""
    for raw, expected in [("TRUE", True), ("on", True), ("0", False), ("No", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert envbool("X_FLAG", not expected) is expected


def test_envint_refuses_out_of_range(monkeypatch):
    """Bounds are enforced."""
    monkeypatch.setenv("X_INT", "7")
    with pytest.raises(BadSetting):
        envint("X_INT", 1, minimum=1, maximum=5)


def test_gc_tuning_freezes_the_loaded_app_and_raises_the_young_threshold():
    import gc

    from playground import gctune

    before = gc.get_threshold()
    try:
        gctune.tune(0)
        assert gc.get_threshold() == before  # 0 leaves CPython's settings alone
        gctune.tune(12_345)
        assert gc.get_threshold()[0] == 12_345
        assert gc.get_freeze_count() > 10_000  # modules, classes, functions: permanent now
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
