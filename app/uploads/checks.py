"""Checks of an uploaded CSV or XLSX file before any parser reads it (SECURITY.md 2.5, S12).

Pure, fast and in bounded memory, so they can run in the web process: the parts of a workbook
are decompressed as a stream, CHUNK bytes at a time, and never held whole. Each refusal is a
``FileRefused`` naming the limit in plain words; sizes and counts beyond a limit are
``too_large`` (HTTP 413), content that is not what it claims is not (HTTP 422). Its message
is a message id with its values (``app.problems``), translated where it is shown.

What a workbook must pass, in this order: the zip's own directory (at most
``max_zip_entries`` parts, counted from the raw directory records before ``zipfile`` builds
its index); every part stored or deflated, none encrypted, no symbolic links, no macros; at
most ``max_unpacked_bytes`` unpacked in all and ``max_shared_strings_bytes`` of shared strings
(by the sizes the directory declares, and again by the bytes actually unpacked); then every
part, streamed: no document type declarations or entities (billion laughs, XXE), no UTF-16
or UTF-32 text (the byte scan could not see inside it), at most ``max_cells`` cells (``<c>``
elements) in all. A shared string table is recognised by its ``<sst>`` element, whatever the
part is called. A CSV file may hold at most ``max_rows`` rows of data below its header,
counted as line breaks (an upper bound: blank lines and line breaks inside quoted fields
count too).

No compression-ratio limit: the absolute limits above hold however well a part compresses,
and honest sheets of repeated values compress a hundred times and more.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from app.formatting import MIB, data_size
from app.problems import N_, Bytes, Problem, Value

#: Largest file accepted (the web server refuses larger request bodies already).
MAX_FILE_BYTES = 10 * MIB
#: Rows of data in one file (the header row not counted).
MAX_ROWS = 200_000
#: Parts (zip entries) of an ``.xlsx`` workbook; Excel writes about a dozen.
MAX_ZIP_ENTRIES = 200
#: Bytes of all parts of a workbook once unpacked.
MAX_UNPACKED_BYTES = 50 * MIB
#: Bytes of the shared string table unpacked. openpyxl holds every string in memory and a
#: small string costs it some 100 bytes; a panel of 200,000 people with distinct names and
#: addresses needs about 13 MiB.
MAX_SHARED_STRINGS_BYTES = 16 * MIB
#: Cells of all worksheets: 200,000 rows of 10 columns. openpyxl reads some 140,000 cells a
#: second on a small server, so this much is read well within the parser's time limit.
MAX_CELLS = 2_000_000
#: Bytes unpacked and scanned at a time.
CHUNK = MIB

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"
_END_OF_DIRECTORY = b"PK\x05\x06"
_DIRECTORY_RECORD = b"PK\x01\x02"
#: A cell, or the root of a shared string table, with or without a namespace prefix.
_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?(c|sst)[\s/>]")
#: The longest element start the patterns look for; a chunk's tail this long is carried over.
_CARRY = 64
_WIDE_TEXT = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"<\x00", b"\x00<")


@dataclass(frozen=True)
class Limits:
    """What an upload may hold; the defaults are SECURITY.md 2.5's."""

    max_bytes: int = MAX_FILE_BYTES
    max_rows: int = MAX_ROWS
    max_zip_entries: int = MAX_ZIP_ENTRIES
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    max_shared_strings_bytes: int = MAX_SHARED_STRINGS_BYTES
    max_cells: int = MAX_CELLS


@dataclass(frozen=True)
class CheckedFile:
    """What the checks saw in a file that passed them."""

    kind: str
    size: int
    #: CSV: line breaks counted; XLSX: 0.
    lines: int = 0
    #: XLSX: parts, bytes unpacked, cells and bytes of shared strings; CSV: 0.
    parts: int = 0
    unpacked_bytes: int = 0
    cells: int = 0
    shared_strings_bytes: int = 0


class FileRefused(Exception):
    """The file is refused as a whole. ``too_large``: beyond a size, count, time or memory
    limit (HTTP 413); otherwise its content cannot be read as what it claims to be (422).
    ``limit`` names the limit or check for logs and tests (e.g. ``"shared_strings"``).

    ``message`` is a message id marked with ``N_`` and ``params`` the values of its
    placeholders; ``problem`` carries both to whoever shows them, ``.message`` is the English
    text."""

    def __init__(
        self,
        message: str,
        params: Mapping[str, Value] | None = None,
        *,
        too_large: bool = False,
        limit: str = "content",
    ) -> None:
        super().__init__(message, params)
        self.problem = Problem(message, params=dict(params) if params else None)
        self.too_large = too_large
        self.limit = limit

    @property
    def message(self) -> str:
        """The refusal in English (logs, the command line, tests)."""
        return self.problem.what()

    @property
    def status(self) -> int:
        return 413 if self.too_large else 422

    def __str__(self) -> str:
        return self.message


def limit_text(size: int) -> str:
    """A limit in English: ``16 MiB``, ``1 GiB``; one decimal when not whole."""
    return data_size(size, limit=True, locale="en")


def amount_text(size: int) -> str:
    """An actual size in English, one decimal rounded up (so 50 MiB and a byte never reads as
    50 MiB): ``48.0 MiB``."""
    return data_size(size, locale="en")


def file_kind(filename: str) -> str:
    """``"csv"`` or ``"xlsx"``, by the file name's extension; FileRefused otherwise."""
    name = (filename or "").strip().lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith((".xlsm", ".xltm", ".xlam")):
        raise FileRefused(
            N_("macro-enabled workbooks (.xlsm) are not accepted; save the file as .xlsx"),
            limit="type",
        )
    raise FileRefused(N_("the file must be a .csv (UTF-8) or an .xlsx workbook"), limit="type")


def check_upload(filename: str, data: bytes, limits: Limits = Limits()) -> CheckedFile:
    """Check an upload by its type (from ``filename``). Returns what was seen; raises
    FileRefused. Reads ``data`` only."""
    kind = file_kind(filename)
    return check_csv(data, limits) if kind == "csv" else check_xlsx(data, limits)


def _check_size(data: bytes, limits: Limits) -> None:
    if len(data) > limits.max_bytes:
        raise FileRefused(
            N_("the file is %(size)s; at most %(most)s are accepted"),
            {"size": Bytes(len(data)), "most": Bytes(limits.max_bytes, limit=True)},
            too_large=True,
            limit="file_size",
        )


def check_csv(data: bytes, limits: Limits = Limits()) -> CheckedFile:
    """Size and rows of a CSV file, counted as line breaks (LF, CRLF or CR alone)."""
    _check_size(data, limits)
    lines = max(data.count(b"\n"), data.count(b"\r"))
    if data and not data.endswith((b"\n", b"\r")):
        lines += 1
    if lines - 1 > limits.max_rows:
        raise FileRefused(
            N_(
                "the file has %(lines)s lines; at most %(most)s rows (and a header row) are "
                "accepted; split it into smaller files"
            ),
            {"lines": lines, "most": limits.max_rows},
            too_large=True,
            limit="rows",
        )
    return CheckedFile("csv", len(data), lines=lines)


def _not_readable() -> FileRefused:
    return FileRefused(N_("the file is not a readable .xlsx workbook"))


def _too_many_parts(count: int, limits: Limits) -> FileRefused:
    return FileRefused(
        N_("the workbook holds %(parts)s parts; at most %(most)s are accepted"),
        {"parts": count, "most": limits.max_zip_entries},
        too_large=True,
        limit="zip_entries",
    )


def _count_directory_records(data: bytes, limits: Limits) -> None:
    """Refuse a zip with too many entries before ``zipfile`` builds an object for each."""
    end = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) < end + 22:
        raise _not_readable()
    declared, directory_size, directory_offset = struct.unpack_from("<HII", data, end + 10)
    declared = 0 if declared == 0xFFFF else declared  # 0xFFFF: the count is in a ZIP64 record
    # zipfile reads every record in the directory, whatever the count says: count the
    # records' signatures in the bytes the directory spans (all before the end, for ZIP64).
    start = 0 if 0xFFFFFFFF in (directory_size, directory_offset) else end - directory_size
    records = data.count(_DIRECTORY_RECORD, max(start, 0), end)
    if max(records, declared) > limits.max_zip_entries:
        raise _too_many_parts(max(records, declared), limits)


