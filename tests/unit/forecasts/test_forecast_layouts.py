"""Every layout feature a profile can express, each on a small file built here."""

from __future__ import annotations

import pytest

from app.forecasts.parse import parse_number, split_notes
from app.forecasts.table import Level, Status
from tests.unit.forecasts.helpers import by_key, csv_bytes, make_profile, read, xlsx_bytes

WIDE = """
header: {row: 2}
end: ["^Source:"]
geography: XX
dimension: occupation
rows: {label: Occupation, code: Code}
values:
  - {header: "Employment 2024", indicator: employment, year: 2024}
  - {header: "Employment 2035", indicator: employment, year: 2035}
"""


def test_wide_layout_skips_the_title_and_stops_at_the_source_row():
    data = csv_bytes(
        [
            ["Table 1 Employment by occupation (thousands)"],
            ["Occupation", "Code", "Employment 2024", "Employment 2035"],
            ["Total", "0000", "100.5", "110"],
            ["Nurses", "2221", "20", "25.5"],
            ["Source: Example Statistics Office"],
            ["Nurses", "2221", "1", "1"],
        ]
    )
    rows, problems = read(data, make_profile(WIDE))
    assert problems == []
    assert [(r.occupation_code, r.year, r.value) for r in rows] == [
        ("0000", 2024, 100.5),
        ("0000", 2035, 110.0),
        ("2221", 2024, 20.0),
        ("2221", 2035, 25.5),
    ]
    first = rows[0]
    assert first.geography == "XX" and first.unit == "thousand persons"
    assert first.indicator == "employment" and first.label == "Total" and first.source_row == 3
    assert first.sector_code is None


def test_wide_layout_with_years_from_the_header_unevenly_spaced():
    profile = make_profile(
        """
        geography: XX
        dimension: sector
        rows: {label: Sector, code: Code}
        values:
          - match: "^(?P<year>\\\\d{4})$"
            indicator: employment
        """
    )
    data = csv_bytes(
        [["Sector", "Code", "2020", "2023", "2030", "2040"], ["Farming", "A", 1, 2, 3, 4]]
    )
    rows, problems = read(data, profile)
    assert problems == []
    assert [(r.year, r.value) for r in rows] == [(2020, 1), (2023, 2), (2030, 3), (2040, 4)]


def test_indicator_from_the_header_through_a_named_group():
    profile = make_profile(
        """
        geography: XX
        dimension: sector
        rows: {code: Code}
        values:
          - match: "^(?P<indicator>[A-Za-z ]+) (?P<year>\\\\d{4})$"
        """
    )
    data = csv_bytes([["Code", "Job openings 2030", "Employment 2030"], ["A", "5", "7"]])
    rows, problems = read(data, profile)
    assert problems == []
    assert {(r.indicator, r.value) for r in rows} == {("job_openings", 5), ("employment", 7)}


def test_long_layout_maps_indicator_names_units_and_categories():
    profile = make_profile(
        """
        geography: XX
        dimension: sector
        rows: {label: Sector, code: NACE}
        long:
          indicator: Indicator
          year: Year
          value: Value
          indicators:
            "Employment (persons)": {indicator: employment, scale: thousands, unit: persons}
            "Outlook":
              {indicator: outlook, type: category, categories: [shortage, balance, surplus]}
            "Replacement demand": {indicator: replacement_demand}
        """
    )
    data = csv_bytes(
        [
            ["Sector", "NACE", "Indicator", "Year", "Value"],
            ["Manufacturing", "C", "Employment (persons)", "2024", "1.5"],
            ["Manufacturing", "C", "Outlook", "2024-35", "Shortage"],
            ["Manufacturing", "C", "Replacement demand", "2035", "0.25"],
        ]
    )
    rows, problems = read(data, profile)
    assert problems == []
    values = by_key(rows)
    employment = values[("XX", "C", None, None, "employment", 2024)]
    assert employment.value == 1500 and employment.unit == "persons"
    outlook = values[("XX", "C", None, None, "outlook", 2035)]
    assert outlook.category == "shortage" and outlook.value is None
    assert values[("XX", "C", None, None, "replacement_demand", 2035)].unit == "thousand persons"


