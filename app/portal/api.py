"""The open API, version 1: read-only JSON of published briefs (DESIGN.md "Open API").

Served at ``/api/v1``. Only published content is visible: a version that is a draft, in
review, returned or approved is never listed and answers 404. Every response is dumped through
the schemas of ``app.portal.schemas``, from which ``/api/v1/openapi.json`` is generated.
Responses are cacheable (a strong ``ETag`` and ``Last-Modified``; ``If-None-Match`` and
``If-Modified-Since`` answer 304) and open to scripts of any origin (CORS, GET only). Errors
are ``application/problem+json`` (RFC 9457) naming the parameter at fault (``app.errors``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

import flask_smorest
from flask import Flask, Response, current_app, render_template, request
from flask_babel import force_locale, gettext
from webargs.flaskparser import FlaskParser
from werkzeug.routing import BaseConverter

from app.auth.policy import public
from app.briefs.brief_json import brief_document
from app.briefs.snapshot import content_of
from app.errors import InvalidParameter, NotFound
from app.formatting import N_
from app.portal import catalogue as catalogue_
from app.portal import published, shared_answers
from app.portal.linked_data import dcat_catalogue, dcat_dataset
from app.portal.schemas import (
    BriefListQuery,
    BriefListSchema,
    BriefSchema,
    LangQuery,
    ProblemSchema,
    VersionListSchema,
)
from app.problems import Problem

API_PREFIX = "/api/v1"
#: Seconds a cache may keep a response before it asks again (and gets a 304).
MAX_AGE = 300
#: Largest id or version number (the database's integer range).
MAX_ID = 2**31 - 1
PROBLEM_TYPE = "application/problem+json"
JSON_LD = "application/ld+json"

API_DESCRIPTION = (
    "Read-only JSON of the published sector briefs of SkillsDelphi: the expert consensus "
    "of sector skills councils on future skill needs beside statistical labour-market "
    "forecasts. Only published versions are served; superseded versions stay readable. "
    "Every statistic follows METHOD.md and can be recomputed from the answer counts given. "
    "Responses carry a strong ETag and Last-Modified (send If-None-Match or "
    "If-Modified-Since for a 304), Cache-Control public, and Access-Control-Allow-Origin *. "
    "Errors are application/problem+json (RFC 9457) with invalid_params naming each "
    "parameter at fault."
)


class IdConverter(BaseConverter):
    """A path segment meant as an id: anything is routed, so that a bad one is answered 400
    naming the parameter (not 404), and the view checks it (``_id``)."""

    regex = r"[^/]+"


def _id_schema(_converter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _Parser()


class Api(flask_smorest.Api):
    """The OpenAPI document of the API; the app's own handlers answer errors."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:  # app.errors answers every error
        pass

    def _register_responses(self) -> None:
        from http import HTTPStatus

        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_TYPE: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "An error (problem details, RFC 9457)",
                "content": {PROBLEM_TYPE: {"schema": self.ERROR_SCHEMA}},
            },
            lazy=True,
        )


bp = Blueprint("api", __name__, url_prefix=API_PREFIX, description="Published sector briefs")

_CACHE_HEADERS = {
    "ETag": {"description": "Strong validator of the content.", "schema": {"type": "string"}},
    "Last-Modified": {
        "description": "When the content last changed.",
        "schema": {"type": "string"},
    },
}


# ----------------------------------------------------------------------------- helpers


def _id(value: str, name: str) -> int:
    """A path id, or InvalidParameter naming ``name``."""
    if not re.fullmatch(r"[1-9][0-9]{0,9}", value) or int(value) > MAX_ID:
        raise InvalidParameter(
            N_("invalid parameter %(name)s"),
            [
                Problem(
                    N_("must be a whole number from 1 to %(max)s"),
                    field=name,
                    params={"max": MAX_ID},
                )
            ],
            params={"name": name},
        )
    return int(value)


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _cacheable(
    body: bytes,
    *,
    etag: str | None = None,
    last_modified: datetime | None = None,
    mimetype: str = "application/json",
) -> Response:
    """``body`` with a strong ETag (its SHA-256 unless given), Last-Modified, public caching;
    304 when the request's validators match."""
    response = current_app.response_class(body, mimetype=mimetype)
    response.set_etag(etag or hashlib.sha256(body).hexdigest())
    if last_modified is not None:
        response.last_modified = last_modified
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response.make_conditional(request)


def _no_brief(brief_id: int):
    return NotFound(N_("no published brief %(id)s"), {"id": brief_id})


def _summary(entry: catalogue_.Entry) -> dict[str, Any]:
    where = {"brief_id": entry.brief_id, "number": entry.version}
    return {
        "id": entry.brief_id,
        "title": entry.title,
        "sector": {
            "classification": entry.sector.classification,
            "code": entry.sector.code,
            "label": entry.sector.label,
        },
        "geography": entry.geography,
        "version": entry.version,
        "published_at": entry.published_at,
        "url": published.page_url(**where),
        "formats": published.file_urls(**where),
    }


