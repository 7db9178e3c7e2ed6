"""A brief's content as data tables (pure): the one place its figures become rows.

Each table is a :class:`~app.briefs.tables.DataTable`; the page, the PDF, the CSV files, the
workbook and the data package all show these same rows. Codes and their labels are separate
columns (``group`` and ``group_label``); numbers are the stored, unrounded values; status
flags are codes (``provisional;forecast``) beside their words. Labels are in the language
rendered (``translate`` is its gettext); texts of the content written in another language
keep that language (:class:`~app.briefs.tables.Text`), so that the page can mark it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from app import formatting
from app.briefs import words
from app.briefs.content import (
    BriefContent,
    ContestedPoint,
    DataSource,
    Fact,
    OccupationList,
    Source,
)
from app.briefs.tables import Column, DataTable, Text
from app.consultations.document import GroupCell
from app.formatting import N_
from app.text import sentences

Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


def pick_text(texts: Mapping[str, str] | str | None, lang: str, default: str) -> Text:
    """A text of the content in ``lang``, else ``default``, else the first given, with the
    language it is written in."""
    if texts is None:
        return Text("", None)
    if isinstance(texts, str):
        return Text(texts, None)
    for wanted in (lang, default):
        if wanted and texts.get(wanted):
            return Text(str(texts[wanted]), wanted)
    for code, text in texts.items():
        if text:
            return Text(str(text), str(code))
    return Text("", None)


def flag_codes(flags: Iterable[object]) -> str:
    return ";".join(str(getattr(f, "value", f)) for f in flags)


def _word(mapping: Mapping[str, str], code: object, translate: Translate) -> str | None:
    if code is None:
        return None
    key = str(getattr(code, "value", code))
    message = mapping.get(key)
    return translate(message) if message else key


def flag_words(flags: Iterable[object], translate: Translate) -> str:
    return ", ".join(_word(words.FLAG_WORDS, f, translate) or "" for f in flags)


SIGNED_FACTS = frozenset({"employment_change", "employment_change_pct", "panel_employment_change"})


def fact_value_text(fact: Fact, lang: str, translate: Translate = _same) -> str:
    """A key fact's value as people read it in ``lang``: "1,273.2 thousand jobs", "+6.1%",
    "95%" for a share, the rating's word for a rating; "–" without a value."""
    key = fact.key.value
    if key in ("current_conditions", "future_outlook"):
        return _word(words.RATING_WORDS, fact.category, translate) or formatting.MISSING
    if fact.value is None:
        return formatting.MISSING
    if fact.is_share:
        return formatting.percent(fact.value, locale=lang)
    sign = "+" if key in SIGNED_FACTS and fact.value > 0 else ""
    if fact.unit == "%":
        return sign + formatting.percent(fact.value / 100, 1, locale=lang)
    text = sign + formatting.number(fact.value, 2, trim=True, locale=lang)
    unit, _known = words.unit_words(fact.unit, translate)
    return f"{text} {unit}" if unit else text


def _source_cells(source: Source | None) -> tuple[str | None, str | None, str | None]:
    if source is None:
        return (None, None, None)
    return (source.publisher, source.title, source.vintage)


# --- columns used in several tables ----------------------------------------------------------

SOURCE_COLUMNS = (
    Column("source_publisher", "string", N_("Source: publisher")),
    Column("source_title", "string", N_("Source: title")),
    Column("source_vintage", "string", N_("Source: vintage"), N_("Edition of the data")),
)
FLAG_COLUMNS = (
    Column(
        "flags",
        "string",
        N_("Status flags (codes)"),
        N_(
            "Codes separated by ';': provisional, revised, estimated, forecast, "
            "low_reliability, break_in_series"
        ),
        page=False,
    ),
    Column("flags_label", "string", N_("Status flags")),
)
GROUP_COLUMNS = (
    Column(
        "group",
        "string",
        N_("Stakeholder group (code)"),
        enum=tuple(words.GROUP_WORDS),
        page=False,
    ),
    Column("group_label", "string", N_("Stakeholder group")),
    Column(
        "cell",
        "string",
        N_("Cell (code)"),
        N_(
            "published, suppressed (withheld: too few answers, or so that a smaller group "
            "cannot be worked out) or no answers"
        ),
        enum=("published", "suppressed", "no answers"),
        page=False,
    ),
    Column("cell_label", "string", N_("Shown")),
    Column("n", "integer", N_("Answers"), kind="count"),
    Column("median", "number", N_("Median"), kind="decimal"),
    Column("q1", "number", N_("First quartile"), kind="decimal", page=False),
    Column("q3", "number", N_("Third quartile"), kind="decimal", page=False),
    Column("iqr", "number", N_("Interquartile range"), kind="decimal"),
    Column(
        "agreement",
        "number",
        N_("Agreement"),
        N_("Share of answers in the agree band"),
        kind="share",
    ),
)
CELL_WORDS = {
    "published": N_("shown"),
    "suppressed": N_("withheld"),
    "no answers": N_("no answers"),
}


