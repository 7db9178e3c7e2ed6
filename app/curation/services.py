"""Curating themes from the free-text answers of a closed round.

The engine (:mod:`app.themes`) suggests themes from the round's statements; the secretariat
accepts suggestions as themes, merges, splits, renames them in every panel language, links
ESCO skills and approves them. Approved themes become rating items of the next round
(:func:`app.consultations.services.prepare_next_round`). Statements are anonymous text only:
no response, pseudonym or running number is kept with them.

Every action checks scope and round state, records an audit event and flushes; the edge
commits.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.audit.services import record
from app.auth.models import User
from app.consultations.models import Consultation, ItemType, Round
from app.consultations.plans import plan_of
from app.consultations.queries import text_answers
from app.consultations.services import ensure_staff_can_see_results
from app.curation.models import Theme
from app.errors import InvalidInput, NotFound, StateError
from app.extensions import db
from app.i18n import LANGUAGE_NAMES
from app.problems import N_, Problem
from app.text import has_control_characters
from app.themes import SkillIndex, load_esco_skills, match_themes_esco, split_statements
from app.themes import suggest_themes as engine_suggest_themes

#: Longest theme label accepted, per language.
MAX_LABEL = 200
#: ESCO candidates shown per theme, and the lowest score worth showing.
ESCO_TOP_K = 5
ESCO_MIN_SCORE = 0.05
_ESCO_URI = re.compile(r"^https?://data\.europa\.eu/esco/[A-Za-z0-9._~/-]{1,200}$")


# --- ESCO skills, loaded once per process and file list ----------------------------------


@dataclass(frozen=True)
class EscoSkills:
    index: SkillIndex
    #: URI -> preferred label.
    labels: dict[str, str]


_ESCO_CACHE: dict[tuple[str, ...], EscoSkills] = {}
_ESCO_LOCK = threading.Lock()


def esco_skills(files: Sequence[str | Path]) -> EscoSkills | None:
    """The ESCO skills of ``files`` with their matching index; None when no file is given.

    Built once per process for a given file list. Raises FileNotFoundError or ValueError
    (see :func:`app.themes.load_esco_skills`) when a file is missing or malformed.
    """
    key = tuple(str(f) for f in files)
    if not key:
        return None
    with _ESCO_LOCK:
        cached = _ESCO_CACHE.get(key)
        if cached is None:
            skills = load_esco_skills(list(key))
            cached = EscoSkills(
                SkillIndex(skills), dict(zip(skills["uri"], skills["label"], strict=True))
            )
            _ESCO_CACHE[key] = cached
    return cached


@dataclass(frozen=True)
class EscoCandidate:
    uri: str
    label: str
    score: float


def theme_candidates(
    themes: Sequence[Theme], esco: EscoSkills | None, default_language: str
) -> dict[int, list[EscoCandidate]]:
    """ESCO candidates per curated theme (mean score of its label and statements).

    Already linked skills are left out. Empty without ESCO skills.
    """
    if esco is None or not len(esco.index):
        return {}
    out: dict[int, list[EscoCandidate]] = {}
    uris = esco.index.uris
    for theme in themes:
        texts = [str(s) for s in theme.statements if str(s).strip()]
        label = (theme.label or {}).get(default_language)
        if label:
            texts.append(label)
        if not texts:
            out[theme.id] = []
            continue
        scores = esco.index.scores(texts).mean(axis=0)
        order = np.argsort(-scores, kind="stable")
        linked = set(theme.esco_uris or [])
        picked = []
        for index in order:
            if scores[index] < ESCO_MIN_SCORE or len(picked) == ESCO_TOP_K:
                break
            if uris[index] in linked:
                continue
            picked.append(
                EscoCandidate(uris[index], esco.labels.get(uris[index], ""), float(scores[index]))
            )
        out[theme.id] = picked
    return out


# --- suggestions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A theme suggested by the engine for one open question."""

    item_key: str
    #: Number of the suggestion within the question (1 = largest).
    number: int
    label: str
    keywords: tuple[str, ...]
    #: Anonymous statements, most central first (repeated texts kept: they show support).
    statements: tuple[str, ...]
    cohesion: float
    esco: tuple[EscoCandidate, ...]
    #: Fingerprint of the statements: an accept form refers to exactly what was shown.
    digest: str
    #: Every statement is already in a curated theme of this round.
    accepted: bool = False


