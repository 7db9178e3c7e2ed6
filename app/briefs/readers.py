"""Views of a published brief for different readers: the same facts, ordered and worded for
each, never different numbers.

``detailed`` is the brief's page as it always was (``brief.html``: every statistic). The
others are short pages in plain words, without statistics terms, each ending with a
glossary and a link to the detailed view and the downloads: ``plain`` for any reader, and
one for each client group guidance practitioners work with (``young`` people choosing an
education, ``adults`` changing career, ``newcomers`` to the country). Every figure they
show is formatted by the code that formats it on the detailed page; a fact the brief does
not hold is said to be missing, never made up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app import formatting
from app.briefs import words
from app.briefs.brief_tables import pick_text
from app.briefs.content import BriefContent, Fact, FactKey
from app.formatting import N_

#: The views, the detailed one first (the default).
VIEWS = ("detailed", "plain", "young", "adults", "newcomers")
DEFAULT_VIEW = "detailed"

#: The stored file of each view (in each language, under the same ``<lang>/`` convention).
VIEW_FILES = {view: "brief.html" if view == "detailed" else f"brief-{view}.html" for view in VIEWS}

#: What the switch calls each view.
VIEW_WORDS = {
    "detailed": N_("Detailed (all statistics)"),
    "plain": N_("Plain language"),
    "young": N_("For young people choosing an education"),
    "adults": N_("For adults changing career"),
    "newcomers": N_("For newcomers to the country"),
}

#: Words the plain and client views never use (statistics terms): their tests read them.
JARGON = (
    "IQR",
    "interquartile",
    "quartile",
    "median",
    "Kruskal",
    "Wallis",
    "p-value",
    "standard deviation",
    "Likert",
    "consensus",
)

#: Plain sentences of the key facts: ``%(value)s`` is formatted as on the detailed page.
PLAIN_FACTS = {
    "base_employment": N_("In %(year)s, the sector had %(value)s."),
    "projected_employment": N_("By %(year)s, the sector is expected to have %(value)s."),
    "employment_change": N_("From %(base_year)s to %(year)s, that is a change of %(value)s."),
    "employment_change_pct": N_("Counted in per cent, the change is %(value)s."),
    "openings_total": N_("Expected job openings from %(base_year)s to %(year)s: %(value)s."),
    "openings_expansion_share": N_(
        "%(value)s of these openings are new jobs, because the sector grows."
    ),
    "openings_replacement_share": N_(
        "%(value)s of these openings come from people who retire or leave. "
        "Someone new is needed in their place."
    ),
    "panel_employment_change": N_("The experts on the panel expect a change of %(value)s."),
    "current_conditions": N_("The job situation in the sector today: %(value)s."),
    "future_outlook": N_("The outlook for the coming years: %(value)s."),
}

#: How strongly the panel agreed, in plain words.
AGREEMENT_WORDS = {
    "in": N_("Most panel members agreed."),
    "out": N_("Most panel members agreed that it does not apply."),
    "mid": N_("Most panel members agreed on a middle answer."),
    "none": N_("Panel members did not agree."),
    "insufficient": N_("Too few panel members answered to say."),
    "conflict": N_("Panel members did not agree."),
}

GLOSSARY = (
    (
        N_("Job openings"),
        N_(
            "Jobs that need a new person: new jobs when a sector grows, and jobs of people who "
            "retire or leave."
        ),
    ),
    (
        N_("Outlook"),
        N_(
            "What the figures and the experts say about the coming years. It is a careful "
            "guess, not a promise."
        ),
    ),
    (
        N_("Forecast"),
        N_("An estimate of the future, made by a statistics office or research body."),
    ),
    (
        N_("Expert panel"),
        N_(
            "People who know the sector (employers, workers, teachers and trainers, public "
            "bodies) and answered the questions of this brief, in several rounds."
        ),
    ),
    (
        N_("Panel members agreed"),
        N_("Most of the experts gave the same answer, after seeing what the others said."),
    ),
    (
        N_("Contested"),
        N_("The groups of experts see a point differently. Each group's view is shown."),
    ),
    (
        N_("ESCO"),
        N_(
            "The European list of skills and occupations. Its links describe each skill in "
            "more detail."
        ),
    ),
)


@dataclass
class Item:
    """One thing a reader reads: a sentence, with the notes that go with it."""

    text: str
    lang: str | None = None
    notes: list[str] = field(default_factory=list)
    #: "How reliable is this?" said in plain words.
    reliability: str | None = None
    links: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Section:
    id: str
    heading: str
    intro: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    #: The secretariat's own words (in the brief's language).
    narrative: tuple[str, ...] = ()
    #: What the brief does not hold, said so.
    missing: str | None = None
    #: The publishers' caveats of the section's forecasts, each once.
    caveats: list[str] = field(default_factory=list)


def _plain_reliability(fact: Fact, fmt, _) -> str | None:
    """ "How reliable is this?" in a few plain sentences: how many panel members answered and
    agreed, or whose forecast it is (its caveats are said once, below the section)."""
    rel = fact.reliability
    parts = []
    if rel is not None:
        parts += _panel_words(rel.n, rel.response_rate, rel.consensus_status, rel.agreement, fmt, _)
    if fact.source is not None and not fact.source.is_panel:
        parts.append(_forecast_words(fact.source, _))
    return " ".join(parts) or None


def _panel_words(n, response_rate, status, agreement, fmt, _) -> list[str]:
    parts = []
    if n is not None:
        parts.append(
            _(N_("%(n)s panel members answered.")) % {"n": formatting.count(n, locale=fmt.lang)}
        )
    if response_rate is not None:
        parts.append(
            _(N_("Of those asked, %(rate)s answered."))
            % {"rate": formatting.percent(response_rate, locale=fmt.lang)}
        )
    if status in AGREEMENT_WORDS:
        parts.append(_(AGREEMENT_WORDS[status]))
    if agreement is not None:
        parts.append(
            _(N_("Share who agreed: %(share)s."))
            % {"share": formatting.percent(agreement, locale=fmt.lang)}
        )
    return parts


def _forecast_words(source, _) -> str:
    if source.vintage:
        return _(N_("A forecast by %(publisher)s (edition %(vintage)s).")) % {
            "publisher": source.publisher,
            "vintage": source.vintage,
        }
    return _(N_("A forecast by %(publisher)s.")) % {"publisher": source.publisher}


def _caveats(facts) -> list[str]:
    """The publishers' caveats of ``facts``, each once."""
    seen: list[str] = []
    for fact in facts:
        rel = fact.reliability
        for caveat in rel.caveats if rel else ():
            if caveat and caveat.strip() and caveat.strip() not in seen:
                seen.append(caveat.strip())
    return seen


