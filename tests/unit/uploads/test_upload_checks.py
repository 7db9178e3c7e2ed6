"""Checks of uploads before any parser (SECURITY.md S12, S13): pure, fast, bounded memory.

The hostile files themselves go through the upload page in tests/app/test_uploads.py; here
are the ways around the checks that a file could try, and the fuzzing of the checks.
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.uploads import checks
from app.uploads.checks import (
    MAX_CELLS,
    FileRefused,
    Limits,
    amount_text,
    check_csv,
    check_upload,
    check_xlsx,
    limit_text,
)
from tests import bombs


def _refusal(filename: str, data: bytes, limits: Limits = Limits()) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        check_upload(filename, data, limits)
    return caught.value


def test_s12_a_real_workbook_passes_with_what_was_seen():
    seen = check_xlsx(bombs.workbook([["Anna", "anna@example.org", "Bau AG", "employers", "de"]]))
    assert seen.kind == "xlsx" and seen.parts == 10
    assert seen.cells == 10  # header and one row, five columns
    assert 0 < seen.shared_strings_bytes < seen.unpacked_bytes


def test_s12_shared_strings_are_recognised_by_content_whatever_the_part_is_called():
    body = b"<si><t>x</t></si>" * 200_000  # 3.2 MiB
    data = bombs.with_parts({"xl/strings2.xml": bombs.shared_strings(body)})
    refused = _refusal("p.xlsx", data, Limits(max_shared_strings_bytes=2 * checks.MIB))
    assert refused.status == 413 and refused.limit == "shared_strings"
    assert refused.message == (
        "the workbook's shared strings unpack to 3.3 MiB; at most 2 MiB are accepted"
    )


@pytest.mark.parametrize("chunk", [7, 64, 4096])
def test_s12_cells_are_counted_exactly_across_chunk_boundaries(monkeypatch, chunk):
    monkeypatch.setattr(checks, "CHUNK", chunk)
    cells = b'<c r="A1" t="s"><v>0</v></c><x:c r="B1"/><c>' * 300 + b"<col/><cfRule/>"
    data = bombs.with_parts({"xl/worksheets/sheet1.xml": bombs.worksheet(b"<row>" + cells)})
    assert check_xlsx(data).cells == 900
    refused = _refusal("p.xlsx", data, Limits(max_cells=899))
    assert refused.limit == "cells" and "more than 899 cells; at most 899 are accepted" in (
        refused.message
    )


def test_s12_a_doctype_split_across_chunks_is_still_found(monkeypatch):
    monkeypatch.setattr(checks, "CHUNK", 5)
    data = bombs.with_parts({"xl/workbook.xml": b"<?xml version='1.0'?><!DOCTYPE x><workbook/>"})
    assert "declares a document type" in _refusal("p.xlsx", data).message


def test_s12_utf16_parts_are_refused_as_the_scan_could_not_see_inside():
    text = bombs.shared_strings(b"<si><t>x</t></si>").decode().replace("UTF-8", "UTF-16")
    data = bombs.with_parts({"xl/sharedStrings.xml": text.encode("utf-16")})
    refused = _refusal("p.xlsx", data)
    assert refused.status == 422 and "is not UTF-8 text" in refused.message


def test_s12_a_part_larger_than_its_declared_size_is_refused_as_damaged():
    sheet = bombs.worksheet(b"<row>" + b"<c/>" * 10_000 + b"</row>")
    entries = [
        bombs.RawEntry(name, content, len(content), zipfile.crc32(content), method=0)
        for name, content in bombs.parts(bombs.workbook()).items()
        if name != "xl/worksheets/sheet1.xml"
    ]
    entries.append(bombs.RawEntry("xl/worksheets/sheet1.xml", sheet, 100, 0, method=0))
    refused = _refusal("p.xlsx", bombs.raw_zip(entries))
    assert refused.status == 422 and "damaged" in refused.message


@pytest.mark.parametrize(
    ("flag", "method", "message"),
    [
        (0x1, zipfile.ZIP_DEFLATED, "the workbook is encrypted"),
        (0, zipfile.ZIP_BZIP2, "compressed in a way Excel does not use"),
        (0, zipfile.ZIP_LZMA, "compressed in a way Excel does not use"),
    ],
)
def test_s12_encrypted_or_oddly_compressed_parts_are_refused(flag, method, message):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in bombs.parts(bombs.workbook()).items():
            info = zipfile.ZipInfo(name)
            info.compress_type = method if name.endswith("sheet1.xml") else zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    data = bytearray(out.getvalue())
    if flag:  # mark the first entry encrypted, in its central directory record
        at = data.find(b"PK\x01\x02")
        data[at + 8] |= flag
    refused = _refusal("p.xlsx", bytes(data))
    assert refused.status == 422 and message in refused.message


def test_s12_a_directory_understating_its_entries_is_counted_by_its_records():
    data = bytearray(bombs.many_entries_zip(1_000))
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = b"\x05\x00\x05\x00"  # claims five entries
    refused = _refusal("p.xlsx", bytes(data))
    assert refused.status == 413 and "holds 1,000 parts; at most 200 are accepted" in (
        refused.message
    )


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"h\n" + b"r\n" * 10, 11),
        (b"h\r\n" + b"r\r\n" * 10, 11),
        (b"h\r" + b"r\r" * 10, 11),  # old Mac line ends
        (b"h\n" + b"r\n" * 9 + b"r", 11),  # no line break at the end
    ],
)
def test_s12_csv_rows_are_counted_by_line_breaks(data, lines):
    assert check_csv(data, Limits(max_rows=10)).lines == lines
    refused = _refusal("p.csv", data, Limits(max_rows=9))
    assert refused.status == 413 and f"has {lines} lines; at most 9 rows" in refused.message


def test_s12_sizes_read_as_people_read_them():
    assert limit_text(16 * checks.MIB) == "16 MiB" and limit_text(1024 * checks.MIB) == "1 GiB"
    assert limit_text(10_000) == "9.8 KiB"
    # an actual size is rounded up: just beyond a limit never reads as the limit
    assert amount_text(50 * checks.MIB + 1) == "50.1 MiB"
    assert amount_text(48 * checks.MIB) == "48.0 MiB"
    assert MAX_CELLS == 2_000_000


def test_s12_checks_take_well_under_a_second_for_a_workbook_at_the_limits():
    rows = b'<row><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>2</v></c></row>' * 700_000
    data = bombs.with_parts({"xl/worksheets/sheet1.xml": bombs.worksheet(rows)}, level=1)
    # processor time of this process: what the checks cost, whatever else the machine runs
    started = time.process_time()
    seen = check_xlsx(data)
    assert seen.cells == 1_400_000 and seen.unpacked_bytes > 44 * checks.MIB
    assert time.process_time() - started < 2


_GOOD = bombs.workbook([["Anna", "anna@example.org", "Bau AG", "employers", "de"]])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(
        st.tuples(st.integers(0, len(_GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    truncate=st.one_of(st.none(), st.integers(0, len(_GOOD))),
)
def test_s13_mangled_workbooks_raise_only_file_refused(cuts, truncate):
    data = bytearray(_GOOD)
    for at, value in cuts:
        data[at] = value
    data = bytes(data[:truncate] if truncate is not None else data)
    started = time.perf_counter()
    try:
        check_upload("p.xlsx", data)
    except FileRefused as refused:
        assert refused.status in (413, 422) and refused.message
    assert time.perf_counter() - started < 1


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=2000), name=st.sampled_from(["p.csv", "p.xlsx", "p.txt"]))
def test_s13_random_bytes_raise_only_file_refused(data, name):
    try:
        check_upload(name, data)
    except FileRefused as refused:
        assert refused.status in (413, 422) and refused.message
