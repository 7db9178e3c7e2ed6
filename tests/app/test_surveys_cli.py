"""``flask surveys check`` and ``flask surveys schema`` on a minimal app."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flask import Flask

from app.questionnaires.cli import surveys_cli
from app.questionnaires.loader import schema

ROOT = Path(__file__).resolve().parents[2]
SURVEYS = ROOT / "surveys"
BROKEN = ROOT / "tests" / "data" / "surveys" / "broken"


def make_app(project: Path, **config) -> Flask:
    """An app whose root_path is ``project/app``, so its surveys are ``project/surveys``."""
    (project / "app").mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, root_path=str(project / "app"))
    app.config.update(config)
    app.cli.add_command(surveys_cli)
    return app


@pytest.fixture
def project(tmp_path):
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    for path in SURVEYS.glob("*.yaml"):
        shutil.copy(path, surveys / path.name)
    return tmp_path


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["surveys", *args])


def test_check_without_arguments_checks_every_file_in_surveys(project):
    result = run(make_app(project), "check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(list(SURVEYS.glob("*.yaml")))
    assert all(": OK (" in line for line in lines)
    assert any(
        line.startswith(str(project / "surveys" / "future-skill-needs.yaml")) for line in lines
    )


def test_shipped_surveys_pass_from_the_repository_root():
    result = run(make_app(ROOT), "check")
    assert result.exit_code == 0, result.output
    assert "future-skill-needs.yaml: OK (future-skill-needs version 1, 13 items" in result.output


def test_broken_file_exits_2_naming_file_line_and_key(project):
    broken = BROKEN / "labels-count.yaml"
    result = run(make_app(project), "check", str(broken))
    assert result.exit_code == 2
    assert (
        f"{broken}:18: items[digital-skills].labels.de: 4 labels for a scale of 5 points"
        in result.stdout
    )
    assert "1 of 1 files have problems" in result.stderr


def test_one_broken_file_among_good_ones_fails_the_whole_check(project):
    shutil.copy(BROKEN / "duplicate-yaml-key.yaml", project / "surveys")
    result = run(make_app(project), "check")
    assert result.exit_code == 2
    target = project / "surveys" / "duplicate-yaml-key.yaml"
    assert f"{target}:17: items[digital-skills].scale: duplicate key" in result.stdout
    assert f"{project / 'surveys' / 'follow-up-round.yaml'}: OK" in result.stdout
    assert "1 of 3 files have problems" in result.stderr


def test_every_problem_of_every_file_is_printed(project):
    paths = [str(path) for path in sorted(BROKEN.glob("*.yaml"))]
    result = run(make_app(project), "check", *paths)
    assert result.exit_code == 2
    for path in paths:
        assert f"{path}:" in result.stdout
    assert f"{len(paths)} of {len(paths)} files have problems" in result.stderr


def test_good_files_given_by_name_exit_0(project):
    files = [str(path) for path in sorted(SURVEYS.glob("*.yaml"))]
    result = run(make_app(project), "check", *files)
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": OK (") == len(files)


def test_a_directory_argument_checks_its_yaml_files(project):
    result = run(make_app(project), "check", str(BROKEN))
    assert result.exit_code == 2
    assert "unknown-top-key.yaml:4: author: unknown key 'author'" in result.stdout


def test_missing_file_exits_2(project):
    result = run(make_app(project), "check", str(project / "nope.yaml"))
    assert result.exit_code == 2
    assert f"{project / 'nope.yaml'}:1: cannot read file" in result.stdout


def test_no_files_at_all_exits_2(tmp_path):
    (tmp_path / "surveys").mkdir()
    result = run(make_app(tmp_path), "check")
    assert result.exit_code == 2
    assert "no questionnaire files" in result.stderr


def test_surveys_dir_setting_is_honoured(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(BROKEN / "empty.yaml", elsewhere)
    result = run(make_app(project, SURVEYS_DIR=str(elsewhere)), "check")
    assert result.exit_code == 2
    assert f"{elsewhere / 'empty.yaml'}:1: the file is empty" in result.stdout


def test_schema_prints_the_published_json_schema(project):
    result = run(make_app(project), "schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == schema()


HOSTILE = {
    "deep-lists.yaml": ("[" * 10_000 + "]" * 10_000).encode(),
    "deep-mappings.yaml": "".join(" " * i + "a:\n" for i in range(1_000)).encode(),
    "alias-bomb.yaml": "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
        for p, n in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
    ).encode(),
    "binary.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "controls.yaml": b"key: a\x00b\n",
    "empty.yaml": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_a_problem_not_a_traceback(project, name):
    path = project / "surveys" / name
    path.write_bytes(HOSTILE[name])
    result = run(make_app(project), "check", str(path))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout.startswith(f"{path}:")
    assert "Traceback" not in result.output
    assert "1 of 1 files have problems" in result.stderr


def test_a_deeply_nested_file_names_the_limit(project):
    path = project / "surveys" / "deep.yaml"
    path.write_bytes(HOSTILE["deep-lists.yaml"])
    result = run(make_app(project), "check")
    assert f"{path}:1: nesting deeper than 50 levels" in result.stdout
    assert "1 of 3 files have problems" in result.stderr


def test_a_huge_file_is_a_problem(project):
    path = project / "surveys" / "huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(2 * 1024**3)
    result = run(make_app(project), "check", str(path))
    assert result.exit_code == 2
    assert f"{path}:1: the file is larger than 1024 KiB" in result.stdout
