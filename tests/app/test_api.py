"""The open API, version 1 (DESIGN.md "Open API, version 1"): shape, pagination, filters,
problem details, caching, CORS, published content only, the generated OpenAPI document (every
response here validated against it, and fuzzed with schemathesis), the numbers against the
engine, the documentation page, DCAT-AP 3 records against the DCAT-AP SHACL shapes."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from app.auth.models import User
from app.briefs import services
from app.briefs.models import Brief, BriefStatus, BriefVersion
from app.briefs.rendering import render_outputs
from app.consensus import item_statistics
from app.extensions import db

SHAPES = Path(__file__).resolve().parent.parent / "data" / "dcat" / "dcat-ap-3.0.0-shacl.jsonld"

#: Rendered files of the demo's published versions, made once per run (rendering takes
#: seconds; the demo data are the same in every test).
_RENDERED: dict[tuple[int, int], list[services.Output]] = {}


def _store_renderings(app) -> None:
    with app.app_context():
        public = db.session.scalars(
            select(BriefVersion).where(
                BriefVersion.status.in_([BriefStatus.published, BriefStatus.superseded])
            )
        ).all()
        for v in public:
            key = (v.brief_id, v.number)
            if key not in _RENDERED:
                _RENDERED[key] = render_outputs(v, lang="en")
            services.store_outputs(v, _RENDERED[key])
        db.session.commit()


@pytest.fixture
def api(make_demo_app):
    """The demo, its published versions' files stored as publication stores them."""
    app = make_demo_app()
    _store_renderings(app)
    return app


@pytest.fixture
def demo_brief(api) -> int:
    with api.app_context():
        return db.session.scalars(select(Brief.id)).first()


# ----------------------------------------------------------------------------- the document


def _spec(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def _template(spec: dict, path: str) -> str:
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI document")


def conforms(spec: dict, response, path: str) -> None:
    """Fail unless ``response`` (to GET ``path``) is one the OpenAPI document describes:
    its status listed, its media type, its body valid against the schema given for it."""
    operation = spec["paths"][_template(spec, path.split("?")[0])]["get"]
    responses = operation["responses"]
    described = responses.get(str(response.status_code)) or responses.get("default")
    assert described, f"status {response.status_code} of {path} is not documented"
    while "$ref" in described:
        described = spec["components"]["responses"][described["$ref"].rsplit("/", 1)[1]]
    content = described.get("content")
    if response.status_code == 304 or not content:
        return
    media_type = response.mimetype
    assert media_type in content, f"{media_type} of {path} is not documented: {list(content)}"
    schema = content[media_type].get("schema")
    if not schema:
        return
    registry = Registry().with_resource(
        "urn:api", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    ref = {"$ref": "urn:api" + schema["$ref"]} if "$ref" in schema else schema
    errors = list(Draft202012Validator(ref, registry=registry).iter_errors(response.get_json()))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def get(client, spec: dict, path: str, **kwargs):
    response = client.get(path, **kwargs)
    conforms(spec, response, path)
    return response


def test_the_generated_openapi_document_is_valid_and_describes_every_route(api):
    from openapi_spec_validator import validate

    client = api.test_client()
    spec = _spec(client)
    validate(spec)
    assert spec["openapi"].startswith("3.")
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in api.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    assert routes == set(spec["paths"])
    # generated from the response schemas: the brief's fields are those brief_json writes
    brief = spec["components"]["schemas"]["Brief"]["properties"]
    assert {"key_facts", "forecasts", "themes", "triangulation", "sources", "consultation"} <= set(
        brief
    )


def test_the_list_has_exactly_the_designed_shape(api, demo_brief):
    client = api.test_client()
    spec = _spec(client)
    body = get(client, spec, "/api/v1/briefs").get_json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 1)
    (item,) = body["items"]
    assert set(item) == {
        "id",
        "title",
        "sector",
        "geography",
        "version",
        "published_at",
        "url",
        "formats",
    }
    assert item["id"] == demo_brief and item["version"] == 2  # the current version only
    assert item["sector"] == {"classification": "NACE Rev. 2", "code": "F", "label": "Construction"}
    assert item["geography"] == "EU"
    assert set(item["formats"]) == {"html", "pdf", "csv", "xlsx", "json"}
    page = f"http://skillsdelphi.test/briefs/{demo_brief}/v/2"
    assert item["url"] == page and item["formats"]["pdf"] == page + "/brief.pdf"
    # every advertised file is served
    for url in item["formats"].values():
        file = client.get(url.removeprefix("http://skillsdelphi.test"))
        assert file.status_code == 200, url
        file.close()


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=x", "page"),
        ("page=99999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=ten", "per_page"),
        ("sector=..", "sector"),
        ("sector=F;DROP", "sector"),
        ("geography=europe", "geography"),
        ("lang=xx", "lang"),
        ("q=" + "a" * 201, "q"),
    ],
)
def test_a_bad_list_parameter_is_a_400_problem_naming_it(api, query, name):
    client = api.test_client()
    spec = _spec(client)
    response = get(client, spec, "/api/v1/briefs?" + query)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 400 and problem["title"] and problem["type"]
    assert [p["name"] for p in problem["invalid_params"]] == [name]
    assert problem["invalid_params"][0]["reason"]
    assert name in problem["detail"]