def _group_row(cell: GroupCell, translate: Translate) -> tuple:
    status = cell.status.value
    head = (
        cell.group,
        _word(words.GROUP_WORDS, cell.group, translate),
        status,
        translate(CELL_WORDS.get(status, status)),
    )
    if not cell.published:
        return (*head, 0 if cell.no_answers else None, None, None, None, None, None)
    return (*head, cell.n, cell.median, cell.q1, cell.q3, cell.iqr, cell.agreement)


def without_answers_note(
    items: Iterable[tuple[Text, Iterable[GroupCell]]], translate: Translate
) -> dict[str, str] | None:
    """The note of a table of group positions that leaves out the groups that gave no
    answers (``items``: each item's text and group cells): which groups, once, and on which
    questions unless on all; None when every group answered."""
    items = [(text, tuple(cells)) for text, cells in items]
    missing: dict[str, list[str]] = {}
    for text, cells in items:
        for cell in cells:
            if cell.no_answers:
                missing.setdefault(cell.group, []).append(text.text)
    if not missing:
        return None
    parts = []
    for group, texts in missing.items():
        name = _word(words.GROUP_WORDS, group, translate) or group
        if len(texts) == len(items):
            parts.append(name)
        else:
            parts.append(
                translate(N_("%(group)s (on %(items)s)"))
                % {"group": name, "items": "; ".join(texts)}
            )
    return {"groups": "; ".join(parts)}


#: The note of a table of group positions without the groups that gave no answers.
WITHOUT_ANSWERS_NOTE = N_("No answers were given by: %(groups)s. These groups have no rows.")


@dataclass(frozen=True)
class BriefTables:
    """Every table of one brief, by name, in the order of the brief."""

    tables: tuple[DataTable, ...]

    def __getitem__(self, name: str) -> DataTable:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def get(self, name: str) -> DataTable | None:
        try:
            return self[name]
        except KeyError:
            return None

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def _key_facts(content: BriefContent, lang: str, translate: Translate) -> DataTable:
    columns = (
        Column("fact", "string", N_("Fact (code)"), page=False),
        Column("fact_label", "string", N_("Fact")),
        Column("value_label", "string", N_("Value"), N_("The value as the brief reads it")),
        Column(
            "value",
            "number",
            N_("Value (number)"),
            N_("Shares are fractions 0..1"),
            kind="points",
            page=False,
        ),
        Column("unit", "string", N_("Unit"), page=False),
        Column("year", "integer", N_("Year"), kind="year"),
        Column("base_year", "integer", N_("Base year"), kind="year"),
        Column("category", "string", N_("Rating (code)"), page=False),
        Column("category_label", "string", N_("Rating"), page=False),
        *FLAG_COLUMNS,
        *SOURCE_COLUMNS,
        Column("reliability_n", "integer", N_("Panel: answers"), kind="count", page=False),
        Column("response_rate", "number", N_("Panel: response rate"), kind="share", page=False),
        Column("interval_low", "number", N_("Interval: low"), kind="decimal", page=False),
        Column("interval_high", "number", N_("Interval: high"), kind="decimal", page=False),
        Column("caveats", "string", N_("Caveats"), page=False),
        Column("reason", "string", N_("Why no value is given"), page=False),
    )
    rows = []
    for fact in content.facts():
        rel = fact.reliability
        interval = rel.interval if rel and rel.interval else (None, None)
        rows.append(
            (
                fact.key.value,
                translate(words.FACT_WORDS[fact.key.value]),
                fact_value_text(fact, lang, translate),
                fact.value,
                fact.unit,
                fact.year,
                fact.base_year,
                fact.category,
                _word(words.RATING_WORDS, fact.category, translate),
                flag_codes(fact.flags),
                flag_words(fact.flags, translate),
                *_source_cells(fact.source),
                rel.n if rel else None,
                rel.response_rate if rel else None,
                interval[0],
                interval[1],
                sentences(rel.caveats) if rel else None,
                fact.reason.text(translate) if fact.reason else None,
            )
        )
    return DataTable("key_facts", N_("Key facts"), columns, tuple(rows), key=("fact",))


