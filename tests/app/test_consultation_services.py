"""Consultation lifecycle through the services: plan lock, rounds, answers, frozen results."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.classifications.models import Sector
from app.classifications.services import ensure_builtin_sectors
from app.consultations import services
from app.consultations.models import (
    Answer,
    Consultation,
    ConsultationStatus,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    StakeholderGroup,
)
from app.consultations.responses import (
    AnswerInput,
    RoundNotOpen,
    SubmissionConflict,
    own_answers,
    save_response,
)
from app.councils.models import Council
from app.curation.models import Theme
from app.errors import InvalidInput, NotFound, PlanLockedError, RoundStateError
from app.extensions import db
from app.panels.models import Panellist, Participation
from tests.conftest import ROOT

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SURVEY = ROOT / "surveys" / "future-skill-needs.yaml"
GROUPS = list(StakeholderGroup)[:4]


@pytest.fixture
def study(make_app, tmp_path):
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"))
    with app.app_context():
        ensure_builtin_sectors()
        sectors = {s.code: s for s in db.session.scalars(select(Sector))}
        council = Council(name="Construction council", sector=sectors["F"], geography="EU")
        other = Council(name="Care council", sector=sectors["Q"], geography="EU")
        db.session.add_all([council, other])
        db.session.flush()
        from app.auth.services import create_user

        sec = create_user("sec@example.org", "secretariat", "a long password!", councils=[council])
        outsider = create_user(
            "out@example.org", "secretariat", "a long password!", councils=[other]
        )
        consultation = services.create_consultation(
            council, SURVEY, title="Construction skills 2030", by=sec
        )
        for i in range(24):
            db.session.add(
                Panellist(
                    consultation=consultation,
                    name=f"Person {i}",
                    email=f"p{i}@example.org",
                    stakeholder_group=GROUPS[i % 4],
                    language="de" if i % 3 == 0 else "en",
                )
            )
        db.session.commit()
        ids = {"consultation": consultation.id, "sec": sec.id, "outsider": outsider.id}
    return app, ids


def _get(ids):
    return (
        db.session.get(Consultation, ids["consultation"]),
        db.session.get(User, ids["sec"]),
    )


def test_create_consultation_copies_the_questionnaire_into_round_one(study):
    app, ids = study
    with app.app_context():
        c, _ = _get(ids)
        assert c.questionnaire.key == "future-skill-needs"
        assert len(c.rounds) == 1 and c.rounds[0].status is RoundStatus.draft
        keys = [i.key for i in c.rounds[0].items]
        assert keys == [i["key"] for i in c.questionnaire.spec["items"]]
        assert c.plan["consensus_in"] == "iqr <= 1 and agreement >= 0.70"


def test_another_councils_secretariat_cannot_reach_the_consultation(study):
    app, ids = study
    with app.app_context():
        outsider = db.session.get(User, ids["outsider"])
        with pytest.raises(NotFound):
            services.get_consultation_for(outsider, ids["consultation"])


@pytest.mark.parametrize("title", ["Skills\r\nBcc: x@example.org", "Skills\u2028", "A\x7fB"])
def test_create_consultation_refuses_a_title_that_is_not_one_line(study, title):
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        with pytest.raises(InvalidInput) as caught:
            services.create_consultation(c.council, SURVEY, title=title, by=sec)
        assert caught.value.problems[0].field == "title"
        db.session.rollback()
        assert len(db.session.scalars(select(Consultation)).all()) == 1


def test_plan_locks_when_round_one_opens_and_later_changes_are_audited(study):
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        with pytest.raises(InvalidInput, match="analysis plan"):
            services.update_plan(c, {**c.plan, "min_group_n": 2}, by=sec)
        services.update_plan(c, {**c.plan, "min_group_n": 4}, by=sec)
        services.open_round(c.rounds[0], by=sec, as_of=T0, deadline=T0 + timedelta(days=14))
        db.session.commit()
        assert c.plan_locked_at == T0 and len(c.plan_hash) == 64
        with pytest.raises(PlanLockedError):
            services.update_plan(c, {**c.plan, "min_group_n": 6}, by=sec)
        with pytest.raises(PlanLockedError):
            services.update_plan(c, {**c.plan, "group_feedback": False}, by=sec)
        db.session.commit()  # the edge commits the audit event of the refusal
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "plan-locked" in actions and actions.count("plan-change-refused") == 2
        stored = db.session.get(Consultation, ids["consultation"]).plan
        assert stored["min_group_n"] == 4 and stored["group_feedback"] is True


def _likert_answers(round_, value):
    return {i.key: AnswerInput(value=value) for i in round_.items if i.type.value == "likert"}


def test_answers_are_saved_as_draft_then_submitted_idempotently(study):
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        r1 = c.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        db.session.commit()
        p = db.session.scalars(select(Panellist)).first()
        answers = _likert_answers(r1, 4)
        first = save_response(r1, p, answers, submission_id="s-1", submit=False)
        db.session.commit()
        assert first.outcome == "saved"
        assert own_answers(r1, p)[next(iter(answers))].value == 4
        done = save_response(r1, p, answers, submission_id="s-2", submit=True)
        db.session.commit()
        replay = save_response(r1, p, answers, submission_id="s-2", submit=True)
        assert (done.outcome, replay.outcome) == ("submitted", "replayed")
        with pytest.raises(SubmissionConflict):
            save_response(r1, p, _likert_answers(r1, 2), submission_id="s-2", submit=True)
        db.session.rollback()
        assert db.session.scalars(select(Response)).all()[0].status is ResponseStatus.submitted
        assert len(db.session.scalars(select(Response)).all()) == 1


def test_invalid_answers_name_the_item(study):
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        r1 = c.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        p = db.session.scalars(select(Panellist)).first()
        key = next(i.key for i in r1.items if i.type.value == "likert")
        with pytest.raises(InvalidInput) as err:
            save_response(r1, p, {key: AnswerInput(value=9)}, submission_id="x", submit=True)
        assert [(p.field, p.message) for p in err.value.problems] == [
            (key, "choose a whole number from 1 to 5")
        ]


def test_full_round_closes_with_frozen_results_and_refuses_late_answers(study):
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        r1 = c.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        db.session.commit()
        panel = db.session.scalars(select(Panellist).order_by(Panellist.id)).all()
        for i, p in enumerate(panel[:-1]):
            save_response(
                r1, p, _likert_answers(r1, 4 + (i % 2)), submission_id=f"s{i}", submit=True
            )
            db.session.commit()
        services.close_round(r1, by=sec, as_of=T0 + timedelta(days=10))
        db.session.commit()
        with pytest.raises(RoundNotOpen):
            save_response(r1, panel[-1], _likert_answers(r1, 1), submission_id="late", submit=True)
        db.session.rollback()
        assert len(db.session.scalars(select(Response)).all()) == 23
        results = r1.results
        assert results["submitted"] == 23
        likert_key = next(i.key for i in r1.items if i.type.value == "likert")
        item = results["items"][likert_key]
        assert item["n"] == 23 and item["median"] == 4.0 and item["consensus_status"] == "in"
        assert {g["group"] for g in item["groups"]} >= {g.value for g in GROUPS}
        # who completed the round is written at close, for the whole panel at once
        parts = db.session.scalars(select(Participation).order_by(Participation.panellist_id))
        assert [(p.panellist_id, p.started, p.completed) for p in parts] == [
            (p.id, True, True) for p in panel[:-1]
        ]
        with pytest.raises(RoundStateError):
            services.close_round(r1, by=sec, as_of=T0 + timedelta(days=11))


def test_next_round_carries_unsettled_items_and_adds_approved_themes(study):
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        r1 = c.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        panel = db.session.scalars(select(Panellist).order_by(Panellist.id)).all()
        likert = [i for i in r1.items if i.type.value == "likert"]
        for i, p in enumerate(panel):
            answers = {likert[0].key: AnswerInput(value=5)}  # consensus: settled
            answers[likert[1].key] = AnswerInput(value=float(1 + i % 5))  # spread: not settled
            save_response(r1, p, answers, submission_id=f"s{i}", submit=True)
        services.close_round(r1, by=sec, as_of=T0 + timedelta(days=7))
        with pytest.raises(RoundStateError, match="release"):
            services.prepare_next_round(c, by=sec)
        services.release_round(r1, by=sec, as_of=T0 + timedelta(days=8))
        theme = Theme(
            consultation=c,
            round_id=r1.id,
            label={"en": "Drone surveying of sites", "de": "Vermessung mit Drohnen"},
            approved=True,
            esco_uris=["http://data.europa.eu/esco/skill/S5"],
        )
        db.session.add(theme)
        r2 = services.prepare_next_round(c, by=sec)
        db.session.commit()
        keys = [i.key for i in r2.items]
        assert likert[0].key not in keys  # settled: frozen
        assert likert[1].key in keys
        assert not [i for i in r2.items if i.type.value == "text"]
        new = [i for i in r2.items if i.theme_id == theme.id]
        assert len(new) == 1 and "Vermessung mit Drohnen" in new[0].text["de"]  # the question
        assert set(new[0].text) == set(c.questionnaire.spec["languages"])
        carried = next(i for i in r2.items if i.key == likert[1].key)
        assert carried.carried_from_id == likert[1].id


def test_answers_never_store_identity(study):
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        r1 = c.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        p = db.session.scalars(select(Panellist)).first()
        save_response(r1, p, _likert_answers(r1, 3), submission_id="a", submit=True)
        db.session.commit()
        response = db.session.scalars(select(Response)).one()
        import hashlib

        assert len(response.respondent_pseudonym) == 64
        assert response.respondent_pseudonym != hashlib.sha256(str(p.id).encode()).hexdigest()
        assert p.email not in str([a.__dict__ for a in db.session.scalars(select(Answer))])


def test_answer_problems_speak_the_panellists_language(app):
    from app.consultations.models import Item, ItemType
    from app.consultations.responses import answer_problems

    likert = Item(key="digital", type=ItemType.likert, spec={"scale": 5}, text={})
    with app.test_request_context("/r?lang=de"):
        assert [str(p) for p in answer_problems(likert, AnswerInput(value=9))] == [
            "digital: wählen Sie eine ganze Zahl von 1 bis 5"
        ]
    with app.test_request_context("/r?lang=en"):
        assert [str(p) for p in answer_problems(likert, AnswerInput(value=0))] == [
            "digital: choose a whole number from 1 to 5"
        ]


def test_a_range_outside_a_one_sided_bound_is_reported_not_a_crash(app):
    from app.consultations.models import Item, ItemType
    from app.consultations.responses import answer_problems

    estimate = Item(key="jobs", type=ItemType.estimate, spec={"min": -100, "range": True}, text={})
    with app.test_request_context("/r"):
        problems = answer_problems(estimate, AnswerInput(value=5, low=-150, high=10))
    assert [str(p) for p in problems] == ["jobs: the range must lie between -100 and …"]
    assert problems[0].field == "jobs/low"


def test_small_groups_that_left_an_item_blank_are_suppressed_not_revealed(study):
    """A group with 0 < respondents < min_group_n and no valid answer is suppressed, and no
    group cell publishes counts of blank or "cannot assess" answers."""
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        r1 = c.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        panel = db.session.scalars(select(Panellist).order_by(Panellist.id)).all()
        key = "digital-data-skills"
        for i, p in enumerate(panel):
            group = p.stakeholder_group
            if group is StakeholderGroup.public_authorities and i % 8 < 4:
                answers = {key: AnswerInput(dont_know=True)}  # 3 of them: cannot assess
            elif group is StakeholderGroup.public_authorities:
                continue  # the rest do not respond at all
            else:
                answers = {key: AnswerInput(value=4)}
            save_response(r1, p, answers, submission_id=f"s{i}", submit=True)
        services.close_round(r1, by=sec, as_of=T0 + timedelta(days=7))
        cells = {g["group"]: g for g in r1.results["items"][key]["groups"]}
    assert cells["public-authorities"] == {"group": "public-authorities", "suppressed": True}
    assert cells["other-experts"]["no_answers"] is True  # nobody of that group responded
    for cell in cells.values():
        assert "n_dk" not in cell and "n_missing" not in cell


def test_a_late_retry_of_an_older_submission_does_not_overwrite_newer_answers(study):
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        r1 = c.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        db.session.commit()
        p = db.session.scalars(select(Panellist)).first()
        key = "digital-data-skills"
        first = {key: AnswerInput(value=2)}
        save_response(r1, p, first, submission_id="A", submit=True, base_submission_id="new")
        db.session.commit()
        save_response(
            r1,
            p,
            {key: AnswerInput(value=5)},
            submission_id="B",
            submit=True,
            base_submission_id="A",
        )
        db.session.commit()
        with pytest.raises(SubmissionConflict, match="another window"):
            save_response(r1, p, first, submission_id="A", submit=True, base_submission_id="new")
        db.session.rollback()
        with pytest.raises(SubmissionConflict):  # a second window opened before B was saved
            save_response(
                r1,
                p,
                {key: AnswerInput(value=1)},
                submission_id="C",
                submit=True,
                base_submission_id="A",
            )
        db.session.rollback()
        assert own_answers(r1, p)[key].value == 5
        # a replay of the latest submission is still answered as a replay
        again = save_response(
            r1,
            p,
            {key: AnswerInput(value=5)},
            submission_id="B",
            submit=True,
            base_submission_id="A",
        )
        assert again.outcome == "replayed"


def test_an_approved_theme_without_a_label_is_named_not_a_crash(study):
    """Preparing the next round with an approved theme whose label is empty used to raise
    StopIteration; it is refused, naming the theme, and nothing is created."""
    from app.consultations.models import Round as RoundModel

    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        r1 = c.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        services.close_round(r1, by=sec, as_of=T0 + timedelta(days=1))
        services.release_round(r1, by=sec, as_of=T0 + timedelta(days=2))
        theme = Theme(consultation=c, round_id=r1.id, label={}, approved=True)
        db.session.add(theme)
        db.session.commit()
        with pytest.raises(RoundStateError, match=f"theme {theme.id} has no label"):
            services.prepare_next_round(c, by=sec)
        db.session.rollback()
        assert len(db.session.scalars(select(RoundModel)).all()) == 1


def test_the_answer_service_refuses_what_only_the_form_stopped(app):
    """Infinite range ends and a confidence on an item that asks for none are refused by
    the service itself, naming the part of the answer."""
    from app.consultations.models import Item, ItemType
    from app.consultations.responses import answer_problems

    ranged = Item(key="jobs", type=ItemType.estimate, spec={"range": True}, text={})
    plain = Item(key="pay", type=ItemType.estimate, spec={}, text={})
    with app.test_request_context("/r"):
        inf = answer_problems(ranged, AnswerInput(value=5, low=float("-inf"), high=10))
        nan = answer_problems(ranged, AnswerInput(value=5, low=1, high=float("nan")))
        sure = answer_problems(plain, AnswerInput(value=5, confidence=80))
        fine = answer_problems(ranged, AnswerInput(value=5, low=1, high=10))
    assert [(p.field, p.message) for p in inf] == [
        ("jobs/low", "the ends of the range must be numbers")
    ]
    assert [p.field for p in nan] == ["jobs/low"]
    assert [(p.field, p.message) for p in sure] == [
        ("pay/confidence", "this question does not ask how sure you are")
    ]
    assert fine == []


def test_a_consultation_is_finished_through_its_state_machine(study):
    """draft -> running (round 1 opens) -> finished (all rounds closed). A prepared round
    that was never opened is removed; afterwards no round opens and links stop working."""
    from app.errors import ConsultationStateError
    from app.panels.tokens import issue_invitation, redeem

    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        assert c.status is ConsultationStatus.draft
        with pytest.raises(ConsultationStateError, match="only a running one"):
            services.finish_consultation(c, by=sec, as_of=T0)
        r1 = c.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        assert c.status is ConsultationStatus.running
        with pytest.raises(ConsultationStateError, match="round 1 is not closed"):
            services.finish_consultation(c, by=sec, as_of=T0)
        services.close_round(r1, by=sec, as_of=T0 + timedelta(days=1))
        services.release_round(r1, by=sec, as_of=T0 + timedelta(days=2))
        services.prepare_next_round(c, by=sec)
        person = db.session.scalars(select(Panellist)).first()
        _, token = issue_invitation(person, by="test")
        db.session.commit()
        assert [r.status for r in c.rounds] == [RoundStatus.released, RoundStatus.draft]

        services.finish_consultation(c, by=sec, as_of=T0 + timedelta(days=3))
        db.session.commit()
        assert c.status is ConsultationStatus.finished and c.finished_at is not None
        assert [r.number for r in c.rounds] == [1]  # the unopened round 2 is gone
        assert redeem(token) is None
        with pytest.raises(ConsultationStateError):
            services.prepare_next_round(c, by=sec)
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "consultation-finished" in actions


def test_closing_goes_through_the_rounds_state_machine(study):
    app, ids = study
    with app.app_context():
        c, sec = _get(ids)
        r1 = c.rounds[0]
        with pytest.raises(RoundStateError, match="it cannot be closed"):
            services.close_round(r1, by=sec, as_of=T0)
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        db.session.commit()
        # another session closed it meanwhile: this one's cached state is stale
        db.session.execute(
            Round.__table__.update().values(status="closed", closed_at=T0 + timedelta(hours=1))
        )
        with pytest.raises(RoundStateError, match="round 1 is closed"):
            services.close_round(r1, by=sec, as_of=T0 + timedelta(hours=2))
