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
