"""Hostile and oversized upload files for the SECURITY.md S12 and S13 tests, built in memory.

Workbooks start from a real one made by XlsxWriter; parts are then replaced or added. ``raw_zip``
writes zip records by hand, for what ``zipfile`` will not write (lying sizes, 100,000
entries in a second).
"""

from __future__ import annotations

import base64
import functools
import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass

import xlsxwriter

MIB = 1024 * 1024
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["name", "email", "organisation", "stakeholder_group", "language"]


@dataclass(frozen=True)
class RawEntry:
    name: str
    #: The bytes as stored: deflated (``method`` 8) or plain (0).
    payload: bytes
    file_size: int
    crc: int
    method: int = 8


def raw_zip(entries: list[RawEntry]) -> bytes:
    """A zip written record by record, with the sizes and checksums as given."""
    local, central = [], []
    offset = 0
    for e in entries:
        name = e.name.encode()
        head = struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            0,
            e.method,
            0,
            0x21,
            e.crc,
            len(e.payload),
            e.file_size,
            len(name),
            0,
        )
        local.append(head + name + e.payload)
        central.append(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                e.method,
                0,
                0x21,
                e.crc,
                len(e.payload),
                e.file_size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
        offset += len(local[-1])
    directory = b"".join(central)
    end = struct.pack(
        "<4sHHHHIIH",
        b"PK\x05\x06",
        0,
        0,
        min(len(entries), 0xFFFF),  # 0xFFFF: more than the field holds
        min(len(entries), 0xFFFF),
        len(directory),
        offset,
        0,
    )
    return b"".join(local) + directory + end


def workbook(rows: list[list[object]] | None = None) -> bytes:
    """A real workbook as Excel writes it: its text in a shared string table."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet()
    for number, row in enumerate(
        [HEADER, *(rows or [["Anna", "anna@example.org", "", "employers", "en"]])]
    ):
        sheet.write_row(number, 0, row)
    book.close()
    return out.getvalue()


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()}


def zipped(entries: dict[str, bytes], level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def with_parts(replaced: dict[str, bytes], level: int = 6) -> bytes:
    """A real workbook with some parts replaced or added."""
    return zipped({**parts(workbook()), **replaced}, level)


def shared_strings(body: bytes, prolog: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + prolog
        + b'<sst xmlns="'
        + MAIN_NS
        + b'" count="1" uniqueCount="1">'
        + body
        + b"</sst>"
    )


def worksheet(rows: bytes, prolog: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + prolog
        + b'<worksheet xmlns="'
        + MAIN_NS
        + b'"><sheetData>'
        + rows
        + b"</sheetData></worksheet>"
    )


@functools.cache
def red_team_workbook() -> bytes:
    """The red-team report's file: some 4 MiB, a real workbook, 47 MiB of shared strings
    (short, varied strings, as a panel of a million people would have)."""
    letters = base64.b64encode(os.urandom(48_000)).replace(b"+", b"a").replace(b"/", b"b")
    block = b"".join(
        b"<si><t>Panellist %s of the council</t></si>" % letters[i : i + 3]
        for i in range(0, len(letters), 3)
    )
    body = block * -(-48 * MIB // len(block))
    return with_parts({"xl/sharedStrings.xml": shared_strings(body)}, level=1)


def many_cells_workbook(rows: int = 200_001, per_row: int = 10) -> bytes:
    """Empty cells, four bytes each: 2,000,010 cells in 8 MiB of XML."""
    row = b"<row>" + b"<c/>" * per_row + b"</row>"
    return with_parts({"xl/worksheets/sheet1.xml": worksheet(row * rows)})


_LAUGHS = (
    b"<!DOCTYPE lolz [\n"
    b'<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)


def billion_laughs(part: str) -> bytes:
    """Nine levels of ten entities: 3 GB of 'lol' once expanded."""
    if part == "xl/sharedStrings.xml":
        content = shared_strings(b"<si><t>&lol9;</t></si>", prolog=_LAUGHS)
    else:
        content = worksheet(
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>', prolog=_LAUGHS
        )
    return with_parts({part: content})


def xxe_workbook(url: str) -> bytes:
    """Shared strings whose first string is the content of ``url``, if a parser fetched it."""
    prolog = b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "' + url.encode() + b'">]>\n'
    strings = b"".join(b"<si><t>%s</t></si>" % h.encode() for h in HEADER[1:])
    return with_parts(
        {"xl/sharedStrings.xml": shared_strings(b"<si><t>&xxe;</t></si>" + strings, prolog)}
    )


def many_entries_zip(count: int = 100_000) -> bytes:
    """A zip of ``count`` empty entries, under 10 MiB."""
    names = ["[Content_Types].xml", "xl/workbook.xml"] + [f"x{i}" for i in range(count - 2)]
    return raw_zip([RawEntry(n, b"", 0, 0, method=0) for n in names])


@functools.cache
def _gibibyte_of_zeros() -> tuple[bytes, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(MIB)
    # after a full flush the next MiB compresses to the same bytes: repeat them
    piece = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    return piece * 1024 + compressor.flush(), crc


def zip_bomb(declared: int | None = None) -> bytes:
    """A workbook of about 1 MB whose worksheet unpacks to 1 GiB of zeros; ``declared``:
    the size its directory claims instead (a lying bomb)."""
    stream, crc = _gibibyte_of_zeros()
    small = [
        RawEntry(name, zlib.compress(content)[2:-4], len(content), zlib.crc32(content))
        for name, content in parts(workbook()).items()
        if name != "xl/worksheets/sheet1.xml"
    ]
    bomb = RawEntry("xl/worksheets/sheet1.xml", stream, declared or 1024 * MIB, crc)
    return raw_zip([*small, bomb])


def million_row_csv() -> bytes:
    """A million rows in 6 MiB."""
    return b"name,email,stakeholder_group\n" + b"a,b,c\n" * 1_000_000
