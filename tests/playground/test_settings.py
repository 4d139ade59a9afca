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


# -- production mode ----------------------------------------------------------------------------

PRODUCTION = {
    "BP_PRODUCTION": "1",
    "SECRET_KEY": "k3y-" + "abcdefghij" * 6,
    "ALLOWED_HOSTS": "playground.example.org",
    "DEBUG": "",
}


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "playground.settings", **env}
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=ROOT, env=full, capture_output=True, text=True)


def test_check_deploy_is_clean_in_production_mode():
    result = check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_production_mode():
    """The check above can fail: the same run without BP_PRODUCTION names what is missing."""
    result = check_deploy({**PRODUCTION, "BP_PRODUCTION": ""})
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SECRET_KEY", "", "50 or more random characters"),
        ("SECRET_KEY", "short", "50 or more random characters"),
        ("ALLOWED_HOSTS", "", "the public host names"),
        ("DEBUG", "1", "false when BP_PRODUCTION is on"),
    ],
)
def test_production_mode_refuses_to_start_without_what_it_needs(name, value, expected):
    result = run_check({**PRODUCTION, name: value})
    assert result.returncode != 0
    assert f"Bad setting {name}=" in result.stderr and expected in result.stderr


def test_production_settings_follow_the_environment():
    env = {**PRODUCTION, "BP_PROXY_SSL_HEADER": "X-Forwarded-Proto", "BP_HSTS_SECONDS": "60"}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)"
    )
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "playground.settings", **env}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True
    )
    expected = "('HTTP_X_FORWARDED_PROTO', 'https') 60 True True True"
    assert result.stdout.strip() == expected, result.stderr


def test_every_page_carries_the_content_security_and_permissions_policies(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe" not in csp
    assert "fullscreen=(self)" in response["Permissions-Policy"]