@dataclass(frozen=True)
class QuestionSuggestions:
    item_key: str
    n_answers: int
    n_statements: int
    suggestions: list[Suggestion] = field(default_factory=list)


def _digest(item_key: str, statements: Sequence[str]) -> str:
    blob = "\x1f".join([item_key, *statements]).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:32]


def round_themes(round_: Round) -> list[Theme]:
    """Curated themes that came from this round, oldest first."""
    return [t for t in round_.consultation.themes if t.round_id == round_.id]


def suggest_themes(round_: Round, esco: EscoSkills | None = None) -> list[QuestionSuggestions]:
    """Suggested themes per open question of a closed round (seeded with the plan's seed).

    Statements come from :func:`app.consultations.queries.text_answers` split by
    :func:`app.themes.split_statements`; each open question is clustered on its own.
    """
    seed = plan_of(round_.consultation).bootstrap_seed
    text_items = [i for i in round_.items if i.type is ItemType.text]
    if not text_items:
        return []
    answers = text_answers(round_)
    curated = {str(s) for t in round_themes(round_) for s in t.statements}
    out = []
    for item in text_items:
        subset = answers[answers["item"] == item.key]
        statements = split_statements(subset) if not subset.empty else None
        if statements is None or statements.empty:
            out.append(QuestionSuggestions(item.key, len(subset), 0))
            continue
        suggestion = engine_suggest_themes(statements, seed=seed)
        matches = (
            match_themes_esco(suggestion, esco.index, top_k=ESCO_TOP_K, min_score=ESCO_MIN_SCORE)
            if esco is not None and len(esco.index)
            else None
        )
        texts = dict(
            zip(suggestion.assignments["statement_id"], suggestion.assignments["text"], strict=True)
        )
        found = []
        for row in suggestion.themes.itertuples(index=False):
            members = tuple(str(texts[s]) for s in row.statement_ids)
            candidates: tuple[EscoCandidate, ...] = ()
            if matches is not None and not matches.empty:
                rows = matches[matches["theme_id"] == row.theme_id]
                candidates = tuple(
                    EscoCandidate(str(m.uri), str(m.label), float(m.score))
                    for m in rows.itertuples(index=False)
                )
            found.append(
                Suggestion(
                    item_key=item.key,
                    number=int(row.theme_id),
                    label=str(row.label),
                    keywords=tuple(str(k) for k in row.keywords),
                    statements=members,
                    cohesion=float(row.cohesion),
                    esco=candidates,
                    digest=_digest(item.key, members),
                    accepted=bool(members) and set(members) <= curated,
                )
            )
        out.append(QuestionSuggestions(item.key, len(subset), len(statements), found))
    return out


def find_suggestion(
    suggestions: Sequence[QuestionSuggestions], item_key: str, number: int, digest: str
) -> Suggestion:
    """The suggestion shown in a form. Raises NotFound, or StateError when it changed."""
    for question in suggestions:
        if question.item_key != item_key:
            continue
        for suggestion in question.suggestions:
            if suggestion.number == number:
                if suggestion.digest != digest:
                    raise StateError(N_("the suggestions have changed; please review them again"))
                return suggestion
    raise NotFound(N_("no such suggestion"))


# --- languages and labels ----------------------------------------------------------------


def panel_languages(consultation: Consultation) -> tuple[list[str], str]:
    """The questionnaire's languages (the panel's) and its default language."""
    spec = consultation.questionnaire.spec
    default = spec.get("default_language", "en")
    languages = list(spec.get("languages") or [default])
    if default not in languages:
        languages.insert(0, default)
    return languages, default


def language_name(code: str) -> str:
    """A language as the messages name it: in its own language, with its code."""
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


