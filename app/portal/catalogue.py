"""The public catalogue: the current published version of each brief, and a search over them.

Only published content is ever listed: a brief appears through its version whose status is
``published`` (the latest one; superseded versions stay addressable but are not listed as
current), never through a draft, a version in review, a returned or an approved one.

How it stays fast for hundreds of briefs: a published version is frozen (its content,
narrative and notes never change again, ``app.briefs.models``), so what is searched in it is
computed once per version and kept for the life of the process, keyed by the version's id and
publication time. Each search asks the database one small question (which versions are
published now: ids, numbers, dates and titles, no content) and reads the content only of
versions it has not indexed yet, and of that only the parts searched (header, key facts,
occupations, skill needs, contested points, emerging skills: not every round's items, which
are most of the document). Nothing needs to be filled at publication, and a version
superseded since drops out of the index at the next search. Every worker process keeps its
own index; it holds a few kilobytes per brief. Measured with 300 published briefs on SQLite:
the first search of a process takes about 2 s, every later one about 50 ms including the
page. Comparing briefs reads the whole content of the two to four compared.

Matching is by keyword, case- and accent-insensitive ("Wärmepumpe" finds "warmepumpe" and
"WÄRMEPUMPE"), in every language a brief's labels are given in. Every word of the query must
be found somewhere in the brief; the result says where ("why it matched").
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from app.briefs.brief_json import _sector as brief_sector
from app.briefs.content import (
    BriefContent,
    ContestedPoint,
    Fact,
    Ratings,
    SkillNeed,
)
from app.briefs.models import Brief, BriefArtefact, BriefStatus, BriefVersion, root_language
from app.briefs.snapshot import content_of
from app.classifications.models import Sector as ClassifiedSector
from app.errors import InvalidInput
from app.extensions import db
from app.formatting import N_
from app.problems import Problem

#: What a result may have matched on, in the order a reader is told (and ranked: a match in
#: the title counts more than one in the summary).
FIELDS = (
    "title",
    "sector",
    "occupation",
    "skill",
    "theme",
    "contested",
    "geography",
    "summary",
)
_WEIGHT = {name: len(FIELDS) - i for i, name in enumerate(FIELDS)}

#: Most results a page may hold.
MAX_PER_PAGE = 100
#: Skill needs kept per brief for comparing briefs (the top of the ranking).
TOP_SKILLS = 5


def normalized(text: Any) -> str:
    """``text`` for matching: accents removed, case folded, spaces collapsed ("Wärme-Pumpe"
    -> "warme-pumpe")."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _words(q: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", normalized(q)) if w]


# --- what a result is -------------------------------------------------------------------


@dataclass(frozen=True)
class Sector:
    """The sector a brief is on, as NACE (or the forecast's own code when it maps to none)."""

    classification: str | None
    code: str | None
    label: str


@dataclass(frozen=True)
class Match:
    """Why a result matched: the field and the text found there, in language ``lang``
    (None: a code or a text in no particular language)."""

    field: str
    text: str
    lang: str | None = None


@dataclass(frozen=True)
class Entry:
    """One brief in the catalogue: its current published version."""

    brief_id: int
    version: int
    title: str
    sector: Sector
    #: Every sector code the brief is on, of every classification ("F", "23-0000").
    sector_codes: tuple[str, ...]
    geography: str
    geography_label: str
    published_at: datetime | None
    #: Languages the brief's texts are given in (first: its default).
    languages: tuple[str, ...]
    #: The year the forecast looks ahead to.
    horizon_year: int | None = None
    #: The future outlook the brief shows (``strong``, ``moderate``, ``weak``,
    #: ``undetermined``).
    outlook: str | None = None
    summary: str = ""
    matched: tuple[Match, ...] = ()
    #: The sector's name by language, where the classification gives it ({"de": ...}).
    sector_labels: dict[str, str] = field(default_factory=dict, compare=False)

    def sector_label(self, lang: str | None) -> str:
        """The sector's name in ``lang`` when known, else as the brief names it."""
        return (self.sector_labels.get(lang) if lang else None) or self.sector.label

    @property
    def year(self) -> int | None:
        """Year of publication of this version."""
        return self.published_at.year if self.published_at else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.brief_id,
            "title": self.title,
            "sector": {
                "classification": self.sector.classification,
                "code": self.sector.code,
                "label": self.sector.label,
            },
            "geography": self.geography,
            "version": self.version,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "languages": list(self.languages),
            "matched": [{"field": m.field, "text": m.text, "lang": m.lang} for m in self.matched],
        }