def check_zip_directory(data: bytes, limits: Limits = Limits()) -> list[zipfile.ZipInfo]:
    """The checks a workbook's zip directory allows without unpacking anything: type, parts,
    declared sizes, links, encryption, compression, macros. Returns the entries; raises
    FileRefused."""
    _check_size(data, limits)
    if data.startswith(_OLE_MAGIC):
        raise FileRefused(N_("the file is an old Excel workbook (.xls); save it as .xlsx"))
    if not data.startswith(_ZIP_MAGIC):
        raise FileRefused(N_("the file is not an .xlsx workbook"))
    _count_directory_records(data, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception as exc:  # a damaged zip raises many kinds (struct, zlib, EOF, ...)
        raise _not_readable() from exc
    if len(entries) > limits.max_zip_entries:
        raise _too_many_parts(len(entries), limits)
    unpacked = sum(e.file_size for e in entries)
    if unpacked > limits.max_unpacked_bytes:
        raise FileRefused(
            N_("the workbook unpacks to %(size)s; at most %(most)s are accepted"),
            {"size": Bytes(unpacked), "most": Bytes(limits.max_unpacked_bytes, limit=True)},
            too_large=True,
            limit="unpacked_size",
        )
    for entry in entries:
        if entry.filename.lower() == "xl/sharedstrings.xml":
            _check_shared_strings_size(entry.file_size, limits)
    names = set()
    for entry in entries:
        if (entry.external_attr >> 16) & 0o170000 == 0o120000:
            raise FileRefused(N_("the workbook contains a symbolic link; it is not accepted"))
        if entry.flag_bits & 0x1:
            raise FileRefused(N_("the workbook is encrypted; save it without a password"))
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRefused(
                N_("the workbook is compressed in a way Excel does not use; save it again as .xlsx")
            )
        names.add(entry.filename.lower())
    if any(n.endswith("vbaproject.bin") for n in names):
        raise FileRefused(
            N_("the workbook contains macros; save it as an .xlsx workbook without macros")
        )
    if "xl/workbook.xml" not in names or "[content_types].xml" not in names:
        raise FileRefused(N_("the file is not an .xlsx workbook"))
    return entries


def _check_shared_strings_size(size: int, limits: Limits) -> None:
    if size > limits.max_shared_strings_bytes:
        raise FileRefused(
            N_("the workbook's shared strings unpack to %(size)s; at most %(most)s are accepted"),
            {"size": Bytes(size), "most": Bytes(limits.max_shared_strings_bytes, limit=True)},
            too_large=True,
            limit="shared_strings",
        )


def _too_many_cells(limits: Limits) -> FileRefused:
    return FileRefused(
        N_(
            "the workbook has more than %(most)s cells; at most %(most)s are accepted; split "
            "it into smaller files"
        ),
        {"most": limits.max_cells},
        too_large=True,
        limit="cells",
    )


def check_xlsx(data: bytes, limits: Limits = Limits()) -> CheckedFile:
    """All checks of a workbook (see the module's docstring). Returns what was seen; raises
    FileRefused. Memory: the zip's directory and a few chunks."""
    entries = check_zip_directory(data, limits)
    cells = unpacked = shared = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for entry in entries:
                left = limits.max_cells - cells
                seen, part_cells, strings = _scan_part(archive, entry, limits, left)
                unpacked += seen
                cells += part_cells
                shared += seen if strings else 0
                if unpacked > limits.max_unpacked_bytes:  # a size the directory understated
                    raise FileRefused(
                        N_(
                            "the workbook unpacks to more than %(most)s; at most %(most)s are "
                            "accepted"
                        ),
                        {"most": Bytes(limits.max_unpacked_bytes, limit=True)},
                        too_large=True,
                        limit="unpacked_size",
                    )
    except FileRefused:
        raise
    except Exception as exc:  # CRC errors, truncated or corrupt deflate streams, ...
        raise FileRefused(N_("the workbook is damaged: a part of it cannot be unpacked")) from exc
    return CheckedFile(
        "xlsx",
        len(data),
        parts=len(entries),
        unpacked_bytes=unpacked,
        cells=cells,
        shared_strings_bytes=shared,
    )


def _scan_part(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: Limits, cells_left: int
) -> tuple[int, int, bool]:
    """Stream one part: (bytes unpacked, cells, is a shared string table)."""
    seen = cells = 0
    strings = False
    carry = b""
    first = True
    with archive.open(entry) as part:
        while True:
            chunk = part.read(CHUNK)
            if not chunk:
                break
            seen += len(chunk)
            if first:
                if chunk.startswith(_WIDE_TEXT):
                    raise FileRefused(
                        N_(
                            "the workbook part %(part)s is not UTF-8 text; save the workbook "
                            "again with Excel or LibreOffice"
                        ),
                        {"part": entry.filename},
                    )
                first = False
            buffer = carry + chunk
            cut = buffer.rfind(b"<")
            if cut >= 0 and len(buffer) - cut < _CARRY:
                body, carry = buffer[:cut], buffer[cut:]
            else:
                body, carry = buffer, b""
            cells, strings = _scan(body, entry, limits, cells, cells_left, strings)
            if strings:
                _check_shared_strings_size(max(seen, entry.file_size), limits)
    if carry:
        cells, strings = _scan(carry, entry, limits, cells, cells_left, strings)
        if strings:
            _check_shared_strings_size(max(seen, entry.file_size), limits)
    return seen, cells, strings


def _scan(
    body: bytes,
    entry: zipfile.ZipInfo,
    limits: Limits,
    cells: int,
    cells_left: int,
    strings: bool,
) -> tuple[int, bool]:
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise FileRefused(
            N_(
                "the workbook part %(part)s declares a document type or entities, which "
                "workbooks never need; it is not accepted"
            ),
            {"part": entry.filename},
        )
    found = _ELEMENT.findall(body)
    if found:
        cells += found.count(b"c")
        strings = strings or b"sst" in found
        if cells > cells_left:
            raise _too_many_cells(limits)
    return cells, strings