def _enter_label(lang: str) -> Problem:
    return Problem(
        N_("enter the label in %(language)s"),
        field=f"label-{lang}",
        params={"language": language_name(lang)},
    )


def clean_labels(
    raw: Mapping[str, str | None], languages: Sequence[str], default: str
) -> dict[str, str]:
    """Labels per panel language, spaces collapsed; the default language is required.

    A label becomes the text of a rating item, shown on one line: line breaks, tabs and other
    control characters are refused. Raises InvalidInput naming each language at fault.
    """
    labels: dict[str, str] = {}
    problems = []
    for lang in languages:
        value = str(raw.get(lang) or "")
        if has_control_characters(value):
            problems.append(
                Problem(
                    N_(
                        "the label in %(language)s must be a single line; remove line breaks, "
                        "tabs and other control characters"
                    ),
                    field=f"label-{lang}",
                    params={"language": language_name(lang)},
                )
            )
            continue
        value = " ".join(value.split())
        if len(value) > MAX_LABEL:
            problems.append(
                Problem(
                    N_("at most %(n)s characters in %(language)s"),
                    field=f"label-{lang}",
                    params={"n": MAX_LABEL, "language": language_name(lang)},
                )
            )
        elif value:
            labels[lang] = value
    if default not in labels and not problems:
        problems.append(_enter_label(default))
    if problems:
        raise InvalidInput(N_("the theme label needs attention"), problems)
    return labels


def missing_languages(theme: Theme, languages: Sequence[str]) -> list[str]:
    return [lang for lang in languages if not (theme.label or {}).get(lang, "").strip()]


# --- actions -----------------------------------------------------------------------------


def theme_in_round(round_: Round, theme_id: int) -> Theme:
    """A theme of this round of this consultation; else NotFound (scope from the object)."""
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.consultation_id != round_.consultation_id:
        raise NotFound(N_("no such theme"))
    if theme.round_id != round_.id:
        raise NotFound(N_("no such theme"))
    return theme


def _editable(theme: Theme) -> None:
    if theme.item_key:
        raise StateError(
            N_(
                "this theme is already the question %(key)s of a later round and can no "
                "longer be changed"
            ),
            {"key": theme.item_key},
        )


def _audit(action: str, by: User, theme: Theme, round_: Round, **details) -> None:
    record(
        action,
        actor=by,
        object_type="theme",
        object_id=theme.id,
        details={"round": round_.number, **details},
    )


def accept_suggestion(
    round_: Round,
    suggestion: Suggestion,
    labels: Mapping[str, str | None],
    esco_uris: Sequence[str] = (),
    *,
    by: User,
) -> Theme:
    """Create a theme from a suggestion, with labels per panel language and chosen ESCO skills.

    Raises InvalidInput (no default-language label, an ESCO skill not among the
    suggestion's candidates), NotAllowed (round open), NotFound. Flushes.
    """
    ensure_staff_can_see_results(by, round_)
    languages, default = panel_languages(round_.consultation)
    clean = clean_labels(labels, languages, default)
    offered = {c.uri for c in suggestion.esco}
    chosen = list(dict.fromkeys(u for u in esco_uris if u))
    unknown = [u for u in chosen if u not in offered]
    if unknown:
        raise InvalidInput(
            N_("choose ESCO skills among the candidates shown"),
            [
                Problem(
                    N_("%(uri)s is not a candidate of this suggestion"),
                    field="esco",
                    params={"uri": u},
                )
                for u in unknown
            ],
        )
    theme = Theme(
        consultation=round_.consultation,
        round_id=round_.id,
        label=clean,
        statements=list(suggestion.statements),
        esco_uris=chosen,
        approved=False,
    )
    db.session.add(theme)
    db.session.flush()
    _audit(
        "theme-created",
        by,
        theme,
        round_,
        item=suggestion.item_key,
        statements=len(suggestion.statements),
        esco=len(chosen),
    )
    return theme


