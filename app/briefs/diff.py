"""What changed between two versions of a brief, readable by a person (pure).

:func:`diff_contents` compares two :class:`~app.briefs.content.BriefContent` documents entry by
entry — every figure (key facts, ratings, series points, openings, occupations, the panel's
statistics, triangulation), every narrative text, annotation, source and the header — and
lists each entry that differs as a :class:`Change`: the section, what it is ("Key facts:
Projected employment"), the old and the new value as formatted text (``None`` where the entry
is new or gone). The version number and date, which always change, are left out.

Figures read as everywhere (``app.formatting`` in ``locale``); labels are translated by
``translate`` (a gettext). :func:`word_diff` splits a narrative change into kept, deleted and
inserted words, for the version-history page.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from app import formatting
from app.briefs import words
from app.briefs.content import BriefContent, Source
from app.formatting import N_

Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Change:
    """One entry that differs between two versions."""

    #: Section code (``key_facts``, ``implications``...; ``header`` for the header).
    section: str
    #: What the entry is, for people ("Projected employment").
    what: str
    old: str | None
    new: str | None
    #: The entry is text the secretariat writes (shown word by word).
    narrative: bool = False

    @property
    def kind(self) -> str:
        """``added``, ``removed`` or ``changed``."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"


@dataclass(frozen=True)
class _Entry:
    section: str
    key: tuple[Any, ...]
    what: str
    value: str
    narrative: bool = False


class _Reader:
    def __init__(self, locale: str, translate: Translate) -> None:
        self.locale = locale
        self._ = translate

    def n(self, value: Any, places: int = 2) -> str:
        return formatting.number(value, places, trim=True, locale=self.locale)

    def share(self, value: Any) -> str:
        return formatting.percent(value, locale=self.locale)

    def text(self, texts: Any) -> str:
        if isinstance(texts, dict):
            return formatting.localized(texts, self.locale)
        return str(texts or "")

    def word(self, mapping: dict[str, str], code: Any) -> str:
        if code is None:
            return formatting.MISSING
        key = str(getattr(code, "value", code))
        return self._(mapping[key]) if key in mapping else key

    def flags(self, flags) -> str:
        return ", ".join(self.word(words.FLAG_WORDS, f) for f in flags)

    def source(self, source: Source | None) -> str:
        if source is None:
            return formatting.MISSING
        text = f"{source.publisher}, {source.title} ({source.vintage})"
        return text + (f", {source.licence}" if source.licence else "")

    def stats(self, **named: Any) -> str:
        """ "median 4, IQR 1, agreement 80%" from named statistics (shares end in _share)."""
        labels = {
            "n": N_("n"),
            "median": N_("median"),
            "iqr": N_("IQR"),
            "q1": N_("Q1"),
            "q3": N_("Q3"),
            "agreement": N_("agreement"),
            "forecast": N_("forecast"),
            "gap": N_("gap"),
        }
        parts = []
        for name, value in named.items():
            if value is None:
                continue
            shown = self.share(value) if name == "agreement" else self.n(value)
            parts.append(f"{self._(labels.get(name, name))} {shown}")
        return ", ".join(parts) or formatting.MISSING


