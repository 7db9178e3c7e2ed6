"""Object rules of the policy (app.auth.policy): who may do what to which object.

Tested like the route policy: every kind of object a page is about has a rule, and a matrix
of actors x objects x actions gives exactly the decisions of SECURITY.md 2.1 (foreign objects
are "hidden", i.e. answered 404; an action that is not the actor's is "refused", 403).
"""

from __future__ import annotations

import pytest

from app.auth.models import Role, User
from app.auth.policy import OBJECT_RULES, Act, Decision, authorize, decide
from app.briefs.models import Brief, BriefStatus, BriefVersion
from app.consultations.models import Consultation, Round
from app.councils.models import Council
from app.curation.models import Theme
from app.errors import NotAllowed, NotFound
from app.forecasts.models import ForecastDataset
from app.panels.models import Panellist

A, H, R = Decision.allow, Decision.hidden, Decision.refused


def _actors():
    x, y = Council(id=1, name="X"), Council(id=2, name="Y")
    users = {
        "anonymous": None,
        "secretariat-x": User(id=10, email="sx@e.eu", role=Role.secretariat, councils=[x]),
        "secretariat-y": User(id=11, email="sy@e.eu", role=Role.secretariat, councils=[y]),
        "official": User(id=12, email="o@e.eu", role=Role.official),
        "publisher": User(id=13, email="p@e.eu", role=Role.publisher),
        "admin": User(id=14, email="a@e.eu", role=Role.admin),
    }
    return x, users


def _objects(x: Council):
    consultation = Consultation(id=5, council_id=x.id, title="C")
    brief = Brief(id=7, council_id=x.id, title="B")
    draft = BriefVersion(id=8, brief=brief, number=1, status=BriefStatus.draft, author_id=10)
    by_publisher = BriefVersion(
        id=9, brief=brief, number=2, status=BriefStatus.published, author_id=13
    )
    return {
        "council": x,
        "consultation": consultation,
        "round": Round(id=6, consultation=consultation, number=1),
        "panellist": Panellist(id=3, consultation=consultation),
        "theme": Theme(id=4, consultation=consultation, label={}),
        "draft version": draft,
        "published version by the publisher": by_publisher,
        "forecast": ForecastDataset(id=2),
        "admin user": User(id=14, email="a@e.eu", role=Role.admin),
    }


#: The actions that apply to each kind of object; any other is refused to whoever may see
#: the object, and hidden from everyone else (scope is checked first).
APPLIES = {
    "council": {Act.view, Act.run, Act.manage},
    "consultation": {Act.view, Act.run},
    "round": {Act.view, Act.run},
    "panellist": {Act.view, Act.run},
    "theme": {Act.view, Act.run},
    "draft version": {Act.view, Act.run, Act.review, Act.publish},
    "published version by the publisher": {Act.view, Act.run, Act.review, Act.publish},
    "forecast": {Act.view, Act.import_data},
    "admin user": {Act.view, Act.manage},
}

