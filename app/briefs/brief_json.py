"""A brief as the open API publishes it (DESIGN.md "Open API, version 1"; pure).

``GET /api/v1/briefs/{id}`` answers this document for a published version; ``brief.json`` is the
same document, stored at publication. Field names are stable. Statistics are rounded to 4
decimals (METHOD.md conventions); every rated item of every round carries its answer counts,
so that anyone can recompute the median, quartiles and agreement from them. Stakeholder-group
cells are the frozen cells: a suppressed one is ``{"group": ..., "suppressed": true}`` only;
a group that gave no answers has no cell and is named in ``groups_without_answers``.
Texts of the content are given in the language rendered (else the consultation's default).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from app.briefs.brief_tables import pick_text
from app.briefs.content import BriefContent, Fact, Source, distinct_codes
from app.briefs.record import item_api

#: Decimals of statistics in the API (METHOD.md).
API_DECIMALS = 4
#: Version of this document's shape.
API_VERSION = 1

Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


def rounded(value: Any, places: int = API_DECIMALS) -> Any:
    """Floats rounded to ``places`` (recursively in lists and objects); other values as
    they are, NaN and infinities as None (JSON has neither)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, places)
    if isinstance(value, Mapping):
        return {k: rounded(v, places) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, places) for v in value]
    if value in ("inf", "-inf"):
        return None
    return value