def _ratings(content: BriefContent, translate: Translate) -> DataTable:
    columns = (
        Column("rating", "string", N_("Rating (code)"), page=False),
        Column("rating_label", "string", N_("Rating")),
        Column("shown", "string", N_("Shown (code)"), page=False),
        Column("shown_label", "string", N_("Shown")),
        Column("rule_category", "string", N_("By the rule (code)"), page=False),
        Column("rule_category_label", "string", N_("By the rule")),
        Column("override_reason", "string", N_("Reason for the secretariat's rating")),
        Column("rule_version", "string", N_("Rule version")),
        Column("primary_indicator", "string", N_("Primary indicator")),
        Column("panel_category", "string", N_("Panel's view (code)"), page=False),
        Column("panel_category_label", "string", N_("Panel's view")),
        Column("disagrees", "boolean", N_("Panel and rule differ")),
        Column("reason", "string", N_("Why undetermined"), page=False),
    )
    rows = []
    for rating in (content.ratings.current_conditions, content.ratings.future_outlook):
        panel = rating.panel_view
        rows.append(
            (
                rating.kind.value,
                translate(words.RATING_KIND_WORDS[rating.kind.value]),
                rating.shown.value,
                _word(words.RATING_WORDS, rating.shown, translate),
                rating.category.value,
                _word(words.RATING_WORDS, rating.category, translate),
                rating.override.reason if rating.override else None,
                rating.rule_version,
                rating.primary_indicator,
                panel.category.value if panel else None,
                _word(words.RATING_WORDS, panel.category, translate) if panel else None,
                rating.disagrees,
                rating.reason.text(translate) if rating.reason else None,
            )
        )
    return DataTable("ratings", N_("Ratings"), columns, tuple(rows), key=("rating",))


def _trend(content: BriefContent, translate: Translate) -> DataTable:
    columns = (
        Column("series", "string", N_("Series (code)"), page=False),
        Column("series_label", "string", N_("Series")),
        Column("kind", "string", N_("Kind of data (code)"), page=False),
        Column("kind_label", "string", N_("Kind of data")),
        Column("indicator", "string", N_("Indicator"), page=False),
        Column("code", "string", N_("Code"), page=False),
        Column("year", "integer", N_("Year"), kind="year"),
        Column("value", "number", N_("Value"), kind="points"),
        Column("unit", "string", N_("Unit")),
        *FLAG_COLUMNS,
        *SOURCE_COLUMNS,
    )
    rows = []
    for series in content.trend.series:
        for point in series.points:
            rows.append(
                (
                    series.name,
                    series.label,
                    series.kind,
                    _word(words.KIND_WORDS, series.kind, translate),
                    series.indicator,
                    series.code,
                    point.year,
                    point.value,
                    series.unit,
                    flag_codes(point.flags),
                    flag_words(point.flags, translate),
                    *_source_cells(series.source),
                )
            )
    return DataTable(
        "employment_trend",
        N_("Employment: history and projection"),
        columns,
        tuple(rows),
        key=("series", "year"),
        note=content.trend.reason.message if content.trend.reason else None,
        note_params=content.trend.reason.params if content.trend.reason else {},
    )