def merge_themes(round_: Round, source_id: int, target_id: int, *, by: User) -> Theme:
    """Move the source theme's statements and ESCO skills into the target; delete the source.

    The target keeps its labels (missing languages are taken from the source) and needs
    approval again. Raises InvalidInput (same theme), StateError (read-only), NotFound.
    Flushes.
    """
    ensure_staff_can_see_results(by, round_)
    if source_id == target_id:
        raise InvalidInput(
            N_("choose another theme to merge with"),
            [Problem(N_("the same theme"), field="merge")],
        )
    source, target = theme_in_round(round_, source_id), theme_in_round(round_, target_id)
    _editable(source)
    _editable(target)
    target.statements = [*target.statements, *source.statements]
    target.esco_uris = list(dict.fromkeys([*target.esco_uris, *source.esco_uris]))
    target.label = {**(source.label or {}), **(target.label or {})}
    target.approved = False
    merged = source.id
    db.session.delete(source)
    db.session.flush()
    _audit("themes-merged", by, target, round_, merged_theme=merged)
    return target


def statement_groups(theme: Theme) -> list[tuple[str, int]]:
    """Distinct statements of a theme with how often each was given, in first-seen order."""
    counts: dict[str, int] = {}
    for statement in theme.statements:
        counts[str(statement)] = counts.get(str(statement), 0) + 1
    return list(counts.items())


def split_theme(
    round_: Round,
    theme_id: int,
    chosen: Sequence[int],
    labels: Mapping[str, str | None],
    *,
    by: User,
) -> Theme:
    """Move the chosen statements (indices into :func:`statement_groups`) into a new theme.

    Both themes need approval afterwards. Raises InvalidInput (none or all chosen, bad index,
    no label), StateError (read-only), NotFound. Flushes.
    """
    ensure_staff_can_see_results(by, round_)
    theme = theme_in_round(round_, theme_id)
    _editable(theme)
    groups = statement_groups(theme)
    picked = sorted(set(chosen))
    if not picked or any(i < 0 or i >= len(groups) for i in picked):
        raise InvalidInput(
            N_("choose the statements to move"),
            [Problem(N_("choose at least one statement"), field="statements")],
        )
    if len(picked) == len(groups):
        raise InvalidInput(
            N_("a split must leave statements in the theme"),
            [Problem(N_("leave at least one statement in the theme"), field="statements")],
        )
    languages, default = panel_languages(round_.consultation)
    clean = clean_labels(labels, languages, default)
    moving = {groups[i][0] for i in picked}
    new = Theme(
        consultation=round_.consultation,
        round_id=round_.id,
        label=clean,
        statements=[s for s in theme.statements if str(s) in moving],
        esco_uris=[],
        approved=False,
    )
    theme.statements = [s for s in theme.statements if str(s) not in moving]
    theme.approved = False
    db.session.add(new)
    db.session.flush()
    _audit("theme-split", by, theme, round_, new_theme=new.id, statements=len(new.statements))
    return new


def rename_theme(
    round_: Round, theme_id: int, labels: Mapping[str, str | None], *, by: User
) -> Theme:
    """Set the theme's label in each panel language.

    An approved theme must keep a label in every language. Raises InvalidInput naming the
    language, StateError (read-only), NotFound. Flushes.
    """
    ensure_staff_can_see_results(by, round_)
    theme = theme_in_round(round_, theme_id)
    _editable(theme)
    languages, default = panel_languages(round_.consultation)
    clean = clean_labels(labels, languages, default)
    if theme.approved:
        missing = [lang for lang in languages if lang not in clean]
        if missing:
            raise InvalidInput(
                N_("an approved theme needs a label in every panel language"),
                [_enter_label(m) for m in missing],
            )
    changed = sorted(
        lang
        for lang in set(clean) | set(theme.label or {})
        if clean.get(lang) != theme.label.get(lang)
    )
    theme.label = clean
    db.session.flush()
    if changed:
        _audit("theme-renamed", by, theme, round_, languages=changed)
    return theme


