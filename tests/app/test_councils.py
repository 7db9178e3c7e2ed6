"""Administration of councils and staff accounts: services, the admin's pages, the commands.

A fresh installation gets its councils and secretariats here (not only from ``seed-demo``).
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.audit.services import verify_chain
from app.auth.models import Role, User, user_council
from app.classifications.models import Sector
from app.classifications.services import NACE, ensure_builtin_sectors
from app.councils import services
from app.councils.models import Council
from app.errors import InvalidInput, NotFound
from app.extensions import db
from tests.app.factories import PASSWORD, make_council, make_staff, sign_in


def _add_division(code: str = "41", parent: str = "F", label: str = "Construction of buildings"):
    ensure_builtin_sectors()
    db.session.add(Sector(classification=NACE, code=code, level=2, parent_code=parent, label=label))
    db.session.flush()


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {p.field: p.what() for p in exc.value.problems}


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _counts() -> tuple[int, int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Council)),
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(user_council)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


# ----------------------------------------------------------------------------- services


def test_create_a_council_of_a_section_or_a_division(app):
    with app.app_context():
        _add_division()
        section = services.create_council("Care council", sector_code="q", geography="eu", by="cli")
        division = services.create_council(
            "  Building council Bavaria ",
            sector_code="41",
            geography="de2",
            description="Employers and unions of house building.",
            by="cli",
        )
        db.session.commit()
        assert (section.sector.code, section.geography) == ("Q", "EU")
        assert division.name == "Building council Bavaria"
        assert (division.sector.code, division.geography) == ("41", "DE2")
        assert [c.name for c in services.list_councils()] == [
            "Building council Bavaria",
            "Care council",
        ]


@pytest.mark.parametrize("geography", ["DE", "EU", "DE1", "FR10", "ITC4", "EL30", "UK", "de111"])
def test_countries_the_eu_and_nuts_regions_are_geographies(app, geography):
    with app.app_context():
        ensure_builtin_sectors()
        council = services.create_council("C", sector_code="F", geography=geography, by="cli")
        assert council.geography == geography.upper()


@pytest.mark.parametrize(
    ("geography", "message"),
    [
        ("", "enter a country code"),
        ("XX", "'XX' is not an ISO 3166 country code"),
        ("QQ1", "QQ is not a country code"),
        ("EU1", "EU is not a country code"),
        ("DE-1", "neither a country code"),
        ("Deutschland", "neither a country code"),
        ("DE12345", "neither a country code"),
    ],
)
def test_a_bad_geography_is_refused_with_the_field_named(app, geography, message):
    with app.app_context(), pytest.raises(InvalidInput) as exc:
        ensure_builtin_sectors()
        services.create_council("C", sector_code="F", geography=geography, by="cli")
    assert message in _fields(exc)["geography"]


def test_a_second_council_of_the_same_name_is_refused(app):
    with app.app_context():
        ensure_builtin_sectors()
        services.create_council("Building council", sector_code="F", geography="DE", by="cli")
        with pytest.raises(InvalidInput) as exc:
            services.create_council("building COUNCIL", sector_code="F", geography="AT", by="cli")
        assert _fields(exc) == {"name": "a council named 'Building council' exists already"}


def test_an_unknown_sector_says_how_to_load_the_full_list(app):
    with app.app_context():
        with pytest.raises(InvalidInput) as exc:
            services.create_council("C", sector_code="ZZ", geography="DE", by="cli")
        assert _fields(exc)["sector"] == (
            "no NACE sector has code 'ZZ'; import-classification nace FILE loads the full list"
        )
        _add_division()
        with pytest.raises(InvalidInput) as exc:  # the full list is there: no advice
            services.create_council("C", sector_code="99", geography="DE", by="cli")
        assert _fields(exc)["sector"] == "no NACE sector has code '99'"


def test_a_council_covers_a_section_or_division_not_a_group(app):
    with app.app_context():
        ensure_builtin_sectors()
        db.session.add(Sector(code="41.2", level=3, parent_code="41", label="Construction"))
        with pytest.raises(InvalidInput) as exc:
            services.create_council("C", sector_code="41.2", geography="DE", by="cli")
        assert (
            "41.2 is a NACE group; a council covers a section or a division"
            in (_fields(exc)["sector"])
        )


def test_every_problem_is_named_at_once_and_nothing_is_written(app):
    with app.app_context():
        ensure_builtin_sectors()
        db.session.commit()
        before = _counts()
        with pytest.raises(InvalidInput) as exc:
            services.create_council(
                "A\nB", sector_code="", geography="nowhere", description="\x07", by="cli"
            )
        assert set(_fields(exc)) == {"name", "sector", "geography", "description"}
        db.session.rollback()
        assert _counts() == before


def test_edit_a_council_and_the_change_is_audited(app):
    with app.app_context():
        _add_division()
        admin = make_staff(Role.admin)
        council = services.create_council("Bau", sector_code="F", geography="DE", by=admin)
        changed = services.update_council(
            council,
            name="Bau Bayern",
            sector_code="41",
            geography="DE2",
            description="Bavarian builders.",
            by=admin,
        )
        assert changed == ["name", "sector", "geography", "description"]
        assert (council.name, council.sector.code, council.geography) == ("Bau Bayern", "41", "DE2")
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "council-updated")
        ).one()
        assert event.actor == admin.email and event.object_id == str(council.id)
        assert event.details["geography"] == {"from": "DE", "to": "DE2"}
        assert event.details["description"] == "changed"
        again = services.update_council(
            council,
            name="Bau Bayern",
            sector_code="41",
            geography="de2",
            description="Bavarian builders.",
            by=admin,
        )
        assert again == []
        assert _actions().count("council-updated") == 1


def test_renaming_onto_another_council_is_refused(app):
    with app.app_context():
        make_council("Care council", "Q")
        council = make_council("Building council")
        with pytest.raises(InvalidInput) as exc:
            services.update_council(
                council,
                name="Care council",
                sector_code="F",
                geography="EU",
                description="",
                by="cli",
            )
        assert set(_fields(exc)) == {"name"}
        # keeping its own name is no conflict
        kept = services.update_council(
            council,
            name="Building council",
            sector_code="F",
            geography="DE",
            description="",
            by="cli",
        )
        assert kept == ["geography"]


def test_add_and_remove_a_secretariat_member(app):
    with app.app_context():
        council = make_council("Building council")
        person = make_staff(Role.secretariat)
        assert services.add_member(council, person.email.upper(), by="cli") is True
        assert services.add_member(council, person, by="cli") is False  # once is enough
        assert person.councils == [council]
        assert services.secretariat_of(council) == [person]
        services.remove_member(council, person.email, by="cli")
        assert person.councils == []
        with pytest.raises(InvalidInput) as exc:
            services.remove_member(council, person, by="cli")
        assert "is not in the secretariat of Building council" in _fields(exc)["email"]
        assert _actions()[-2:] == ["council-member-added", "council-member-removed"]


@pytest.mark.parametrize("role", [Role.official, Role.publisher, Role.admin])
def test_only_secretariat_users_join_a_council(app, role):
    with app.app_context():
        council = make_council()
        person = make_staff(role)
        with pytest.raises(InvalidInput) as exc:
            services.add_member(council, person.email, by="cli")
        assert _fields(exc)["email"].endswith("only secretariat users work for a council")
        assert person.email in _fields(exc)["email"]
        with pytest.raises(InvalidInput) as exc:
            services.create_staff_user(
                "new@council.eu", role, PASSWORD, councils=[council], by="cli"
            )
        assert "only secretariat users work for a council" in _fields(exc)["councils"]
        with pytest.raises(InvalidInput) as exc:
            services.set_councils(person, [council], by="cli")
        assert set(_fields(exc)) == {"councils"}


def test_an_unknown_address_is_refused(app):
    with app.app_context():
        council = make_council()
        with pytest.raises(InvalidInput) as exc:
            services.add_member(council, "nobody@council.eu", by="cli")
        assert _fields(exc) == {"email": "no staff user has the e-mail address 'nobody@council.eu'"}


def test_only_an_administrator_manages_councils_and_users(app):
    with app.app_context():
        council = make_council()
        secretariat = make_staff(Role.secretariat, [council])
        official = make_staff(Role.official)
        with pytest.raises(NotFound):  # the policy's answer outside the actor's scope
            services.create_council("Mine", sector_code="F", geography="DE", by=secretariat)
        for actor in (secretariat, official):
            with pytest.raises(NotFound):
                services.deactivate_user(make_staff(Role.secretariat), by=actor)
            with pytest.raises(NotFound):
                services.create_staff_user("x@council.eu", Role.admin, PASSWORD, by=actor)
        assert [c.name for c in services.list_councils()] == [council.name]


def test_deactivation_signs_the_user_out_at_once(app):
    with app.app_context():
        council = make_council("Building council")
        admin = make_staff(Role.admin)
        person = make_staff(Role.secretariat, [council])
        email, person_id, admin_id = person.email, person.id, admin.id
        db.session.commit()
    browser = app.test_client()
    sign_in(browser, email)
    assert browser.get("/staff").status_code == 200
    with app.app_context():
        admin, person = db.session.get(User, admin_id), db.session.get(User, person_id)
        assert services.deactivate_user(person, by=admin) is True
        db.session.commit()
    assert "/login" in browser.get("/staff").headers["Location"]  # signed out
    refused = app.test_client().post("/login", data={"email": email, "password": PASSWORD})
    assert refused.status_code == 401
    with app.app_context():
        admin, person = db.session.get(User, admin_id), db.session.get(User, person_id)
        assert services.reactivate_user(person, by=admin) is True
        db.session.commit()
        assert _actions()[-3:] == ["user-deactivated", "login-failed", "user-reactivated"]
    assert browser.get("/staff").status_code == 302  # the old session stays ended
    sign_in(browser, email)
    assert "Building council" in browser.get("/staff").get_data(as_text=True)


def test_an_administrator_cannot_lock_themselves_out(app):
    with app.app_context():
        admin = make_staff(Role.admin)
        with pytest.raises(InvalidInput):
            services.deactivate_user(admin, by=admin)
        with pytest.raises(InvalidInput):
            services.change_role(admin, Role.official, by=admin)
        assert admin.active and admin.role is Role.admin


def test_a_user_who_stops_being_secretariat_leaves_their_councils(app):
    with app.app_context():
        council = make_council("Building council")
        admin = make_staff(Role.admin)
        person = make_staff(Role.secretariat, [council])
        assert services.change_role(person, "official", by=admin) is True
        assert person.role is Role.official and person.councils == []
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user-role-changed")
        ).one()
        assert event.details == {
            "from": "secretariat",
            "to": "official",
            "left": ["Building council"],
        }
        with pytest.raises(InvalidInput) as exc:
            services.change_role(person, "superuser", by=admin)
        assert set(_fields(exc)) == {"role"}


# ----------------------------------------------------------------------------- pages


def _admin(app) -> str:
    with app.app_context():
        ensure_builtin_sectors()
        email = make_staff(Role.admin).email
        db.session.commit()
    return email


def _errors(page: str) -> list[str]:
    """The error messages shown beside the fields of a page."""
    return [
        unescape(re.sub(r"<[^>]+>", "", m)).replace("Error:", "").strip()
        for m in re.findall(r'<p class="error-message"[^>]*>(.*?)</p>', page, re.S)
    ]


def _flashes(page: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash[^"]*">(.*?)</p>', page, re.S)]


def test_a_fresh_installation_gets_a_council_and_its_secretariat_in_the_browser(app, client):
    sign_in(client, _admin(app))
    home = client.get("/staff").get_data(as_text=True)
    assert 'href="/staff/admin/councils/new"' in home and 'href="/staff/admin/users/new"' in home

    form = client.get("/staff/admin/councils/new").get_data(as_text=True)
    assert '<option value="F">F — Construction</option>' in form
    created = client.post(
        "/staff/admin/councils/new",
        data={"name": "Building council Bavaria", "sector": "F", "geography": "de2"},
    )
    assert created.status_code == 303
    council_url = created.headers["Location"]
    page = client.get(council_url).get_data(as_text=True)
    assert "The council Building council Bavaria was created." in _flashes(page)[0]
    assert "DE2" in page and "Nobody works for this council yet." in page
    council_id = int(council_url.rsplit("/", 1)[1])

    made = client.post(
        "/staff/admin/users/new",
        data={
            "email": "Anna@Council.eu",
            "name": "Anna Berger",
            "role": "secretariat",
            "councils": [str(council_id)],
            "password": PASSWORD,
        },
    )
    assert made.status_code == 303
    user_page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "anna@council.eu" in user_page and "Anna Berger" in user_page
    assert "Building council Bavaria" in client.get("/staff/admin/users").get_data(as_text=True)

    anna = app.test_client()
    sign_in(anna, "anna@council.eu")
    staff_home = anna.get("/staff").get_data(as_text=True)
    assert "Building council Bavaria" in staff_home
    assert anna.get("/staff/consultations/new").status_code == 200  # she can start one


def test_add_a_member_by_address_and_remove_them_on_the_council_page(app, client):
    sign_in(client, _admin(app))
    with app.app_context():
        council = make_council("Building council")
        person = make_staff(Role.secretariat)
        official = make_staff(Role.official)
        council_id, email, person_id = council.id, person.email, person.id
        official_email = official.email
        db.session.commit()
    url = f"/staff/admin/councils/{council_id}"
    added = client.post(url + "/members", data={"member-email": email.upper()})
    assert added.status_code == 303
    page = client.get(added.headers["Location"]).get_data(as_text=True)
    assert f"{email} now works for this council." in _flashes(page)
    assert f'href="/staff/admin/users/{person_id}">{email}</a>' in page

    refused = client.post(url + "/members", data={"member-email": official_email})
    assert refused.status_code == 422
    assert _errors(refused.get_data(as_text=True)) == [
        f"{official_email} is an official; only secretariat users work for a council"
    ]
    unknown = client.post(url + "/members", data={"member-email": "nobody@council.eu"})
    assert unknown.status_code == 422 and "no staff user has" in unknown.get_data(as_text=True)

    removed = client.post(f"{url}/members/{person_id}/remove")
    assert removed.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert f"{email} no longer works for this council." in _flashes(page)
    assert "Nobody works for this council yet." in page


def test_bad_input_on_the_council_forms_is_shown_beside_the_field(app, client):
    sign_in(client, _admin(app))
    with app.app_context():
        make_council("Building council")
        db.session.commit()
        before = _counts()
    bad = client.post(
        "/staff/admin/councils/new", data={"name": "", "sector": "ZZ", "geography": "XX1"}
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "There is a problem" in page
    assert _errors(page) == [
        "Enter the council's name.",
        "Not a valid choice.",
        "Enter a two-letter country code, EU, or a NUTS region code, for example DE, EU, "
        "DE1, FR10 or ITC4.",
    ]
    assert 'aria-invalid="true"' in page and 'value="XX1"' in page
    twice = client.post(
        "/staff/admin/councils/new",
        data={"name": "Building council", "sector": "F", "geography": "DE"},
    )
    assert twice.status_code == 422
    assert _errors(twice.get_data(as_text=True)) == [
        "a council named 'Building council' exists already"
    ]
    with app.app_context():
        assert _counts() == before


def test_edit_a_council_on_its_page(app, client):
    sign_in(client, _admin(app))
    with app.app_context():
        _add_division()
        council_id = make_council("Bau").id
        db.session.commit()
    url = f"/staff/admin/councils/{council_id}"
    form = client.get(url).get_data(as_text=True)
    assert '<optgroup label="F — Construction">' in form
    assert '<option selected value="F">' in form
    saved = client.post(
        url,
        data={"name": "Bau Bayern", "sector": "41", "geography": "DE2", "description": "Builders"},
    )
    assert saved.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "The changes were saved." in _flashes(page)
    assert "<h1>Bau Bayern</h1>" in page and "41 Construction of buildings" in page
    bad = client.post(url, data={"name": "Bau Bayern", "sector": "41", "geography": "Bayern"})
    assert bad.status_code == 422 and "NUTS region code" in bad.get_data(as_text=True)


def test_role_councils_and_access_on_the_user_page(app, client):
    admin_email = _admin(app)
    sign_in(client, admin_email)
    with app.app_context():
        council_id = make_council("Building council").id
        person = make_staff(Role.secretariat)
        person_id, email = person.id, person.email
        admin_id = db.session.scalars(select(User.id).where(User.email == admin_email)).one()
        db.session.commit()
    url = f"/staff/admin/users/{person_id}"
    scope = client.post(url + "/councils", data={"scope-councils": [str(council_id)]})
    assert scope.status_code == 303
    assert "The councils were saved." in _flashes(client.get(url).get_data(as_text=True))

    theirs = app.test_client()
    sign_in(theirs, email)
    assert client.post(url + "/deactivate").status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert f"{email} can no longer sign in; their sessions have ended." in _flashes(page)
    assert "deactivated: cannot sign in" in page
    assert theirs.get("/staff").status_code == 302
    assert client.post(url + "/reactivate").status_code == 303

    assert client.post(url + "/role", data={"role-role": "official"}).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert f"{email} is now Official." in _flashes(page)
    assert "Only secretariat users work for a council." in page
    with app.app_context():
        assert db.session.get(User, person_id).councils == []

    own = client.get(f"/staff/admin/users/{admin_id}").get_data(as_text=True)
    assert "This is your own account." in own and "Deactivate the account" not in own
    refused = client.post(f"/staff/admin/users/{admin_id}/deactivate")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "you cannot deactivate your own account" in _flashes(page)[0]


def test_new_user_form_names_each_problem(app, client):
    sign_in(client, _admin(app))
    with app.app_context():
        council_id = make_council().id
        db.session.commit()
        before = _counts()
    bad = client.post(
        "/staff/admin/users/new",
        data={
            "email": "not an address",
            "role": "official",
            "councils": [str(council_id)],
            "password": "short",
        },
    )
    assert bad.status_code == 422
    assert _errors(bad.get_data(as_text=True)) == ["Enter a valid e-mail address."]
    weak = client.post(
        "/staff/admin/users/new",
        data={
            "email": "olga@ministry.eu",
            "role": "official",
            "councils": [str(council_id)],
            "password": "short",
        },
    )
    assert weak.status_code == 422
    errors = _errors(weak.get_data(as_text=True))
    assert "only secretariat users work for a council, not official users" in errors
    assert "at least 12 characters are needed" in errors
    with app.app_context():
        assert _counts() == before


def _admin_routes(app, **ids: int) -> list[tuple[str, str]]:
    """Every administration route with its ids filled (``council_id=...``; else 1)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff/admin"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)
        routes += [(method, path) for method in ("GET", "POST") if method in rule.methods]
    return routes


