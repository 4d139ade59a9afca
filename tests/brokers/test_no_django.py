"""The engine is a library: nothing under brokers/ may import Django."""

import ast
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
