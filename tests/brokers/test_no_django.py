"""The engine is a library: nothing under brokers/ may import Django."""

import ast
import os
import subprocess
import sys
from pathlib import Path

BROKERS = Path(__file__).resolve().parents[2] / "brokers"


def django_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "django"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "django":
                found.append(node.module)
    return found


def test_no_file_under_brokers_imports_django():
    """brokers/ never imports django (DESIGN §2: dependencies point one way)."""
    files = sorted(BROKERS.rglob("*.py"))
    assert files, "no Python files found under brokers/"
    offenders = {str(p.relative_to(BROKERS)): imps for p in files if (imps := django_imports(p))}
    assert offenders == {}


def test_the_checker_spots_a_django_import(tmp_path):
    """The AST check catches both import forms."""
    sample = tmp_path / "sample.py"
    sample.write_text("import django.conf\nfrom django.db import models\n")
    assert django_imports(sample) == ["django.conf", "django.db"]


def test_the_check_walks_every_package_under_brokers():
    """A new subpackage is checked too: rglob reaches every folder with an __init__.py."""
    files = {p.relative_to(BROKERS).parent.as_posix() for p in BROKERS.rglob("*.py")}
    packages = {p.parent.relative_to(BROKERS).as_posix() for p in BROKERS.rglob("__init__.py")}
    assert {".", "amqp", "kafka", "real", "real/rabbitmq", "real/kafka"} <= packages <= files


def test_importing_every_brokers_module_loads_no_django():
    """What the AST cannot see (a dependency that pulls Django in) shows in sys.modules."""
    code = (
        "import importlib, pkgutil, sys, brokers\n"
        "for m in pkgutil.walk_packages(brokers.__path__, 'brokers.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'django'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=BROKERS.parent, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