def _openings(content: BriefContent, translate: Translate) -> DataTable:
    section = content.openings
    columns = (
        Column(
            "component",
            "string",
            N_("Component (code)"),
            page=False,
            enum=("total", "expansion", "replacement"),
        ),
        Column("component_label", "string", N_("Component")),
        Column("value", "number", N_("Openings"), kind="points"),
        Column("share", "number", N_("Share of all openings"), kind="share"),
        Column("unit", "string", N_("Unit")),
        Column("annual_average", "boolean", N_("Annual average"), page=False),
        Column("base_year", "integer", N_("Base year"), kind="year", page=False),
        Column("horizon_year", "integer", N_("Horizon year"), kind="year", page=False),
        *FLAG_COLUMNS,
        *SOURCE_COLUMNS,
    )
    rows = []
    if section.reason is None:
        parts = (
            ("total", N_("All openings"), section.total, 1.0 if section.total else None),
            (
                "expansion",
                N_("From growth (expansion demand)"),
                section.expansion,
                section.expansion_share,
            ),
            (
                "replacement",
                N_("From replacing people who leave (replacement demand)"),
                section.replacement,
                section.replacement_share,
            ),
        )
        for code, label, value, share in parts:
            rows.append(
                (
                    code,
                    translate(label),
                    value,
                    share,
                    section.unit,
                    section.annual_average,
                    section.base_year,
                    section.horizon_year,
                    flag_codes(section.flags),
                    flag_words(section.flags, translate),
                    *_source_cells(section.source),
                )
            )
    return DataTable(
        "openings",
        N_("Job openings by source of demand"),
        columns,
        tuple(rows),
        key=("component",),
        note=section.reason.message if section.reason else None,
        note_params=section.reason.params if section.reason else {},
    )


OCCUPATION_LISTS = (
    ("largest", "occupations_largest", N_("Largest occupations")),
    ("fastest_growing", "occupations_growing", N_("Fastest-growing occupations")),
    ("declining", "occupations_declining", N_("Declining occupations")),
)


def _occupations(content: BriefContent, translate: Translate) -> list[DataTable]:
    section = content.occupations
    columns = (
        Column("rank", "integer", N_("Rank"), kind="count"),
        Column("classification", "string", N_("Classification"), page=False),
        Column("code", "string", N_("Code")),
        Column("label", "string", N_("Occupation")),
        Column("base", "number", N_("Employment, base year"), kind="points"),
        Column("projected", "number", N_("Employment, horizon year"), kind="points"),
        Column("change", "number", N_("Change"), kind="points"),
        Column("change_pct", "number", N_("Change (%)"), kind="points"),
        Column("openings", "number", N_("Openings"), kind="points"),
        Column("unit", "string", N_("Unit"), page=False),
        Column("base_year", "integer", N_("Base year"), kind="year", page=False),
        Column("horizon_year", "integer", N_("Horizon year"), kind="year", page=False),
        *FLAG_COLUMNS,
    )
    tables = []
    for attr, name, caption in OCCUPATION_LISTS:
        found: OccupationList = getattr(section, attr)
        reason = found.reason or section.reason
        rows = tuple(
            (
                rank,
                section.classification,
                row.code,
                row.label,
                row.base,
                row.projected,
                row.change,
                row.change_pct,
                row.openings,
                section.unit,
                section.base_year,
                section.horizon_year,
                flag_codes(row.flags),
                flag_words(row.flags, translate),
            )
            for rank, row in enumerate(found.rows, start=1)
        )
        tables.append(
            DataTable(
                name,
                caption,
                columns,
                rows,
                key=("rank",),
                note=reason.message if reason else None,
                note_params=reason.params if reason else {},
            )
        )
    return tables


