"""Reading NACE Rev. 2 (Eurostat RAMON) and ISCO-08 (ESCO) files, and the built-in sections."""

from __future__ import annotations

import ast
import io
import pickle
import sys
from pathlib import Path

import pytest

from app.classifications import nace as nace_module
from app.classifications import parse as parse_module
from app.classifications.nace import (
    NACE_SECTIONS,
    NACE_SECTIONS_BY_CODE,
    ClassEntry,
    nace_section,
    section_for_division,
    title_case,
)
from app.classifications.parse import (
    ESCO_ISCO_COLUMNS,
    NACE_RAMON_COLUMNS,
    ParseResult,
    Problem,
    parse_esco_isco_groups,
    parse_nace_ramon,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = REPO_ROOT / ".." / "shared" / "data" / "classifications"
NACE_FILE = DATA_DIR / "nace_rev2_ramon_full_noheader.csv"
ESCO_FILE = DATA_DIR / "esco_v1.0_ISCOGroups_en.csv"

SECTION_LETTERS = tuple("ABCDEFGHIJKLMNOPQRSTU")


def _require(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"reference file {path.resolve()} is not available in this checkout")
    return path


@pytest.fixture(scope="module")
def nace_result() -> ParseResult:
    return parse_nace_ramon(_require(NACE_FILE))


@pytest.fixture(scope="module")
def esco_result() -> ParseResult:
    return parse_esco_isco_groups(_require(ESCO_FILE))


def _assert_tree(result: ParseResult) -> None:
    by_code = {entry.code: entry for entry in result.records}
    assert len(by_code) == len(result.records)
    for entry in result.records:
        if entry.level == 1:
            assert entry.parent_code is None
        else:
            parent = by_code[entry.parent_code]
            assert parent.level == entry.level - 1


# --- the real Eurostat NACE Rev. 2 file -------------------------------------------------------


def test_real_nace_file_parses_completely(nace_result: ParseResult) -> None:
    assert nace_result.problems == ()
    assert nace_result.ok
    assert len(nace_result.records) == 996
    assert nace_result.level_counts() == {1: 21, 2: 88, 3: 272, 4: 615}
    _assert_tree(nace_result)
    sections = [entry.code for entry in nace_result.records if entry.level == 1]
    assert tuple(sections) == SECTION_LETTERS


def test_real_nace_records_carry_texts_and_references(nace_result: ParseResult) -> None:
    by_code = {entry.code: entry for entry in nace_result.records}
    cereals = by_code["01.11"]
    assert cereals.level == 4
    assert cereals.parent_code == "01.1"
    assert cereals.label == "Growing of cereals (except rice), leguminous crops and oil seeds"
    assert cereals.labels["en"] == cereals.label
    assert cereals.description.startswith("This class includes all forms of growing of cereals")
    assert "growing of rice, see 01.12" in cereals.notes["This item excludes"]
    assert cereals.isic_ref == "0111"
    assert cereals.uri == "http://data.europa.eu/ux2/nace2/0111"
    assert by_code["62"].parent_code == "J"
    assert by_code["A"].label == "AGRICULTURE, FORESTRY AND FISHING"
    assert by_code["A"].display_label == "Agriculture, Forestry and Fishing"
    # Trailing blanks of the export are not part of the title.
    assert by_code["72"].label == "Scientific research and development"


def test_real_nace_file_reads_the_same_from_file_objects(nace_result: ParseResult) -> None:
    with NACE_FILE.open("rb") as binary:
        from_binary = parse_nace_ramon(binary)
    with NACE_FILE.open(encoding="utf-8", newline="") as text:
        from_text = parse_nace_ramon(text)
    from_str_path = parse_nace_ramon(str(NACE_FILE))
    for result in (from_binary, from_text, from_str_path):
        assert result.problems == ()
        assert result.records == nace_result.records


def test_real_nace_file_with_header_row_and_bom(tmp_path: Path, nace_result: ParseResult) -> None:
    header = ",".join(f'"{name}"' for name in NACE_RAMON_COLUMNS) + "\r\n"
    target = tmp_path / "nace_with_header.csv"
    target.write_bytes(b"\xef\xbb\xbf" + header.encode() + _require(NACE_FILE).read_bytes())
    result = parse_nace_ramon(target)
    assert result.problems == ()
    assert result.records == nace_result.records


def test_every_division_lies_in_its_section_range(nace_result: ParseResult) -> None:
    divisions = [entry for entry in nace_result.records if entry.level == 2]
    assert len(divisions) == 88
    for division in divisions:
        assert section_for_division(division.code) == division.parent_code


# --- the real ESCO ISCO groups file -----------------------------------------------------------


def test_real_esco_isco_file_parses_completely(esco_result: ParseResult) -> None:
    assert esco_result.problems == ()
    assert esco_result.level_counts() == {1: 10, 2: 43, 3: 130, 4: 436}
    _assert_tree(esco_result)
    by_code = {entry.code: entry for entry in esco_result.records}
    managers = by_code["1"]
    assert managers.parent_code is None
    assert managers.label == "Managers"
    assert managers.uri == "http://data.europa.eu/esco/isco/C1"
    assert by_code["2512"].parent_code == "251"
    assert by_code["0"].description.startswith("Armed forces occupations include")


# --- built-in sections ------------------------------------------------------------------------


def test_builtin_sections_match_the_real_file(nace_result: ParseResult) -> None:
    assert len(NACE_SECTIONS) == 21
    assert tuple(entry.code for entry in NACE_SECTIONS) == SECTION_LETTERS
    from_file = {entry.code: entry.label for entry in nace_result.records if entry.level == 1}
    for entry in NACE_SECTIONS:
        assert entry.label.casefold() == from_file[entry.code].casefold()
        assert entry.labels["en"].casefold() == from_file[entry.code].casefold()


def test_builtin_sections_have_official_translations() -> None:
    for entry in NACE_SECTIONS:
        assert isinstance(entry, ClassEntry)
        assert entry.level == 1
        assert entry.parent_code is None
        assert set(entry.labels) == {"en", "de", "fr"}
        assert all(label.strip() == label and label for label in entry.labels.values())
        assert entry.isic_ref == entry.code
        assert entry.uri == f"http://data.europa.eu/ux2/nace2/{entry.code}"
    assert NACE_SECTIONS_BY_CODE["A"].labels["de"] == "Land- und Forstwirtschaft, Fischerei"
    assert NACE_SECTIONS_BY_CODE["C"].labels["de"] == "Verarbeitendes Gewerbe/Herstellung von Waren"
    assert NACE_SECTIONS_BY_CODE["F"].labels["de"] == "Baugewerbe/Bau"
    assert NACE_SECTIONS_BY_CODE["A"].labels["fr"] == "Agriculture, sylviculture et pêche"
    assert NACE_SECTIONS_BY_CODE["C"].labels["fr"] == "Industrie manufacturière"
    assert nace_section("j") is NACE_SECTIONS_BY_CODE["J"]
    assert nace_section("Z") is None
    assert NACE_SECTIONS_BY_CODE["G"].label_for("de").startswith("Handel;")
    assert NACE_SECTIONS_BY_CODE["G"].label_for("it") == NACE_SECTIONS_BY_CODE["G"].display_label


def test_title_case_display_labels() -> None:
    by_code = NACE_SECTIONS_BY_CODE
    assert by_code["A"].display_label == "Agriculture, Forestry and Fishing"
    assert by_code["G"].display_label == (
        "Wholesale and Retail Trade; Repair of Motor Vehicles and Motorcycles"
    )
    assert by_code["T"].display_label == (
        "Activities of Households as Employers; Undifferentiated Goods- and "
        "Services-Producing Activities of Households for Own Use"
    )
    assert title_case("AND OF THE") == "And of the"


def test_section_for_division() -> None:
    assert section_for_division("01") == "A"
    assert section_for_division("62.01") == "J"
    assert section_for_division("99") == "U"
    assert section_for_division("04") is None
    assert section_for_division("X1") is None


def test_entries_are_immutable_hashable_and_picklable() -> None:
    entry = NACE_SECTIONS[0]
    with pytest.raises(AttributeError):
        entry.code = "B"  # type: ignore[misc]
    with pytest.raises(TypeError):
        entry.labels["en"] = "x"  # type: ignore[index]
    assert hash(entry) == hash(pickle.loads(pickle.dumps(entry)))
    assert pickle.loads(pickle.dumps(entry)) == entry
    plain = ClassEntry("01", 2, "A", "Crop", {"en": "Crop"})
    assert plain.labels == {"en": "Crop"}
    assert {plain, plain} == {plain}


def test_package_imports_only_the_standard_library() -> None:
    allowed_local = {"app.classifications.nace", "app.problems"}
    for module in (nace_module, parse_module):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name in allowed_local, (module, name)


# --- malformed NACE files ---------------------------------------------------------------------

GOOD_NACE_ROWS = (
    '"1","1","A",,"AGRICULTURE, FORESTRY AND FISHING","This section includes ...",,,,"A"\n'
    '"2","2","01","A","Crop and animal production",,,,,"01"\n'
    '"3","3","01.1","01","Growing of non-perennial crops","This group includes\n'
    'several lines.",,,,"011"\n'
    '"4","4","01.11","01.1","Growing of cereals",,,,"This class excludes:\n- rice","0111"\n'
)


def _write(tmp_path: Path, content: str | bytes, name: str = "input.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def _only_problem(result: ParseResult) -> Problem:
    assert len(result.problems) == 1, [str(p) for p in result.problems]
    return result.problems[0]


def test_good_sample_has_no_problems(tmp_path: Path) -> None:
    result = parse_nace_ramon(_write(tmp_path, GOOD_NACE_ROWS))
    assert result.problems == ()
    assert [entry.code for entry in result.records] == ["A", "01", "01.1", "01.11"]
    assert result.records[2].description == "This group includes\nseveral lines."


@pytest.mark.parametrize(
    ("extra_row", "column", "reason"),
    [
        pytest.param(
            '"5","5","01.12","01.1","Growing of rice",,,,,"0112"\n',
            "Level",
            "'5' is not a NACE level",
            id="bad-level",
        ),
        pytest.param(
            '"5","4","01.111","01.1","Growing of rice",,,,,"0112"\n',
            "Code",
            "'01.111' is not a NACE class code (NN.NN) for level 4",
            id="bad-code",
        ),
        pytest.param(
            '"5","1","AB",,"SECTION",,,,,"A"\n',
            "Code",
            "'AB' is not a NACE section code (one letter A-U) for level 1",
            id="bad-section-code",
        ),
        pytest.param(
            '"5","4","02.10","02.1","Silviculture",,,,,"0210"\n',
            "Parent",
            "parent '02.1' of '02.10' is not in the file",
            id="unknown-parent",
        ),
        pytest.param(
            '"5","4","01.12","01","Growing of rice",,,,,"0112"\n',
            "Parent",
            "the parent of class '01.12' must be '01.1', not '01'",
            id="parent-of-wrong-level",
        ),
        pytest.param(
            '"5","2","62","A","Computer programming",,,,,"62"\n',
            "Parent",
            "division '62' belongs to section 'J' in NACE Rev. 2, not 'A'",
            id="division-in-wrong-section",
        ),
        pytest.param(
            '"5","4","01.11","01.1","Growing of cereals again",,,,,"0111"\n',
            "Code",
            "'01.11' duplicates the code in row 4",
            id="duplicate-code",
        ),
        pytest.param(
            '"5","4","01.12","01.1","Growing of rice",,,,\n',
            "Reference to ISIC Rev. 4",
            "the row has 9 fields, expected exactly 10",
            id="too-few-fields",
        ),
        pytest.param(
            '"5","4","01.12","01.1","Growing of rice",,,,,"0112","extra"\n',
            "field 11",
            "the row has 11 fields, expected exactly 10",
            id="too-many-fields",
        ),
        pytest.param(
            '"5","4","01.12","01.1","",,,,,"0112"\n',
            "Description",
            "the description (title) is missing",
            id="missing-description",
        ),
        pytest.param(
            '"x","4","01.12","01.1","Growing of rice",,,,,"0112"\n',
            "Order",
            "'x' is not a whole number",
            id="bad-order",
        ),
        pytest.param(
            '"5","4","01.12","01.1","Growing of rice",,,,,"01.12"\n',
            "Reference to ISIC Rev. 4",
            "'01.12' is not an ISIC Rev. 4 code",
            id="bad-isic-reference",
        ),
    ],
)
def test_malformed_nace_row_is_reported_by_row_and_column(
    tmp_path: Path, extra_row: str, column: str, reason: str
) -> None:
    result = parse_nace_ramon(_write(tmp_path, GOOD_NACE_ROWS + extra_row))
    problem = _only_problem(result)
    # Records 3 and 4 span two lines each, so record 5 starts on line 7.
    assert (problem.row, problem.line, problem.column) == (5, 7, column)
    assert str(problem).startswith(f"row 5 (line 7), column `{column}`: {reason}")
    assert not result.ok
    # Records that could be read are still returned.
    assert [entry.code for entry in result.records][:4] == ["A", "01", "01.1", "01.11"]


def test_message_for_a_bad_class_code_names_row_and_column(tmp_path: Path) -> None:
    rows = [
        '"1","1","A",,"AGRICULTURE, FORESTRY AND FISHING",,,,,"A"',
        '"2","2","01","A","Crop and animal production",,,,,"01"',
        '"3","3","01.1","01","Growing of non-perennial crops",,,,,"011"',
    ]
    rows += [f'"{n}","4","01.{n + 6}","01.1","Class {n}",,,,,"01{n + 6}"' for n in range(4, 14)]
    rows.append('"14","4","01.111","01.1","Too long a code",,,,,"0111"')
    result = parse_nace_ramon(_write(tmp_path, "\n".join(rows) + "\n"))
    problem = _only_problem(result)
    assert str(problem) == (
        "row 14, column `Code`: '01.111' is not a NACE class code (NN.NN) for level 4"
    )
    assert (problem.row, problem.column, problem.line) == (14, "Code", 14)


def test_invalid_rows_do_not_cascade_into_parent_problems(tmp_path: Path) -> None:
    content = GOOD_NACE_ROWS + (
        '"5","3","01.2","01"\n'  # wrong field count
        '"6","4","01.21","01.2","Growing of grapes",,,,,"0121"\n'
    )
    problem = _only_problem(parse_nace_ramon(_write(tmp_path, content)))
    assert (problem.row, problem.column) == (5, "Description")


def test_empty_nace_file(tmp_path: Path) -> None:
    for content in (b"", b"\xef\xbb\xbf", b"\n\n"):
        result = parse_nace_ramon(_write(tmp_path, content))
        problem = _only_problem(result)
        assert (problem.row, problem.column) == (1, "Order")
        assert "empty" in str(problem)
        assert result.records == ()


def test_nace_header_without_records(tmp_path: Path) -> None:
    header = ",".join(NACE_RAMON_COLUMNS) + "\n"
    problem = _only_problem(parse_nace_ramon(_write(tmp_path, header)))
    assert (problem.row, problem.column) == (2, "Code")
    assert "no NACE records" in str(problem)


def test_nace_header_with_a_wrong_column_name(tmp_path: Path) -> None:
    names = list(NACE_RAMON_COLUMNS)
    names[3] = "Ancestor"
    result = parse_nace_ramon(_write(tmp_path, ",".join(names) + "\n" + GOOD_NACE_ROWS))
    problem = _only_problem(result)
    assert (problem.row, problem.column) == (1, "Parent")
    assert "'Ancestor'" in str(problem)
    # Data rows are numbered after the header.
    assert len(result.records) == 4


def test_non_utf8_bytes_are_reported_by_row_and_column(tmp_path: Path) -> None:
    content = GOOD_NACE_ROWS.encode() + b'"5","4","01.12","01.1","Caf\xe9 crops",,,,,"0112"\n'
    result = parse_nace_ramon(_write(tmp_path, content))
    problem = _only_problem(result)
    assert (problem.row, problem.column) == (5, "Description")
    assert "not valid UTF-8 (0xe9)" in str(problem)
    assert result.records[-1].label == "Caf\ufffd crops"


def test_latin1_file_is_rejected(tmp_path: Path) -> None:
    content = GOOD_NACE_ROWS.replace("Crop and animal", "Cr\xe9p and animal")
    result = parse_nace_ramon(_write(tmp_path, content.encode("latin-1")))
    problem = _only_problem(result)
    assert (problem.row, problem.column) == (2, "Description")


def test_unreadable_csv_quoting_is_reported(tmp_path: Path) -> None:
    content = GOOD_NACE_ROWS + '"5","4","01.12"x,"01.1","Rice",,,,,"0112"\n'
    problem = _only_problem(parse_nace_ramon(_write(tmp_path, content)))
    assert problem.row == 5
    assert "cannot be read" in str(problem)


@pytest.mark.parametrize(("char", "shown"), [("\x00", "U+0000"), ("\x1b", "U+001B")])
def test_a_control_character_is_reported_by_row_and_column(
    tmp_path: Path, char: str, shown: str
) -> None:
    content = GOOD_NACE_ROWS + f'"5","4","01.12","01.1","Growing{char} of rice",,,,,"0112"\n'
    problem = _only_problem(parse_nace_ramon(_write(tmp_path, content)))
    assert (problem.row, problem.column) == (5, "Description")
    assert f"contains a control character ({shown})" in str(problem)


def test_a_title_too_long_to_store_is_reported(tmp_path: Path) -> None:
    content = GOOD_NACE_ROWS + f'"5","4","01.12","01.1","{"R" * 401}",,,,,"0112"\n'
    problem = _only_problem(parse_nace_ramon(_write(tmp_path, content)))
    assert (problem.row, problem.column) == (5, "Description")
    assert "longer than 400 characters" in str(problem)


def test_source_types(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_NACE_ROWS)
    expected = parse_nace_ramon(path).records
    assert parse_nace_ramon(str(path)).records == expected
    assert parse_nace_ramon(io.BytesIO(GOOD_NACE_ROWS.encode())).records == expected
    assert parse_nace_ramon(io.StringIO(GOOD_NACE_ROWS)).records == expected
    assert parse_nace_ramon(io.StringIO(GOOD_NACE_ROWS), lang="de").records[1].labels == {
        "de": "Crop and animal production"
    }
    with pytest.raises(TypeError):
        parse_nace_ramon(42)  # type: ignore[arg-type]


# --- malformed ESCO ISCO files ----------------------------------------------------------------

ESCO_HEADER = ",".join(ESCO_ISCO_COLUMNS) + "\n"
GOOD_ESCO_ROWS = (
    "ISCOGroup,http://data.europa.eu/esco/isco/C1,1,Managers,,"
    '"http://data.europa.eu/esco/concept-scheme/isco",'
    '"Managers plan, direct,\ncoordinate and evaluate."\n'
    "ISCOGroup,http://data.europa.eu/esco/isco/C11,11,"
    '"Chief executives, senior officials and legislators",,,\n'
    "ISCOGroup,http://data.europa.eu/esco/isco/C111,111,Legislators and senior officials,,,\n"
    "ISCOGroup,http://data.europa.eu/esco/isco/C1111,1111,Legislators,,,\n"
)


def test_good_esco_sample_has_no_problems(tmp_path: Path) -> None:
    result = parse_esco_isco_groups(_write(tmp_path, ESCO_HEADER + GOOD_ESCO_ROWS))
    assert result.problems == ()
    assert [(e.code, e.level, e.parent_code) for e in result.records] == [
        ("1", 1, None),
        ("11", 2, "1"),
        ("111", 3, "11"),
        ("1111", 4, "111"),
    ]
    assert result.records[0].description == "Managers plan, direct,\ncoordinate and evaluate."


@pytest.mark.parametrize(
    ("extra_row", "column", "reason"),
    [
        pytest.param(
            "ISCOGroup,http://data.europa.eu/esco/isco/C12a,12a,Bad,,,\n",
            "code",
            "'12a' is not an ISCO-08 group code (1 to 4 digits)",
            id="bad-code",
        ),
        pytest.param(
            "ISCOGroup,http://data.europa.eu/esco/isco/C21111,21111,Too long,,,\n",
            "code",
            "'21111' is not an ISCO-08 group code",
            id="code-too-long",
        ),
        pytest.param(
            "ISCOGroup,http://data.europa.eu/esco/isco/C2111,2111,Physicists,,,\n",
            "code",
            "parent '211' of '2111' is not in the file",
            id="unknown-parent",
        ),
        pytest.param(
            "ISCOGroup,http://data.europa.eu/esco/isco/C11,11,Again,,,\n",
            "code",
            "'11' duplicates the code in row 3",
            id="duplicate-code",
        ),
        pytest.param(
            "ISCOGroup,http://data.europa.eu/esco/isco/C12,12,Short row\n",
            "altLabels",
            "the row has 4 fields, expected exactly 7",
            id="wrong-field-count",
        ),
        pytest.param(
            "ISCOGroup,http://data.europa.eu/esco/isco/C12,12,,,,\n",
            "preferredLabel",
            "the preferred label is missing",
            id="missing-label",
        ),
        pytest.param(
            "Occupation,http://data.europa.eu/esco/isco/C12,12,Wrong type,,,\n",
            "conceptType",
            "'Occupation' is not 'ISCOGroup'",
            id="wrong-concept-type",
        ),
        pytest.param(
            "ISCOGroup,http://data.europa.eu/esco/isco/C13,12,Mismatch,,,\n",
            "conceptUri",
            "is the URI of ISCO group 13, not 12",
            id="uri-of-another-group",
        ),
    ],
)
def test_malformed_esco_row_is_reported_by_row_and_column(
    tmp_path: Path, extra_row: str, column: str, reason: str
) -> None:
    result = parse_esco_isco_groups(_write(tmp_path, ESCO_HEADER + GOOD_ESCO_ROWS + extra_row))
    problem = _only_problem(result)
    # The header is row 1 and the first group spans two lines.
    assert (problem.row, problem.line, problem.column) == (6, 7, column)
    assert str(problem).startswith(f"row 6 (line 7), column `{column}`: ")
    assert reason in str(problem)


def test_esco_label_or_uri_too_long_to_store_is_reported(tmp_path: Path) -> None:
    long_uri = "http://data.europa.eu/esco/" + "x" * 250 + "/isco/C1112"
    content = (
        ESCO_HEADER
        + GOOD_ESCO_ROWS
        + f"ISCOGroup,{long_uri},1112,Senior officials,,,\n"
        + f"ISCOGroup,http://data.europa.eu/esco/isco/C1113,1113,{'L' * 401},,,\n"
    )
    result = parse_esco_isco_groups(_write(tmp_path, content))
    assert [(p.row, p.column) for p in result.problems] == [
        (6, "conceptUri"),
        (7, "preferredLabel"),
    ]
    assert "longer than 255 characters" in result.problems[0].message
    assert "longer than 400 characters" in result.problems[1].message


def test_esco_file_without_code_column(tmp_path: Path) -> None:
    header = ",".join(name for name in ESCO_ISCO_COLUMNS if name != "code") + "\n"
    row = "ISCOGroup,http://data.europa.eu/esco/isco/C1,Managers,,,\n"
    result = parse_esco_isco_groups(_write(tmp_path, header + row))
    problem = _only_problem(result)
    assert (problem.row, problem.column) == (1, "code")
    assert "required column is missing" in str(problem)
    assert result.records == ()


def test_esco_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = _only_problem(parse_esco_isco_groups(_write(tmp_path, b"")))
    assert (empty.row, empty.column) == (1, "conceptType")
    assert "empty" in empty.message
    header_only = _only_problem(parse_esco_isco_groups(_write(tmp_path, ESCO_HEADER)))
    assert (header_only.row, header_only.column) == (2, "code")


def test_esco_non_utf8_bytes_and_bom(tmp_path: Path) -> None:
    content = (
        b"\xef\xbb\xbf"
        + (ESCO_HEADER + GOOD_ESCO_ROWS).encode()
        + b"ISCOGroup,http://data.europa.eu/esco/isco/C12,12,Directeurs g\xe9n\xe9raux,,,\n"
    )
    problem = _only_problem(parse_esco_isco_groups(_write(tmp_path, content)))
    assert (problem.row, problem.column) == (6, "preferredLabel")
    assert "0xe9 0xe9" in str(problem)
