"""Reading what a brief is made of from the database: ``BriefInputs`` for ``assemble``.

The one bridge between the ORM and the pure assembly (``app.briefs.assemble``). It reads the
consultation's closed rounds (their frozen results, never recomputed), who was invited and
who answered per stakeholder group, the questions' texts and forecast bindings, the approved
themes, and the forecast values of the selected datasets and codes.

Seam: which series a brief uses is given as ``Selection`` values (dataset, codes). Once
consultations store their bindings (a ``ForecastBinding`` model), the caller reads them and
passes them here; nothing else changes. Columns that a forecast value may not have yet
(``category``, ``level``, ``flags``) and dataset fields (``kind``, ``caveats``,
classifications) are read when present.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from app.briefs.assemble import (
    BriefInputs,
    ForecastSeries,
    ItemInfo,
    RoundInput,
    SeriesRole,
    ThemeInput,
)
from app.briefs.content import (
    Annotation,
    Contact,
    EscoLink,
    Narrative,
    Override,
    PlanRules,
    RatingKind,
    SectorCode,
    distinct_codes,
)
from app.classifications.esco import skill_group_labels
from app.consultations.models import (
    Consultation,
    Item,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
)
from app.consultations.queries import estimate_answers
from app.extensions import db
from app.forecasts.models import ForecastDataset, ForecastValue
from app.forecasts.queries import bindings_of_consultation
from app.forecasts.table import DatasetKind, Level, Provenance, Status
from app.panels.models import Panellist, Participation
from app.questionnaires.spec import ForecastBinding
from app.themes import load_esco_skills

log = logging.getLogger(__name__)

__all__ = ["Selection", "brief_inputs", "forecast_series", "round_inputs"]


@dataclass(frozen=True)
class Selection:
    """Which values of a dataset a brief uses.

    ``sector_codes``: the codes standing for the sector (summed when several): a row matches
    by its ``sector_code`` when it has no occupation, or by its ``occupation_code`` when it has
    no sector (an occupation group as the sector). ``occupation_codes``: occupations listed in
    the occupations section; a code ending in ``*`` matches by prefix (``47-*``).
    ``total_code``: the dataset's all-sector total (the outlook rule compares with it).
    ``geography``: only rows of this geography (all when None)."""

    dataset_id: int
    sector_codes: tuple[str, ...] = ()
    occupation_codes: tuple[str, ...] = ()
    total_code: str | None = None
    geography: str | None = None
    #: The binding's crosswalk: (forecast code, target code, target classification), e.g.
    #: ("236000", "41", "NACE Rev. 2"); a sector code without one maps to the council's sector.
    mapping: tuple[tuple[str, str, str], ...] = ()


def _provenance(dataset: ForecastDataset) -> Provenance:
    kind = getattr(dataset, "kind", None) or DatasetKind.projection
    return Provenance(
        publisher=dataset.publisher,
        title=dataset.title,
        licence=dataset.licence,
        vintage=dataset.vintage,
        base_year=dataset.base_year,
        horizon_year=dataset.horizon_year,
        unit=dataset.unit,
        kind=DatasetKind(kind),
        source_url=dataset.source_url,
        caveats=tuple(getattr(dataset, "caveats", None) or ()),
        sector_classification=getattr(dataset, "sector_classification", None),
        occupation_classification=getattr(dataset, "occupation_classification", None),
    )


def _matches(code: str | None, patterns: Iterable[str]) -> bool:
    if code is None:
        return False
    for pattern in patterns:
        if pattern.endswith("*") and code.startswith(pattern[:-1]):
            return True
        if code == pattern:
            return True
    return False


def _role(value: ForecastValue, selection: Selection) -> SeriesRole | None:
    sector, occupation = value.sector_code, value.occupation_code
    total = selection.total_code
    if total is not None and total in (sector, occupation) and None in (sector, occupation):
        return SeriesRole.total
    if (occupation is None and sector in selection.sector_codes) or (
        sector is None and occupation in selection.sector_codes
    ):
        return SeriesRole.sector
    if (
        _matches(occupation, selection.occupation_codes)
        and occupation not in selection.sector_codes
    ):
        return SeriesRole.occupation
    return None


def _flags(value: Any) -> tuple[Status, ...]:
    flags = getattr(value, "flags", None) or ()
    return tuple(Status(f) for f in flags if f in Status.__members__.values())


def forecast_series(selection: Selection) -> tuple[ForecastSeries, ...]:
    """The selected values of one dataset as series (one per indicator and code), in a
    stable order. Values for one qualification are left out (the brief uses all
    qualifications). Raises LookupError when the dataset does not exist."""
    dataset = db.session.get(ForecastDataset, selection.dataset_id)
    if dataset is None:
        raise LookupError(f"forecast dataset {selection.dataset_id} does not exist")
    provenance = _provenance(dataset)
    codes = [*selection.sector_codes, *([selection.total_code] if selection.total_code else [])]
    query = db.select(ForecastValue).where(
        ForecastValue.dataset_id == dataset.id, ForecastValue.qualification.is_(None)
    )
    if selection.geography is not None:
        query = query.where(ForecastValue.geography == selection.geography)
    if not selection.occupation_codes:
        query = query.where(
            ForecastValue.sector_code.in_(codes) | ForecastValue.occupation_code.in_(codes)
        )
    grouped: dict[tuple, dict[str, Any]] = defaultdict(
        lambda: {"values": {}, "categories": {}, "flags": {}, "label": "", "level": None}
    )
    for value in db.session.scalars(query.order_by(ForecastValue.id)):
        role = _role(value, selection)
        if role is None:
            continue
        key = (role, value.indicator, value.sector_code, value.occupation_code, value.geography)
        entry = grouped[key]
        entry["values"][value.year] = value.value
        category = getattr(value, "category", None)
        if category is not None:
            entry["categories"][value.year] = category
        flags = _flags(value)
        if flags:
            entry["flags"][value.year] = flags
        entry["label"] = entry["label"] or value.label or ""
        entry["unit"] = value.unit
        level = getattr(value, "level", None)
        entry["level"] = entry["level"] or (Level(level) if level else None)
    out = []
    for key in sorted(grouped, key=lambda k: tuple(str(p or "") for p in k)):
        role, indicator, sector, occupation, geography = key
        entry = grouped[key]
        out.append(
            ForecastSeries(
                provenance=provenance,
                dataset_id=str(dataset.id),
                indicator=indicator,
                role=role,
                values=dict(sorted(entry["values"].items())),
                sector_code=sector,
                occupation_code=occupation,
                label=entry["label"],
                level=entry["level"],
                unit=entry.get("unit"),
                geography=geography,
                categories=dict(sorted(entry["categories"].items())),
                flags=dict(sorted(entry["flags"].items())),
            )
        )
    return tuple(out)


def _item_info(item: Item) -> ItemInfo:
    spec = item.spec or {}
    labels = {lang: tuple(values) for lang, values in (spec.get("labels") or {}).items()}
    forecast = spec.get("forecast")
    band = spec.get("agreement_band")
    disband = spec.get("disagreement_band")
    return ItemInfo(
        key=item.key,
        type=item.type.value,
        text=dict(item.text or {}),
        scale=spec.get("scale"),
        labels=labels,
        unit=spec.get("unit"),
        agreement_band=tuple(band) if band else None,
        disagreement_band=tuple(disband) if disband else None,
        forecast=ForecastBinding.from_dict(forecast) if forecast else None,
    )


def round_inputs(consultation: Consultation) -> tuple[tuple[RoundInput, ...], dict[str, ItemInfo]]:
    """The closed rounds with frozen results, and the items' information (the latest
    round's wording of each key)."""
    rounds = []
    items: dict[str, ItemInfo] = {}
    for round_ in consultation.rounds:
        if round_.status not in (RoundStatus.closed, RoundStatus.released):
            continue
        results = round_.frozen_results()
        if results is None:
            continue
        for item in round_.items:
            items[item.key] = _item_info(item)
        invited = db.session.execute(
            db.select(Panellist.stakeholder_group, db.func.count())
            .join(Participation, Participation.panellist_id == Panellist.id)
            .where(Participation.round_id == round_.id, Participation.invited_on.is_not(None))
            .group_by(Panellist.stakeholder_group)
        ).all()
        responded = db.session.execute(
            db.select(Response.stakeholder_group, db.func.count())
            .where(Response.round_id == round_.id, Response.status == ResponseStatus.submitted)
            .group_by(Response.stakeholder_group)
        ).all()
        ranges = _ranges(round_)
        invited_by_group = {str(g.value): int(n) for g, n in invited}
        rounds.append(
            RoundInput(
                results=results,
                invited=sum(invited_by_group.values()) or None,
                responded=results.submitted,
                invited_by_group=invited_by_group,
                responded_by_group={str(g.value): int(n) for g, n in responded},
                ranges=ranges,
            )
        )
    return tuple(rounds), items