def test_long_layout_refuses_an_indicator_the_profile_does_not_name():
    profile = make_profile(
        """
        geography: XX
        dimension: sector
        rows: {code: Code}
        long:
          indicator: Indicator
          year: Year
          value: Value
          indicators: {"Employment": {indicator: employment}}
        """
    )
    data = csv_bytes([["Code", "Indicator", "Year", "Value"], ["A", "Wages", "2024", "3"]])
    rows, problems = read(data, profile)
    assert rows == []
    assert problems[0].row == 2 and problems[0].column == "B (Indicator)"
    assert "Wages" in str(problems[0]) and "is not in the profile" in str(problems[0])


def test_several_header_rows_are_combined_with_a_spanning_heading():
    profile = make_profile(
        """
        header: {row: 2, rows: 2}
        geography: XX
        dimension: occupation
        rows: {label: {letter: A}, code: Code}
        values:
          - {header: "Employment 2024", indicator: employment, year: 2024}
          - {header: "Employment 2034", indicator: employment, year: 2034}
          - {header: "Openings 2024-34", indicator: openings, year: 2034}
        """
    )
    data = csv_bytes(
        [
            ["A title"],
            ["", "Code", "Employment", "", "Openings"],
            ["", "", "2024", "2034", "2024-34"],
            ["Nurses", "2221", "10", "12", "1.5"],
        ]
    )
    rows, problems = read(data, profile)
    assert problems == []
    assert [(r.indicator, r.year, r.value) for r in rows] == [
        ("employment", 2024, 10),
        ("employment", 2034, 12),
        ("openings", 2034, 1.5),
    ]
    assert rows[0].source_row == 4


def test_tables_side_by_side_each_with_their_own_header_indicator_and_unit():
    profile = make_profile(
        """
        header: {row: 1, rows: 2}
        geography: XX
        dimension: sector
        rows: {label: Sector, code: Code}
        blocks:
          - columns: "A:D"
            values:
              - {match: "^Employment (?P<year>\\\\d{4})$", indicator: employment}
          - columns: "E:G"
            rows: {label: {letter: E}, code: {letter: F}}
            unit: persons
            scale: 1
            values:
              - {match: "^Vacancies (?P<year>\\\\d{4})$", indicator: vacancies}
        """
    )
    data = csv_bytes(
        [
            ["Sector", "Code", "Employment", "", "Sector", "Code", "Vacancies"],
            ["", "", "2024", "2030", "", "", "2024"],
            ["Farming", "A", "5", "6", "Mining", "B", "300"],
            ["Retail", "G", "7", "8", "", "", ""],
        ]
    )
    rows, problems = read(data, profile)
    assert problems == []
    values = by_key(rows)
    assert values[("XX", "A", None, None, "employment", 2030)].value == 6
    vacancies = values[("XX", "B", None, None, "vacancies", 2024)]
    assert vacancies.value == 300 and vacancies.unit == "persons"
    assert len(rows) == 5  # the second table has one row


def test_section_rows_set_the_indicator_unit_and_scale_of_the_rows_after_them():
    profile = make_profile(
        """
        geography: XX
        dimension: sector
        sections:
          - {match: "^Employment", indicator: employment, unit: persons, scale: thousands}
          - {match: "^Openings", indicator: openings, unit: persons, scale: 1}
        rows: {label: Sector, code: Code}
        values:
          - {match: "^(?P<year>\\\\d{4})$"}
        """
    )
    data = csv_bytes(
        [
            ["Sector", "Code", "2024", "2030"],
            ["Employment (thousands)", "", "", ""],
            ["Farming", "A", "1.5", "2"],
            ["Openings (persons)", "", "", ""],
            ["Farming", "A", "300", "320"],
        ]
    )
    rows, problems = read(data, profile)
    assert problems == []
    values = by_key(rows)
    assert values[("XX", "A", None, None, "employment", 2024)].value == 1500
    assert values[("XX", "A", None, None, "openings", 2030)].value == 320
    assert {r.unit for r in rows} == {"persons"}