def _skill_needs(content: BriefContent, lang: str, default: str, translate: Translate):
    section = content.skill_needs
    columns = (
        Column("rank", "integer", N_("Rank"), kind="count"),
        Column("item_key", "string", N_("Item (code)"), page=False),
        Column("text", "string", N_("Skill need")),
        Column("round", "integer", N_("Round"), kind="count", page=False),
        Column("n", "integer", N_("Answers"), kind="count"),
        Column("median", "number", N_("Median"), kind="decimal"),
        Column("q1", "number", N_("First quartile"), kind="decimal", page=False),
        Column("q3", "number", N_("Third quartile"), kind="decimal", page=False),
        Column("iqr", "number", N_("Interquartile range"), kind="decimal"),
        Column(
            "agreement",
            "number",
            N_("Agreement"),
            N_("Share of answers in the agree band"),
            kind="share",
        ),
        Column("consensus_status", "string", N_("Consensus (code)"), page=False),
        Column("consensus_label", "string", N_("Consensus")),
        Column("stable", "boolean", N_("Stable")),
        Column("outcome", "string", N_("Outcome (code)"), page=False),
        Column("outcome_label", "string", N_("Outcome")),
        Column("median_ci_low", "number", N_("Median interval: low"), kind="decimal", page=False),
        Column("median_ci_high", "number", N_("Median interval: high"), kind="decimal", page=False),
        Column("balanced_median", "number", N_("Balanced median"), kind="decimal", page=False),
        Column("balanced_agreement", "number", N_("Balanced agreement"), kind="share", page=False),
        Column("contested", "boolean", N_("Contested between groups")),
    )
    rows = []
    groups = []
    history = []
    for item in section.items:
        interval = item.median_interval or (None, None)
        rows.append(
            (
                item.rank,
                item.key,
                pick_text(item.text, lang, default),
                item.round,
                item.n,
                item.median,
                item.q1,
                item.q3,
                item.iqr,
                item.agreement,
                item.consensus_status,
                _word(words.CONSENSUS_SHORT, item.consensus_status, translate),
                item.stable,
                item.label,
                _word(words.LABEL_WORDS, item.label, translate),
                interval[0],
                interval[1],
                item.balanced_median,
                item.balanced_agreement,
                item.contested,
            )
        )
        for cell in item.groups:
            if cell.no_answers:  # named once in the table's note, not a row of zeros
                continue
            groups.append(
                (item.key, pick_text(item.text, lang, default), *_group_row(cell, translate))
            )
        for figure in item.history:
            history.append(
                (
                    item.key,
                    pick_text(item.text, lang, default),
                    figure.round,
                    figure.suppressed,
                    None if figure.suppressed else figure.n,
                    None if figure.suppressed else figure.median,
                    None if figure.suppressed else figure.q1,
                    None if figure.suppressed else figure.q3,
                    None if figure.suppressed else figure.agreement,
                    figure.consensus_status,
                    _word(words.CONSENSUS_SHORT, figure.consensus_status, translate),
                )
            )
    reason = section.reason
    needs = DataTable(
        "skill_needs",
        N_("Skill needs ranked by the panel"),
        columns,
        tuple(rows),
        key=("item_key",),
        note=reason.message if reason else None,
        note_params=reason.params if reason else {},
    )
    item_columns = (
        Column("item_key", "string", N_("Item (code)"), page=False),
        Column("text", "string", N_("Skill need")),
    )
    without = without_answers_note(
        ((pick_text(item.text, lang, default), item.groups) for item in section.items),
        translate,
    )
    by_group = DataTable(
        "skill_needs_groups",
        N_("Skill needs by stakeholder group"),
        (*item_columns, *GROUP_COLUMNS),
        tuple(groups),
        key=("item_key", "group"),
        note=WITHOUT_ANSWERS_NOTE if without else None,
        note_params=without or {},
    )
    rounds = DataTable(
        "skill_needs_rounds",
        N_("Skill needs: ratings across rounds"),
        (
            *item_columns,
            Column("round", "integer", N_("Round"), kind="count"),
            Column("suppressed", "boolean", N_("Withheld (too few answers)"), page=False),
            Column("n", "integer", N_("Answers"), kind="count"),
            Column("median", "number", N_("Median"), kind="decimal"),
            Column("q1", "number", N_("First quartile"), kind="decimal"),
            Column("q3", "number", N_("Third quartile"), kind="decimal"),
            Column("agreement", "number", N_("Agreement"), kind="share"),
            Column("consensus_status", "string", N_("Consensus (code)"), page=False),
            Column("consensus_label", "string", N_("Consensus")),
        ),
        tuple(history),
        key=("item_key", "round"),
    )
    return needs, by_group, rounds


def contested_rows(point: ContestedPoint, lang: str, default: str, translate: Translate):
    text = pick_text(point.text, lang, default)
    return [
        (point.key, text, point.round, *_group_row(cell, translate), point.kw_h, point.kw_p)
        for cell in point.groups
        if not cell.no_answers  # named in the table's note, not a row of zeros
    ]