def _ranges(round_: Round) -> dict[str, tuple[tuple[float, float], ...]]:
    """Anonymous (low, high) pairs per estimate item, sorted (no order of answering)."""
    frame = estimate_answers(round_)
    if frame.empty:
        return {}
    frame = frame.dropna(subset=["low", "high"])
    out = {}
    for key, rows in frame.groupby("item", sort=True):
        pairs = zip(rows["low"].astype(float), rows["high"].astype(float), strict=True)
        out[str(key)] = tuple(sorted(pairs))
    return out


#: The language of an ESCO download from its file name (``skills_de.csv``,
#: ``esco_v1.0_transversalSkillsCollection_en.csv``).
_ESCO_FILE_LANGUAGE = re.compile(r"_([a-z]{2})\.csv$", re.IGNORECASE)


def esco_labels(files: Iterable[str | Path]) -> dict[str, dict[str, str]]:
    """Preferred labels of the ESCO skills in ``files``, by URI and language (the language
    from each file's name, ``en`` when it names none). A file that is missing or not an ESCO
    skills file is left out and logged: the brief then prints the labels it has."""
    labels: dict[str, dict[str, str]] = {}
    for name in files:
        path = Path(name)
        found = _ESCO_FILE_LANGUAGE.search(path.name)
        lang = found.group(1).lower() if found else "en"
        try:
            skills = load_esco_skills(path)
        except (OSError, ValueError):
            log.warning("ESCO labels could not be read from %s", path, exc_info=True)
            continue
        for uri, label in zip(skills["uri"], skills["label"], strict=True):
            labels.setdefault(str(uri), {}).setdefault(lang, str(label))
    return labels