def _entries(content: BriefContent, r: _Reader) -> Iterator[_Entry]:
    _ = r._
    h = content.header
    yield _Entry("header", ("title",), _(N_("Title")), h.title)
    yield _Entry("header", ("sector",), _(N_("Sector")), h.sector_label)
    yield _Entry(
        "header",
        ("codes",),
        _(N_("Sector codes")),
        "; ".join(f"{c.classification} {c.code}" for c in h.sector_codes),
    )
    yield _Entry("header", ("geography",), _(N_("Geography")), h.geography_label or h.geography)
    yield _Entry("header", ("consultation",), _(N_("Consultation")), h.consultation_title)
    yield _Entry("header", ("rounds",), _(N_("Rounds")), ", ".join(str(x) for x in h.rounds))
    yield _Entry(
        "header",
        ("vintages",),
        _(N_("Forecast vintages")),
        "; ".join(r.source(s) for s in h.forecast_vintages),
    )
    yield _Entry("header", ("citation",), _(N_("Suggested citation")), h.citation)
    if h.contact:
        contact = ", ".join(
            p for p in (h.contact.name, h.contact.organisation, h.contact.email) if p
        )
        yield _Entry("header", ("contact",), _(N_("Contact")), contact)

    for fact in content.facts():
        label = _(words.FACT_WORDS[fact.key.value])
        if fact.category is not None:
            value = r.word(words.RATING_WORDS, fact.category)
        elif fact.value is None:
            value = formatting.MISSING
        elif fact.is_share:
            value = r.share(fact.value)
        else:
            value = r.n(fact.value) + (f" {fact.unit}" if fact.unit else "")
        if fact.flags:
            value += f" ({r.flags(fact.flags)})"
        yield _Entry("key_facts", ("fact", fact.key.value), label, value)
        yield _Entry(
            "key_facts",
            ("fact-source", fact.key.value),
            _(N_("%(fact)s: source")) % {"fact": label},
            r.source(fact.source),
        )
    for rating in (content.ratings.current_conditions, content.ratings.future_outlook):
        label = _(words.RATING_KIND_WORDS[rating.kind.value])
        value = r.word(words.RATING_WORDS, rating.shown)
        if rating.override:
            value += " — " + _(N_("set by the secretariat: %(reason)s")) % {
                "reason": rating.override.reason
            }
        yield _Entry("key_facts", ("rating", rating.kind.value), label, value)
        yield _Entry(
            "key_facts",
            ("rule", rating.kind.value),
            _(N_("%(rating)s: by the rule %(version)s"))
            % {
                "rating": label,
                "version": rating.rule_version,
            },
            r.word(words.RATING_WORDS, rating.category),
        )

    for series in content.trend.series:
        for point in series.points:
            value = r.n(point.value) + (f" {series.unit}" if series.unit else "")
            if point.flags:
                value += f" ({r.flags(point.flags)})"
            yield _Entry(
                "trend",
                ("point", series.name, point.year),
                f"{series.label}, {point.year} ({r.word(words.KIND_WORDS, series.kind)})",
                value,
            )
        yield _Entry(
            "trend",
            ("source", series.name),
            _(N_("%(series)s: source")) % {"series": series.label},
            r.source(series.source),
        )

    o = content.openings
    unit = f" {o.unit}" if o.unit else ""
    for key, label, value in (
        ("total", N_("All openings"), o.total),
        ("expansion", N_("From growth (expansion demand)"), o.expansion),
        ("replacement", N_("From replacing people who leave (replacement demand)"), o.replacement),
    ):
        if value is not None:
            yield _Entry("openings", (key,), _(label), r.n(value) + unit)

    lists = (
        ("largest", N_("Largest occupations")),
        ("fastest_growing", N_("Fastest-growing occupations")),
        ("declining", N_("Declining occupations")),
    )
    for attr, list_label in lists:
        for rank, row in enumerate(getattr(content.occupations, attr).rows, start=1):
            yield _Entry(
                "occupations",
                (attr, row.code),
                f"{_(list_label)}: {row.code} {row.label}",
                _(N_("rank %(rank)s; %(base)s → %(projected)s (%(change)s%%)"))
                % {
                    "rank": rank,
                    "base": r.n(row.base),
                    "projected": r.n(row.projected),
                    "change": r.n(row.change_pct),
                },
            )

    for item in content.skill_needs.items:
        text = r.text(item.text)
        yield _Entry(
            "skill_needs",
            ("item", item.key),
            text,
            _(N_("rank %(rank)s: %(stats)s; %(status)s"))
            % {
                "rank": item.rank,
                "stats": r.stats(
                    n=item.n, median=item.median, iqr=item.iqr, agreement=item.agreement
                ),
                "status": r.word(words.LABEL_WORDS, item.label)
                if item.label
                else r.word(words.CONSENSUS_SHORT, item.consensus_status),
            },
        )
        for cell in item.groups:
            yield _Entry(
                "skill_needs",
                ("group", item.key, cell.group),
                f"{text}: {r.word(words.GROUP_WORDS, cell.group)}",
                r.stats(n=cell.n, median=cell.median, iqr=cell.iqr, agreement=cell.agreement)
                if cell.published
                else _(N_("withheld"))
                if cell.suppressed
                else _(N_("no answers")),
            )
    for key in content.skill_needs.withheld:
        yield _Entry(
            "skill_needs",
            ("withheld", key),
            r.text(content.skill_needs.withheld_text.get(key) or key),
            _(N_("withheld (too few answers)")),
        )

    for point in content.contested.points:
        text = r.text(point.text)
        yield _Entry(
            "contested",
            ("point", point.key),
            text,
            _(N_("Kruskal-Wallis H %(h)s, %(p)s"))
            % {"h": r.n(point.kw_h), "p": formatting.p_clause(point.kw_p, locale=r.locale)},
        )
        for cell in point.groups:
            yield _Entry(
                "contested",
                ("group", point.key, cell.group),
                f"{text}: {r.word(words.GROUP_WORDS, cell.group)}",
                r.stats(n=cell.n, median=cell.median, q1=cell.q1, q3=cell.q3)
                if cell.published
                else _(N_("withheld"))
                if cell.suppressed
                else _(N_("no answers")),
            )

    for skill in content.emerging_skills.skills:
        label = r.text(skill.label)
        yield _Entry(
            "emerging_skills",
            ("theme", label),
            label,
            "; ".join([e.label or e.uri for e in skill.esco] + list(skill.quotes))
            or formatting.MISSING,
        )

    for row in content.triangulation.rows:
        yield _Entry(
            "triangulation",
            ("row", row.key),
            r.text(row.text),
            r.stats(
                forecast=row.forecast, n=row.n, median=row.median, q1=row.q1, q3=row.q3, gap=row.gap
            ),
        )

    narrative = content.narrative
    yield _Entry("implications", ("summary",), _(N_("Summary")), narrative.summary, True)
    for audience in narrative.AUDIENCES:
        yield _Entry(
            "implications",
            (audience,),
            _(words.AUDIENCE_WORDS[audience]),
            narrative.for_audience(audience),
            True,
        )

    ms = content.method_sources
    for panel in ms.panel:
        yield _Entry(
            "method_sources",
            ("panel", panel.round),
            _(N_("Round %(round)s: response")) % {"round": panel.round},
            _(N_("%(responded)s of %(invited)s responded"))
            % {
                "responded": formatting.count(panel.responded, locale=r.locale),
                "invited": formatting.count(panel.invited, locale=r.locale),
            },
        )
    if ms.plan:
        yield _Entry("method_sources", ("plan",), _(N_("Analysis plan (SHA-256)")), ms.plan.sha256)
    for data in ms.sources:
        yield _Entry(
            "method_sources",
            ("source", data.source.publisher, data.source.title),
            _(N_("Source: %(title)s")) % {"title": data.source.title},
            r.source(data.source) + (" — " + " ".join(data.caveats) if data.caveats else ""),
        )
    for number, note in enumerate(content.annotations, start=1):
        yield _Entry(
            _annotation_section(content, note.target),
            ("annotation", note.target, _occurrence(content, number)),
            _(N_("Note beside %(target)s")) % {"target": note.target},
            note.text,
            True,
        )