def test_pages_and_their_bounds(api):
    client = api.test_client()
    spec = _spec(client)
    one = get(client, spec, "/api/v1/briefs?per_page=1&page=1").get_json()
    assert len(one["items"]) == 1 and one["total"] == 1 and one["per_page"] == 1
    beyond = get(client, spec, "/api/v1/briefs?page=2&per_page=100").get_json()
    assert beyond["items"] == [] and beyond["total"] == 1 and beyond["page"] == 2
    assert get(client, spec, "/api/v1/briefs?per_page=100").status_code == 200


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("sector=F", 1),
        ("sector=41", 0),
        ("geography=EU", 1),
        ("geography=DE", 0),
        ("lang=en", 1),
        ("lang=de", 0),  # the files stored here are English only
        ("lang=es", 0),
        ("q=construction", 1),
        ("q=CONSTRUCTION%20skills", 1),
        ("q=digital", 1),  # a skill the panel rated
        ("q=astrophysics", 0),
        ("sector=F&geography=DE", 0),
        ("unknown=1", 1),  # an unknown parameter is ignored
    ],
)
def test_the_list_filters(api, query, total):
    client = api.test_client()
    body = get(client, _spec(client), "/api/v1/briefs?" + query).get_json()
    assert body["total"] == total and len(body["items"]) == total