def _configured_esco_labels() -> dict[str, dict[str, str]]:
    """The preferred labels of the ESCO skills in the files configured, by URI and language,
    over the built-in ones of ESCO's skill groups (``S5``), which those files do not list."""
    root = Path(current_app.root_path).parent
    files = []
    for name in current_app.config.get("ESCO_SKILLS_FILES") or []:
        path = Path(name)
        files.append(path if path.is_absolute() else root / path)
    labels = skill_group_labels()
    for uri, by_language in (esco_labels(files) if files else {}).items():
        labels[uri] = {**labels.get(uri, {}), **by_language}
    return labels


def _themes(consultation: Consultation) -> tuple[ThemeInput, ...]:
    out = []
    known: dict[str, dict[str, str]] | None = None
    for theme in consultation.themes:
        if not theme.approved:
            continue
        links = []
        if theme.esco_uris and known is None:
            known = _configured_esco_labels()
        for entry in theme.esco_uris or ():
            if isinstance(entry, Mapping):
                uri, label = str(entry.get("uri", "")), str(entry.get("label", ""))
            else:
                uri, label = str(entry), ""
            links.append(EscoLink(uri, label, dict((known or {}).get(uri, {}))))
        quotes = tuple(
            str(s.get("text", "")) if isinstance(s, Mapping) else str(s)
            for s in theme.statements or ()
        )
        out.append(
            ThemeInput(
                label=dict(theme.label or {}),
                esco=tuple(links),
                quotes=quotes,
                item_key=theme.item_key,
            )
        )
    return tuple(out)