#: actor -> {(object, act): decision} for applicable actions; anything not listed is
#: "hidden".
EXPECTED = {
    "secretariat-x": {
        ("council", Act.view): A,
        ("council", Act.run): A,
        ("council", Act.manage): R,
        ("consultation", Act.view): A,
        ("consultation", Act.run): A,
        ("consultation", Act.manage): R,
        ("round", Act.run): A,
        ("round", Act.view): A,
        ("panellist", Act.run): A,
        ("panellist", Act.view): A,
        ("theme", Act.run): A,
        ("theme", Act.view): A,
        ("draft version", Act.view): A,
        ("draft version", Act.run): A,
        ("draft version", Act.review): R,
        ("draft version", Act.publish): R,
        ("published version by the publisher", Act.view): A,
        ("published version by the publisher", Act.run): A,
        ("published version by the publisher", Act.review): R,
        ("published version by the publisher", Act.publish): R,
        ("forecast", Act.view): A,
        ("forecast", Act.import_data): R,
    },
    "official": {
        ("council", Act.view): A,
        ("council", Act.manage): R,
        ("draft version", Act.view): A,
        ("draft version", Act.review): A,
        ("draft version", Act.publish): R,
        ("published version by the publisher", Act.view): A,
        ("published version by the publisher", Act.review): A,
        ("published version by the publisher", Act.publish): R,
        ("forecast", Act.view): A,
        ("forecast", Act.import_data): A,
    },
    "publisher": {
        ("council", Act.view): A,
        ("council", Act.manage): R,
        ("draft version", Act.view): A,
        ("draft version", Act.review): R,
        ("draft version", Act.publish): A,
        ("published version by the publisher", Act.view): A,
        ("published version by the publisher", Act.review): R,
        ("published version by the publisher", Act.publish): R,  # never their own version
        ("forecast", Act.view): A,
        ("forecast", Act.import_data): R,
    },
    "admin": {
        ("council", Act.view): A,
        ("council", Act.manage): A,
        ("published version by the publisher", Act.view): A,
        ("published version by the publisher", Act.review): R,
        ("published version by the publisher", Act.publish): R,
        ("forecast", Act.view): A,
        ("forecast", Act.import_data): R,
        ("admin user", Act.view): A,
        ("admin user", Act.manage): A,
    },
    "anonymous": {
        # only what is published may be seen; everything else is hidden
        ("published version by the publisher", Act.view): A,
        ("published version by the publisher", Act.review): R,
        ("published version by the publisher", Act.publish): R,
    },
}
# the other council's secretariat has the outsider's view of council X
EXPECTED["secretariat-y"] = {
    **EXPECTED["anonymous"],
    ("forecast", Act.view): A,
    ("forecast", Act.import_data): R,
}


def test_every_decision_of_the_matrix(app):
    x, actors = _actors()
    objects = _objects(x)
    wrong = []
    for who, actor in actors.items():
        for name, obj in objects.items():
            for act in Act:
                if act not in APPLIES[name]:
                    sees = EXPECTED.get(who, {}).get((name, Act.view), H) is A
                    expected = R if sees else H
                else:
                    expected = EXPECTED.get(who, {}).get((name, act), H)
                got = decide(actor, act, obj)
                if got is not expected:
                    wrong.append((who, name, act.value, got.value, expected.value))
    assert wrong == []


def test_authorize_raises_not_found_or_not_allowed(app):
    x, actors = _actors()
    objects = _objects(x)
    with pytest.raises(NotFound, match="no such consultation"):
        authorize(actors["secretariat-y"], Act.run, objects["consultation"])
    with pytest.raises(NotFound):
        authorize(actors["secretariat-x"], Act.run, None, what="consultation")
    with pytest.raises(NotAllowed):
        authorize(actors["publisher"], Act.publish, objects["published version by the publisher"])
    authorize(actors["secretariat-x"], Act.run, objects["round"])  # allowed: no exception


def test_every_object_a_route_addresses_has_a_rule(app):
    """Every id in the URL map names a kind of object with a rule (like the route policy)."""
    kinds = {
        "consultation_id": "consultation",
        "panellist_id": "panellist",
        "number": "round",
        "council_id": "council",
        "user_id": "user",
        "brief_id": "brief",
        "dataset_id": "forecast_dataset",
        "binding_id": "forecast_binding",
        "id": "brief",  # the open API's /briefs/<id>
        "n": "brief_version",  # and /briefs/<id>/versions/<n>
    }
    # keys of data, a file, a kept upload, a brief's stored output, a public sector code
    not_objects = {"item_key", "filename", "upload_id", "name", "action", "code"}
    for rule in app.url_map.iter_rules():
        for argument in rule.arguments - not_objects:
            assert argument in kinds, f"{rule.rule}: no object kind for <{argument}>"
            assert kinds[argument] in OBJECT_RULES, f"no rule for {kinds[argument]} objects"
    from app import models

    for model in (models.Council, models.Consultation, models.Round, models.Panellist):
        assert model.__tablename__ in OBJECT_RULES
    for model in (
        models.Theme,
        models.Brief,
        models.BriefVersion,
        models.ForecastDataset,
        models.ForecastBinding,
    ):
        assert model.__tablename__ in OBJECT_RULES
    with pytest.raises(LookupError):
        decide(None, Act.view, models.Answer())