def link_esco(
    round_: Round,
    theme_id: int,
    uri: str,
    *,
    by: User,
    known: Mapping[str, str] | None = None,
) -> Theme:
    """Link an ESCO skill to a theme: its concept URI or, when the ESCO skills are loaded
    (``known``: URI -> preferred label), its preferred label. With skills loaded, an address
    that is not one of them is refused (a mistyped or invented address would be published
    as a link). Raises InvalidInput, StateError, NotFound. Flushes."""
    ensure_staff_can_see_results(by, round_)
    theme = theme_in_round(round_, theme_id)
    _editable(theme)
    given = (uri or "").strip()
    uri = given
    if known and not _ESCO_URI.match(given):
        wanted = given.casefold()
        found = [u for u, label in known.items() if label.casefold() == wanted]
        if len(found) == 1:
            uri = found[0]
    if not _ESCO_URI.match(uri):
        hint = (
            N_(
                "enter an ESCO concept URI such as http://data.europa.eu/esco/skill/…, or the "
                "exact name of a loaded ESCO skill"
            )
            if known
            else N_("enter an ESCO concept URI such as http://data.europa.eu/esco/skill/…")
        )
        raise InvalidInput(N_("not an ESCO skill address"), [Problem(hint, field="esco")])
    if known and uri not in known:
        raise InvalidInput(
            N_("not one of the loaded ESCO skills"),
            [
                Problem(
                    N_(
                        "%(uri)s is not among the %(count)s ESCO skills loaded: check the "
                        "address, or choose one of the suggestions"
                    ),
                    field="esco",
                    params={"uri": uri, "count": len(known)},
                )
            ],
        )
    if uri in theme.esco_uris:
        raise InvalidInput(
            N_("this ESCO skill is already linked"),
            [Problem(N_("%(uri)s is linked"), field="esco", params={"uri": uri})],
        )
    theme.esco_uris = [*theme.esco_uris, uri]
    db.session.flush()
    _audit("theme-esco-linked", by, theme, round_, uri=uri)
    return theme


def unlink_esco(round_: Round, theme_id: int, uri: str, *, by: User) -> Theme:
    """Remove a linked ESCO skill. Raises InvalidInput, StateError, NotFound. Flushes."""
    ensure_staff_can_see_results(by, round_)
    theme = theme_in_round(round_, theme_id)
    _editable(theme)
    if uri not in theme.esco_uris:
        raise InvalidInput(
            N_("this ESCO skill is not linked"),
            [Problem(N_("%(uri)s is not linked"), field="esco", params={"uri": uri})],
        )
    theme.esco_uris = [u for u in theme.esco_uris if u != uri]
    db.session.flush()
    _audit("theme-esco-unlinked", by, theme, round_, uri=uri)
    return theme


def approve_theme(round_: Round, theme_id: int, *, by: User) -> Theme:
    """Approve a theme for the next round: it needs a label in every panel language.

    Raises InvalidInput naming each missing language, StateError (read-only), NotFound.
    Flushes.
    """
    ensure_staff_can_see_results(by, round_)
    theme = theme_in_round(round_, theme_id)
    _editable(theme)
    languages, _default = panel_languages(round_.consultation)
    missing = missing_languages(theme, languages)
    if missing:
        raise InvalidInput(
            N_(
                "the theme needs a label in every panel language before approval; missing: "
                "%(languages)s"
            ),
            [_enter_label(m) for m in missing],
            {"languages": ", ".join(language_name(m) for m in missing)},
        )
    if not theme.statements:
        raise InvalidInput(
            N_("the theme has no statements"), [Problem(N_("none left"), field="statements")]
        )
    theme.approved = True
    db.session.flush()
    _audit("theme-approved", by, theme, round_)
    return theme


def unapprove_theme(round_: Round, theme_id: int, *, by: User) -> Theme:
    """Withdraw the approval. Raises StateError (read-only), NotFound. Flushes."""
    ensure_staff_can_see_results(by, round_)
    theme = theme_in_round(round_, theme_id)
    _editable(theme)
    theme.approved = False
    db.session.flush()
    _audit("theme-unapproved", by, theme, round_)
    return theme
