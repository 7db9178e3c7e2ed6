"""Published briefs described for data catalogues: DCAT-AP 3 and schema.org, as JSON-LD.

``dcat_dataset`` describes one published brief (its current version) as a ``dcat:Dataset``
with a ``dcat:Distribution`` per stored file; ``dcat_catalogue`` lists every published brief
in a ``dcat:Catalog``. Both carry the mandatory DCAT-AP 3 properties and the recommended ones
the brief has (contact point, keyword, publisher, spatial and temporal coverage, theme;
format, licence, media type, byte size and checksum of each file). ``schema_org_dataset`` is
the schema.org ``Dataset`` a brief's public page embeds (``<script type="application/ld+json">``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from app.briefs.content import BriefContent
from app.briefs.models import BriefArtefact, BriefVersion
from app.briefs.render import FORMATS
from app.briefs.snapshot import content_of
from app.portal.published import api_url, base_url, page_url, stored_file

#: The licence of the published briefs' data when ``OPEN_DATA_LICENCE`` is not set.
DEFAULT_LICENCE = "https://creativecommons.org/licenses/by/4.0/"
#: Who publishes the catalogue when ``CATALOGUE_PUBLISHER`` is not set.
DEFAULT_CATALOGUE_PUBLISHER = "SkillsDelphi"

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_EU = "http://publications.europa.eu/resource/authority/"
#: EU Vocabularies file types of the formats (``dct:format``).
FILE_TYPES = {
    "html": _EU + "file-type/HTML",
    "pdf": _EU + "file-type/PDF",
    "csv": _EU + "file-type/ZIP",
    "xlsx": _EU + "file-type/XLSX",
    "json": _EU + "file-type/JSON",
}
#: Data themes of the EU Vocabularies a skills brief is about.
THEMES = {
    _EU + "data-theme/ECON": "Economy and finance",
    _EU + "data-theme/EDUC": "Education, culture and sport",
}
_LANGUAGES = {"en": "ENG", "de": "DEU", "fr": "FRA"}
_IANA = "https://www.iana.org/assignments/media-types/"


def _licence() -> str:
    return current_app.config.get("OPEN_DATA_LICENCE") or DEFAULT_LICENCE


def _text(value: str, lang: str) -> dict[str, str]:
    return {"@value": value, "@language": lang}


def _date(value: datetime | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"@value": value.replace(microsecond=0).isoformat(), "@type": "xsd:dateTime"}


def _spatial(geography: str) -> str:
    """The geography as an EU Vocabularies country (``EU``) or a NUTS code's address."""
    if geography.upper() == "EU":
        return _EU + "country/EUR"
    return f"http://data.europa.eu/nuts/code/{geography.upper()}"


def _period(content: BriefContent) -> tuple[int | None, int | None]:
    """The years the brief's forecasts span (base year to horizon)."""
    years = [
        (s.base_year, s.horizon_year)
        for s in content.header.forecast_vintages
        if s.base_year is not None and s.horizon_year is not None
    ]
    if not years:
        return None, None
    return min(y[0] for y in years), max(y[1] for y in years)


def _keywords(content: BriefContent, lang: str) -> list[str]:
    header = content.header
    default = header.languages[0] if header.languages else "en"
    words = [header.sector_label, header.geography_label]
    for need in content.skill_needs.items:
        words.append(need.text.get(lang) or need.text.get(default) or "")
    return [w for w in dict.fromkeys(words) if w]


def _description(content: BriefContent) -> str:
    summary = content.narrative.summary.strip() if content.narrative.summary else ""
    if summary:
        return summary
    return _(
        "Future skill needs of %(sector)s in %(geography)s: the expert consensus of the "
        "sector skills council beside statistical labour-market forecasts.",
        sector=content.header.sector_label,
        geography=content.header.geography_label,
    )


def _distribution(version: BriefVersion, kind: str, stored: BriefArtefact | None) -> dict:
    url = f"{page_url(version)}/{FORMATS[kind]}"
    media_type = (stored.media_type if stored else "").split(";")[0].strip()
    out: dict[str, Any] = {
        "@id": url + "#distribution",
        "@type": "dcat:Distribution",
        "dct:title": kind.upper(),
        "dcat:accessURL": {"@id": page_url(version), "@type": ["rdfs:Resource", "foaf:Document"]},
        "dcat:downloadURL": {"@id": url, "@type": "rdfs:Resource"},
        "dct:format": {"@id": FILE_TYPES[kind], "@type": "dct:MediaTypeOrExtent"},
        "dct:license": {"@id": _licence(), "@type": "dct:LicenseDocument"},
    }
    if media_type:
        out["dcat:mediaType"] = {"@id": _IANA + media_type, "@type": "dct:MediaType"}
    if stored is not None:
        out["dcat:byteSize"] = {"@value": str(stored.size), "@type": "xsd:nonNegativeInteger"}
        out["spdx:checksum"] = {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {
                "@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
                "@type": "spdx:ChecksumAlgorithm",
            },
            "spdx:checksumValue": {"@value": stored.sha256, "@type": "xsd:hexBinary"},
        }
        out["dct:issued"] = _date(stored.created_at)
    return out


def dataset_id(brief_id: int) -> str:
    return f"{base_url()}/api/v1/briefs/{brief_id}/dcat#dataset"