def source_json(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {
        "publisher": source.publisher,
        "title": source.title,
        "licence": source.licence,
        "vintage": source.vintage,
        "kind": source.kind,
        "base_year": source.base_year,
        "horizon_year": source.horizon_year,
        "url": source.url,
    }


def _fact(fact: Fact, translate: Translate) -> dict[str, Any]:
    rel = fact.reliability
    out: dict[str, Any] = {
        "key": fact.key.value,
        "value": fact.value,
        "unit": fact.unit,
        "year": fact.year,
        "base_year": fact.base_year,
        "category": fact.category,
        "flags": [f.value for f in fact.flags],
        "source": source_json(fact.source),
        "reliability": None,
        "reason": fact.reason.text(translate) if fact.reason else None,
    }
    if rel is not None:
        out["reliability"] = {
            "n": rel.n,
            "response_rate": rounded(rel.response_rate),
            "consensus_status": rel.consensus_status,
            "agreement": rounded(rel.agreement),
            "interval": list(rel.interval) if rel.interval else None,
            "caveats": list(rel.caveats),
            "flags": [f.value for f in rel.flags],
        }
    return out


def _rating(rating) -> dict[str, Any]:
    panel = rating.panel_view
    return {
        "kind": rating.kind.value,
        "shown": rating.shown.value,
        "category": rating.category.value,
        "rule_version": rating.rule_version,
        "primary_indicator": rating.primary_indicator,
        "inputs": rounded(dict(rating.inputs)),
        "override": {"category": rating.override.category.value, "reason": rating.override.reason}
        if rating.override
        else None,
        "panel_view": {
            "category": panel.category.value,
            "item_keys": list(panel.item_keys),
            "median": panel.median,
            "q1": panel.q1,
            "q3": panel.q3,
            "n": panel.n,
            "unit": panel.unit,
        }
        if panel
        else None,
        "disagrees": rating.disagrees,
        "published": [
            {
                "category": p.category,
                "label": p.label,
                "year": p.year,
                "code": p.code,
                "source": source_json(p.source),
            }
            for p in rating.published
        ],
        "source": source_json(rating.source),
    }


def _sector(content: BriefContent) -> dict[str, Any]:
    header = content.header
    if not header.sector_codes:
        return {"classification": None, "code": None, "label": header.sector_label}
    first = header.sector_codes[0]
    if first.maps_to and first.maps_to_classification:
        return {
            "classification": first.maps_to_classification,
            "code": first.maps_to[0],
            "label": header.sector_label,
        }
    return {
        "classification": first.classification,
        "code": first.code,
        "label": header.sector_label,
    }


def _plan(content: BriefContent) -> dict[str, Any]:
    plan = content.method_sources.plan
    if plan is None:
        return {"min_group_n": content.method_sources.min_group_n}
    return {
        "consensus_rule": plan.consensus_in,
        "consensus_out_rule": plan.consensus_out,
        "consensus_mid_rule": plan.consensus_mid,
        "stability_rule": plan.stability_rule,
        "min_n": plan.min_n,
        "min_group_n": plan.min_group_n
        if plan.min_group_n is not None
        else content.method_sources.min_group_n,
        "contested_alpha": plan.contested_alpha,
        "contested_median_diff": plan.contested_median_diff,
        "quantile_method": plan.quantile_method or content.method_sources.quantile_method,
        "max_rounds": plan.max_rounds,
        "sha256": plan.sha256,
        "version": plan.version,
        "amended_reason": plan.amended_reason,
    }


def _rounds(content: BriefContent, lang: str, default: str) -> list[dict[str, Any]]:
    panel = {p.round: p for p in content.method_sources.panel}
    items = {r.round: r for r in content.rounds}
    out = []
    for number in sorted(set(panel) | set(items)):
        p = panel.get(number)
        out.append(
            {
                "number": number,
                "invited": p.invited if p else None,
                "responded": p.responded if p else None,
                "responded_by_group": dict(p.responded_by_group) if p else {},
                "items": [
                    rounded(item_api(item, pick_text(item.text, lang, default).text))
                    for item in (items[number].items if number in items else ())
                ],
            }
        )
    return out


def brief_document(
    content: BriefContent,
    *,
    lang: str,
    url: str | None = None,
    formats: Mapping[str, str] | None = None,
    translate: Translate = _same,
) -> dict[str, Any]:
    """The brief as the API's JSON document (plain types, no NaN), in ``lang``.

    ``url`` is the brief version's address and ``formats`` the addresses of its files by
    format (html, pdf, csv, xlsx, json)."""
    header = content.header
    default = header.languages[0] if header.languages else "en"
    ms = content.method_sources
    narrative = content.narrative
    return {
        "api_version": API_VERSION,
        "title": header.title,
        "sector": _sector(content),
        "sector_codes": [
            {
                "classification": c.classification,
                "code": c.code,
                "label": c.label,
                "maps_to_classification": c.maps_to_classification,
                "maps_to": list(c.maps_to),
            }
            for c in distinct_codes(header.sector_codes)
        ],
        "geography": header.geography,
        "geography_label": header.geography_label,
        "version": header.version,
        "date": header.date,
        "language": lang,
        "url": url,
        "formats": dict(formats or {}),
        "citation": header.citation,
        "contact": {
            "name": header.contact.name,
            "email": header.contact.email,
            "organisation": header.contact.organisation,
        }
        if header.contact
        else None,
        "key_facts": [_fact(f, translate) for f in content.facts()],
        "ratings": {
            "current_conditions": _rating(content.ratings.current_conditions),
            "future_outlook": _rating(content.ratings.future_outlook),
        },
        "forecasts": [
            {
                "name": s.name,
                "indicator": s.indicator,
                "label": s.label,
                "unit": s.unit,
                "kind": s.kind,
                "code": s.code,
                "points": [
                    {"year": p.year, "value": p.value, "flags": [f.value for f in p.flags]}
                    for p in s.points
                ],
                "source": source_json(s.source),
            }
            for s in content.trend.series
        ],
        "openings": {
            "total": content.openings.total,
            "expansion": content.openings.expansion,
            "replacement": content.openings.replacement,
            "expansion_share": rounded(content.openings.expansion_share),
            "replacement_share": rounded(content.openings.replacement_share),
            "unit": content.openings.unit,
            "annual_average": content.openings.annual_average,
            "base_year": content.openings.base_year,
            "horizon_year": content.openings.horizon_year,
            "flags": [f.value for f in content.openings.flags],
            "source": source_json(content.openings.source),
            "reason": content.openings.reason.text(translate) if content.openings.reason else None,
        },
        "occupations": {
            name: [
                {
                    "code": r.code,
                    "label": r.label,
                    "base": r.base,
                    "projected": r.projected,
                    "change": r.change,
                    "change_pct": r.change_pct,
                    "openings": r.openings,
                    "flags": [f.value for f in r.flags],
                }
                for r in getattr(content.occupations, name).rows
            ]
            for name in ("largest", "fastest_growing", "declining")
        }
        | {
            "classification": content.occupations.classification,
            "unit": content.occupations.unit,
            "source": source_json(content.occupations.source),
        },
        "skill_needs": [
            rounded(
                {
                    "key": s.key,
                    "text": pick_text(s.text, lang, default).text,
                    "rank": s.rank,
                    "round": s.round,
                    "n": s.n,
                    "median": s.median,
                    "q1": s.q1,
                    "q3": s.q3,
                    "iqr": s.iqr,
                    "agreement": s.agreement,
                    "consensus_status": s.consensus_status,
                    "stable": s.stable,
                    "label": s.label,
                    "contested": s.contested,
                    "groups": [cell.to_json() for cell in s.groups if not cell.no_answers],
                    "groups_without_answers": [c.group for c in s.groups if c.no_answers],
                }
            )
            for s in content.skill_needs.items
        ],
        "contested": [
            rounded(
                {
                    "key": p.key,
                    "text": pick_text(p.text, lang, default).text,
                    "round": p.round,
                    "kw_h": p.kw_h,
                    "kw_p": p.kw_p,
                    "max_median_diff": p.max_median_diff,
                    "median_max_group": p.median_max_group,
                    "median_min_group": p.median_min_group,
                    "groups": [cell.to_json() for cell in p.groups if not cell.no_answers],
                    "groups_without_answers": [c.group for c in p.groups if c.no_answers],
                }
            )
            for p in content.contested.points
        ],
        "themes": [
            {
                "label": pick_text(t.label, lang, default).text,
                "esco": [
                    {"uri": e.uri, "label": e.label_in(lang, default)[0] if e.has_label else ""}
                    for e in t.esco
                ],
                "quotes": list(t.quotes),
                "item_key": t.item_key,
                "median": t.median,
                "consensus_status": t.consensus_status,
            }
            for t in content.emerging_skills.skills
        ],
        "triangulation": [
            rounded(
                {
                    "key": r.key,
                    "text": pick_text(r.text, lang, default).text,
                    "unit": r.unit,
                    "indicator": r.indicator,
                    "year": r.year,
                    "round": r.round,
                    "sector_code": r.sector_code,
                    "geography": r.geography,
                    "forecast": r.forecast,
                    "n": r.n,
                    "median": r.median,
                    "q1": r.q1,
                    "q3": r.q3,
                    "iqr": r.iqr,
                    "forecast_outside_panel_iqr": r.forecast_outside_panel_iqr,
                    "gap": r.gap,
                    "distance_to_iqr": r.distance_to_iqr,
                    "range_coverage": r.range_coverage,
                    "median_interval": list(r.median_interval) if r.median_interval else None,
                    "balanced_median": r.balanced_median,
                    "shown_to_panel": r.shown_to_panel,
                    "source": source_json(r.source),
                }
            )
            for r in content.triangulation.rows
        ],
        "implications": {
            "summary": narrative.summary,
            "ministries": narrative.ministries,
            "education_providers": narrative.education_providers,
            "guidance_practitioners": narrative.guidance_practitioners,
        },
        "sources": [
            {
                **(source_json(d.source) or {}),
                "caveats": d.caveat_texts(translate),
                "sector_classification": d.sector_classification,
                "occupation_classification": d.occupation_classification,
                "online_share": d.online_share,
                "codes_used": [
                    {
                        "classification": c.classification,
                        "code": c.code,
                        "label": c.label,
                        "maps_to_classification": c.maps_to_classification,
                        "maps_to": list(c.maps_to),
                    }
                    for c in d.codes_used
                ],
            }
            for d in ms.sources
        ],
        "consultation": {
            "title": header.consultation_title,
            "plan": _plan(content),
            "rounds": _rounds(content, lang, default),
        },
        "annotations": [{"target": a.target, "text": a.text} for a in content.annotations],
    }
