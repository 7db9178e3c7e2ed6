"""A brief's life through the services: draft, review, approval, publication, supersession,
correction (SECURITY.md 2.4, R3, S4; DESIGN.md "Sector brief", revisions and corrections).

The concurrency tests commit for real, from threads (marked ``commits``): two saves from the
same edit version (one wins, the other is a conflict carrying both texts) and twenty
publishers clicking at once (one publication, one audit event), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Role, User
from app.briefs import services
from app.briefs.models import (
    NARRATIVE_FIELDS,
    Brief,
    BriefArtefact,
    BriefStatus,
    BriefVersion,
    ChangeClass,
    RenderStatus,
)
from app.briefs.rendering import render_version
from app.briefs.services import EditConflict
from app.consultations.models import RoundStatus
from app.errors import BriefStateError, InvalidInput, NotAllowed, NotFound
from app.extensions import db
from app.unit import unit_of_work
from tests.app.factories import make_consultation, make_council, make_staff

TEXT = {
    "summary": "The panel agrees on digital skills.",
    "ministries": "Fund retrofit training.",
    "education_providers": "Teach BIM.",
    "guidance_practitioners": "Energy trades hire.",
}


@dataclass
class People:
    consultation: int
    secretariat: int
    other_secretariat: int
    official: int
    publisher: int
    second_publisher: int


def _people(app, *, rounds=(RoundStatus.closed,)) -> People:
    with app.app_context():
        council = make_council("Construction")
        other = make_council("Care", sector_code="Q")
        consultation = make_consultation(council, rounds=rounds)
        people = People(
            consultation=consultation.id,
            secretariat=make_staff(Role.secretariat, [council]).id,
            other_secretariat=make_staff(Role.secretariat, [other]).id,
            official=make_staff(Role.official).id,
            publisher=make_staff(Role.publisher).id,
            second_publisher=make_staff(Role.publisher).id,
        )
        db.session.commit()
    return people


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _approved(people: People) -> BriefVersion:
    """Version 1 of a new brief, written, reviewed and approved (flushed)."""
    from app.consultations.models import Consultation

    sec = _user(people.secretariat)
    version = services.create_draft(
        db.session.get(Consultation, people.consultation), by=sec, title="Brief", contact="Desk"
    )
    services.save_narrative(version, TEXT, {}, version.edit_version, by=sec)
    services.submit_for_review(version, by=sec)
    services.approve(version, by=_user(people.official))
    return version


def _actions(object_id: int | None = None, kind: str = "brief_version") -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.action.like("brief-%"))
    if object_id is not None:
        query = query.where(AuditEvent.object_id == str(object_id), AuditEvent.object_type == kind)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


# ----------------------------------------------------------------------------- state machine


def test_a_brief_goes_from_draft_through_review_to_publication_audited_at_each_step(make_app):
    app = make_app()
    people = _people(app)
    with app.app_context():
        from app.consultations.models import Consultation

        sec, official = _user(people.secretariat), _user(people.official)
        version = services.create_draft(
            db.session.get(Consultation, people.consultation), by=sec, title=" Brief "
        )
        assert (version.number, version.status, version.brief.title) == (1, "draft", "Brief")
        assert version.narrative == {k: "" for k in NARRATIVE_FIELDS}
        services.save_narrative(version, TEXT, {}, 1, by=sec)
        assert version.edit_version == 2 and version.narrative == TEXT
        services.submit_for_review(version, by=sec)
        services.comment(version, "Say more on apprenticeships.", by=official)
        services.return_to_author(version, "Please add apprenticeships.", by=official)
        assert version.status is BriefStatus.draft
        assert version.review_comment == "Please add apprenticeships."
        assert [c.returned for c in version.comments] == [False, True]
        services.save_narrative(version, {**TEXT, "summary": "Apprenticeships too."}, {}, 2, by=sec)
        services.submit_for_review(version, by=sec)
        services.approve(version, by=official)
        assert version.status is BriefStatus.approved and version.approved_by_id == official.id
        superseded = services.publish(version, by=_user(people.publisher))
        assert superseded == []
        assert version.status is BriefStatus.published
        assert version.publisher_id == people.publisher
        assert version.render_status is RenderStatus.pending
        assert _actions(version.id) == [
            "brief-narrative-saved",
            "brief-submitted",
            "brief-commented",
            "brief-returned",
            "brief-narrative-saved",
            "brief-submitted",
            "brief-approved",
            "brief-published",
        ]
        assert _actions(version.brief_id, "brief") == ["brief-created"]


def test_transitions_out_of_order_are_refused_with_the_reason(make_app):
    app = make_app()
    people = _people(app)
    with app.app_context():
        version = _approved(people)
        sec, official = _user(people.secretariat), _user(people.official)
        with pytest.raises(BriefStateError, match="only a draft can be edited"):
            services.save_narrative(version, TEXT, {}, version.edit_version, by=sec)
        with pytest.raises(BriefStateError, match="only a draft can be sent"):
            services.submit_for_review(version, by=sec)
        with pytest.raises(BriefStateError, match="only a version in review can be approved"):
            services.approve(version, by=official)
        with pytest.raises(BriefStateError, match="comments are made during the review"):
            services.comment(version, "late", by=official)
        # the approved text is frozen on every code path, not only in the services
        version.narrative = {**TEXT, "summary": "changed behind the workflow"}
        with pytest.raises(BriefStateError, match="its text cannot change"):
            db.session.flush()
        db.session.rollback()


def test_a_brief_needs_a_closed_consultation(make_app):
    app = make_app()
    people = _people(app, rounds=(RoundStatus.closed, RoundStatus.open))
    with app.app_context():
        from app.consultations.models import Consultation

        with pytest.raises(BriefStateError, match="closed consultation"):
            services.create_draft(
                db.session.get(Consultation, people.consultation),
                by=_user(people.secretariat),
                title="Too early",
            )


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(make_app):
    app = make_app()
    people = _people(app)
    with app.app_context():
        from app.consultations.models import Consultation

        consultation = db.session.get(Consultation, people.consultation)
        sec = _user(people.secretariat)
        with pytest.raises(InvalidInput) as refused:
            services.create_draft(consultation, by=sec, title="Two\nlines", contact="x" * 501)
        assert [p.key for p in refused.value.problems] == ["title", "contact"]
        version = services.create_draft(consultation, by=sec, title="Brief")
        with pytest.raises(InvalidInput) as refused:
            services.save_narrative(
                version,
                {"summary": "nul\x00", "nonsense": "x"},
                {"no-such-figure": "note"},
                1,
                by=sec,
            )
        assert {p.key for p in refused.value.problems} == {
            "summary",
            "nonsense",
            "annotation-no-such-figure",
        }
        db.session.refresh(version)
        assert version.edit_version == 1
        assert _actions(version.id) == []


# ----------------------------------------------------------------------------- permissions


def test_the_author_cannot_publish_their_own_version(make_app, monkeypatch):
    app = make_app()
    people = _people(app)
    with app.app_context():
        version = _approved(people)
        author = _user(people.secretariat)
        author.role = Role.publisher  # the author became a publisher meanwhile
        db.session.flush()
        with pytest.raises(NotAllowed):
            services.publish(version, by=author)
        # and the compare-and-set statement refuses the author even if the policy did not
        monkeypatch.setattr(services, "authorize", lambda *a, **k: None)
        with pytest.raises(NotAllowed, match="author of a version cannot publish"):
            services.publish(version, by=author)
        assert version.status is BriefStatus.approved
        assert "brief-published" not in _actions()


def test_only_officials_review_only_publishers_publish_only_approved_versions(make_app):
    app = make_app()
    people = _people(app)
    with app.app_context():
        from app.consultations.models import Consultation

        sec, official = _user(people.secretariat), _user(people.official)
        publisher = _user(people.publisher)
        version = services.create_draft(
            db.session.get(Consultation, people.consultation), by=sec, title="Brief"
        )
        with pytest.raises(NotAllowed):
            services.publish(version, by=official)
        with pytest.raises(BriefStateError, match="only an approved version can be published"):
            services.publish(version, by=publisher)
        services.submit_for_review(version, by=sec)
        with pytest.raises(BriefStateError, match="only an approved version can be published"):
            services.publish(version, by=publisher)
        with pytest.raises(NotAllowed):
            services.approve(version, by=publisher)
        with pytest.raises(NotAllowed):
            services.approve(version, by=sec)
        with pytest.raises(NotAllowed):
            services.comment(version, "mine", by=sec)
        services.approve(version, by=official)
        with pytest.raises(BriefStateError, match="changed since you opened it"):
            services.publish(version, by=publisher, expected_edit_version=version.edit_version + 1)
        services.publish(version, by=publisher, expected_edit_version=version.edit_version)
        with pytest.raises(BriefStateError, match="published already"):
            services.publish(version, by=_user(people.second_publisher))


def test_another_councils_secretariat_never_finds_a_draft(make_app):
    app = make_app()
    people = _people(app)
    with app.app_context():
        version = _approved(people)
        stranger = _user(people.other_secretariat)
        brief_id, number = version.brief_id, version.number
        for act in ("view", "run", "review", "publish"):
            with pytest.raises(NotFound):
                services.get_version_for(stranger, brief_id, number, act)
        with pytest.raises(NotFound):
            services.get_version_for(None, brief_id, number)
        with pytest.raises(NotFound):
            services.published_version(brief_id, number)
        assert services.briefs_for(stranger) == []
        services.publish(version, by=_user(people.publisher))
        # published: readable by anyone, still not theirs to change
        assert services.get_version_for(stranger, brief_id, number) is version
        assert services.published_version(brief_id, number) is version
        with pytest.raises(NotFound):
            services.new_version(version.brief, by=stranger, change_class="update", change_note="x")


# ----------------------------------------------------------------------------- revisions


def test_a_correction_supersedes_the_published_version_which_stays_readable_with_a_notice(
    make_app,
):
    app = make_app()
    people = _people(app)
    with app.app_context():
        sec, official = _user(people.secretariat), _user(people.official)
        publisher = _user(people.publisher)
        first = _approved(people)
        services.publish(first, by=publisher)
        brief = first.brief
        with pytest.raises(InvalidInput):
            services.new_version(brief, by=sec, change_class="update", change_note=" ")
        with pytest.raises(InvalidInput):
            services.new_version(brief, by=sec, change_class="typo", change_note="x")
        second = services.new_version(
            brief, by=sec, change_class=ChangeClass.correction, change_note="Wrong figure."
        )
        assert (second.number, second.narrative, second.contact) == (2, TEXT, "Desk")
        with pytest.raises(BriefStateError, match="not published yet"):
            services.new_version(brief, by=sec, change_class="update", change_note="again")
        with pytest.raises(InvalidInput):  # version 2 needs its change note
            services.save_narrative(second, TEXT, {}, second.edit_version, by=sec, change_note="")
        services.submit_for_review(second, by=sec)
        services.approve(second, by=official)
        assert services.publish(second, by=publisher) == [first]
        assert first.status is BriefStatus.superseded and first.is_published
        assert first.correction_notice == "Wrong figure."
        assert first.corrected_at == second.published_at == first.superseded_at
        assert services.successor(first) is second
        assert services.published_version(brief.id, 1) is first  # still readable
        assert brief.current is second
        assert services.errata(brief) == [second]
        assert "brief-superseded" in _actions(first.id)
        # an update supersedes without a correction notice
        third = services.new_version(brief, by=sec, change_class="update", change_note="2025 data")
        services.submit_for_review(third, by=sec)
        services.approve(third, by=official)
        services.publish(third, by=publisher)
        assert second.status is BriefStatus.superseded and second.correction_notice is None
        assert services.errata(brief) == [second]


def test_outputs_are_rendered_once_after_publication_and_never_change(make_app):
    app = make_app()
    people = _people(app)
    with app.app_context():
        version = _approved(people)
        services.publish(version, by=_user(people.publisher))
        db.session.commit()
        assert render_version(version.id) is RenderStatus.ready
        version = db.session.get(BriefVersion, version.id)
        names = {a.name for a in version.artefacts}
        assert {"brief.html", "brief.pdf", "brief.json", "brief.xlsx", "datapackage.json"} <= names
        assert version.artefact("brief.json").media_type == "application/json; charset=utf-8"
        assert version.artefact("brief.pdf").data.startswith(b"%PDF")
        html = version.artefact("brief.html")
        assert html.media_type == "text/html; charset=utf-8" and html.size == len(html.data)
        assert TEXT["summary"].encode() in html.data
        assert render_version(version.id) is RenderStatus.ready  # nothing rendered twice
        assert db.session.scalar(select(func.count()).select_from(BriefArtefact)) == len(names)
        html.data = b"tampered"
        with pytest.raises(BriefStateError, match="never change"):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(BriefStateError):
            services.store_outputs(version, [services.Output("x.txt", "text/plain", b"x")])
        assert _actions(version.id)[-1] == "brief-rendered"


def test_a_failed_render_is_recorded_and_can_be_retried(make_app, monkeypatch):
    from app.briefs import rendering

    app = make_app()
    people = _people(app)
    with app.app_context():
        version = _approved(people)
        services.publish(version, by=_user(people.publisher))
        db.session.commit()

        def broken(*args, **kwargs):
            raise RuntimeError("fonts missing")

        monkeypatch.setattr(rendering, "render_outputs", broken)
        assert render_version(version.id) is RenderStatus.failed
        version = db.session.get(BriefVersion, version.id)
        assert version.render_status is RenderStatus.failed
        assert "fonts missing" in version.render_note and version.artefacts == []
        with pytest.raises(NotAllowed):
            services.retry_rendering(version, by=_user(people.official))
        services.retry_rendering(version, by=_user(people.publisher))
        db.session.commit()
        monkeypatch.undo()
        assert render_version(version.id) is RenderStatus.ready
        with pytest.raises(BriefStateError):
            services.retry_rendering(
                db.session.get(BriefVersion, version.id), by=_user(people.publisher)
            )


@pytest.mark.commits
def test_publication_renders_in_a_background_thread_after_commit(make_app):
    from app.briefs.rendering import start_rendering

    app = make_app(BRIEF_RENDERING="thread")
    people = _people(app)
    with app.app_context():
        version = _approved(people)
        db.session.commit()
        version_id = version.id
        started = []
        with unit_of_work() as work:
            services.publish(db.session.get(BriefVersion, version_id), by=_user(people.publisher))
            work.after_commit(lambda: started.append(start_rendering(version_id)))
        assert started and started[0] is not None  # nothing ran before the commit
        started[0].join(120)
        db.session.expire_all()
        version = db.session.get(BriefVersion, version_id)
        assert version.render_status is RenderStatus.ready
        assert version.artefact("brief.pdf") is not None
        db.session.remove()


# ----------------------------------------------------------------------------- concurrency


def _run_together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads started together; return results or errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test counts the refusals
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.commits
def test_r3_two_saves_from_the_same_edit_version_one_wins_the_other_conflicts_100_races(
    make_app,
):
    app = make_app()
    people = _people(app)
    with app.app_context():
        from app.consultations.models import Consultation

        version = services.create_draft(
            db.session.get(Consultation, people.consultation),
            by=_user(people.secretariat),
            title="Brief",
        )
        db.session.commit()
        version_id = version.id

    def save(i: int, seen: int, race: int):
        with app.app_context():
            by = _user(people.secretariat)
            try:
                with unit_of_work():
                    v = db.session.get(BriefVersion, version_id)
                    services.save_narrative(
                        v, {"summary": f"race {race} writer {i}"}, {}, seen, by=by
                    )
                return "saved"
            finally:
                db.session.remove()

    for race in range(100):
        with app.app_context():
            seen = db.session.get(BriefVersion, version_id).edit_version
            db.session.remove()
        results = _run_together(2, lambda i, seen=seen, race=race: save(i, seen, race))
        wins = [r for r in results if r == "saved"]
        conflicts = [r for r in results if isinstance(r, EditConflict)]
        assert len(wins) == 1 and len(conflicts) == 1, results
        winner = results.index("saved")
        # the loser is told what is stored now: the winner's text, both texts to merge
        assert conflicts[0].theirs.narrative["summary"] == f"race {race} writer {winner}"
        assert conflicts[0].theirs.edit_version == seen + 1
    with app.app_context():
        v = db.session.get(BriefVersion, version_id)
        assert v.edit_version == 101
        saved = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "brief-narrative-saved")
        )
        assert saved == 100


@pytest.mark.commits
def test_r3_twenty_parallel_publish_clicks_give_one_publication_and_one_audit_event(make_app):
    from tests.app.factories import sign_in

    app = make_app(BRIEF_RENDERING="off")
    people = _people(app)
    with app.app_context():
        version = _approved(people)
        db.session.commit()
        brief_id, number, edit = version.brief_id, version.number, version.edit_version
        publisher = _user(people.publisher).email
        second = _user(people.second_publisher).email
    clients = []
    for i in range(20):
        client = app.test_client()
        sign_in(client, publisher if i % 2 else second)
        clients.append(client)
    url = f"/staff/briefs/{brief_id}/v/{number}/publish"

    def click(i: int):
        return clients[i].post(url, data={"edit_version": edit, "confirm": "y"}).status_code

    codes = _run_together(20, click)
    assert all(code == 303 for code in codes), codes
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "brief-published")
        ).all()
        assert len(events) == 1
        v = db.session.get(BriefVersion, version.id)
        assert v.status is BriefStatus.published
        assert v.publisher_id == events[0].actor_id
        assert v.render_status is RenderStatus.pending
        count = db.session.scalar(
            select(func.count())
            .select_from(BriefVersion)
            .where(BriefVersion.status == BriefStatus.published)
        )
        assert count == 1
        assert db.session.scalar(select(func.count()).select_from(Brief)) == 1
