"""A closed round's frozen statistics as CSV and XLSX (SECURITY.md 2.5).

One record set feeds both formats: a row per item, a row per ranking/choice option, a row
per item x *published* stakeholder group, and a row per visible (not hidden) rationale.
Suppressed groups never appear; an item whose panel total is below the disclosure threshold
carries only its key, type, text and ``suppressed``. Every text cell, header and sheet name
goes through :func:`app.exports.safe_cell`; numbers stay numbers and keep the stored
precision (the page rounds, the files do not).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter

from app.consultations.document import (
    CHOICE_STATS,
    ESTIMATE_STATS,
    GROUP_STATS,
    LIKERT_STATS,
    RANKING_STATS,
)
from app.consultations.models import ItemType, Round
from app.exports import csv_bytes, safe_cell
from app.results.services import ItemView, RationaleView, item_rationales, option_labels

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STATUS_COLUMNS = (
    "consensus_status",
    "stable",
    "n_paired",
    "net_change",
    "cv_change",
    "wilcoxon_p",
    "contested",
    "kw_h",
    "kw_p",
    "max_median_diff",
    "median_max_group",
    "median_min_group",
    "balanced_median",
    "balanced_agreement",
    "balanced_disagreement",
    "median_ci_low",
    "median_ci_high",
    "agreement_ci_low",
    "agreement_ci_high",
    "disagreement_ci_low",
    "disagreement_ci_high",
    "settled",
    "label",
    "reason",
)
OPTION_STATS = ("count", "share", "rank_sum", "mean_rank", "borda", "share_first")

ITEM_COLUMNS = (
    "item_key",
    "item_type",
    "text",
    "suppressed",
    *LIKERT_STATS,
    *ESTIMATE_STATS,
    *RANKING_STATS,
    *CHOICE_STATS,
    *STATUS_COLUMNS,
    "text_answers",
)
OPTION_COLUMNS = ("item_key", "item_type", "option", "text", *OPTION_STATS)
GROUP_COLUMNS = ("item_key", "item_type", "group", *LIKERT_STATS)
RATIONALE_COLUMNS = ("item_key", "item_type", "group", "text")
#: The CSV holds all records in one table; ``record`` says which kind a row is.
CSV_COLUMNS = tuple(
    dict.fromkeys(
        ("record", "item_key", "item_type", "group", "option", "text", "suppressed")
        + ITEM_COLUMNS
        + OPTION_STATS
    )
)


def _item_row(view: ItemView, lang: str, default: str) -> dict[str, Any]:
    item, entry = view.item, view.entry
    row: dict[str, Any] = {
        "item_key": item.key,
        "item_type": item.type.value,
        "text": item.text_for(lang, default),
        "suppressed": view.suppressed,
    }
    if item.type is ItemType.text:
        row["text_answers"] = view.text_count
        return row
    if view.suppressed:
        return row
    row["n"] = entry.n
    for name in LIKERT_STATS + ESTIMATE_STATS + RANKING_STATS + CHOICE_STATS:
        if name in entry.stats:
            row[name] = entry.stats[name]
    if item.type is ItemType.likert:
        row["consensus_status"] = entry.consensus_status
        row["stable"] = entry.stable
        if entry.stability is not None:
            for name in ("n_paired", "net_change", "cv_change", "wilcoxon_p"):
                row[name] = getattr(entry.stability, name)
        row["contested"] = entry.contested
        if entry.divergence is not None:
            for name, value in entry.divergence.to_json().items():
                if name in STATUS_COLUMNS:
                    row[name] = value
        balanced = entry.balanced or {}
        for name in ("balanced_median", "balanced_agreement", "balanced_disagreement"):
            row[name] = balanced.get(name)
        row["settled"] = entry.settled
        row["label"] = entry.label
        row["reason"] = entry.reason
    for stat, (low, high) in (entry.intervals or {}).items():
        row[f"{stat}_ci_low"], row[f"{stat}_ci_high"] = low, high
    return row


def _option_rows(view: ItemView, lang: str, default: str) -> list[dict[str, Any]]:
    item, entry = view.item, view.entry
    if view.suppressed or item.type not in (ItemType.ranking, ItemType.choice):
        return []
    labels = option_labels(item, lang, default)
    base = {"item_key": item.key, "item_type": item.type.value}
    rows = []
    if item.type is ItemType.ranking:
        for option in entry.options:
            figures = option.to_json()
            rows.append(
                {
                    **base,
                    "option": option.option,
                    "text": labels.get(option.option, option.option),
                    **{s: figures[s] for s in OPTION_STATS if s in figures},
                }
            )
    else:
        counts, shares = entry.counts or {}, entry.shares or {}
        for key in list(labels) or list(counts):
            if key not in counts and key not in shares:
                continue
            rows.append(
                {
                    **base,
                    "option": key,
                    "text": labels.get(key, key),
                    "count": counts.get(key),
                    "share": shares.get(key),
                }
            )
    return rows


def _group_rows(view: ItemView) -> list[dict[str, Any]]:
    if view.suppressed or view.item.type is not ItemType.likert:
        return []
    # suppressed cells, and cells without answers, are never written out
    return [
        {
            "item_key": view.item.key,
            "item_type": view.item.type.value,
            "group": cell.group,
            "n": cell.n,
            **{s: cell.stats.get(s) for s in GROUP_STATS if s != "n"},
        }
        for cell in view.entry.published_cells
    ]


def _rationale_rows(view: ItemView, rationales: Sequence[RationaleView]):
    return [
        {
            "item_key": view.item.key,
            "item_type": view.item.type.value,
            "group": r.group,
            "text": r.text,
        }
        for r in rationales
        if not r.hidden
    ]


def result_records(
    round_: Round,
    views: Sequence[ItemView],
    *,
    lang: str,
    secret: str | bytes,
) -> dict[str, list[dict[str, Any]]]:
    """Rows per kind: ``items``, ``options``, ``groups``, ``rationales`` (dicts by column)."""
    spec = round_.consultation.questionnaire.spec
    default = spec.get("default_language", "en")
    records: dict[str, list[dict[str, Any]]] = {
        "items": [],
        "options": [],
        "groups": [],
        "rationales": [],
    }
    for view in views:
        records["items"].append(_item_row(view, lang, default))
        records["options"].extend(_option_rows(view, lang, default))
        records["groups"].extend(_group_rows(view))
        if view.item.type is not ItemType.text:
            rationales = item_rationales(round_, view.item, secret=secret)
            records["rationales"].extend(_rationale_rows(view, rationales))
    return records


_RECORD_NAMES = {"items": "item", "options": "option", "groups": "group", "rationales": "rationale"}


def results_csv(records: dict[str, list[dict[str, Any]]]) -> bytes:
    """All records in one CSV table (UTF-8 with BOM), ``record`` naming each row's kind."""

    def rows() -> Iterable[list[Any]]:
        for kind in ("items", "options", "groups", "rationales"):
            for record in records[kind]:
                row = {**record, "record": _RECORD_NAMES[kind]}
                yield [_csv_value(row.get(column)) for column in CSV_COLUMNS]

    return csv_bytes(CSV_COLUMNS, rows())


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


