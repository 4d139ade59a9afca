"""The engine and the sandbox core are libraries: nothing under brokers/ or sandbox/ may
import Django (DESIGN §2: dependencies point one way; only playground/ is the web app)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["brokers", "sandbox"]


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


@pytest.mark.parametrize("layer", LAYERS)
def test_no_file_of_the_layer_imports_django(layer):
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no Python files found under {layer}/"
    offenders = {str(p.relative_to(ROOT)): imps for p in files if (imps := django_imports(p))}
    assert offenders == {}


def test_the_checker_spots_a_django_import(tmp_path):
    """The AST check catches both import forms."""
    sample = tmp_path / "sample.py"
    sample.write_text("import django.conf\nfrom django.db import models\n")
    assert django_imports(sample) == ["django.conf", "django.db"]


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("brokers", {".", "amqp", "kafka", "real", "real/rabbitmq", "real/kafka"}),
        ("sandbox", {".", "runtime", "runtime/ops", "scenarios", "compare", "files"}),
    ],
)
def test_the_check_walks_every_package_of_the_layer(layer, expected):
    """A new subpackage is checked too: rglob reaches every folder with an __init__.py."""
    base = ROOT / layer
    files = {p.relative_to(base).parent.as_posix() for p in base.rglob("*.py")}
    packages = {p.parent.relative_to(base).as_posix() for p in base.rglob("__init__.py")}
    assert expected <= packages <= files


@pytest.mark.parametrize("layer", LAYERS)
def test_importing_every_module_of_the_layer_loads_no_django(layer):
    """What the AST cannot see (a dependency that pulls Django in) shows in sys.modules."""
    code = (
        f"import importlib, pkgutil, sys, {layer}\n"
        f"for m in pkgutil.walk_packages({layer}.__path__, '{layer}.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'django'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("layer", LAYERS)
def test_every_module_of_the_layer_imports_when_it_is_imported_first(layer):
    """An import order the AST graph cannot see: each module alone, first, with nothing
    of the layer loaded before it (a package that assembles its parts must not need
    another order)."""
    code = (
        f"import importlib, pkgutil, sys, {layer}\n"
        f"names = [m.name for m in pkgutil.walk_packages({layer}.__path__, '{layer}.')]\n"
        "failed = []\n"
        "for name in names:\n"
        f"    for loaded in [n for n in sys.modules if n.split('.')[0] == '{layer}']:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {exc}')\n"
        "print(failed)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