def _fact_item(fact: Fact, fmt, _) -> Item:
    key = fact.key.value
    if not fact.available:
        return Item(
            _(N_("%(what)s: this brief does not have this figure."))
            % {"what": _(words.FACT_WORDS[key])}
        )
    text = _(PLAIN_FACTS[key]) % {
        "value": fmt.fact_value(fact),
        "year": fact.year if fact.year is not None else "",
        "base_year": fact.base_year if fact.base_year is not None else "",
    }
    return Item(text, reliability=_plain_reliability(fact, fmt, _))


def _facts(content: BriefContent, keys, fmt, _) -> list[Item]:
    return [_fact_item(f, fmt, _) for k in keys if (f := content.fact(k)) is not None]


def _found(content: BriefContent, keys) -> list[Fact]:
    return [f for k in keys if (f := content.fact(k)) is not None and f.available]


def reader_context(
    content: BriefContent,
    *,
    view: str,
    lang: str,
    fmt,
    translate,
    links: dict[str, str],
    esco_view,
) -> dict[str, Any]:
    """What ``briefs/reader.html`` needs for ``view`` of ``content`` in ``lang``: sections in
    the order that view's readers want them, each fact in plain words."""
    if view not in VIEWS or view == DEFAULT_VIEW:
        raise ValueError(f"no reader view {view!r}")
    _ = translate
    header = content.header
    default = header.languages[0] if header.languages else "en"
    content_lang = None if default == lang else default

    def text(value) -> tuple[str, str | None]:
        picked = pick_text(value, lang, default)
        return picked.text, picked.lang if picked.lang != lang else None

    narrative = content.narrative

    def paragraphs(value: str) -> tuple[str, ...]:
        return tuple(p.strip() for p in (value or "").split("\n\n") if p.strip())

    def outlook() -> Section:
        keys = (
            FactKey.future_outlook,
            FactKey.current_conditions,
            FactKey.base_employment,
            FactKey.projected_employment,
            FactKey.employment_change,
            FactKey.employment_change_pct,
            FactKey.panel_employment_change,
        )
        return Section(
            "outlook",
            _(N_("The outlook in short")),
            items=_facts(content, keys, fmt, _),
            narrative=paragraphs(narrative.summary),
            caveats=_caveats(_found(content, keys)),
        )

    def openings(replacement_first: bool = False) -> Section:
        keys = [
            FactKey.openings_total,
            FactKey.openings_expansion_share,
            FactKey.openings_replacement_share,
        ]
        if replacement_first:
            keys = [keys[0], keys[2], keys[1]]
        intro = [_(N_("Job openings are jobs that need a new person."))]
        if replacement_first:
            intro.append(
                _(
                    N_(
                        "Many openings come from people who retire or leave. Such jobs are "
                        "open to people who change career, too."
                    )
                )
            )
        return Section(
            "openings",
            _(N_("Job openings")),
            intro=intro,
            items=_facts(content, keys, fmt, _),
            caveats=_caveats(_found(content, keys)),
        )

    def skills(heading: str, intro: str) -> Section:
        agreed = [s for s in content.skill_needs.items if s.consensus_status == "in"]
        items = [
            Item(
                *text(s.text),
                reliability=" ".join(_panel_words(s.n, None, None, s.agreement, fmt, _)) or None,
            )
            for s in agreed
        ]
        return Section(
            "skills",
            heading,
            intro=[intro],
            items=items,
            missing=None
            if items
            else _(N_("The panel did not agree on any skill as needed in this brief.")),
        )

    def emerging() -> Section:
        items = []
        for skill in content.emerging_skills.skills:
            label, label_lang = text(skill.label)
            item = Item(label, label_lang, links=[esco_view(e, lang, default) for e in skill.esco])
            items.append(item)
        return Section(
            "new-skills",
            _(N_("New skills coming up")),
            intro=[_(N_("The panel named these new skills. The links describe each skill."))],
            items=items,
            missing=None if items else _(N_("This brief names no new skills.")),
        )

    def occupations(growing_first: bool = True) -> Section:
        lists = [
            (N_("Occupations that grow fastest"), content.occupations.fastest_growing),
            (N_("Occupations with the most jobs"), content.occupations.largest),
        ]
        if not growing_first:
            lists.reverse()
        items = []
        for title, found in lists:
            if found.rows:
                names = formatting.word_list([r.label for r in found.rows], locale=lang)
                items.append(Item(f"{_(title)}: {names}."))
        return Section(
            "occupations",
            _(N_("Occupations")),
            items=items,
            missing=None if items else _(N_("This brief lists no occupations.")),
        )

    def contested() -> Section:
        items = []
        for point in content.contested.points:
            label, label_lang = text(point.text)
            notes = []
            high, low = point.median_max_group, point.median_min_group
            if high and low:
                notes.append(
                    _(N_("%(high)s rated this higher than %(low)s."))
                    % {
                        "high": _(words.GROUP_WORDS.get(high, high)),
                        "low": _(words.GROUP_WORDS.get(low, low)),
                    }
                )
            items.append(Item(label, label_lang, notes=notes))
        return Section(
            "contested",
            _(N_("Where the experts disagree")),
            intro=[_(N_("On these points, the groups of experts see things differently."))],
            items=items,
            missing=None
            if items
            else _(N_("The groups of experts did not disagree on any point.")),
        )

    def guidance() -> Section:
        found = paragraphs(narrative.guidance_practitioners)
        return Section(
            "guidance",
            _(N_("What this means for guidance")),
            narrative=found,
            missing=None if found else _(N_("The brief has no advice for guidance.")),
        )

    def training(heading: str) -> Section:
        found = paragraphs(narrative.education_providers)
        return Section(
            "training",
            heading,
            intro=[_(N_("What the brief says to schools, colleges and training providers:"))]
            if found
            else [],
            narrative=found,
            missing=None
            if found
            else _(N_("This brief does not name education or training paths.")),
        )

    not_a_promise = _(
        N_(
            "An outlook is not a promise of a job. It says where jobs are likely; each "
            "employer decides who to hire."
        )
    )

    if view == "plain":
        title = _(N_("In plain words"))
        sections = [
            outlook(),
            guidance(),
            openings(),
            skills(
                _(N_("Skills in demand")),
                _(N_("Most panel members agreed that these skills are needed.")),
            ),
            emerging(),
            contested(),
            occupations(),
        ]
    elif view == "young":
        title = _(N_("For young people choosing an education"))
        sections = [
            skills(
                _(N_("Skills worth learning")),
                _(N_("Most panel members agreed that these skills are needed.")),
            ),
            emerging(),
            training(_(N_("Education paths"))),
            openings(),
            occupations(),
            outlook(),
            contested(),
        ]
        sections[0].intro.append(not_a_promise)
    elif view == "adults":
        title = _(N_("For adults changing career"))
        sections = [
            openings(replacement_first=True),
            skills(
                _(N_("Skills that are needed")),
                _(N_("Most panel members agreed that these skills are needed.")),
            ),
            Section(
                "transfer",
                _(N_("Skills that transfer")),
                missing=_(
                    N_(
                        "This brief does not say which skills transfer from other work. "
                        "Compare the skills above with your own."
                    )
                ),
            ),
            training(_(N_("Training"))),
            occupations(growing_first=False),
            outlook(),
            contested(),
        ]
    else:
        title = _(N_("For newcomers to the country"))
        sections = [
            skills(
                _(N_("Skills in demand")),
                _(N_("Most panel members agreed that these skills are needed.")),
            ),
            Section(
                "qualifications",
                _(N_("Where qualifications and skills matter")),
                missing=_(
                    N_(
                        "This brief does not say which qualifications employers ask for, or how "
                        "qualifications from abroad are recognised. Ask a guidance adviser."
                    )
                ),
            ),
            openings(),
            occupations(),
            emerging(),
            outlook(),
            contested(),
        ]
        sections[0].intro.append(not_a_promise)
    return {
        "lang": lang,
        "content_lang": content_lang,
        "view": view,
        "view_title": title,
        "title": header.title,
        "header": {
            "sector": header.sector_label,
            "geography": header.geography_label or header.geography,
            "date": fmt.date(header.date),
            "version": header.version,
            "citation": header.citation,
        },
        "sections": sections,
        "glossary": [(_(term), _(meaning)) for term, meaning in GLOSSARY],
        "links": dict(links),
    }