def _contested(content: BriefContent, lang: str, default: str, translate: Translate):
    columns = (
        Column("item_key", "string", N_("Item (code)"), page=False),
        Column("text", "string", N_("Item"), page=False),
        Column("round", "integer", N_("Round"), kind="count", page=False),
        *GROUP_COLUMNS,
        Column("kw_h", "number", N_("Kruskal-Wallis H"), kind="decimal", page=False),
        Column("kw_p", "number", N_("p-value"), kind="p", page=False),
    )
    rows = []
    for point in content.contested.points:
        rows.extend(contested_rows(point, lang, default, translate))
    reason = content.contested.reason
    without = without_answers_note(
        ((pick_text(p.text, lang, default), p.groups) for p in content.contested.points),
        translate,
    )
    note, params = (reason.message, reason.params) if reason else (None, {})
    if note is None and without:
        note, params = WITHOUT_ANSWERS_NOTE, without
    return DataTable(
        "contested",
        N_("Positions of the stakeholder groups on contested points"),
        columns,
        tuple(rows),
        key=("item_key", "group"),
        note=note,
        note_params=params,
    )


def _emerging(content: BriefContent, lang: str, default: str, translate: Translate):
    columns = (
        Column("theme", "string", N_("Emerging skill")),
        Column("item_key", "string", N_("Rated as item (code)"), page=False),
        Column("esco_uri", "string", N_("ESCO skill (address)")),
        Column("esco_label", "string", N_("ESCO skill")),
        Column("median", "number", N_("Median"), kind="decimal"),
        Column("consensus_status", "string", N_("Consensus (code)"), page=False),
        Column("consensus_label", "string", N_("Consensus")),
    )
    rows = []
    quotes = []
    for skill in content.emerging_skills.skills:
        label = pick_text(skill.label, lang, default)
        tail = (
            skill.median,
            skill.consensus_status,
            _word(words.CONSENSUS_SHORT, skill.consensus_status, translate),
        )
        for link in skill.esco or (None,):
            rows.append(
                (
                    label,
                    skill.item_key,
                    link.uri if link else None,
                    Text(*link.label_in(lang, default)) if link and link.has_label else None,
                    *tail,
                )
            )
        for quote in skill.quotes:
            quotes.append((label, skill.item_key, quote))
    reason = content.emerging_skills.reason
    themes = DataTable(
        "emerging_skills",
        N_("Emerging skills and their ESCO skills"),
        columns,
        tuple(rows),
        note=reason.message if reason else None,
        note_params=reason.params if reason else {},
    )
    quoted = DataTable(
        "emerging_skills_quotes",
        N_("Emerging skills: quotes from the panel (anonymous, moderated)"),
        (
            Column("theme", "string", N_("Emerging skill")),
            Column("item_key", "string", N_("Rated as item (code)"), page=False),
            Column("quote", "string", N_("Quote")),
        ),
        tuple(quotes),
    )
    return themes, quoted


def _triangulation(content: BriefContent, lang: str, default: str, translate: Translate):
    columns = (
        Column("item_key", "string", N_("Item (code)"), page=False),
        Column("text", "string", N_("Estimate")),
        Column("unit", "string", N_("Unit")),
        Column("indicator", "string", N_("Indicator"), page=False),
        Column("year", "integer", N_("Year"), kind="year"),
        Column("round", "integer", N_("Round"), kind="count", page=False),
        Column("sector_code", "string", N_("Sector code"), page=False),
        Column("geography", "string", N_("Geography"), page=False),
        Column("forecast", "number", N_("Forecast"), kind="points"),
        Column("n", "integer", N_("Answers"), kind="count"),
        Column("median", "number", N_("Panel median"), kind="decimal"),
        Column("q1", "number", N_("First quartile"), kind="decimal"),
        Column("q3", "number", N_("Third quartile"), kind="decimal"),
        Column("iqr", "number", N_("Interquartile range"), kind="decimal", page=False),
        Column("outside_iqr", "boolean", N_("Forecast outside the panel's middle half")),
        Column("gap", "number", N_("Gap (forecast minus median)"), kind="decimal"),
        Column(
            "distance_to_iqr",
            "number",
            N_("Distance to the middle half"),
            kind="decimal",
            page=False,
        ),
        Column("n_with_range", "integer", N_("Answers with a range"), kind="count", page=False),
        Column(
            "range_coverage",
            "number",
            N_("Ranges that include the forecast"),
            kind="share",
            page=False,
        ),
        Column("median_ci_low", "number", N_("Median interval: low"), kind="decimal", page=False),
        Column("median_ci_high", "number", N_("Median interval: high"), kind="decimal", page=False),
        Column("balanced_median", "number", N_("Balanced median"), kind="decimal", page=False),
        Column("shown_to_panel", "boolean", N_("Forecast shown to the panel"), page=False),
        *SOURCE_COLUMNS[:1],
        Column("reason", "string", N_("Why not compared"), page=False),
    )
    rows = []
    for row in content.triangulation.rows:
        interval = row.median_interval or (None, None)
        rows.append(
            (
                row.key,
                pick_text(row.text, lang, default),
                row.unit,
                row.indicator,
                row.year,
                row.round,
                row.sector_code,
                row.geography,
                row.forecast,
                row.n,
                row.median,
                row.q1,
                row.q3,
                row.iqr,
                row.forecast_outside_panel_iqr,
                row.gap,
                row.distance_to_iqr,
                row.n_with_range,
                row.range_coverage,
                interval[0],
                interval[1],
                row.balanced_median,
                row.shown_to_panel,
                row.source.publisher if row.source else None,
                row.reason.text(translate) if row.reason else None,
            )
        )
    reason = content.triangulation.reason
    return DataTable(
        "triangulation",
        N_("Panel estimates beside the forecast"),
        columns,
        tuple(rows),
        key=("item_key",),
        note=reason.message if reason else None,
        note_params=reason.params if reason else {},
    )


