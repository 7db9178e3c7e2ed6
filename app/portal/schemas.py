"""Schemas of the open API, version 1 (DESIGN.md "Open API, version 1").

Every response of ``app.portal.api`` is dumped through one of these schemas, and the OpenAPI
document (``GET /api/v1/openapi.json``) is generated from the same schemas, so that the
document describes exactly what is served. A brief's document is the stored ``brief.json``
(``app.briefs.brief_json.brief_document``): its schema lists every field that function writes.
Statistics are numbers or null (NaN and infinities are null); a field that a kind of item does
not have is absent, not null.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

#: Languages a brief may be asked for (the interface languages, ``Config.LANGUAGES``).
API_LANGUAGES = ("en", "de", "fr", "es")
#: At most this many briefs per page of a list.
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
#: A sector code: NACE Rev. 2 (``F``, ``41``, ``41.2``) or a forecast's own (``23-0000``).
SECTOR_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,19}$")
#: ``EU``, a country (``DE``) or a NUTS region (``DE2``, ``FR10``, ``DE212``).
GEOGRAPHY_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")
#: Longest search text accepted.
MAX_QUERY = 200


def _num(**kwargs) -> fields.Float:
    """A statistic: a number or null."""
    return fields.Float(allow_none=True, **kwargs)


def _int(**kwargs) -> fields.Integer:
    return fields.Integer(allow_none=True, **kwargs)


def _str(**kwargs) -> fields.String:
    return fields.String(allow_none=True, **kwargs)


def _strings(**kwargs) -> fields.List:
    return fields.List(fields.String(), **kwargs)


class Strict(Schema):
    class Meta:
        ordered = True


# ----------------------------------------------------------------------------- query strings


class _Query(Schema):
    """Bad values are answered 400 with the parameter named (``invalid_params``)."""

    class Meta:
        # unknown parameters (a cache buster, a tracking tag) are ignored, not refused
        unknown = "exclude"


def _lang_field(description: str = "Language of the texts (en, de, fr, es).") -> fields.String:
    return fields.String(
        validate=validate.OneOf(
            API_LANGUAGES, error=_l("must be one of: %(choices)s", choices=", ".join(API_LANGUAGES))
        ),
        metadata={"description": description, "example": "de"},
    )


#: At least one character that is not an invisible control character (app.inputs.INVISIBLE),
#: written so that it reads the same in Python (from the start) and in JSON Schema (anywhere).
VISIBLE = r"^[\s\S]*[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


class BriefListQuery(_Query):
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(
            min=1, max=2**31 - 1, error=_l("must be a whole number of 1 or more")
        ),
        error_messages={"invalid": _l("must be a whole number of 1 or more")},
        metadata={"description": "Page of the list, from 1."},
    )
    per_page = fields.Integer(
        load_default=DEFAULT_PER_PAGE,
        validate=validate.Range(
            min=1, max=MAX_PER_PAGE, error=_l("must be a whole number from 1 to 100")
        ),
        error_messages={"invalid": _l("must be a whole number from 1 to 100")},
        metadata={"description": "Briefs per page, 1 to 100."},
    )
    sector = fields.String(
        validate=validate.Regexp(
            SECTOR_CODE,
            error=_l("must be a sector code such as F, 41 or 41.2"),
        ),
        metadata={
            "description": "Only briefs on this sector: a NACE Rev. 2 code (F, 41 ...) or "
            "the forecast's own code.",
            "example": "F",
        },
    )
    geography = fields.String(
        validate=validate.Regexp(
            GEOGRAPHY_CODE,
            error=_l("must be EU, a country code such as DE or a NUTS code such as DE2"),
        ),
        metadata={
            "description": "Only briefs on this geography (EU, DE, DE2 ...).",
            "example": "EU",
        },
    )
    q = fields.String(
        validate=[
            validate.Length(min=1, max=MAX_QUERY, error=_l("must be 1 to 200 characters long")),
            # invisible control characters are removed from every request (app.inputs):
            # words made of nothing else are no words
            validate.Regexp(VISIBLE, error=_l("must be 1 to 200 characters long")),
        ],
        metadata={"description": "Words to look for in a brief's title, sector and skills."},
    )
    lang = _lang_field("Only briefs stored in this language (en, de, fr, es).")


class LangQuery(_Query):
    lang = _lang_field()


# ----------------------------------------------------------------------------- lists


class SectorSchema(Strict):
    classification = _str(required=True, metadata={"example": "NACE Rev. 2"})
    code = _str(required=True, metadata={"example": "F"})
    label = _str(required=True, metadata={"example": "Construction"})


class FormatsSchema(Strict):
    """Addresses of the brief version's files."""

    html = fields.Url(required=True)
    pdf = fields.Url(required=True)
    csv = fields.Url(required=True, metadata={"description": "The tables as CSV files in a zip."})
    xlsx = fields.Url(required=True)
    json = fields.Url(required=True)


