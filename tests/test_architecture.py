"""Import rules of STYLE.md 2: pure packages never import Flask, SQLAlchemy or extensions."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
PURE = [
    "consensus",
    "themes",
    "charts",
    "panels/parse.py",
    "uploads/checks.py",
    "uploads/kept.py",
    "uploads/probes.py",
    "uploads/registry.py",
    "uploads/runner.py",
    "uploads/worker.py",
    "classifications/parse.py",
    "classifications/nace.py",
    "councils/geography.py",
    "yamlfile.py",
    "forecasts/table.py",
    "forecasts/profile.py",
    "forecasts/parse.py",
    "forecasts/fastpath.py",
    "forecasts/progress.py",
    "questionnaires/spec.py",
    "questionnaires/loader.py",
    "consultations/document.py",
    "briefs/tables.py",
    "briefs/brief_tables.py",
    "briefs/brief_json.py",
    "briefs/diff.py",
    "briefs/record.py",
    "briefs/words.py",
    "briefs/pdf.py",
    "briefs/content.py",
    "briefs/assemble.py",
]
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "app.extensions", "werkzeug")


def _files(target: str):
    path = APP / target
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module


@pytest.mark.parametrize("target", PURE)
def test_pure_packages_stay_pure(target):
    files = _files(target)
    assert files and all(f.exists() for f in files), f"app/{target} is missing"
    bad = [
        f"{f.relative_to(APP)}:{line} imports {name}"
        for f in files
        for line, name in _imports(f)
        if name.split(".")[0] in FORBIDDEN or name.startswith("app.extensions")
    ]
    assert bad == []


def test_app_never_imports_pyplot():
    offenders = [
        str(f.relative_to(APP))
        for f in APP.rglob("*.py")
        for _, name in _imports(f)
        if name.startswith("matplotlib.pyplot")
    ]
    assert offenders == []