def _panel(content: BriefContent, translate: Translate) -> DataTable:
    columns = (
        Column("round", "integer", N_("Round"), kind="count"),
        Column(
            "group", "string", N_("Stakeholder group (code)"), N_("'all' for the panel"), page=False
        ),
        Column("group_label", "string", N_("Stakeholder group")),
        Column("invited", "integer", N_("Invited"), kind="count"),
        Column("responded", "integer", N_("Responded"), kind="count"),
        Column("response_rate", "number", N_("Response rate"), kind="share"),
    )
    rows = []
    for panel in content.method_sources.panel:
        rows.append(
            (
                panel.round,
                "all",
                translate(N_("Whole panel")),
                panel.invited,
                panel.responded,
                panel.response_rate,
            )
        )
        groups = list(dict.fromkeys([*panel.invited_by_group, *panel.responded_by_group]))
        order = list(words.GROUP_WORDS)
        groups.sort(key=lambda g: order.index(g) if g in order else len(order))
        for group in groups:
            rows.append(
                (
                    panel.round,
                    group,
                    _word(words.GROUP_WORDS, group, translate),
                    panel.invited_by_group.get(group),
                    panel.responded_by_group.get(group, 0),
                    panel.group_rate(group),
                )
            )
    return DataTable(
        "panel_response",
        N_("Panel composition and response by round"),
        columns,
        tuple(rows),
        key=("round", "group"),
    )


def _sources(content: BriefContent, translate: Translate) -> tuple[DataTable, DataTable]:
    columns = (
        Column("publisher", "string", N_("Publisher")),
        Column("title", "string", N_("Title")),
        Column("vintage", "string", N_("Vintage")),
        Column("licence", "string", N_("Licence")),
        Column("kind", "string", N_("Kind of data (code)"), page=False),
        Column("kind_label", "string", N_("Kind of data")),
        Column("base_year", "integer", N_("Base year"), kind="year", page=False),
        Column("horizon_year", "integer", N_("Horizon year"), kind="year", page=False),
        Column("url", "string", N_("Address"), page=False),
        Column("sector_classification", "string", N_("Sector classification"), page=False),
        Column("occupation_classification", "string", N_("Occupation classification"), page=False),
        Column(
            "online_share",
            "number",
            N_("Share of hiring advertised online"),
            kind="share",
            page=False,
        ),
        Column("caveats", "string", N_("Caveats"), page=False),
    )
    rows = []
    codes = []
    for data in content.method_sources.sources:
        source = data.source
        caveats = data.caveat_texts(translate)
        rows.append(
            (
                source.publisher,
                source.title,
                source.vintage,
                source.licence,
                source.kind,
                _word(words.KIND_WORDS, source.kind, translate),
                source.base_year,
                source.horizon_year,
                source.url,
                data.sector_classification,
                data.occupation_classification,
                data.online_share,
                sentences(caveats),
            )
        )
        codes.extend(_codes_rows(data))
    code_table = DataTable(
        "codes_used",
        N_("Codes used and how they map to NACE and ISCO"),
        (
            Column("dataset", "string", N_("Dataset")),
            Column("classification", "string", N_("Classification")),
            Column("code", "string", N_("Code")),
            Column("label", "string", N_("Label")),
            Column("maps_to_classification", "string", N_("Maps to classification")),
            Column("maps_to", "string", N_("Maps to codes"), N_("Codes separated by ';'")),
        ),
        tuple(codes),
    )
    return (
        DataTable("sources", N_("Data sources"), columns, tuple(rows)),
        code_table,
    )


