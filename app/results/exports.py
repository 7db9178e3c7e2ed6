"""A closed round's frozen statistics as CSV and XLSX (SECURITY.md 2.5).

One record set feeds both formats: a row per item, a row per ranking/choice option, a row
per item x *published* stakeholder group, and a row per visible (not hidden) rationale.
Suppressed groups never appear; an item whose panel total is below the disclosure threshold
carries only its key, type, text and ``suppressed``. Every text cell, header and sheet name
is neutralised (:mod:`app.exports`); numbers stay numbers and keep the stored precision. The
CSV is for programs: codes as headers, figures as stored. The workbook is for people as
well: readable headers in the language of the request, figures shown rounded as on the page
(the cells keep the exact values), and the codes in its ``Columns`` sheet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from app.consultations.document import (
    CHOICE_STATS,
    ESTIMATE_STATS,
    GROUP_STATS,
    LIKERT_STATS,
    RANKING_STATS,
)
from app.consultations.models import ItemType, Round
from app.exports import XlsxBook, csv_bytes
from app.formatting import N_
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


@dataclass(frozen=True)
class Column:
    """How a column reads in the workbook: ``label`` in the header row and ``meaning`` in the
    ``Columns`` sheet (both message ids, translated when written), ``kind`` its display."""

    label: str
    meaning: str
    #: "code" (a machine value), "text", "flag" (true/false) or a key of NUMBER_FORMATS.
    kind: str


_LOW = N_("Lower end of the 95 percent bootstrap interval (METHOD.md 7)")
_HIGH = N_("Upper end of the 95 percent bootstrap interval (METHOD.md 7)")

#: Every column of the workbook by its code (the CSV header), in the order of METHOD.md.
COLUMNS: dict[str, Column] = {
    "item_key": Column(
        N_("Question key"), N_("Stable key of the question in the questionnaire"), "code"
    ),
    "item_type": Column(
        N_("Type"), N_("Kind of question: likert, estimate, ranking, choice or text"), "code"
    ),
    "text": Column(
        N_("Question"), N_("Wording of the question in the language of the download"), "text"
    ),
    "suppressed": Column(
        N_("Withheld"),
        N_(
            "True when the panel gave fewer answers than the disclosure threshold: no figure "
            "is shown"
        ),
        "flag",
    ),
    "n": Column(N_("Answers"), N_("Valid answers"), "count"),
    "n_missing": Column(
        N_("Missing"),
        N_("Submitted responses without a valid answer (blank or “cannot assess”)"),
        "count",
    ),
    "n_dk": Column(
        N_("Of which “cannot assess”"),
        N_("Missing answers that were “cannot assess”"),
        "count",
    ),
    "median": Column(N_("Median"), N_("Median of the valid answers"), "decimal"),
    "q1": Column(N_("First quartile (Q1)"), N_("25th percentile (Hyndman–Fan type 7)"), "decimal"),
    "q3": Column(N_("Third quartile (Q3)"), N_("75th percentile (Hyndman–Fan type 7)"), "decimal"),
    "iqr": Column(N_("Interquartile range"), N_("Q3 minus Q1"), "decimal"),
    "mean": Column(N_("Mean"), N_("Arithmetic mean of the valid answers"), "decimal"),
    "sd": Column(N_("Standard deviation"), N_("Sample standard deviation (n − 1)"), "decimal"),
    "cv": Column(
        N_("Coefficient of variation"), N_("Standard deviation divided by the mean"), "decimal"
    ),
    "agreement": Column(
        N_("Agreement"), N_("Share of the valid answers in the agreement band"), "share"
    ),
    "disagreement": Column(
        N_("Disagreement"), N_("Share of the valid answers in the disagreement band"), "share"
    ),
    "middle": Column(
        N_("Middle"),
        N_(
            "Share of the valid answers between the disagreement and the agreement band (3 on a "
            "5-point scale); empty where the scale has no middle"
        ),
        "share",
    ),
    "top1": Column(
        N_("Top category"), N_("Share of the valid answers on the highest scale point"), "share"
    ),
    "rwg": Column(
        N_("Agreement index r_wg"),
        N_("1 minus the observed variance over the variance of random answers, 0 to 1"),
        "decimal",
    ),
    "ad_md": Column(
        N_("Average deviation from the median (AD_Md)"),
        N_("Mean absolute distance of the answers from the median, in scale points"),
        "decimal",
    ),
    "low_median": Column(
        N_("Median of the lowest values"),
        N_("Median of the low ends of the ranges given"),
        "decimal",
    ),
    "high_median": Column(
        N_("Median of the highest values"),
        N_("Median of the high ends of the ranges given"),
        "decimal",
    ),
    "confidence_median": Column(
        N_("Median confidence (0–100)"), N_("Median of the confidence given, 0 to 100"), "points"
    ),
    "n_with_range": Column(
        N_("Answers with a range"), N_("Valid answers that gave a low and a high value"), "count"
    ),
    "w": Column(
        N_("Kendall's W"),
        N_("Agreement on the order of the options, 0 (none) to 1 (complete)"),
        "decimal",
    ),
    "chi2": Column(N_("Chi-squared"), N_("Test statistic of Kendall's W"), "decimal"),
    "df": Column(N_("Degrees of freedom"), N_("Number of options minus 1"), "count"),
    "p": Column(N_("p (Kendall's W)"), N_("p-value of the test of Kendall's W"), "p"),
    "top_share": Column(
        N_("Share of the most chosen option"),
        N_("Share of the panellists who chose the most chosen option"),
        "share",
    ),
    "modal": Column(
        N_("Most chosen option"), N_("Key of the first option chosen most often"), "code"
    ),
    "consensus_status": Column(
        N_("Consensus"),
        N_(
            "Consensus rule: in, out, mid (agreement on a middle position), none, insufficient "
            "(too few answers) or conflict"
        ),
        "code",
    ),
    "stable": Column(
        N_("Stable"),
        N_("True when answers hardly moved since the previous round; empty when not assessable"),
        "flag",
    ),
    "n_paired": Column(
        N_("Paired answers"), N_("Panellists who answered in this and the previous round"), "count"
    ),
    "net_change": Column(
        N_("Net change"),
        N_(
            "Half the summed differences of the paired answers' counts per scale point, as a share "
            "from 0 to 1"
        ),
        "share",
    ),
    "cv_change": Column(
        N_("Change of the coefficient of variation"),
        N_("Relative change of the coefficient of variation since the previous round"),
        "decimal",
    ),
    "wilcoxon_p": Column(
        N_("Wilcoxon p"), N_("p-value of the Wilcoxon signed-rank test on the paired answers"), "p"
    ),
    "contested": Column(
        N_("Contested"),
        N_("True when the stakeholder groups differ (Kruskal–Wallis or the medians)"),
        "flag",
    ),
    "kw_h": Column(
        N_("Kruskal–Wallis H"), N_("Test statistic comparing the stakeholder groups"), "decimal"
    ),
    "kw_p": Column(N_("Kruskal–Wallis p"), N_("p-value of the Kruskal–Wallis test"), "p"),
    "max_median_diff": Column(
        N_("Largest difference of group medians"),
        N_("Highest minus lowest median of the groups large enough to compare"),
        "decimal",
    ),
    "median_max_group": Column(
        N_("Group with the highest median"), N_("Stakeholder group (code)"), "code"
    ),
    "median_min_group": Column(
        N_("Group with the lowest median"), N_("Stakeholder group (code)"), "code"
    ),
    "balanced_median": Column(
        N_("Balanced median"),
        N_("Median with each stakeholder group weighted equally (METHOD.md 6)"),
        "decimal",
    ),
    "balanced_agreement": Column(
        N_("Balanced agreement"),
        N_("Agreement with each stakeholder group weighted equally (METHOD.md 6)"),
        "share",
    ),
    "balanced_disagreement": Column(
        N_("Balanced disagreement"),
        N_("Disagreement with each stakeholder group weighted equally (METHOD.md 6)"),
        "share",
    ),
    "median_ci_low": Column(N_("Median: interval from"), _LOW, "decimal"),
    "median_ci_high": Column(N_("Median: interval to"), _HIGH, "decimal"),
    "agreement_ci_low": Column(N_("Agreement: interval from"), _LOW, "share"),
    "agreement_ci_high": Column(N_("Agreement: interval to"), _HIGH, "share"),
    "disagreement_ci_low": Column(N_("Disagreement: interval from"), _LOW, "share"),
    "disagreement_ci_high": Column(N_("Disagreement: interval to"), _HIGH, "share"),
    "settled": Column(
        N_("Settled"),
        N_(
            "True when the panel reached consensus (in, out or on a middle position) or its "
            "answers are stable (METHOD.md 4)"
        ),
        "flag",
    ),
    "label": Column(
        N_("Stopping rule"),
        N_(
            "Outcome: consensus-in, consensus-out, consensus-middle (agreement on a middle "
            "position), dissent (stable without consensus of any kind) or unresolved"
        ),
        "code",
    ),
    "reason": Column(N_("Reason for the outcome"), N_("Why the stopping rule decided so"), "text"),
    "text_answers": Column(N_("Written answers"), N_("Answers to the open question"), "count"),
    "option": Column(N_("Option key"), N_("Stable key of the option"), "code"),
    "group": Column(N_("Stakeholder group"), N_("Stakeholder group (code)"), "code"),
    "count": Column(
        N_("Panellists"), N_("Panellists who chose the option (choice questions)"), "count"
    ),
    "share": Column(N_("Share"), N_("Share of the panellists who chose the option"), "share"),
    "rank_sum": Column(N_("Rank sum"), N_("Sum of the positions given (1 = best)"), "points"),
    "mean_rank": Column(N_("Mean rank"), N_("Mean position given (1 = best)"), "decimal"),
    "borda": Column(
        N_("Borda points"),
        N_("Points by position: first place gets one less than the number of options"),
        "points",
    ),
    "share_first": Column(
        N_("Ranked first"), N_("Share of the panellists who ranked the option first"), "share"
    ),
}
#: Columns that read differently on one sheet.
SHEET_COLUMNS: dict[tuple[str, str], Column] = {
    ("options", "text"): Column(
        N_("Option"), N_("Wording of the option in the language of the download"), "text"
    ),
    ("rationales", "text"): Column(
        N_("Reason"),
        N_("A reason a panellist gave, without name (hidden reasons are left out)"),
        "text",
    ),
}
#: Lines of the About sheet by code, in this order; the view gives the values.
ABOUT: dict[str, str] = {
    "consultation": N_("Consultation"),
    "round": N_("Round"),
    "status": N_("Status"),
    "closed_at": N_("Closed at (UTC)"),
    "submitted_responses": N_("Submitted responses"),
    "plan_sha256": N_("Analysis plan (SHA-256)"),
    "quantile_method": N_("Quantile method"),
    "min_group_n": N_("Smallest group shown"),
    "stopping_decision": N_("Advice of the stopping rule"),
    "stopping_reason": N_("Reason for the advice"),
    "note": N_("Note"),
}
NOTE = N_(
    "Groups with fewer answers than the smallest group shown, and groups withheld so that a "
    "small group cannot be worked out, are left out. Cells show figures rounded; they hold "
    "the unrounded values. The sheet Columns gives each column's code, as in the CSV file, "
    "and its meaning."
)
COLUMNS_HEADER = (N_("Sheet"), N_("Column"), N_("Code"), N_("Label"), N_("Meaning"))

SHEETS = (
    ("Items", "items", ITEM_COLUMNS),
    ("Options", "options", OPTION_COLUMNS),
    ("Groups", "groups", GROUP_COLUMNS),
    ("Rationales", "rationales", RATIONALE_COLUMNS),
)
#: Width of a column (characters) by kind; texts get more room.
_WIDTHS = {"text": 60, "code": 18}
_NUMBER_WIDTH = 12


def column(kind: str, code: str) -> Column:
    """How column ``code`` of the sheet of ``kind`` records reads."""
    return SHEET_COLUMNS.get((kind, code)) or COLUMNS[code]


def _identity(message: str) -> str:
    return message


def results_xlsx(
    records: dict[str, list[dict[str, Any]]],
    about: Sequence[tuple[str, Any]],
    *,
    translate: Callable[[str], str] = _identity,
) -> bytes:
    """An XLSX workbook: ``About`` (``about`` pairs of a code of :data:`ABOUT` and a value),
    one sheet per kind of record, then ``Columns``.

    Each record sheet has one header row of readable labels (``translate`` gives them in the
    language of the request) over one row per record, so that it filters and sorts as it is.
    ``Columns`` lists, per sheet and column letter, the code (the CSV header, stable across
    languages), the label and what the column means: a program re-reading the workbook
    renames the columns by position from it. Sheet names stay the same in every language.
    Numbers are number cells with display formats (:data:`app.exports.NUMBER_FORMATS`).
    """
    book = XlsxBook()
    header = {"bold": True, "text_wrap": True, "valign": "top", "bottom": 1}
    sheet = book.sheet("About")
    values = dict(about)
    line = 0
    values["note"] = translate(NOTE)
    for code, label in ABOUT.items():
        if code not in values:
            continue
        value = values[code]
        book.write(sheet, line, 0, translate(label), bold=True, valign="top")
        book.write(sheet, line, 1, value, "count", text_wrap=True, align="left", valign="top")
        book.write(sheet, line, 2, code, font_color="#595959", valign="top")
        line += 1
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 1, 80)
    sheet.set_column(2, 2, 22)

    listing: list[tuple[str, str, str, Column]] = []
    for title, kind, codes in SHEETS:
        sheet = book.sheet(title)
        lines = 1
        for col, code in enumerate(codes):
            spec = column(kind, code)
            width = _WIDTHS.get(spec.kind, _NUMBER_WIDTH)
            label = translate(spec.label)
            book.write(sheet, 0, col, label, **header)
            sheet.set_column(col, col, width)
            lines = max(lines, math.ceil(len(label) / (width - 1)))
            listing.append((title, xl_col_to_name(col), code, spec))
        sheet.set_row(0, 15 * min(lines, 4))
        for row, record in enumerate(records[kind], start=1):
            for col, code in enumerate(codes):
                spec = column(kind, code)
                style = {"text_wrap": True, "valign": "top"} if spec.kind == "text" else {}
                book.write(sheet, row, col, record.get(code), spec.kind, **style)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(records[kind]), 1), len(codes) - 1)

    sheet = book.sheet("Columns")
    for col, name in enumerate(COLUMNS_HEADER):
        book.write(sheet, 0, col, translate(name), **header)
    for row, (title, letter, code, spec) in enumerate(listing, start=1):
        book.write(sheet, row, 0, title)
        book.write(sheet, row, 1, letter)
        book.write(sheet, row, 2, code)
        book.write(sheet, row, 3, translate(spec.label))
        book.write(sheet, row, 4, translate(spec.meaning), text_wrap=True, valign="top")
    for col, width in enumerate((14, 8, 22, 40, 80)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(listing), len(COLUMNS_HEADER) - 1)
    return book.bytes()