def test_a_brief_is_its_stored_document_dumped_through_the_schema(api, demo_brief):
    client = api.test_client()
    spec = _spec(client)
    response = get(client, spec, f"/api/v1/briefs/{demo_brief}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    with api.app_context():
        stored = db.session.get(Brief, demo_brief).current.artefact("brief.json")
        expected, sha = json.loads(stored.data), stored.sha256
    # the schema drops nothing; the page address is served without a trailing slash
    assert response.get_json() == {**expected, "url": expected["url"].rstrip("/")}
    assert response.headers["ETag"] == f'"{sha}"'
    body = response.get_json()
    assert body["version"] == 2
    for key in ("key_facts", "forecasts", "themes", "triangulation", "sources", "consultation"):
        assert body[key], key
    assert {"publisher", "title", "licence", "vintage"} <= set(body["forecasts"][0]["source"])
    plan = body["consultation"]["plan"]
    assert {"consensus_rule", "stability_rule", "min_group_n"} <= set(plan)
    first = body["consultation"]["rounds"][0]
    assert {"number", "invited", "responded", "responded_by_group", "items"} <= set(first)


def test_the_version_history_keeps_superseded_versions_readable(api, demo_brief):
    client = api.test_client()
    spec = _spec(client)
    history = get(client, spec, f"/api/v1/briefs/{demo_brief}/versions").get_json()
    assert [(v["version"], v["status"]) for v in history["items"]] == [
        (1, "superseded"),
        (2, "published"),
    ]
    assert history["items"][0]["correction_notice"]
    old = get(client, spec, f"/api/v1/briefs/{demo_brief}/versions/1")
    assert old.status_code == 200 and old.get_json()["version"] == 1
    missing = get(client, spec, f"/api/v1/briefs/{demo_brief}/versions/9")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "status", "name"),
    [
        ("/api/v1/briefs/abc", 400, "id"),
        ("/api/v1/briefs/0", 400, "id"),
        ("/api/v1/briefs/-3", 400, "id"),
        ("/api/v1/briefs/99999999999", 400, "id"),
        ("/api/v1/briefs/1.5/versions", 400, "id"),
        ("/api/v1/briefs/{brief}/versions/x", 400, "n"),
        ("/api/v1/briefs/{brief}?lang=klingon", 400, "lang"),
        ("/api/v1/briefs/999999", 404, None),
        ("/api/v1/briefs/999999/dcat", 404, None),
        ("/api/v1/briefs/{brief}?lang=de", 404, None),  # not published in German
        ("/api/v1/nothing-here", 404, None),
    ],
)
def test_errors_are_problem_details(api, demo_brief, path, status, name):
    client = api.test_client()
    response = client.get(path.format(brief=demo_brief))
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert problem["type"].endswith(
        "#problem-" + ("invalid-parameter" if status == 400 else "not-found")
    )
    if name:
        assert [p["name"] for p in problem["invalid_params"]] == [name]
    if "nothing-here" not in path:
        conforms(_spec(client), response, path.format(brief=demo_brief))


def test_the_api_is_read_only(api):
    response = api.test_client().post("/api/v1/briefs", json={})
    assert response.status_code == 405 and response.mimetype == "application/problem+json"