#: Answers made from stored ``brief.json`` files, by the file's SHA-256 (a stored file never
#: changes), the least recently served dropped beyond ``_DOCUMENTS_KEPT``.
_DOCUMENTS: OrderedDict[str, bytes] = OrderedDict()
_DOCUMENTS_KEPT = 64
_DOCUMENTS_LOCK = threading.Lock()


def _stored_document(stored) -> bytes:
    """The API's document for a stored ``brief.json``, made once per process."""
    with _DOCUMENTS_LOCK:
        body = _DOCUMENTS.get(stored.sha256)
        if body is not None:
            _DOCUMENTS.move_to_end(stored.sha256)
            return body
    body = _json(BriefSchema().dump(_page_address(json.loads(stored.data))))
    with _DOCUMENTS_LOCK:
        _DOCUMENTS[stored.sha256] = body
        while len(_DOCUMENTS) > _DOCUMENTS_KEPT:
            _DOCUMENTS.popitem(last=False)
    return body


def _page_address(document: dict[str, Any]) -> dict[str, Any]:
    """A stored document with the version's page address as it is served: without the
    trailing slash that the stored files' base address has (that address is a 404)."""
    url = document.get("url")
    if isinstance(url, str) and url.endswith("/"):
        document["url"] = url.rstrip("/")
    return document


def _document(version, lang: str | None):
    """The stored ``brief.json`` of a version in ``lang`` (None: the default language) as a
    cacheable response; 404 when not stored in that language. While the default language's
    files are still being made, the same document is built from the version's content."""
    stored = published.stored_file(version, "brief.json", lang)
    if stored is not None:
        shared_answers.share()
        return _cacheable(
            _stored_document(stored), etag=stored.sha256, last_modified=stored.created_at
        )
    if lang is not None and lang != published.default_language():
        raise NotFound(
            N_("brief %(id)s version %(n)s is not published in this language"),
            {"id": version.brief_id, "n": version.number},
        )
    content = content_of(version)
    if content is None:  # pragma: no cover - a published version always has content
        raise NotFound(N_("no published brief %(id)s"), {"id": version.brief_id})
    default = published.default_language()
    with force_locale(default):
        document = brief_document(
            content,
            lang=default,
            url=published.page_url(version),
            formats=published.file_urls(version),
            translate=gettext,
        )
        body = _json(BriefSchema().dump(document))
    return _cacheable(body, last_modified=version.published_at)


# ----------------------------------------------------------------------------- routes


@bp.route("/briefs")
@public
@bp.arguments(BriefListQuery, location="query", as_kwargs=True)
@bp.response(200, BriefListSchema, headers=_CACHE_HEADERS)
@bp.alt_response(304, description="Not modified: the cached copy is current.")
def briefs(page: int, per_page: int, **filters: str):
    """Published briefs

    The current published version of every brief matching every filter given: sector (a
    NACE Rev. 2 code, or the forecast's own), geography, language and search words (each
    to be found, in any language; best match first, then the most recent publication)."""
    snap = catalogue_.snapshot()
    found = catalogue_.search(page=page, per_page=per_page, snap=snap, **filters)
    data = {
        "items": [_summary(e) for e in found.entries],
        "page": found.page,
        "per_page": found.per_page,
        "total": found.total,
    }
    body = _json(BriefListSchema().dump(data))
    return _cacheable(body, last_modified=snap.last_modified)


@bp.route("/briefs/<id:id>")
@public
@bp.arguments(LangQuery, location="query", as_kwargs=True)
@bp.response(200, BriefSchema, headers=_CACHE_HEADERS)
@bp.alt_response(304, description="Not modified: the cached copy is current.")
@bp.alt_response(404, response="NOT_FOUND")
def brief(id: str, lang: str | None = None):  # noqa: A002 - the API's name
    """A published brief

    The current published version of a brief as data (its stored brief.json), in the
    brief's default language or, with lang, another language it is published in."""
    brief_id = _id(id, "id")
    version = published.public_version(brief_id)
    if version is None:
        raise _no_brief(brief_id)
    return _document(version, lang)