@dataclass(frozen=True)
class Summary:
    """What comparing briefs shows of one: key facts, both ratings, the top skill needs and
    the contested points (frozen parts of the published content)."""

    facts: tuple[Fact, ...] = ()
    ratings: Ratings | None = None
    skills: tuple[SkillNeed, ...] = ()
    contested: tuple[ContestedPoint, ...] = ()
    default_lang: str = "en"


@dataclass(frozen=True)
class Page:
    """One page of results: ``entries`` of ``total`` in all."""

    entries: tuple[Entry, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass(frozen=True)
class _Text:
    field: str
    norm: str
    text: str
    lang: str | None = None


@dataclass(frozen=True)
class _Record:
    """A published version as the catalogue indexes it (computed once: it is frozen)."""

    entry: Entry
    texts: tuple[_Text, ...] = ()
    sector_codes: frozenset[str] = frozenset()
    occupation_codes: tuple[tuple[str, str], ...] = ()
    skill_uris: tuple[tuple[str, str], ...] = ()
    version_id: int | None = None
    #: (rating kind, rule version) of the two ratings the brief gives.
    rule_versions: tuple[tuple[str, str], ...] = ()


# --- building the index -------------------------------------------------------------------


def _multilingual(name: str, texts: dict[str, str] | None) -> list[_Text]:
    return [
        _Text(name, normalized(text), str(text), lang)
        for lang, text in (texts or {}).items()
        if str(text or "").strip()
    ]


def _record(
    row: Any, content: BriefContent | None, nace: dict[str, dict[str, str]] | None = None
) -> _Record:
    """The index record of a published version (``row``: its id, brief id, number, date and
    the brief's title) from its content; ``nace``: names of NACE sectors by code and
    language."""
    if content is None:
        entry = Entry(
            brief_id=row.brief_id,
            version=row.number,
            title=row.title,
            sector=Sector(None, None, ""),
            sector_codes=(),
            geography="",
            geography_label="",
            published_at=row.published_at,
            languages=("en",),
        )
        return _Record(
            entry, (_Text("title", normalized(row.title), row.title),), version_id=row.id
        )
    header = content.header
    languages = tuple(header.languages) or ("en",)
    default = languages[0]
    sector = brief_sector(content)
    codes: dict[str, None] = {}
    for c in header.sector_codes:
        codes[c.code] = None
        for mapped in c.maps_to:
            codes[mapped] = None
    horizon = next(
        (s.horizon_year for s in header.forecast_vintages if s.horizon_year is not None), None
    )
    narrative = content.narrative
    entry = Entry(
        brief_id=row.brief_id,
        version=row.number,
        title=row.title or header.title,
        sector=Sector(sector["classification"], sector["code"], sector["label"] or ""),
        sector_labels=dict((nace or {}).get(sector["code"] or "", {})),
        sector_codes=tuple(codes),
        geography=header.geography,
        geography_label=header.geography_label,
        published_at=row.published_at,
        languages=languages,
        horizon_year=horizon,
        outlook=content.ratings.future_outlook.shown.value,
        summary=narrative.summary,
    )
    texts: list[_Text] = []
    for title in dict.fromkeys((row.title, header.title)):
        if title:
            texts.append(_Text("title", normalized(title), title, default))
    texts.append(_Text("sector", normalized(header.sector_label), header.sector_label, default))
    for code in codes:
        texts.extend(_multilingual("sector", (nace or {}).get(code)))
    for c in header.sector_codes:
        if c.label:
            texts.append(_Text("sector", normalized(c.label), c.label, default))
    for code in codes:
        texts.append(_Text("sector", normalized(code), code))
    occupations: dict[tuple[str, str], None] = {}
    occ = content.occupations
    for rows in (occ.largest.rows, occ.fastest_growing.rows, occ.declining.rows):
        for r in rows:
            occupations[(normalized(r.code), f"{r.code} {r.label}".strip())] = None
            texts.append(_Text("occupation", normalized(r.label), r.label, default))
    for s in content.skill_needs.items:
        texts.extend(_multilingual("skill", s.text))
    for texts_by_lang in content.skill_needs.withheld_text.values():
        texts.extend(_multilingual("skill", texts_by_lang))
    uris: dict[tuple[str, str], None] = {}
    for skill in content.emerging_skills.skills:
        texts.extend(_multilingual("theme", skill.label))
        label = skill.label.get(default) or next(iter(skill.label.values()), "")
        for link in skill.esco:
            uris[(normalized(link.uri), link.label or label)] = None
            if link.label:
                texts.append(_Text("skill", normalized(link.label), link.label))
    for point in content.contested.points:
        texts.extend(_multilingual("contested", point.text))
    texts.append(_Text("geography", normalized(header.geography), header.geography))
    if header.geography_label:
        texts.append(_Text("geography", normalized(header.geography_label), header.geography_label))
    for name in ("summary", "guidance_practitioners", "education_providers", "ministries"):
        text = getattr(narrative, name)
        if text.strip():
            texts.append(_Text("summary", normalized(text), text, default))
    ratings = content.ratings
    return _Record(
        entry=entry,
        texts=tuple(t for t in texts if t.norm),
        sector_codes=frozenset(normalized(c) for c in codes),
        occupation_codes=tuple(occupations),
        skill_uris=tuple(uris),
        version_id=row.id,
        rule_versions=tuple(
            (r.kind.value, r.rule_version)
            for r in (ratings.future_outlook, ratings.current_conditions)
        ),
    )


def _summary(content: BriefContent) -> Summary:
    return Summary(
        facts=content.facts(),
        ratings=content.ratings,
        skills=tuple(sorted(content.skill_needs.items, key=lambda s: s.rank)[:TOP_SKILLS]),
        contested=content.contested.points,
        default_lang=content.header.languages[0] if content.header.languages else "en",
    )


class _Index:
    """Records of published versions by (version id, publication time), per application."""

    def __init__(self) -> None:
        self.records: dict[tuple[int, datetime | None, str], _Record] = {}
        self.lock = threading.Lock()


def _index(app: Flask) -> _Index:
    found = app.extensions.get("portal.catalogue")
    if found is None:
        found = app.extensions.setdefault("portal.catalogue", _Index())
    return found


def _current_rows() -> list[Any]:
    """The versions published now (one per brief), newest first: the one query a search
    makes once every version is indexed."""
    return list(
        db.session.execute(
            select(
                BriefVersion.id,
                BriefVersion.brief_id,
                BriefVersion.number,
                BriefVersion.published_at,
                BriefVersion.render_status,
                Brief.title,
            )
            .join(Brief, Brief.id == BriefVersion.brief_id)
            .where(BriefVersion.status == BriefStatus.published)
            .order_by(BriefVersion.published_at.desc(), BriefVersion.id.desc())
        )
    )


@dataclass(frozen=True)
class Snapshot:
    """The versions published now, as one query found them: what a page is made of and
    what its validators (ETag, Last-Modified) rest on."""

    rows: tuple[Any, ...]

    @property
    def key(self) -> str:
        """Changes whenever a version is published (or superseded, which comes with one) and
        when its files are stored (the languages it is read in)."""
        text = ";".join(
            f"{r.id}@{r.published_at.isoformat() if r.published_at else ''}/{_rendered(r)}"
            for r in self.rows
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    @property
    def last_modified(self) -> datetime | None:
        dates = [r.published_at for r in self.rows if r.published_at is not None]
        return max(dates) if dates else None


def snapshot() -> Snapshot:
    """The versions published now (one query)."""
    return Snapshot(tuple(_current_rows()))


#: The parts of a version's stored content the index reads (the rest, such as every round's
#: items with their counts, is most of the document and is not read).
_INDEXED = (
    "schema_version",
    "header",
    "key_facts",
    "occupations",
    "skill_needs",
    "contested",
    "emerging_skills",
)


def _slim(row: Any) -> dict[str, Any]:
    """The indexed parts of a stored content, each list of group figures and history left
    out (comparing briefs reads the whole content of the few compared)."""
    content = {part: getattr(row, part) for part in _INDEXED if getattr(row, part) is not None}
    skills = dict(content.get("skill_needs") or {})
    skills["items"] = [{**item, "groups": [], "history": []} for item in skills.get("items") or ()]
    content["skill_needs"] = skills
    contested = dict(content.get("contested") or {})
    contested["points"] = [{**p, "groups": []} for p in contested.get("points") or ()]
    content["contested"] = contested
    for part in ("trend", "openings", "triangulation", "implications", "method_sources"):
        content.setdefault(part, {})
    return content


@dataclass(frozen=True)
class _Stored:
    """A version's columns as ``content_of`` reads them, with the slim content."""

    row: Any
    content: dict[str, Any]
    annotations: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def _nace_labels(contents: Iterable[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Names by language of the NACE sectors of the stored ``contents`` (one query)."""
    codes: set[str] = set()
    for content in contents:
        for c in (content.get("header") or {}).get("sector_codes") or ():
            if str(c.get("classification") or "").upper().startswith("NACE"):
                codes.add(str(c.get("code") or ""))
            if str(c.get("maps_to_classification") or "").upper().startswith("NACE"):
                codes.update(str(m) for m in c.get("maps_to") or ())
    codes.discard("")
    if not codes:
        return {}
    return {
        s.code: {k: v for k, v in (s.labels or {}).items() if v}
        for s in db.session.scalars(
            select(ClassifiedSector).where(
                ClassifiedSector.classification == "nace-rev2", ClassifiedSector.code.in_(codes)
            )
        )
    }


def _rendered(row: Any) -> str:
    status = getattr(row, "render_status", None)
    return str(getattr(status, "value", status or ""))


def _stored_languages(version_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The languages each version's files are stored in, the default (root) one first, as
    ``BriefVersion.languages`` gives them (one query, of the names only)."""
    names: dict[int, set[str]] = {}
    for version_id, name in db.session.execute(
        select(BriefArtefact.version_id, BriefArtefact.name).where(
            BriefArtefact.version_id.in_(version_ids), BriefArtefact.name.like("%brief.html")
        )
    ):
        names.setdefault(version_id, set()).add(name)
    out = {}
    for version_id, found in names.items():
        if "brief.html" not in found:
            continue
        root = root_language()
        others = sorted(
            n.split("/", 1)[0] for n in found if n.count("/") == 1 and n.endswith("/brief.html")
        )
        out[version_id] = (root, *(lang for lang in others if lang != root))
    return out


def _records(snap: Snapshot | None = None) -> list[_Record]:
    """The index records of the versions of ``snap`` (read now when not given), building
    those not indexed yet from their content (one further query, with their sectors' names,
    and one of the languages their files are stored in)."""
    rows = list((snap or snapshot()).rows)
    index = _index(current_app._get_current_object())
    keys = [(row.id, row.published_at, _rendered(row)) for row in rows]
    with index.lock:
        found = {key: index.records[key] for key in keys if key in index.records}
    missing = [row for row, key in zip(rows, keys, strict=True) if key not in found]
    if missing:
        stored = {
            r.id: r
            for r in db.session.execute(
                select(
                    BriefVersion.id,
                    BriefVersion.number,
                    BriefVersion.narrative,
                    BriefVersion.contact,
                    BriefVersion.published_at,
                    BriefVersion.created_at,
                    *(BriefVersion.content[part].label(part) for part in _INDEXED),
                ).where(BriefVersion.id.in_([row.id for row in missing]))
            )
        }
        slim = {i: _slim(r) for i, r in stored.items()}
        nace = _nace_labels(slim.values())
        languages = _stored_languages([row.id for row in missing])
        built = {}
        for row in missing:
            found_row = stored.get(row.id)
            try:
                content = content_of(_Stored(found_row, slim[row.id])) if found_row else None
            except (ValueError, KeyError, TypeError, AttributeError):
                content = None  # a stored shape this version cannot read: listed by title
            record = _record(row, content, nace)
            if languages.get(row.id):
                # the languages a reader can read it in, once its files are stored
                record = replace(record, entry=replace(record.entry, languages=languages[row.id]))
            built[(row.id, row.published_at, _rendered(row))] = record
        found.update(built)
        with index.lock:
            index.records.update(built)
            wanted = set(keys)
            for key in [k for k in index.records if k not in wanted]:
                del index.records[key]  # superseded since (or gone): not current any more
    return [found[key] for key in keys]


def current_entries(snap: Snapshot | None = None) -> list[Entry]:
    """Every brief's current published version, most recently published first."""
    return [r.entry for r in _records(snap)]


def latest(limit: int = 5, snap: Snapshot | None = None) -> list[Entry]:
    """The most recently published briefs."""
    return current_entries(snap)[:limit]


def summaries(
    brief_ids: Iterable[int], snap: Snapshot | None = None
) -> dict[int, tuple[Entry, Summary]]:
    """Entry and comparison summary of each of ``brief_ids`` that has a published version
    now; an id without one is missing from the answer. Reads the whole content of those
    versions (one query)."""
    wanted = set(brief_ids)
    records = {r.version_id: r for r in _records(snap) if r.entry.brief_id in wanted}
    if not records:
        return {}
    out: dict[int, tuple[Entry, Summary]] = {}
    for version in db.session.scalars(
        select(BriefVersion).where(BriefVersion.id.in_(list(records)))
    ):
        record = records[version.id]
        try:
            content = content_of(version)
        except (ValueError, KeyError, TypeError):
            content = None
        out[record.entry.brief_id] = (
            record.entry,
            _summary(content) if content is not None else Summary(),
        )
    return out


def rule_versions(snap: Snapshot | None = None) -> dict[tuple[str, str], int]:
    """How many current briefs use each (rating kind, rule version)."""
    counts: dict[tuple[str, str], int] = {}
    for record in _records(snap):
        for key in record.rule_versions:
            counts[key] = counts.get(key, 0) + 1
    return counts


# --- searching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A search as asked (values trimmed; None for a filter not used)."""

    q: str | None = None
    sector: str | None = None
    occupation: str | None = None
    skill: str | None = None
    geography: str | None = None
    year: int | None = None
    lang: str | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f) in (None, "") for f in self.__dataclass_fields__)


def _first(texts: Iterable[_Text], lang: str | None) -> _Text | None:
    """The text to show of those matched: one in ``lang`` when there is one."""
    texts = list(texts)
    if not texts:
        return None
    return next((t for t in texts if t.lang == lang), texts[0])


def _keyword_matches(record: _Record, words: list[str], lang: str | None) -> list[Match] | None:
    """Where each of ``words`` is found in the record (None unless every word is)."""
    hits: dict[str, list[_Text]] = {}
    for word in words:
        found = [t for t in record.texts if word in t.norm]
        if not found:
            return None
        for t in found:
            hits.setdefault(t.field, [])
            if t not in hits[t.field]:
                hits[t.field].append(t)
    matches = []
    for name in FIELDS:
        best = _first(hits.get(name, ()), lang)
        if best is not None:
            matches.append(Match(name, best.text, best.lang))
    return matches


def _code_or_text(
    record: _Record,
    value: str,
    codes: tuple[tuple[str, str], ...],
    fields_: tuple[str, ...],
    lang: str | None,
    *,
    prefix: bool,
    suffix: bool = False,
    code_field: str | None = None,
) -> Match | None:
    """A filter by code (an exact code, a code starting with it for hierarchical codes, an
    address ending with it) or else by a word of the label."""
    wanted = normalized(value)
    for code, label in codes:
        if (
            code == wanted
            or (prefix and code.startswith(wanted))
            or (suffix and code.endswith("/" + wanted))
        ):
            return Match(code_field or fields_[0], label)
    for name in fields_:  # in the order given: the shortest, plainest labels first
        best = _first((t for t in record.texts if t.field == name and wanted in t.norm), lang)
        if best is not None:
            return Match(best.field, best.text, best.lang)
    return None


def _matches(record: _Record, query: Query, words: list[str], lang: str | None):
    """Why ``record`` answers ``query`` (a list of matches, possibly empty for a search
    without criteria), or None when it does not."""
    entry = record.entry
    found: list[Match] = []
    if query.geography and normalized(query.geography) != normalized(entry.geography):
        return None
    if query.year and entry.year != query.year:
        return None
    if query.lang and query.lang not in entry.languages:
        return None
    if query.sector:
        if normalized(query.sector) not in record.sector_codes:
            return None
        found.append(Match("sector", f"{entry.sector.code} {entry.sector.label}".strip()))
    if query.occupation:
        hit = _code_or_text(
            record, query.occupation, record.occupation_codes, ("occupation",), lang, prefix=True
        )
        if hit is None:
            return None
        found.append(hit)
    if query.skill:
        hit = _code_or_text(
            record,
            query.skill,
            record.skill_uris,
            ("theme", "skill"),
            lang,
            prefix=False,
            suffix=True,
            code_field="skill",
        )
        if hit is None:
            return None
        found.append(hit)
    if words:
        more = _keyword_matches(record, words, lang)
        if more is None:
            return None
        seen = {m.field for m in found}
        found.extend(m for m in more if m.field not in seen)
    order = {name: i for i, name in enumerate(FIELDS)}
    return sorted(found, key=lambda m: order.get(m.field, len(FIELDS)))


def _int(name: str, value: Any, *, low: int, high: int | None = None) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(
            N_("%(name)s must be a whole number"),
            [Problem(N_("must be a whole number"), field=name)],
            {"name": name},
        ) from None
    if number < low or (high is not None and number > high):
        message = (
            N_("must be between %(low)s and %(high)s")
            if high is not None
            else N_("must be at least %(low)s")
        )
        raise InvalidInput(
            N_("%(name)s is out of range"),
            [Problem(message, field=name, params={"low": low, "high": high or low})],
            {"name": name},
        )
    return number


def _clean(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text[:200] or None


def search(
    q: str | None = None,
    sector: str | None = None,
    occupation: str | None = None,
    skill: str | None = None,
    geography: str | None = None,
    year: int | str | None = None,
    lang: str | None = None,
    page: int | str = 1,
    per_page: int | str = 20,
    *,
    display_lang: str | None = None,
    snap: Snapshot | None = None,
) -> Page:
    """Current published briefs answering every criterion given, best match first (then the
    most recently published), one page of them, each saying why it matched.

    ``q``: keywords, each to be found (case- and accent-insensitive) in the title, sector,
    occupations, skills, themes, contested points, geography or texts, in any language;
    ``sector``: a sector code (NACE "F", or the forecast's own); ``occupation``: an
    occupation code (ISCO "7126", a group "71", or the forecast's own) or words of its name;
    ``skill``: an ESCO skill address (or its last part) or words of a skill's label;
    ``geography``: a code ("EU", "DE"); ``year``: year of publication; ``lang``: a language
    the brief is given in. ``snap``: the published versions as already read (else read
    now). ``display_lang``: the language in which a matched text is shown
    when it is found in several. Raises InvalidInput naming ``page``, ``per_page`` or
    ``year`` when one is not a whole number in range. Reads only."""
    page_n = _int("page", page, low=1)
    size = _int("per_page", per_page, low=1, high=MAX_PER_PAGE)
    year_n = _int("year", year, low=1, high=9999) if _clean(year) else None
    query = Query(
        q=_clean(q),
        sector=_clean(sector),
        occupation=_clean(occupation),
        skill=_clean(skill),
        geography=_clean(geography),
        year=year_n,
        lang=_clean(lang),
    )
    words = _words(query.q or "")
    found: list[tuple[int, Entry]] = []
    for position, record in enumerate(_records(snap)):
        matches = _matches(record, query, words, display_lang or query.lang)
        if matches is None:
            continue
        score = sum(_WEIGHT.get(m.field, 0) for m in matches)
        found.append((score, position, replace(record.entry, matched=tuple(matches))))
    found.sort(key=lambda t: (-t[0], t[1]))
    start = (page_n - 1) * size
    return Page(
        entries=tuple(e for _, _, e in found[start : start + size]),
        total=len(found),
        page=page_n,
        per_page=size,
    )


def facets(snap: Snapshot | None = None, *, lang: str | None = None) -> dict[str, list[Any]]:
    """The values the filters can take now: sectors (code, label in ``lang`` where known,
    number of briefs), geographies (code, label), years and languages of the published
    briefs."""
    entries = current_entries(snap)
    sectors: dict[str, list[Any]] = {}
    geographies: dict[str, str] = {}
    for e in entries:
        if e.sector.code:
            sectors.setdefault(e.sector.code, [e.sector.code, e.sector_label(lang), 0])[2] += 1
        if e.geography:
            geographies.setdefault(e.geography, e.geography_label or e.geography)
    return {
        "sectors": sorted((tuple(s) for s in sectors.values()), key=lambda s: s[0]),
        "geographies": sorted(geographies.items()),
        "years": sorted({e.year for e in entries if e.year}, reverse=True),
        "languages": sorted({lang for e in entries for lang in e.languages}),
    }


def current_number(brief_id: int) -> int | None:
    """The number of the version of ``brief_id`` published now; None when none is."""
    return db.session.scalar(
        select(BriefVersion.number).where(
            BriefVersion.brief_id == brief_id, BriefVersion.status == BriefStatus.published
        )
    )


@dataclass(frozen=True)
class Event:
    """A publication, for feeds: a version published (``superseded_by`` None) or a version
    published that superseded an earlier one."""

    brief_id: int
    number: int
    title: str
    published_at: datetime
    change_note: str | None
    change_class: str | None
    #: Whether this version is the current one or has itself been superseded since.
    current: bool
    sector_codes: tuple[str, ...] = ()


def events(
    *, sector: str | None = None, limit: int = 50, snap: Snapshot | None = None
) -> list[Event]:
    """Publications of versions (each new and each superseding version), newest first; of
    the briefs on ``sector`` only, when given (a code, as in ``search``). A brief is on the
    sectors of its current version. Reads the versions' dates and notes, not their content."""
    codes_of = {r.entry.brief_id: r.entry.sector_codes for r in _records(snap)}
    rows = db.session.execute(
        select(
            BriefVersion.brief_id,
            BriefVersion.number,
            BriefVersion.status,
            BriefVersion.published_at,
            BriefVersion.change_note,
            BriefVersion.change_class,
            Brief.title,
        )
        .join(Brief, Brief.id == BriefVersion.brief_id)
        .where(BriefVersion.status.in_([BriefStatus.published, BriefStatus.superseded]))
        .where(BriefVersion.published_at.is_not(None))
        .order_by(BriefVersion.published_at.desc(), BriefVersion.id.desc())
    ).all()
    wanted = normalized(sector) if sector else None
    out: list[Event] = []
    for row in rows:
        codes = codes_of.get(row.brief_id, ())
        if wanted and wanted not in {normalized(c) for c in codes}:
            continue
        out.append(
            Event(
                brief_id=row.brief_id,
                number=row.number,
                title=row.title,
                published_at=row.published_at,
                change_note=row.change_note,
                change_class=row.change_class.value if row.change_class else None,
                current=row.status is BriefStatus.published,
                sector_codes=codes,
            )
        )
        if len(out) >= limit:
            break
    return out
