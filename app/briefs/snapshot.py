"""The stored content of a brief version and what the workflow reads from it.

``assemble_content`` builds the content of a version from its consultation and the forecast
values selected for it (as JSON, the stored form of ``app.briefs.content.BriefContent``);
``figure_keys`` lists what the secretariat may annotate; ``content_of`` is a version's
content with the secretariat's narrative, notes and contact put in, as every output reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.briefs.assemble import assemble
from app.briefs.content import Annotation, BriefContent, Contact, Narrative, Section
from app.briefs.models import NARRATIVE_FIELDS
from app.briefs.queries import Selection, bound_selections, brief_inputs
from app.charts.brief import brief_charts

if TYPE_CHECKING:
    from app.briefs.models import BriefVersion
    from app.consultations.models import Consultation


def assemble_content(
    consultation: Consultation,
    *,
    title: str,
    as_of: datetime,
    version: int = 1,
    selections: Iterable[Selection] | None = None,
) -> dict[str, Any]:
    """The content of version ``version`` of a brief on ``consultation`` with the forecast
    values of ``selections`` (``app.briefs.queries.Selection``; None: the series the
    consultation binds; none at all: the brief says no forecast is bound), as stored JSON:
    the frozen round results, approved themes and forecast series assembled by
    ``app.briefs.assemble``. The narrative, notes and contact
    are kept apart on the version (``content_of`` puts them in). Reads only."""
    if selections is None:
        selections = bound_selections(consultation)
    inputs = brief_inputs(
        consultation,
        selections,
        title=title,
        date=as_of.date().isoformat(),
        version=version,
    )
    return assemble(inputs).to_json()


def typed(content: dict[str, Any]) -> BriefContent | None:
    """The stored content as a ``BriefContent``, or None when it is not one (yet)."""
    if not content or not content.get("schema_version"):
        return None
    return BriefContent.from_json(content)


def figure_keys(content: dict[str, Any]) -> dict[str, str]:
    """What a note may be put beside, as the outputs show notes: target -> its kind
    (``fact``: a key fact; ``section``: the employment trend; ``chart``: a chart the brief
    has, by its stable name), in the order of the brief."""
    brief = typed(content)
    if brief is None:
        return {}
    targets: dict[str, str] = {fact.key.value: "fact" for fact in brief.facts()}
    targets[Section.trend.value] = "section"
    for chart in brief_charts(brief):
        targets.setdefault(chart.name, "chart")
    return targets


def content_of(version: BriefVersion) -> BriefContent | None:
    """The version's content as its outputs show it: the narrative, the notes beside figures
    and the contact of the version, its number and date (the publication's, else today's)."""
    brief = typed(version.content)
    if brief is None:
        return None
    narrative = Narrative(
        **{k: str((version.narrative or {}).get(k) or "") for k in NARRATIVE_FIELDS}
    )
    notes = tuple(
        Annotation(target=k, text=v) for k, v in (version.annotations or {}).items() if v.strip()
    )
    when = version.published_at or version.created_at
    header = replace(
        brief.header,
        version=version.number,
        date=when.date().isoformat() if when else brief.header.date,
        contact=Contact(name=version.contact) if version.contact else brief.header.contact,
    )
    return replace(brief.with_narrative(narrative).with_annotations(notes), header=header)