def _plan(consultation: Consultation) -> PlanRules:
    plan = consultation.plan or {}
    return PlanRules(
        sha256=consultation.plan_hash or "",
        consensus_in=plan.get("consensus_in", "iqr <= 1 and agreement >= 0.70"),
        consensus_out=plan.get("consensus_out", "iqr <= 1 and disagreement >= 0.70"),
        stability_rule=plan.get("stability_rule", "net_change < 0.15 and wilcoxon_p >= 0.05"),
        min_n=plan.get("min_n", 5),
        min_group_n=plan.get("min_group_n", 5),
        contested_alpha=plan.get("contested_alpha", 0.05),
        contested_median_diff=plan.get("contested_median_diff", 2.0),
        quantile_method=plan.get("quantile_method", "type7"),
        max_rounds=plan.get("max_rounds", 3),
        consensus_mid=plan.get("consensus_mid"),
    )


def brief_inputs(
    consultation: Consultation,
    selections: Iterable[Selection],
    *,
    title: str,
    date: str,
    version: int = 1,
    narrative: Narrative | None = None,
    annotations: Iterable[Annotation] = (),
    overrides: Mapping[RatingKind, Override] | None = None,
    contact: Contact | None = None,
    lang: str = "en",
) -> BriefInputs:
    """Everything ``assemble`` needs for a brief on ``consultation`` with the forecast values
    of ``selections``. Reads only; flushes nothing. Raises LookupError for a dataset that
    does not exist."""
    council = consultation.council
    sector = council.sector
    rounds, items = round_inputs(consultation)
    selections = tuple(selections)
    series: list[ForecastSeries] = []
    for selection in selections:
        series.extend(forecast_series(selection))
    codes = [
        SectorCode(
            CLASSIFICATION_NAMES.get(sector.classification, sector.classification),
            sector.code,
            sector.label_for(lang),
        )
    ]
    occupation_codes: list[SectorCode] = []
    for selection in selections:
        dataset = db.session.get(ForecastDataset, selection.dataset_id)
        targets: dict[str, list[tuple[str, str]]] = {}
        for code, target, target_classification in selection.mapping:
            targets.setdefault(code, []).append((target, target_classification))
        for kind, listed in (
            ("sector", selection.sector_codes),
            ("occupation", selection.occupation_codes),
        ):
            classification = getattr(dataset, f"{kind}_classification", None) or dataset.publisher
            for code in listed:
                label = next((s.label for s in series if s.code == code and s.label), "")
                mapped = targets.get(code)
                if mapped:
                    maps_to = tuple(dict.fromkeys(t for t, _c in mapped))
                    target_classification = mapped[0][1] or None
                elif kind == "sector":
                    maps_to, target_classification = (sector.code,), sector.classification
                else:
                    maps_to, target_classification = (), None
                named = CLASSIFICATION_NAMES.get(target_classification or "")
                (codes if kind == "sector" else occupation_codes).append(
                    SectorCode(classification, code, label, maps_to, named or target_classification)
                )
    spec = consultation.questionnaire.spec if consultation.questionnaire else {}
    languages = tuple((spec or {}).get("languages") or ("en",))
    return BriefInputs(
        title=title,
        consultation_title=consultation.title,
        sector_label=sector.label_for(lang),
        geography=council.geography,
        geography_label=council.geography,
        publisher=council.name,
        date=date,
        version=version,
        languages=languages,
        sector_codes=distinct_codes(codes),
        occupation_codes=tuple(occupation_codes),
        plan=_plan(consultation),
        rounds=rounds,
        items=items,
        themes=_themes(consultation),
        series=tuple(series),
        narrative=narrative or Narrative(),
        annotations=tuple(annotations),
        contact=contact,
        overrides=dict(overrides or {}),
    )


#: Names of the classifications by their keys, as a reader knows them.
CLASSIFICATION_NAMES = {"nace-rev2": "NACE Rev. 2", "isco-08": "ISCO-08"}


def bound_selections(consultation: Consultation) -> list[Selection]:
    """The forecast series the consultation's secretariat bound (``ForecastBinding``), as
    the selections a brief reads."""
    return [
        Selection(
            binding.dataset_id,
            tuple(binding.sector_codes or ()),
            tuple(binding.occupation_codes or ()),
            binding.total_code,
            binding.geography,
            tuple(
                (
                    str(entry.get("code") or ""),
                    str(entry.get("target_code") or ""),
                    str(entry.get("classification") or ""),
                )
                for entry in binding.crosswalk or ()
                if entry.get("code") and entry.get("target_code")
            ),
        )
        for binding in bindings_of_consultation(consultation)
    ]