def dcat_dataset(version: BriefVersion, *, context: bool = True) -> dict[str, Any]:
    """The DCAT-AP 3 ``dcat:Dataset`` of a published version (JSON-LD; without the
    ``@context`` when ``context`` is false, to sit in a catalogue)."""
    content = content_of(version)
    if content is None:  # pragma: no cover - a published version always has content
        raise ValueError(f"brief version {version.id} has no content")
    header = content.header
    lang = header.languages[0] if header.languages else "en"
    council = version.brief.council
    start, end = _period(content)
    out: dict[str, Any] = {
        "@id": dataset_id(version.brief_id),
        "@type": "dcat:Dataset",
        "dct:title": _text(header.title, lang),
        "dct:description": _text(_description(content), lang),
        "dct:identifier": api_url(brief_id=version.brief_id),
        "dcat:version": str(version.number),
        "dct:issued": _date(version.brief.versions[0].published_at or version.published_at),
        "dct:modified": _date(version.published_at),
        "dcat:landingPage": {"@id": page_url(version), "@type": "foaf:Document"},
        "dct:publisher": {
            "@id": f"{base_url()}/councils/{council.id}#agent",
            "@type": "foaf:Agent",
            "foaf:name": council.name,
        },
        "dcat:keyword": [_text(w, lang) for w in _keywords(content, lang)],
        "dct:spatial": {"@id": _spatial(header.geography), "@type": "dct:Location"},
        "dcat:theme": [
            {"@id": t, "@type": "skos:Concept", "skos:prefLabel": _text(label, "en")}
            for t, label in THEMES.items()
        ],
        "dct:language": [
            {"@id": _EU + "language/" + _LANGUAGES[code], "@type": "dct:LinguisticSystem"}
            for code in header.languages
            if code in _LANGUAGES
        ],
        "dcat:distribution": [
            _distribution(version, kind, stored_file(version, name))
            for kind, name in FORMATS.items()
        ],
    }
    if header.contact is not None:
        contact: dict[str, Any] = {
            "@type": "vcard:Kind",
            "vcard:fn": header.contact.name or header.contact.organisation,
        }
        if header.contact.email:
            contact["vcard:hasEmail"] = {"@id": "mailto:" + header.contact.email}
        if header.contact.organisation:
            contact["vcard:organization-name"] = header.contact.organisation
        out["dcat:contactPoint"] = contact
    if start is not None:
        out["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@value": f"{start}-01-01", "@type": "xsd:date"},
            "dcat:endDate": {"@value": f"{end}-12-31", "@type": "xsd:date"},
        }
    if context:
        out = {"@context": CONTEXT, **out}
    return out


def dcat_catalogue(versions: list[BriefVersion]) -> dict[str, Any]:
    """The ``dcat:Catalog`` of the published briefs (the current version of each)."""
    publisher = current_app.config.get("CATALOGUE_PUBLISHER") or DEFAULT_CATALOGUE_PUBLISHER
    lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    modified = max((v.published_at for v in versions if v.published_at), default=None)
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{base_url()}/api/v1/catalogue#catalogue",
        "@type": "dcat:Catalog",
        "dct:title": _text(_("SkillsDelphi sector briefs"), lang),
        "dct:description": _text(
            _(
                "Published sector briefs on future skill needs: the expert consensus of "
                "sector skills councils beside statistical labour-market forecasts."
            ),
            lang,
        ),
        "dct:publisher": {
            "@id": f"{base_url()}/#publisher",
            "@type": "foaf:Agent",
            "foaf:name": publisher,
        },
        "foaf:homepage": {"@id": base_url() + "/", "@type": "foaf:Document"},
        "dct:license": {"@id": _licence(), "@type": "dct:LicenseDocument"},
        "dcat:dataset": [dcat_dataset(v, context=False) for v in versions],
    }
    if modified is not None:
        out["dct:modified"] = _date(modified)
    return out


def schema_org_dataset(version: BriefVersion) -> dict[str, Any]:
    """The schema.org ``Dataset`` of a published version, for its public page to embed as
    ``<script type="application/ld+json">`` (search engines' dataset search reads it)."""
    content = content_of(version)
    if content is None:  # pragma: no cover - a published version always has content
        raise ValueError(f"brief version {version.id} has no content")
    header = content.header
    lang = header.languages[0] if header.languages else "en"
    council = version.brief.council
    start, end = _period(content)
    out: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": page_url(version),
        "name": header.title,
        "description": _description(content),
        "url": page_url(version),
        "identifier": api_url(version),
        "version": str(version.number),
        "inLanguage": lang,
        "datePublished": header.date or None,
        "dateModified": version.published_at.isoformat() if version.published_at else None,
        "creator": {"@type": "Organization", "name": council.name},
        "publisher": {"@type": "Organization", "name": council.name},
        "keywords": _keywords(content, lang),
        "license": _licence(),
        "isAccessibleForFree": True,
        "spatialCoverage": {"@type": "Place", "name": header.geography_label},
        "citation": header.citation or None,
        "distribution": [
            {
                "@type": "DataDownload",
                "encodingFormat": (stored.media_type if stored else "").split(";")[0] or None,
                "contentUrl": f"{page_url(version)}/{name}",
                **({"contentSize": f"{stored.size} B"} if stored else {}),
            }
            for kind, name in FORMATS.items()
            for stored in [stored_file(version, name)]
            if kind != "html"
        ],
    }
    if start is not None:
        out["temporalCoverage"] = f"{start}/{end}"
    return {k: v for k, v in out.items() if v is not None}