class BriefSummarySchema(Strict):
    id = fields.Integer(required=True, metadata={"example": 1})
    title = fields.String(required=True)
    sector = fields.Nested(SectorSchema, required=True)
    geography = fields.String(required=True, metadata={"example": "EU"})
    version = fields.Integer(required=True, metadata={"description": "Current version number."})
    published_at = fields.DateTime(required=True, format="iso")
    url = fields.Url(
        required=True, metadata={"description": "The version's permanent public page."}
    )
    formats = fields.Nested(FormatsSchema, required=True)


class BriefListSchema(Strict):
    items = fields.List(fields.Nested(BriefSummarySchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Briefs matching, all pages."})


class VersionSummarySchema(Strict):
    version = fields.Integer(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(("published", "superseded")),
        metadata={
            "description": "published: the current version; superseded: a later one "
            "replaced it (it stays readable)."
        },
    )
    published_at = fields.DateTime(required=True, format="iso")
    superseded_at = fields.DateTime(required=True, allow_none=True, format="iso")
    change_class = _str(
        required=True,
        metadata={"description": "update, improvement or correction; null for version 1."},
    )
    change_note = _str(required=True)
    correction_notice = _str(
        required=True,
        metadata={"description": "On a version corrected by its successor: what was wrong."},
    )
    url = fields.Url(required=True, metadata={"description": "The version's permanent page."})
    api_url = fields.Url(required=True, metadata={"description": "The version as data."})
    formats = fields.Nested(FormatsSchema, required=True)


class VersionListSchema(Strict):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    items = fields.List(fields.Nested(VersionSummarySchema), required=True)
    total = fields.Integer(required=True)


# ----------------------------------------------------------------------------- a brief


class SourceSchema(Strict):
    publisher = _str(required=True)
    title = _str(required=True)
    licence = _str(required=True)
    vintage = _str(required=True)
    kind = _str(required=True, metadata={"description": "projection, forecast, estimate ..."})
    base_year = _int(required=True)
    horizon_year = _int(required=True)
    url = _str(required=True)


def _source(**kwargs) -> fields.Nested:
    return fields.Nested(SourceSchema, allow_none=True, **kwargs)


class CodeSchema(Strict):
    classification = _str(required=True)
    code = _str(required=True)
    label = _str(required=True)
    maps_to_classification = _str(required=True)
    maps_to = _strings(required=True)


class ContactSchema(Strict):
    name = _str(required=True)
    email = _str(required=True)
    organisation = _str(required=True)


class ReliabilitySchema(Strict):
    n = _int(required=True)
    response_rate = _num(required=True)
    consensus_status = _str(required=True)
    agreement = _num(required=True)
    interval = fields.List(_num(), allow_none=True, required=True)
    caveats = _strings(required=True)
    flags = _strings(required=True)


class KeyFactSchema(Strict):
    key = fields.String(required=True, metadata={"example": "base_employment"})
    value = _num(required=True)
    unit = _str(required=True)
    year = _int(required=True)
    base_year = _int(required=True)
    category = _str(required=True)
    flags = _strings(required=True)
    source = _source(required=True)
    reliability = fields.Nested(ReliabilitySchema, allow_none=True, required=True)
    reason = _str(required=True, metadata={"description": "Why the figure is missing."})


class OverrideSchema(Strict):
    category = fields.String(required=True)
    reason = _str(required=True)


class PanelViewSchema(Strict):
    category = fields.String(required=True)
    item_keys = _strings(required=True)
    median = _num(required=True)
    q1 = _num(required=True)
    q3 = _num(required=True)
    n = _int(required=True)
    unit = _str(required=True)


class PublishedRatingSchema(Strict):
    category = _str(required=True)
    label = _str(required=True)
    year = _int(required=True)
    code = _str(required=True)
    source = _source(required=True)


class RatingSchema(Strict):
    kind = fields.String(required=True)
    shown = fields.String(required=True)
    category = fields.String(required=True)
    rule_version = _str(required=True)
    primary_indicator = _str(required=True)
    inputs = fields.Dict(keys=fields.String(), values=_num(), required=True)
    override = fields.Nested(OverrideSchema, allow_none=True, required=True)
    panel_view = fields.Nested(PanelViewSchema, allow_none=True, required=True)
    disagrees = fields.Boolean(allow_none=True, required=True)
    published = fields.List(fields.Nested(PublishedRatingSchema), required=True)
    source = _source(required=True)


class RatingsSchema(Strict):
    current_conditions = fields.Nested(RatingSchema, required=True)
    future_outlook = fields.Nested(RatingSchema, required=True)


class PointSchema(Strict):
    year = fields.Integer(required=True)
    value = _num(required=True)
    flags = _strings(required=True)


class SeriesSchema(Strict):
    name = _str(required=True)
    indicator = _str(required=True)
    label = _str(required=True)
    unit = _str(required=True)
    kind = _str(required=True)
    code = _str(required=True)
    points = fields.List(fields.Nested(PointSchema), required=True)
    source = _source(required=True)


class OpeningsSchema(Strict):
    total = _num(required=True)
    expansion = _num(required=True)
    replacement = _num(required=True)
    expansion_share = _num(required=True)
    replacement_share = _num(required=True)
    unit = _str(required=True)
    annual_average = fields.Boolean(allow_none=True, required=True)
    base_year = _int(required=True)
    horizon_year = _int(required=True)
    flags = _strings(required=True)
    source = _source(required=True)
    reason = _str(required=True)


class OccupationSchema(Strict):
    code = _str(required=True)
    label = _str(required=True)
    base = _num(required=True)
    projected = _num(required=True)
    change = _num(required=True)
    change_pct = _num(required=True)
    openings = _num(required=True)
    flags = _strings(required=True)


class OccupationsSchema(Strict):
    largest = fields.List(fields.Nested(OccupationSchema), required=True)
    fastest_growing = fields.List(fields.Nested(OccupationSchema), required=True)
    declining = fields.List(fields.Nested(OccupationSchema), required=True)
    classification = _str(required=True)
    unit = _str(required=True)
    source = _source(required=True)


_COUNTS = {
    "description": "Answers by category (1..k for a rating; an option for a choice or "
    "ranking item).",
    "example": {"1": 0, "2": 1, "3": 4, "4": 12, "5": 14},
}


class GroupCellSchema(Strict):
    """One stakeholder group's figures: ``{"group", "suppressed": true}`` only, when fewer
    answered than the plan's ``min_group_n``; ``{"group", "n": 0, "no_answers": true}`` when
    nobody of the group answered."""

    group = fields.String(required=True, metadata={"example": "employers"})
    suppressed = fields.Boolean()
    no_answers = fields.Boolean()
    n = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    median = _num()
    q1 = _num()
    q3 = _num()
    iqr = _num()
    mean = _num()
    sd = _num()
    cv = _num()
    agreement = _num()
    disagreement = _num()
    middle = _num()
    top1 = _num()
    rwg = _num()
    ad_md = _num()


def _groups(**kwargs) -> fields.List:
    return fields.List(fields.Nested(GroupCellSchema), **kwargs)


def _groups_without_answers() -> fields.List:
    return fields.List(
        fields.String(),
        metadata={"description": "Stakeholder groups that gave no answers (no cell in groups)."},
    )


class SkillNeedSchema(Strict):
    key = fields.String(required=True)
    text = _str(required=True)
    rank = _int(required=True)
    round = _int(required=True)
    n = _int(required=True)
    median = _num(required=True)
    q1 = _num(required=True)
    q3 = _num(required=True)
    iqr = _num(required=True)
    agreement = _num(required=True)
    consensus_status = _str(required=True)
    stable = fields.Boolean(allow_none=True, required=True)
    label = _str(required=True)
    contested = fields.Boolean(allow_none=True, required=True)
    groups = _groups(required=True)
    groups_without_answers = _groups_without_answers()


class ContestedSchema(Strict):
    key = fields.String(required=True)
    text = _str(required=True)
    round = _int(required=True)
    kw_h = _num(required=True, metadata={"description": "Kruskal-Wallis H between groups."})
    kw_p = _num(required=True)
    max_median_diff = _num(required=True)
    median_max_group = _str(required=True)
    median_min_group = _str(required=True)
    groups = _groups(required=True)
    groups_without_answers = _groups_without_answers()


class EscoSchema(Strict):
    uri = fields.String(required=True)
    label = _str(required=True)


class ThemeSchema(Strict):
    label = _str(required=True)
    esco = fields.List(fields.Nested(EscoSchema), required=True)
    quotes = _strings(required=True, metadata={"description": "Anonymised supporting quotes."})
    item_key = _str(required=True)
    median = _num(required=True)
    consensus_status = _str(required=True)


class TriangulationSchema(Strict):
    key = fields.String(required=True)
    text = _str(required=True)
    unit = _str(required=True)
    indicator = _str(required=True)
    year = _int(required=True)
    round = _int(required=True)
    sector_code = _str(required=True)
    geography = _str(required=True)
    forecast = _num(required=True)
    n = _int(required=True)
    median = _num(required=True)
    q1 = _num(required=True)
    q3 = _num(required=True)
    iqr = _num(required=True)
    forecast_outside_panel_iqr = fields.Boolean(allow_none=True, required=True)
    gap = _num(required=True)
    distance_to_iqr = _num(required=True)
    range_coverage = _num(required=True)
    median_interval = fields.List(_num(), allow_none=True, required=True)
    balanced_median = _num(required=True)
    shown_to_panel = fields.Boolean(allow_none=True, required=True)
    source = _source(required=True)


class ImplicationsSchema(Strict):
    summary = _str(required=True)
    ministries = _str(required=True)
    education_providers = _str(required=True)
    guidance_practitioners = _str(required=True)


class DataSourceSchema(SourceSchema):
    caveats = _strings(required=True)
    sector_classification = _str(required=True)
    occupation_classification = _str(required=True)
    online_share = _num(required=True)
    codes_used = fields.List(fields.Nested(CodeSchema), required=True)


class PlanSchema(Strict):
    """The pre-registered analysis plan (METHOD.md)."""

    consensus_rule = _str(metadata={"example": "iqr <= 1 and agreement >= 0.70"})
    consensus_out_rule = _str()
    consensus_mid_rule = _str(
        metadata={"description": "The middle-position rule; null when the plan has none."}
    )
    stability_rule = _str()
    min_n = _int()
    min_group_n = _int(required=True, metadata={"example": 5})
    contested_alpha = _num()
    contested_median_diff = _num()
    quantile_method = _str(metadata={"example": "type7"})
    max_rounds = _int()
    sha256 = _str()
    version = _int()
    amended_reason = _str()


class RoundItemSchema(Strict):
    """One item of one round. A suppressed item (fewer valid answers than the plan's
    ``min_n``) carries only its key, type, text and decision."""

    key = fields.String(required=True, metadata={"example": "digital-skills"})
    type = fields.String(
        required=True,
        validate=validate.OneOf(("likert", "estimate", "ranking", "choice")),
    )
    scale = _int(metadata={"description": "k, the number of categories of a rating item."})
    text = _str(required=True)
    suppressed = fields.Boolean()
    counts = fields.Dict(
        keys=fields.String(), values=fields.Integer(), allow_none=True, metadata=_COUNTS
    )
    n = _int()
    median = _num()
    q1 = _num()
    q3 = _num()
    iqr = _num()
    mean = _num()
    sd = _num()
    cv = _num()
    agreement = _num()
    consensus = fields.Boolean(allow_none=True)
    consensus_status = _str()
    stable = fields.Boolean(allow_none=True)
    groups = _groups()
    contested = fields.Boolean(allow_none=True)
    label = _str()
    disagreement = _num()
    top1 = _num()
    rwg = _num()
    ad_md = _num()
    low_median = _num()
    high_median = _num()
    confidence_median = _num()
    n_with_range = _int()
    w = _num(metadata={"description": "Kendall's W of a ranking item."})
    chi2 = _num()
    df = _int()
    p = _num()
    top_share = _num()


class RoundSchema(Strict):
    number = fields.Integer(required=True)
    invited = _int(required=True)
    responded = _int(required=True)
    responded_by_group = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    items = fields.List(fields.Nested(RoundItemSchema), required=True)


class ConsultationSchema(Strict):
    title = _str(required=True)
    plan = fields.Nested(PlanSchema, required=True)
    rounds = fields.List(fields.Nested(RoundSchema), required=True)


class AnnotationSchema(Strict):
    target = fields.String(required=True)
    text = fields.String(required=True)


class BriefSchema(Strict):
    """A published brief version as data: its stored ``brief.json``."""

    api_version = fields.Integer(required=True, metadata={"example": 1})
    title = fields.String(required=True)
    sector = fields.Nested(SectorSchema, required=True)
    sector_codes = fields.List(fields.Nested(CodeSchema), required=True)
    geography = _str(required=True)
    geography_label = _str(required=True)
    version = fields.Integer(required=True)
    date = _str(required=True, metadata={"description": "Publication date (YYYY-MM-DD)."})
    language = fields.String(required=True)
    url = _str(required=True, metadata={"description": "Where the version's files are."})
    formats = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    citation = _str(required=True)
    contact = fields.Nested(ContactSchema, allow_none=True, required=True)
    key_facts = fields.List(fields.Nested(KeyFactSchema), required=True)
    ratings = fields.Nested(RatingsSchema, required=True)
    forecasts = fields.List(fields.Nested(SeriesSchema), required=True)
    openings = fields.Nested(OpeningsSchema, required=True)
    occupations = fields.Nested(OccupationsSchema, required=True)
    skill_needs = fields.List(fields.Nested(SkillNeedSchema), required=True)
    contested = fields.List(fields.Nested(ContestedSchema), required=True)
    themes = fields.List(fields.Nested(ThemeSchema), required=True)
    triangulation = fields.List(fields.Nested(TriangulationSchema), required=True)
    implications = fields.Nested(ImplicationsSchema, required=True)
    sources = fields.List(fields.Nested(DataSourceSchema), required=True)
    consultation = fields.Nested(ConsultationSchema, required=True)
    annotations = fields.List(fields.Nested(AnnotationSchema), required=True)


# ----------------------------------------------------------------------------- errors


class InvalidParamSchema(Strict):
    name = fields.String(required=True, metadata={"example": "per_page"})
    reason = fields.String(
        required=True, metadata={"example": "must be a whole number from 1 to 100"}
    )


class ProblemSchema(Strict):
    """An error as ``application/problem+json`` (RFC 9457)."""

    type = fields.String(required=True, metadata={"description": "Identifies the kind of problem."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    invalid_params = fields.List(
        fields.Nested(InvalidParamSchema),
        metadata={"description": "Each query or path parameter at fault and why."},
    )
