from sqlalchemy import func, select

from app.consultations.models import Consultation, Response, RoundStatus
from app.extensions import db
from app.panels.models import Panellist


def test_seed_demo_shows_every_outcome_and_can_run_twice(make_app, tmp_path):
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "secretariat@demo.skillsdelphi.eu" in result.output
    assert "password: demo-secretariat-2026" in result.output
    assert "http://skillsdelphi.test/i?t=" in result.output  # a link to try answering

    with app.app_context():
        demo = db.session.scalars(
            select(Consultation).where(Consultation.title.like("[Demo]%2030"))
        ).one()
        assert "generated" in demo.description
        panel = db.session.scalars(select(Panellist).where(Panellist.consultation_id == demo.id))
        groups = {p.stakeholder_group for p in panel}
        assert len(groups) == 4
        assert [r.status for r in demo.rounds] == [RoundStatus.released] * 3
        labels, contested = set(), False
        for round_ in demo.rounds:
            for item in round_.results["items"].values():
                if item["type"] == "likert":
                    labels.add(item["label"])
                    contested |= bool(item["contested"])
        assert {"consensus-in", "consensus-out", "dissent", "unresolved"} <= labels
        assert contested
        theme_items = [i for i in demo.rounds[1].items if i.theme_id is not None]
        assert len(theme_items) == 2
        responses = db.session.scalar(select(func.count()).select_from(Response))

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "exists   [Demo] Construction skills 2030" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == responses


def test_the_demo_panel_shows_the_links_that_tracking_counts_as_sent(make_demo_app):
    """Each demo panellist was sent a link; the panel page says so (not "No link yet")."""
    from app.demo.seed import DEMO_USERS
    from tests.app.factories import sign_in

    app = make_demo_app()
    with app.app_context():
        ids = db.session.scalars(select(Consultation.id).order_by(Consultation.id)).all()
        sizes = [
            db.session.scalar(
                select(func.count()).select_from(Panellist).where(Panellist.consultation_id == i)
            )
            for i in ids
        ]
    client = app.test_client()
    email, _role, _name, password = DEMO_USERS[1]
    sign_in(client, email, password)
    for consultation_id, size in zip(ids, sizes, strict=True):
        page = client.get(f"/staff/consultations/{consultation_id}/panel").get_data(as_text=True)
        assert "No link yet" not in page
        assert page.count("Link active, sent ") == size