def test_revalidation_answers_304(api, demo_brief):
    client = api.test_client()
    spec = _spec(client)
    for path in (
        "/api/v1/briefs",
        f"/api/v1/briefs/{demo_brief}",
        f"/api/v1/briefs/{demo_brief}/versions",
        f"/api/v1/briefs/{demo_brief}/versions/1",
        f"/api/v1/briefs/{demo_brief}/dcat",
        "/api/v1/catalogue",
    ):
        first = get(client, spec, path)
        assert first.status_code == 200
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert not etag.startswith("W/")  # strong
        assert "public" in first.headers["Cache-Control"]
        again = get(client, spec, path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", path
        since = get(client, spec, path, headers={"If-Modified-Since": modified})
        assert since.status_code == 304, path
        changed = client.get(path, headers={"If-None-Match": '"something-else"'})
        assert changed.status_code == 200 and changed.data == first.data
    body = client.get("/api/v1/briefs").data
    assert client.get("/api/v1/briefs").headers["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'


def test_cors_is_open_for_get_and_its_preflight(api, demo_brief):
    client = api.test_client()
    got = client.get(f"/api/v1/briefs/{demo_brief}", headers={"Origin": "https://example.org"})
    assert got.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in got.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/briefs",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    error = client.get("/api/v1/briefs?page=0", headers={"Origin": "https://example.org"})
    assert error.headers["Access-Control-Allow-Origin"] == "*"


def _users(*emails: str) -> list[User]:
    return [db.session.scalars(select(User).where(User.email == e)).one() for e in emails]


def test_drafts_reviews_returns_and_approvals_are_never_visible(api, demo_brief):
    """A third version goes through every state before publication, and a second brief is a
    draft only: neither appears anywhere in the API until published."""
    client = api.test_client()
    spec = _spec(client)
    before = {
        path: client.get(path).data
        for path in ("/api/v1/briefs", "/api/v1/catalogue", f"/api/v1/briefs/{demo_brief}")
    }
    with api.app_context():
        sec, official = _users("secretariat@demo.skillsdelphi.eu", "official@demo.skillsdelphi.eu")
        brief = db.session.get(Brief, demo_brief)
        third = services.new_version(
            brief, by=sec, change_class="update", change_note="A later vintage."
        )
        other = services.create_draft(brief.consultation, by=sec, title="Unpublished brief")
        db.session.commit()
        third_id, other_id = third.id, other.brief_id
    assert third_id and other_id != demo_brief

    def invisible(state: str) -> None:
        for path, body in before.items():
            assert client.get(path).data == body, (state, path)
        history = client.get(f"/api/v1/briefs/{demo_brief}/versions").get_json()
        assert [v["version"] for v in history["items"]] == [1, 2], state
        for path in (
            f"/api/v1/briefs/{demo_brief}/versions/3",
            f"/api/v1/briefs/{other_id}",
            f"/api/v1/briefs/{other_id}/versions",
            f"/api/v1/briefs/{other_id}/versions/1",
            f"/api/v1/briefs/{other_id}/dcat",
        ):
            response = get(client, spec, path)
            assert response.status_code == 404, (state, path)
        assert get(client, spec, "/api/v1/briefs?q=unpublished").get_json()["total"] == 0

    invisible("draft")
    with api.app_context():
        (sec,) = _users("secretariat@demo.skillsdelphi.eu")
        v = db.session.get(BriefVersion, third_id)
        services.submit_for_review(v, by=sec)
        db.session.commit()
    invisible("in review")
    with api.app_context():
        (official,) = _users("official@demo.skillsdelphi.eu")
        v = db.session.get(BriefVersion, third_id)
        services.return_to_author(v, "Please check the figures.", by=official)
        db.session.commit()
    invisible("returned")
    with api.app_context():
        sec, official = _users("secretariat@demo.skillsdelphi.eu", "official@demo.skillsdelphi.eu")
        v = db.session.get(BriefVersion, third_id)
        services.submit_for_review(v, by=sec)
        services.approve(v, by=official)
        db.session.commit()
        assert v.status is BriefStatus.approved
    invisible("approved")


def test_the_published_numbers_are_the_engines(api, demo_brief):
    """METHOD.md 2: median, quartiles, IQR and agreement recomputed from the counts published
    with every rating item are the numbers published."""
    client = api.test_client()
    body = client.get(f"/api/v1/briefs/{demo_brief}").get_json()
    plan = body["consultation"]["plan"]
    checked = 0
    for round_ in body["consultation"]["rounds"]:
        for item in round_["items"]:
            if item["type"] != "likert" or item.get("suppressed"):
                continue
            counts = {int(k): v for k, v in item["counts"].items()}
            values = np.repeat(list(counts), list(counts.values()))
            answers = pd.DataFrame({"item": item["key"], "value": values.astype(float)})
            stats = item_statistics(
                answers, scale=item["scale"], quantile_method=plan["quantile_method"]
            ).loc[item["key"]]
            assert item["n"] == stats["n"] == sum(counts.values())
            for name in ("median", "q1", "q3", "iqr", "agreement"):
                assert item[name] == pytest.approx(round(float(stats[name]), 4), abs=1e-9), (
                    item["key"],
                    name,
                )
            for group in item["groups"]:
                if group.get("suppressed") or group.get("no_answers"):
                    continue
                g_counts = {int(k): v for k, v in group["counts"].items()}
                g_values = np.repeat(list(g_counts), list(g_counts.values()))
                g = item_statistics(
                    pd.DataFrame({"item": "g", "value": g_values.astype(float)}),
                    scale=item["scale"],
                    quantile_method=plan["quantile_method"],
                ).loc["g"]
                for name in ("median", "q1", "q3", "iqr", "agreement"):
                    assert group[name] == pytest.approx(round(float(g[name]), 4), abs=1e-9)
            checked += 1
    assert checked >= 5


def test_the_documentation_page_is_local_and_generated_from_the_document(api):
    client = api.test_client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    spec = _spec(client)
    for path in spec["paths"]:
        assert f"<code>GET {path}</code>" in html, path
    assert "per_page" in html and "invalid_params" in html
    assert "consultation.rounds[].items[].counts" in html  # response fields, nested
    # nothing from elsewhere: every script, style and image is the app's own
    for attr in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not attr.startswith("//"), attr
        assert not attr.startswith("http") or attr.startswith("http://skillsdelphi.test"), attr
    assert re.search(r"<html[^>]+lang=\"en\"", html)
    assert "<h1>" in html and "<caption>" in html and 'scope="col"' in html
    german = client.get("/api/v1/docs?lang=de").get_data(as_text=True)
    assert re.search(r"<html[^>]+lang=\"de\"", german)


# ----------------------------------------------------------------------------- DCAT-AP


#: pyshacl still builds rdflib's deprecated ConjunctiveGraph internally.
SHACL_WARNINGS = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)


def _graph(data: dict):
    import rdflib

    return rdflib.Graph().parse(data=json.dumps(data), format="json-ld")


def _shacl(data: dict) -> tuple[bool, str]:
    import rdflib
    from pyshacl import validate

    shapes = rdflib.Graph().parse(SHAPES, format="json-ld")
    conforms, _graph_, text = validate(_graph(data), shacl_graph=shapes, inference="none")
    return conforms, text


@SHACL_WARNINGS
def test_a_brief_is_a_dcat_ap_dataset_that_conforms_to_the_shapes(api, demo_brief):
    import rdflib
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

    client = api.test_client()
    spec = _spec(client)
    response = get(client, spec, f"/api/v1/briefs/{demo_brief}/dcat")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    data = response.get_json()
    conforms, text = _shacl(data)
    assert conforms, text
    g = _graph(data)
    (dataset,) = g.subjects(RDF.type, DCAT.Dataset)
    for prop in (
        DCTERMS.title,
        DCTERMS.description,
        DCAT.contactPoint,
        DCAT.keyword,
        DCTERMS.publisher,
        DCTERMS.spatial,
        DCTERMS.temporal,
        DCAT.theme,
    ):
        assert g.value(dataset, prop) is not None, prop
    assert str(g.value(g.value(dataset, DCTERMS.publisher), FOAF.name)).endswith("Council")
    distributions = list(g.objects(dataset, DCAT.distribution))
    assert len(distributions) == 5
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    with api.app_context():
        stored = {a.name: a for a in db.session.get(Brief, demo_brief).current.artefacts}
    for d in distributions:
        for prop in (
            DCAT.accessURL,
            DCTERMS.format,
            DCTERMS.license,
            DCAT.mediaType,
            DCAT.byteSize,
        ):
            assert g.value(d, prop) is not None, prop
        name = str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[1]
        checksum = g.value(g.value(d, spdx.checksum), spdx.checksumValue)
        assert str(checksum) == stored[name].sha256
        assert int(g.value(d, DCAT.byteSize)) == stored[name].size


@SHACL_WARNINGS
def test_the_catalogue_is_a_dcat_ap_catalog_of_the_published_briefs(api, demo_brief):
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

    client = api.test_client()
    data = get(client, _spec(client), "/api/v1/catalogue").get_json()
    conforms, text = _shacl(data)
    assert conforms, text
    g = _graph(data)
    (catalogue,) = g.subjects(RDF.type, DCAT.Catalog)
    assert g.value(catalogue, DCTERMS.title) and g.value(catalogue, DCTERMS.description)
    assert g.value(g.value(catalogue, DCTERMS.publisher), FOAF.name)
    assert len(list(g.objects(catalogue, DCAT.dataset))) == 1


@SHACL_WARNINGS
def test_an_incomplete_record_does_not_conform(api, demo_brief):
    """The shapes test can fail: a dataset without a title is refused."""
    client = api.test_client()
    data = client.get(f"/api/v1/briefs/{demo_brief}/dcat").get_json()
    del data["dct:title"]
    conforms, text = _shacl(data)
    assert not conforms and "title" in text


def test_a_schema_org_dataset_for_the_public_page(api, demo_brief):
    from app.portal.linked_data import schema_org_dataset

    with api.app_context():
        version = db.session.get(Brief, demo_brief).current
        data = schema_org_dataset(version)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
    assert data["name"].endswith("sector brief") and data["description"]
    assert data["url"].endswith(f"/briefs/{demo_brief}/v/2")
    assert data["license"].startswith("https://")
    assert data["temporalCoverage"] == "2023/2033"
    formats = {d["encodingFormat"] for d in data["distribution"]}
    assert "application/pdf" in formats and "application/json" in formats
    json.dumps(data)  # plain JSON, ready to embed


def test_a_version_whose_files_are_being_made_is_served_from_its_content(make_demo_app):
    """Published, files not rendered yet: the document they will hold, built from the
    content."""
    app = make_demo_app()
    with app.app_context():
        version = db.session.get(Brief, db.session.scalars(select(Brief.id)).first()).current
        brief_id, key = version.brief_id, (version.brief_id, version.number)
        if key not in _RENDERED:
            _RENDERED[key] = render_outputs(version, lang="en")
    stored = next(o for o in _RENDERED[key] if o.name == "brief.json")
    client = app.test_client()
    response = client.get(f"/api/v1/briefs/{brief_id}")
    assert response.status_code == 200
    expected = json.loads(stored.data)
    # the page address without the trailing slash of the files' base address
    assert response.get_json() == {**expected, "url": expected["url"].rstrip("/")}
    conforms(_spec(client), response, f"/api/v1/briefs/{brief_id}")


# ----------------------------------------------------------------------------- fuzzing

#: Examples per operation: the whole run stays well under a minute.
FUZZ_EXAMPLES = 25


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fuzzing_finds_no_server_error_and_no_response_off_its_schema(api):
    """schemathesis, in-process (WSGI), against the generated document: every operation with
    generated parameters; every check (no 5xx, status, media type, headers and body as
    documented)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {o.label for o in operations}
    assert {
        "GET /api/v1/briefs",
        "GET /api/v1/briefs/{id}",
        "GET /api/v1/briefs/{id}/versions",
        "GET /api/v1/briefs/{id}/versions/{n}",
        "GET /api/v1/briefs/{id}/dcat",
        "GET /api/v1/catalogue",
    } <= labels, labels
    for operation in operations:

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case):
            case.call_and_validate()

        fuzz()


def test_every_page_address_in_the_api_opens_and_the_slashed_one_redirects(api, demo_brief):
    client = api.test_client()
    spec = _spec(client)
    page = f"http://skillsdelphi.test/briefs/{demo_brief}/v/2"
    brief = get(client, spec, f"/api/v1/briefs/{demo_brief}").get_json()
    version = get(client, spec, f"/api/v1/briefs/{demo_brief}/versions/2").get_json()
    listed = get(client, spec, "/api/v1/briefs").get_json()["items"][0]
    assert brief["url"] == version["url"] == listed["url"] == page
    assert client.get(page.removeprefix("http://skillsdelphi.test")).status_code == 200
    slashed = client.get(f"/briefs/{demo_brief}/v/2/?lang=de")
    assert slashed.status_code == 308
    assert slashed.headers["Location"].endswith(f"/briefs/{demo_brief}/v/2?lang=de")
    assert client.get(f"/briefs/{demo_brief}/v/2/brief.pdf").status_code == 200