def test_every_administration_page_is_for_administrators_only(app):
    routes = _admin_routes(app)
    assert len(routes) >= 14
    with app.app_context():
        council = make_council()
        people = [
            make_staff(Role.secretariat, [council]).email,
            make_staff(Role.official).email,
            make_staff(Role.publisher).email,
        ]
        db.session.commit()
        before = _counts()
    for email in people:
        client = app.test_client()
        sign_in(client, email)
        for method, path in routes:
            response = client.open(path, method=method, data={"name": "Taken over"})
            assert response.status_code == 403, (email, method, path)
    anonymous = app.test_client()
    for method, path in routes:
        response = anonymous.open(path, method=method)
        if method == "GET":
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith(f"/login?next={path}")
        else:
            assert response.status_code == 401, path
    with app.app_context():
        assert _counts()[:3] == before[:3]


def test_an_administrator_opens_every_administration_page(app, client):
    sign_in(client, _admin(app))
    with app.app_context():
        council = make_council()
        user = make_staff(Role.secretariat, [council])
        db.session.commit()
        ids = {"council_id": council.id, "user_id": user.id}
    for method, path in _admin_routes(app, **ids):
        if method == "GET":
            assert client.get(path).status_code == 200, path
    assert client.get("/staff/admin/councils/99999").status_code == 404
    assert client.get("/staff/admin/users/99999").status_code == 404
    assert client.post("/staff/admin/users/99999/deactivate").status_code == 404


