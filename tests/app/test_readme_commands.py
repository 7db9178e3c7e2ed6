"""Every command of the README's command-line table works as written after ``make run``'s set-up.

A copy of the project (as a fresh clone has it) gets the set-up that ``make run`` does: the
instance settings, ``init-db`` and ``seed-demo``. Then each command of the README's table runs
exactly as the README writes it, ``.venv/bin/flask --app app ...``, in a shell without any
``FLASK_`` variable or ``DATABASE_URL``: no configuration error, no traceback.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED_DATA

FLASK = Path(sys.executable).with_name("flask")
DEMO_COUNCIL = "[Demo] Construction Skills Council"
NEW_COUNCIL = "Building Skills Council Bavaria"


def _readme_commands() -> list[str]:
    """The commands of the README's command-line table, as written there (in its order,
    which the tests keep: a row may use what an earlier row made)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def _as_typed(command: str, tmp_path: Path) -> list[str] | None:
    """The README's placeholders filled in as a user would; None when it needs data that
    this checkout does not have."""
    nace = SHARED_DATA / "classifications" / "nace_rev2_ramon_full_noheader.csv"
    table = SHARED_DATA / "forecasts" / "us_bls_ep"
    table = table / "bls_ep_2023-33_table_2-11_employment_and_output_by_industry.csv"
    replacements = [
        ("import-forecast FILE", f"import-forecast {table}"),
        ("--profile PROFILE", "--profile bls-ep-2023-33-table-2-11-csv"),
        ("[--dry-run]", "--dry-run"),
        ("check PROFILE...", "check bls-ep-2024-34-table-1-2-xlsx"),
        ("[--council NAME]", f"--council '{DEMO_COUNCIL}'"),
        # the council that the row `councils add` creates, for the rows after it
        (" NAME", f" '{NEW_COUNCIL}'"),
        ("--sector CODE", "--sector F"),
        ("--geography GEO", "--geography DE2"),
        ("[--description TEXT]", "--description 'Employers, unions and training providers'"),
        ("[--password ...]", "--password 'a long passphrase for the newcomer'"),
        ("EMAIL", "newcomer@example.org"),
        ("--role ROLE", "--role secretariat"),
        ("[FILE...]", ""),
        ("{nace,isco} FILE", f"nace {nace}"),
        ("[--force]", "--force"),  # the installation holds the demonstration data
        ("PATH", str(tmp_path / "backup.db")),
    ]
    for placeholder, value in replacements:
        command = command.replace(placeholder, value)
    if "nace" in command.split() and not nace.exists():
        return None
    if command.startswith("import-forecast") and not table.exists():
        return None
    import shlex

    return shlex.split(command)


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A copy of the project after the set-up of ``make run`` (database and demo data)."""
    root = tmp_path_factory.mktemp("clone")
    for part in ("app", "surveys", "tools"):
        shutil.copytree(
            ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FLASK_") and k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    make_run = [
        [sys.executable, "tools/instance_config.py", "instance/config.py"],
        [str(FLASK), "--app", "app", "init-db"],
        [str(FLASK), "--app", "app", "seed-demo"],
    ]
    for step in make_run:
        # make run sets FLASK_ENVIRONMENT=development for these two itself
        done = subprocess.run(  # noqa: S603
            step,
            cwd=root,
            env={**env, "FLASK_ENVIRONMENT": "development"},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    return root, env


def test_the_readme_lists_the_commands_of_the_design():
    names = {c.split()[0] for c in _readme_commands()}
    assert {"init-db", "seed-demo", "create-user", "surveys", "import-classification"} <= names
    assert {"send-reminders", "audit", "backup", "restore", "councils"} <= names
    councils = [c.split()[1] for c in _readme_commands() if c.startswith("councils ")]
    assert councils == ["add", "list", "add-user", "remove-user"]


def _needs(command: str) -> list[str]:
    """The README rows that ``command`` uses the results of: the staff account that
    ``create-user`` makes, the council that ``councils add`` makes and its member."""
    rows = _readme_commands()

    def row(start: str) -> list[str]:
        return [r for r in rows if r.startswith(start)][:1]

    name = command.split()[0]
    if name == "reset-second-factor":
        return row("create-user")
    if command.startswith("councils add-user"):
        return row("create-user") + row("councils add ")
    if command.startswith("councils remove-user"):
        return row("create-user") + row("councils add ") + row("councils add-user")
    return []


@pytest.mark.parametrize("command", _readme_commands())
def test_each_readme_command_runs_as_written_after_make_run(clone, command, tmp_path):
    root, env = clone
    args = _as_typed(command, tmp_path)
    if args is None:
        pytest.skip(f"{command}: the reference data in ../shared is not checked out")
    # rows that use what an earlier row made get it first (whichever worker runs them under
    # pytest -n, and in whatever order): what they need may be there already
    for needed in _needs(command):
        subprocess.run(  # noqa: S603
            [str(FLASK), "--app", "app", *_as_typed(needed, tmp_path)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    if args[0] == "restore":  # of a backup of this installation, made first
        made = subprocess.run(  # noqa: S603
            [str(FLASK), "--app", "app", "backup", args[1]],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert made.returncode == 0, made.stdout + made.stderr
    done = subprocess.run(  # noqa: S603
        [str(FLASK), "--app", "app", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert "Configuration error" not in output and "ConfigurationError" not in output, output
    if args[0] == "send-reminders":
        # nothing listens on the default mail port here: a clear refusal, not a crash
        assert done.returncode in (0, 2), output
        assert done.returncode == 0 or "mail" in output.lower(), output
    else:
        assert done.returncode == 0, output


def test_a_production_start_still_refuses_unsafe_settings(clone):
    """The same installation started as production refuses per-process rate limits, with
    one line naming the setting and exit status 2."""
    root, env = clone
    done = subprocess.run(  # noqa: S603
        [str(FLASK), "--app", "app", "audit", "verify"],
        cwd=root,
        env={**env, "FLASK_ENVIRONMENT": "production"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "RATELIMIT_STORAGE_URI" in lines[0], done.stderr


def test_modules_the_readme_runs_are_installed_by_make_run():
    """``make run`` installs the main dependencies only: a recipe such as the local mail
    catcher must not need the test extras."""
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    modules = set(re.findall(r"\.venv/bin/python -m ([a-z_][a-z0-9_]*)", readme)) - {"pytest"}
    assert "aiosmtpd" in modules
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = {
        re.split(r"[<>=\[ ;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]
    }
    assert sorted(modules - installed) == []