def _codes_rows(data: DataSource) -> list[tuple]:
    return [
        (
            data.source.title,
            code.classification,
            code.code,
            code.label,
            code.maps_to_classification,
            ";".join(code.maps_to),
        )
        for code in data.codes_used
    ]


def _round_items(content: BriefContent, lang: str, default: str) -> DataTable:
    scale = max(
        (item.scale or 0 for r in content.rounds for item in r.items if item.counts), default=0
    )
    scale = max(scale, 5) if content.rounds else 0
    columns = (
        Column("round", "integer", N_("Round"), kind="count"),
        Column("item_key", "string", N_("Item (code)")),
        Column("type", "string", N_("Item type")),
        Column("text", "string", N_("Item")),
        Column("suppressed", "boolean", N_("Withheld (too few answers)")),
        Column("scale", "integer", N_("Scale points"), kind="count"),
        *(
            Column(
                f"count_{k}",
                "integer",
                N_("Answers at point %(point)s"),
                kind="count",
                title_params=(("point", k),),
            )
            for k in range(1, scale + 1)
        ),
        Column("n", "integer", N_("Answers"), kind="count"),
        Column("median", "number", N_("Median"), kind="decimal"),
        Column("q1", "number", N_("First quartile"), kind="decimal"),
        Column("q3", "number", N_("Third quartile"), kind="decimal"),
        Column("iqr", "number", N_("Interquartile range"), kind="decimal"),
        Column("mean", "number", N_("Mean"), kind="decimal"),
        Column("sd", "number", N_("Standard deviation"), kind="decimal"),
        Column("cv", "number", N_("Coefficient of variation"), kind="decimal"),
        Column("agreement", "number", N_("Agreement"), kind="share"),
        Column("consensus_status", "string", N_("Consensus (code)")),
        Column("stable", "boolean", N_("Stable")),
        Column("contested", "boolean", N_("Contested between groups")),
    )
    rows = []
    for round_ in content.rounds:
        for item in round_.items:
            counts = item.counts or {}
            rows.append(
                (
                    round_.round,
                    item.key,
                    item.type,
                    pick_text(item.text, lang, default),
                    item.suppressed,
                    item.scale,
                    *(
                        (counts.get(str(k)) if item.counts is not None else None)
                        for k in range(1, scale + 1)
                    ),
                    item.n,
                    *(
                        _number(getattr(item, name))
                        for name in ("median", "q1", "q3", "iqr", "mean", "sd", "cv")
                    ),
                    _number(item.agreement),
                    item.consensus_status,
                    item.stable,
                    item.contested,
                )
            )
    return DataTable(
        "round_items",
        N_("Every rated item of every round, with its answer counts"),
        columns,
        tuple(rows),
        key=("round", "item_key"),
    )


def _number(value):
    if isinstance(value, str):
        return float(value)  # "inf" / "-inf" as stored
    return value


def brief_tables(content: BriefContent, lang: str, translate: Translate = _same) -> BriefTables:
    """Every data table of ``content`` with labels in ``lang`` (``translate`` is its
    gettext), in the order the brief shows them."""
    default = content.header.languages[0] if content.header.languages else "en"
    needs, by_group, across_rounds = _skill_needs(content, lang, default, translate)
    themes, quotes = _emerging(content, lang, default, translate)
    sources, codes = _sources(content, translate)
    tables = [
        _key_facts(content, lang, translate),
        _ratings(content, translate),
        _trend(content, translate),
        _openings(content, translate),
        *_occupations(content, translate),
        needs,
        by_group,
        across_rounds,
        _contested(content, lang, default, translate),
        themes,
        quotes,
        _triangulation(content, lang, default, translate),
        _panel(content, translate),
        sources,
        codes,
    ]
    if content.rounds:
        tables.append(_round_items(content, lang, default))
    return BriefTables(tuple(tables))