def _occurrence(content: BriefContent, number: int) -> int:
    """Which note on the same target this is (1 = first), so that notes pair up."""
    target = content.annotations[number - 1].target
    return sum(1 for a in content.annotations[:number] if a.target == target)


_CHART_SECTIONS = {
    "employment_trend": "trend",
    "openings": "openings",
    "skill_ratings": "skill_needs",
    "triangulation": "triangulation",
}


def _annotation_section(content: BriefContent, target: str) -> str:
    sections = {s.value for s, _ in content.sections()}
    if target in sections:
        return target
    if target in _CHART_SECTIONS:
        return _CHART_SECTIONS[target]
    if target.startswith("group_positions_"):
        return "contested"
    if any(f.key.value == target for f in content.facts()):
        return "key_facts"
    if any(i.key == target for i in content.skill_needs.items):
        return "skill_needs"
    return "header"


SECTION_ORDER = tuple(words.SECTION_TITLES)


def diff_contents(
    old: BriefContent,
    new: BriefContent,
    *,
    locale: str = "en",
    translate: Translate = _same,
) -> list[Change]:
    """Every entry that differs between ``old`` and ``new``, in the order of the brief's
    sections (entries of the new version first in their order, then those removed)."""
    reader = _Reader(locale, translate)
    before = {(e.section, e.key): e for e in _entries(old, reader)}
    after = {(e.section, e.key): e for e in _entries(new, reader)}
    changes: list[tuple[int, int, Change]] = []
    for position, (key, entry) in enumerate(after.items()):
        previous = before.get(key)
        if previous is None:
            if entry.value:
                changes.append(
                    (
                        0,
                        position,
                        Change(entry.section, entry.what, None, entry.value, entry.narrative),
                    )
                )
        elif previous.value != entry.value:
            changes.append(
                (
                    0,
                    position,
                    Change(entry.section, entry.what, previous.value, entry.value, entry.narrative),
                )
            )
    for position, (key, entry) in enumerate(before.items()):
        if key not in after and entry.value:
            changes.append(
                (1, position, Change(entry.section, entry.what, entry.value, None, entry.narrative))
            )
    order = {s: i for i, s in enumerate(SECTION_ORDER)}
    changes.sort(key=lambda c: (order.get(c[2].section, len(order)), c[0], c[1]))
    return [c for _, _, c in changes]


_TOKEN = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``old`` → ``new`` as (operation, text) pieces: ``same``, ``del`` or ``ins``; words
    and the spaces between them are kept as they are."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", "".join(b[j1:j2])))
    return out