def test_changes_made_on_the_pages_are_audited_with_the_administrator(app, client):
    email = _admin(app)
    sign_in(client, email)
    client.post(
        "/staff/admin/councils/new", data={"name": "Care council", "sector": "Q", "geography": "AT"}
    )
    client.post(
        "/staff/admin/users/new",
        data={"email": "olga@ministry.eu", "role": "official", "password": PASSWORD},
    )
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["council-created", "user-created"]))
            .order_by(AuditEvent.id)
        ).all()[-2:]
        assert [(e.action, e.actor) for e in events] == [
            ("council-created", email),
            ("user-created", email),
        ]
        assert events[0].details == {"name": "Care council", "sector": "Q", "geography": "AT"}
        assert all(e.request_id for e in events)


# ----------------------------------------------------------------------------- commands


def test_councils_commands_add_list_add_user_remove_user(app, runner):
    with app.app_context():
        ensure_builtin_sectors()
        person = make_staff(Role.secretariat)
        email, person_id = person.email, person.id
        db.session.commit()
    empty = runner.invoke(args=["councils", "list"])
    assert empty.exit_code == 0 and "No councils yet" in empty.output
    added = runner.invoke(
        args=[
            "councils",
            "add",
            "Building council Bavaria",
            "--sector",
            "f",
            "--geography",
            "DE2",
            "--description",
            "Employers and unions",
        ]
    )
    assert added.exit_code == 0, added.output
    assert added.output == "Created council Building council Bavaria (F, DE2)\n"
    joined = runner.invoke(args=["councils", "add-user", "Building council Bavaria", email])
    assert joined.exit_code == 0, joined.output
    assert joined.output == f"{email} now works for Building council Bavaria\n"
    again = runner.invoke(args=["councils", "add-user", "building council bavaria", email])
    assert again.exit_code == 0 and "works already" in again.output
    listed = runner.invoke(args=["councils", "list"]).output.splitlines()
    assert listed[0].split() == ["NAME", "SECTOR", "GEOGRAPHY", "SECRETARIAT"]
    assert listed[1].split() == ["Building", "council", "Bavaria", "F", "Construction", "DE2", "1"]
    left = runner.invoke(args=["councils", "remove-user", "Building council Bavaria", email])
    assert left.exit_code == 0 and "no longer works for" in left.output
    assert runner.invoke(args=["councils", "list"]).output.splitlines()[1].endswith("  0")
    with app.app_context():
        assert db.session.get(User, person_id).councils == []
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [e.action for e in events][-3:] == [
            "council-created",
            "council-member-added",
            "council-member-removed",
        ]
        assert {e.actor for e in events[-3:]} == {"cli"}
        assert verify_chain().ok


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["add", "New council", "--sector", "ZZ", "--geography", "DE"],
            "--sector: no NACE sector has code 'ZZ'; import-classification nace FILE loads "
            "the full list",
        ),
        (["add", "New council", "--sector", "F", "--geography", "XX1"], "--geography: "),
        (["add", "Building council", "--sector", "F", "--geography", "DE"], "NAME: a council"),
        (["add", " ", "--sector", "F", "--geography", "DE"], "NAME: enter the council's name"),
        (
            ["add", "New", "--sector", "F", "--geography", "DE", "--description", "a\x07"],
            "--description: remove control characters",
        ),
        (["add-user", "No such council", "{secretariat}"], "NAME: no council is named"),
        (["add-user", "Building council", "nobody@council.eu"], "EMAIL: no staff user has"),
        (
            ["add-user", "Building council", "{official}"],
            "EMAIL: {official} is an official; only secretariat users work for a council",
        ),
        (["remove-user", "Building council", "{secretariat}"], "EMAIL: {secretariat} is not in"),
        (["remove-user", "No such council", "{secretariat}"], "NAME: no council is named"),
    ],
)
def test_bad_input_to_the_councils_commands_exits_2_naming_the_option(app, runner, args, message):
    with app.app_context():
        make_council("Building council")
        people = {
            "secretariat": make_staff(Role.secretariat).email,
            "official": make_staff(Role.official).email,
        }
        db.session.commit()
        before = _counts()
    result = runner.invoke(args=["councils", *(a.format(**people) for a in args)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message.format(**people) in lines[0]
    with app.app_context():
        assert _counts() == before


def test_a_missing_option_is_named_by_the_command_line(runner):
    result = runner.invoke(args=["councils", "add", "New council", "--geography", "DE"])
    assert result.exit_code == 2 and "Missing option '--sector'" in result.output


def test_councils_add_works_on_a_database_that_init_db_made(make_app, tmp_path):
    """``init-db`` stores the NACE sections only: a council of a section can be added at
    once; one of a division after the full list is imported."""
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.db'}")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    section = runner.invoke(
        args=["councils", "add", "Building council", "--sector", "F", "--geography", "DE"]
    )
    assert section.exit_code == 0, section.output
    division = runner.invoke(
        args=["councils", "add", "House builders", "--sector", "41", "--geography", "DE"]
    )
    assert division.exit_code == 2
    assert "import-classification nace FILE loads the full list" in division.output
    made = runner.invoke(
        args=[
            "create-user",
            "anna@council.eu",
            "--role",
            "secretariat",
            "--council",
            "Building council",
            "--password",
            PASSWORD,
        ]
    )
    assert made.exit_code == 0, made.output
    listed = runner.invoke(args=["councils", "list"]).output
    assert "Building council" in listed and listed.splitlines()[1].endswith("  1")
    client = app.test_client()
    sign_in(client, "anna@council.eu")
    assert "Building council" in client.get("/staff").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_create_user_refuses_a_council_for_other_roles(app, runner):
    with app.app_context():
        make_council("Building council")
        db.session.commit()
    result = runner.invoke(
        args=[
            "create-user",
            "olga@ministry.eu",
            "--role",
            "official",
            "--council",
            "Building council",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 2
    assert "only secretariat users work for a council" in result.output
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []
