"""``flask forecasts check``, ``schema`` and ``profiles`` on a minimal app."""

from __future__ import annotations

import json

from flask import Flask

from app.forecasts.cli import forecasts_cli
from app.forecasts.profile import list_profiles, schema
from tests.unit.forecasts.helpers import profile_text

TABLE = """
geography: XX
dimension: sector
rows: {code: Code}
values: [{header: "2030", indicator: employment, year: 2030}]
"""


def run(*args: str):
    app = Flask(__name__)
    app.cli.add_command(forecasts_cli)
    return app.test_cli_runner().invoke(args=["forecasts", *args])


def test_check_a_shipped_profile_by_name_and_a_file(tmp_path):
    path = tmp_path / "test-profile.yaml"
    path.write_text(profile_text(TABLE), encoding="utf-8")
    result = run("check", "bls-ep-2024-34-table-1-10-xlsx", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "bls-ep-2024-34-table-1-10-xlsx: OK (bls-ep-2024-34-table-1-10-xlsx, xlsx, 1 block, "
        "11 value columns)",
        f"{path}: OK (test-profile, csv, 1 block, 1 value column)",
    ]


def test_check_prints_file_line_key_and_message_and_exits_2(tmp_path):
    path = tmp_path / "test-profile.yaml"
    text = profile_text(TABLE + "colour: red\n").replace("  licence: CC BY 4.0\n", "")
    path.write_text(text, encoding="utf-8")
    result = run("check", str(path))
    assert result.exit_code == 2
    lines = text.splitlines()
    assert f"{path}:{lines.index('  colour: red') + 1}: table.colour: unknown key 'colour'" in (
        result.output
    )
    assert (
        f"{path}:{lines.index('provenance:') + 1}: provenance.licence: required key 'licence' "
        "is missing"
    ) in result.output
    assert "1 of 1 profiles have problems" in result.output


def test_check_of_a_missing_file_exits_2(tmp_path):
    result = run("check", str(tmp_path / "nothing.yaml"))
    assert result.exit_code == 2 and "not a readable file" in result.output


def test_schema_prints_the_published_schema():
    result = run("schema")
    assert result.exit_code == 0 and json.loads(result.output) == schema()


def test_profiles_lists_the_shipped_profiles_with_their_titles():
    result = run("profiles")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == len(list_profiles()) == 8
    assert any(
        line.startswith("bls-ep-2023-33-table-2-11-csv\tcsv\tBLS Employment Projections 2023–33")
        for line in lines
    )


def test_the_group_is_registered_on_the_app():
    from app.cli import register_cli

    app = Flask(__name__)
    register_cli(app)
    assert "forecasts" in app.cli.commands