def test_section_row_sets_the_sector_of_a_table_of_occupations():
    profile = make_profile(
        """
        geography: XX
        dimension: occupation
        sections:
          - {match: "^Manufacturing$", sector_code: C}
          - {match: "^Construction$", sector_code: F}
        rows: {label: Occupation, code: ISCO}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    data = csv_bytes(
        [
            ["Occupation", "ISCO", "2030"],
            ["Manufacturing"],
            ["Welders", "7212", "3"],
            ["Construction"],
            ["Welders", "7212", "4"],
        ]
    )
    rows, problems = read(data, profile)
    assert problems == []
    assert [(r.sector_code, r.occupation_code, r.value) for r in rows] == [
        ("C", "7212", 3),
        ("F", "7212", 4),
    ]


@pytest.mark.parametrize(
    ("scale", "value", "unit"),
    [("thousands", 2500.0, "persons"), ("000s", 2500.0, "persons"), (1, 2.5, "persons")],
)
def test_unit_and_scale(scale, value, unit):
    profile = make_profile(
        f"""
        geography: XX
        dimension: sector
        rows: {{code: Code}}
        values:
          - {{header: "2030", indicator: employment, year: 2030, scale: "{scale}", unit: persons}}
        """.replace('"1"', "1")
    )
    rows, problems = read(csv_bytes([["Code", "2030"], ["A", "2.5"]]), profile)
    assert problems == [] and rows[0].value == value and rows[0].unit == unit


def test_missing_markers_default_and_configured():
    data = csv_bytes(
        [
            ["Code", "2030"],
            ["A", "–"],
            ["B", "—"],
            ["C", "N/A"],
            ["D", "n/d"],
            ["E", ".."],
            ["F", ""],
        ]
    )
    profile = make_profile(
        """
        geography: XX
        dimension: sector
        rows: {code: Code}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    rows, problems = read(data, profile)
    # a marker is a value the publisher does not give; an empty cell is no value at all
    assert problems == [] and len(rows) == 5 and all(r.value is None for r in rows)
    strict = make_profile(
        """
        geography: XX
        dimension: sector
        missing: ["", "–"]
        rows: {code: Code}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    rows, problems = read(data, strict)
    assert {p.row for p in problems} == {3, 4, 5, 6}
    assert all(p.column == "B (2030)" and "is not a number" in str(p) for p in problems)


def test_numbers_as_text_with_thousands_separators_and_decimal_commas():
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("1234") == 1234
    assert parse_number("−12.5") == -12.5
    assert parse_number("4.5%") == 4.5
    assert parse_number("1.234,5", decimal=",", thousands=".") == 1234.5
    assert parse_number("1 234,5", decimal=",", thousands=" ") == 1234.5
    assert parse_number("1\u202f234,5", decimal=",", thousands=" ") == 1234.5
    assert parse_number("12,5", decimal=",", thousands="") == 12.5
    assert parse_number("1,2", decimal=".", thousands=",") is None  # not a grouping
    assert parse_number("12a") is None and parse_number("") is None
    profile = make_profile(
        """
        geography: DE
        dimension: sector
        decimal: ","
        thousands: "."
        rows: {code: WZ}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """,
        file="type: csv\ndelimiter: ';'",
    )
    data = csv_bytes([["WZ", "2030"], ["C", "1.234,5"], ["F", "12"]], delimiter=";")
    rows, problems = read(data, profile)
    assert problems == [] and [r.value for r in rows] == [1234.5, 12.0]


def test_codes_stay_text_leading_zeros_and_whole_numbers_from_a_workbook():
    profile = make_profile(
        """
        header: {row: 1}
        geography: XX
        dimension: sector
        rows: {label: Industry, code: Code}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """,
        file="type: xlsx",
    )
    data = xlsx_bytes([["Industry", "Code", "2030"], ["Crops", "0111", 5], ["Other", 230000.0, 6]])
    rows, problems = read(data, profile, filename="t.xlsx")
    assert problems == []
    assert [r.sector_code for r in rows] == ["0111", "230000"]


def test_hierarchy_by_leading_spaces():
    profile = make_profile(
        """
        geography: XX
        dimension: occupation
        rows: {label: Occupation, code: Code, level: {by: indent}}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    data = csv_bytes(
        [
            ["Occupation", "Code", "2030"],
            ["Total", "T", "10"],
            ["  Managers", "1", "4"],
            ["    Chief executives", "11", "1"],
            ["    Other managers", "12", "3"],
            ["  Clerks", "4", "6"],
        ]
    )
    rows, problems = read(data, profile)
    assert problems == []
    assert [(r.occupation_code, r.label, r.level) for r in rows] == [
        ("T", "Total", Level.aggregate),
        ("1", "Managers", Level.aggregate),
        ("11", "Chief executives", Level.detail),
        ("12", "Other managers", Level.detail),
        ("4", "Clerks", Level.detail),
    ]


def test_hierarchy_by_workbook_cell_indent():
    profile = make_profile(
        """
        header: {row: 1}
        geography: XX
        dimension: occupation
        rows: {label: Occupation, code: Code, level: {by: indent}}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """,
        file="type: xlsx",
    )
    data = xlsx_bytes(
        [
            ["Occupation", "Code", "2030"],
            ["Total", "T", 10],
            ["Managers", "1", 4],
            ["Clerks", "4", 6],
        ],
        indents={"A3": 1, "A4": 1},
    )
    rows, problems = read(data, profile, filename="t.xlsx")
    assert problems == []
    assert [r.level for r in rows] == [Level.aggregate, Level.detail, Level.detail]


def test_hierarchy_by_code_pattern():
    profile = make_profile(
        """
        geography: XX
        dimension: occupation
        rows:
          code: SOC
          level: {by: code, aggregate: "0$"}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    data = csv_bytes([["SOC", "2030"], ["11-0000", "5"], ["11-1011", "1"], ["11-1020", "2"]])
    rows, problems = read(data, profile)
    assert problems == []
    assert [r.level for r in rows] == [Level.aggregate, Level.detail, Level.aggregate]


def test_hierarchy_by_a_type_column_and_an_unknown_type():
    profile = make_profile(
        """
        geography: XX
        dimension: occupation
        rows:
          code: SOC
          level: {by: column, column: Type, aggregate: [Summary], detail: [Line item]}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    data = csv_bytes(
        [
            ["SOC", "Type", "2030"],
            ["11-0000", "Summary", "5"],
            ["11-1011", "Line item", "1"],
            ["11-1012", "Other", "1"],
        ]
    )
    rows, problems = read(data, profile)
    assert [r.level for r in rows] == [Level.aggregate, Level.detail]
    assert len(problems) == 1 and problems[0].row == 4 and problems[0].column == "B (Type)"


def test_rows_by_label_only_through_a_crosswalk():
    profile = make_profile(
        """
        geography: FR
        dimension: occupation
        rows: {label: Métier, label_alt: Occupation, crosswalk: true}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    crosswalk = b'label,code\nInfirmiers,2221\n"Aides-soignants [1]",5321\n'
    data = csv_bytes(
        [
            ["Métier", "Occupation", "2030"],
            ["Infirmiers", "Nurses", "600"],
            ["aides-soignants", "Care aides", "400"],
        ]
    )
    rows, problems = read(data, profile, crosswalk=crosswalk)
    assert problems == []
    assert [(r.occupation_code, r.label, r.label_alt) for r in rows] == [
        ("2221", "Infirmiers", "Nurses"),
        ("5321", "aides-soignants", "Care aides"),
    ]


def test_a_profile_by_label_needs_the_crosswalk_and_every_label_in_it():
    profile = make_profile(
        """
        geography: FR
        dimension: occupation
        rows: {label: Métier, crosswalk: true}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    data = csv_bytes([["Métier", "2030"], ["Infirmiers", "600"], ["Boulangers", "10"]])
    rows, problems = read(data, profile)
    assert rows == [] and problems[0].field == "crosswalk" and "crosswalk" in str(problems[0])
    rows, problems = read(data, profile, crosswalk=b"label,code\nInfirmiers,2221\n")
    assert [r.occupation_code for r in rows] == ["2221"]
    assert len(problems) == 1 and problems[0].row == 3 and problems[0].column == "A (Métier)"
    assert "Boulangers" in str(problems[0]) and "not in the crosswalk" in str(problems[0])


def test_label_codes_in_the_profile_fill_empty_code_cells():
    profile = make_profile(
        """
        geography: US
        dimension: sector
        rows:
          label: Sector
          code: NAICS
          label_codes: {"Total employment": TE1000}
        values: [{header: "2033", indicator: employment, year: 2033}]
        """
    )
    data = csv_bytes(
        [
            ["Sector", "NAICS", "2033"],
            ["Total employment", "–", "100"],
            ["Farms", "11", "1"],
            ["Other", "–", "1"],
        ]
    )
    rows, problems = read(data, profile)
    assert [r.sector_code for r in rows] == ["TE1000", "11"]
    assert len(problems) == 1 and problems[0].row == 4 and "has no code" in str(problems[0])


def test_footnote_marks_are_removed_and_kept_as_notes():
    assert split_notes("Output, 2023[1][2]") == ("Output, 2023", ("1", "2"))
    assert split_notes("Nurses (a)") == ("Nurses", ("a",))
    assert split_notes("Nurses²") == ("Nurses", ("2",))
    assert split_notes("Nurses*") == ("Nurses", ("*",))
    assert split_notes("Other services (except public administration)") == (
        "Other services (except public administration)",
        (),
    )
    profile = make_profile(
        """
        geography: XX
        dimension: sector
        rows: {label: Sector, code: Code}
        values: [{header: "Output 2030", indicator: output, year: 2030}]
        """
    )
    data = csv_bytes([["Sector", "Code", "Output 2030[1]"], ["Farming (a)", "A", "12.5[b]"]])
    rows, problems = read(data, profile)
    assert problems == []
    assert rows[0].label == "Farming" and rows[0].value == 12.5
    assert rows[0].notes == ("a", "1", "b")


def test_footnotes_can_be_left_in_place():
    profile = make_profile(
        """
        geography: XX
        dimension: sector
        footnotes: false
        rows: {label: Sector, code: Code}
        values: [{header: "2030", indicator: output, year: 2030}]
        """
    )
    rows, problems = read(
        csv_bytes([["Sector", "Code", "2030"], ["Farming (a)", "A", "1"]]), profile
    )
    assert problems == [] and rows[0].label == "Farming (a)" and rows[0].notes == ()


def test_categorical_indicator_with_allowed_values():
    profile = make_profile(
        """
        geography: XX
        dimension: occupation
        rows: {label: Occupation, code: Code}
        values:
          - {header: "Employment 2030", indicator: employment, year: 2030}
          - header: Outlook
            indicator: outlook
            year: 2030
            type: category
            categories: [shortage, balance, surplus]
        """
    )
    data = csv_bytes(
        [
            ["Occupation", "Code", "Employment 2030", "Outlook"],
            ["Nurses", "2221", "10", "Shortage"],
            ["Clerks", "4110", "5", "–"],
            ["Bakers", "7512", "1", "booming"],
        ]
    )
    rows, problems = read(data, profile)
    outlook = [r for r in rows if r.indicator == "outlook"]
    assert [(r.occupation_code, r.category, r.value) for r in outlook] == [
        ("2221", "shortage", None),
        ("4110", None, None),
    ]
    assert len(problems) == 1
    assert problems[0].row == 4 and problems[0].column == "D (Outlook)"
    assert "booming" in str(problems[0]) and "shortage, balance, surplus" in str(problems[0])


def test_constant_columns_geography_sector_and_qualification():
    profile = make_profile(
        """
        geography: DE-BY
        sector_code: "C"
        qualification: ISCED-5-8
        dimension: occupation
        rows: {code: Code}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    rows, problems = read(csv_bytes([["Code", "2030"], ["2221", "1"]]), profile)
    assert problems == []
    assert (rows[0].geography, rows[0].sector_code, rows[0].qualification) == (
        "DE-BY",
        "C",
        "ISCED-5-8",
    )


def test_status_flags_from_marker_characters():
    profile = make_profile(
        """
        geography: XX
        dimension: sector
        flags: {p: provisional, e: estimated}
        rows: {code: Code}
        values: [{match: "^(?P<year>\\\\d{4})$", indicator: employment}]
        """
    )
    data = csv_bytes([["Code", "2023", "2024", "2030"], ["A", "10 p", "11e", "12"]])
    rows, problems = read(data, profile)
    assert problems == []
    assert [(r.value, r.flags) for r in rows] == [
        (10, (Status.provisional,)),
        (11, (Status.estimated,)),
        (12, ()),
    ]


def test_header_found_by_pattern_and_skipped_note_rows():
    profile = make_profile(
        """
        header: {find: "^Occupation$"}
        skip: ["^Note"]
        geography: XX
        dimension: occupation
        rows: {label: Occupation, code: Code}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    )
    data = csv_bytes(
        [
            ["Title"],
            ["Subtitle"],
            [],
            ["Occupation", "Code", "2030"],
            ["Nurses", "2221", "1"],
            ["Note: provisional"],
            ["Clerks", "4110", "2"],
        ]
    )
    rows, problems = read(data, profile)
    assert problems == [] and [r.source_row for r in rows] == [5, 7]


def test_workbook_sheet_by_name_and_by_position():
    table = """
        header: {row: 1}
        geography: XX
        dimension: sector
        rows: {code: Code}
        values: [{header: "2030", indicator: employment, year: 2030}]
        """
    data = xlsx_bytes([["Code", "2030"], ["A", 1]], sheet="Data", extra_sheets=["Notes"])
    for sheet in ("sheet: Data", "sheet: 1"):
        rows, problems = read(
            data, make_profile(table, file=f"type: xlsx\n{sheet}"), filename="x.xlsx"
        )
        assert problems == [] and rows[0].value == 1
    rows, problems = read(
        data, make_profile(table, file="type: xlsx\nsheet: Table 9"), filename="x.xlsx"
    )
    assert (
        rows == [] and "no sheet Table 9" in str(problems[0]) and "Data, Notes" in str(problems[0])
    )


def test_csv_in_another_encoding():
    profile = make_profile(
        """
        geography: FR
        dimension: sector
        rows: {label: Secteur, code: Code}
        values: [{header: "Emploi 2030", indicator: employment, year: 2030}]
        """,
        file="type: csv\nencoding: cp1252\ndelimiter: ';'",
    )
    data = csv_bytes(
        [["Secteur", "Code", "Emploi 2030"], ["Télécoms", "J61", "12"]],
        delimiter=";",
        encoding="cp1252",
    )
    rows, problems = read(data, profile)
    assert problems == [] and rows[0].label == "Télécoms"