SHEETS = (
    ("Items", "items", ITEM_COLUMNS),
    ("Options", "options", OPTION_COLUMNS),
    ("Groups", "groups", GROUP_COLUMNS),
    ("Rationales", "rationales", RATIONALE_COLUMNS),
)


def results_xlsx(
    records: dict[str, list[dict[str, Any]]], about: Sequence[tuple[str, Any]]
) -> bytes:
    """An XLSX workbook: an ``About`` sheet (``about`` pairs), then one sheet per kind.

    Written cell by cell with typed writers, never as formulas or URLs.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet(safe_cell("About"))
    for row, (name, value) in enumerate(about):
        _write(sheet, row, 0, name, bold)
        _write(sheet, row, 1, value)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 80)
    for title, kind, columns in SHEETS:
        sheet = workbook.add_worksheet(safe_cell(title))
        for col, name in enumerate(columns):
            _write(sheet, 0, col, name, bold)
        for row, record in enumerate(records[kind], start=1):
            for col, name in enumerate(columns):
                _write(sheet, row, col, record.get(name))
        sheet.freeze_panes(1, 0)
        if records[kind]:
            sheet.autofilter(0, 0, len(records[kind]), len(columns) - 1)
        sheet.set_column(0, len(columns) - 1, 14)
    workbook.close()
    return buffer.getvalue()


def _write(sheet, row: int, col: int, value: Any, fmt=None) -> None:
    value = safe_cell(value)
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            sheet.write_string(row, col, str(value), fmt)
        else:
            sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)