@bp.route("/briefs/<id:id>/versions")
@public
@bp.response(200, VersionListSchema, headers=_CACHE_HEADERS)
@bp.alt_response(304, description="Not modified: the cached copy is current.")
@bp.alt_response(404, response="NOT_FOUND")
def versions(id: str):  # noqa: A002
    """Version history of a brief

    Every published version, oldest first; a superseded version says so and stays readable."""
    brief_id = _id(id, "id")
    found = published.public_versions(brief_id)
    if not found:
        raise _no_brief(brief_id)
    data = {
        "id": brief_id,
        "title": found[-1].brief.title,
        "items": [
            {
                "version": v.number,
                "status": v.status.value,
                "published_at": v.published_at,
                "superseded_at": v.superseded_at,
                "change_class": v.change_class.value if v.change_class else None,
                "change_note": v.change_note,
                "correction_notice": v.correction_notice,
                "url": published.page_url(v),
                "api_url": published.api_url(v),
                "formats": published.file_urls(v),
            }
            for v in found
        ],
        "total": len(found),
    }
    changed = max(
        [v.published_at for v in found if v.published_at]
        + [v.superseded_at for v in found if v.superseded_at]
        + [v.corrected_at for v in found if v.corrected_at],
        default=None,
    )
    return _cacheable(_json(VersionListSchema().dump(data)), last_modified=changed)


@bp.route("/briefs/<id:id>/versions/<id:n>")
@public
@bp.arguments(LangQuery, location="query", as_kwargs=True)
@bp.response(200, BriefSchema, headers=_CACHE_HEADERS)
@bp.alt_response(304, description="Not modified: the cached copy is current.")
@bp.alt_response(404, response="NOT_FOUND")
def version(id: str, n: str, lang: str | None = None):  # noqa: A002
    """One published version of a brief

    A published or superseded version as data (its stored brief.json)."""
    brief_id = _id(id, "id")
    number = _id(n, "n")
    found = published.public_version(brief_id, number)
    if found is None:
        raise NotFound(
            N_("no published version %(n)s of brief %(id)s"), {"id": brief_id, "n": number}
        )
    return _document(found, lang)


@bp.route("/briefs/<id:id>/dcat")
@public
@bp.response(
    200,
    description="DCAT-AP 3 dcat:Dataset (JSON-LD)",
    content_type=JSON_LD,
    headers=_CACHE_HEADERS,
)
@bp.alt_response(304, description="Not modified: the cached copy is current.")
@bp.alt_response(404, response="NOT_FOUND")
def dcat(id: str):  # noqa: A002
    """A brief for data catalogues

    The brief's current published version as a DCAT-AP 3 dcat:Dataset with a
    distribution per file (format, licence, media type, byte size, SHA-256)."""
    brief_id = _id(id, "id")
    version = published.public_version(brief_id)
    if version is None:
        raise _no_brief(brief_id)
    return _cacheable(
        _json(dcat_dataset(version)), last_modified=version.published_at, mimetype=JSON_LD
    )


@bp.route("/catalogue")
@public
@bp.response(
    200,
    description="DCAT-AP 3 dcat:Catalog (JSON-LD)",
    content_type=JSON_LD,
    headers=_CACHE_HEADERS,
)
@bp.alt_response(304, description="Not modified: the cached copy is current.")
def catalogue():
    """The catalogue of published briefs

    A DCAT-AP 3 dcat:Catalog listing every published brief as a dcat:Dataset."""
    versions = published.current_versions()
    changed = max((v.published_at for v in versions if v.published_at), default=None)
    return _cacheable(_json(dcat_catalogue(versions)), last_modified=changed, mimetype=JSON_LD)


@bp.route("/openapi.json")
@public
@bp.response(200, description="The OpenAPI 3.1 document.", headers=_CACHE_HEADERS)
@bp.alt_response(304, description="Not modified: the cached copy is current.")
def openapi_json():
    """The OpenAPI 3 document of this API, generated from the schemas of its responses."""
    return _cacheable(_json(openapi_document()))


@bp.route("/docs")
@public
@bp.response(200, description="The documentation as a page.", content_type="text/html")
def docs():
    """The API's documentation, rendered from its OpenAPI document."""
    from app.portal.docs import documentation

    page = render_template("portal/api_docs.html", **documentation(openapi_document()))
    return current_app.response_class(page, mimetype="text/html")


# ----------------------------------------------------------------------------- wiring


def openapi_document() -> dict[str, Any]:
    """The generated OpenAPI document, with the server's address."""
    spec = current_app.extensions["skillsdelphi-api"].spec.to_dict()
    spec["servers"] = [{"url": published.base_url()}]
    return spec


@bp.after_app_request
def _cors(response: Response) -> Response:
    """Scripts of any origin may read the API (GET only; nothing here needs credentials)."""
    if request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Content-Language"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                "Accept, Accept-Language, If-None-Match, If-Modified-Since"
            )
            response.headers["Access-Control-Max-Age"] = "86400"
        response.vary.add("Accept-Language")
    return response


def register_api(app: Flask) -> None:
    """Register the blueprint and the OpenAPI document generated from its schemas."""
    app.url_map.converters["id"] = IdConverter
    app.config.setdefault("API_TITLE", "SkillsDelphi open API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": API_DESCRIPTION,
                "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
            }
        },
    )
    api = Api()
    api.register_converter(IdConverter, _id_schema)
    api.init_app(app)
    api.register_blueprint(bp)
    app.extensions["skillsdelphi-api"] = api
