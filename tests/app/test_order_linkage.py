"""SECURITY.md P2: the order in which people answer never shows in what is read back.

200 panellists submit in a random order; participation is recorded in that order. The order
of the free-text statements and of the moderated reasons that the secretariat and the panel
see must not follow it (Spearman |rho| < 0.2), and responses carry no time of any kind.
"""

import random
from datetime import UTC, datetime

from scipy.stats import spearmanr
from sqlalchemy import select

from app.classifications.models import Sector
from app.classifications.services import ensure_builtin_sectors
from app.consultations import services
from app.consultations.keys import rationale_seed
from app.consultations.models import Consultation, RoundStatus, StakeholderGroup
from app.consultations.queries import rationales, text_answers
from app.consultations.responses import AnswerInput, record_participation, save_response
from app.consultations.results import shuffled_rationales
from app.councils.models import Council
from app.extensions import db
from app.panels.models import Panellist, Participation
from tests.conftest import ROOT

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)
N = 200


def test_reading_order_does_not_follow_answering_order(make_app, make_user, tmp_path):
    keys = tmp_path / "keys"
    app = make_app(STUDY_KEY_DIR=str(keys))
    with app.app_context():
        ensure_builtin_sectors()
        sector = db.session.scalars(select(Sector).where(Sector.code == "F")).one()
        council = Council(name="Construction council", sector=sector, geography="EU")
        db.session.add(council)
        db.session.commit()
        council_id = council.id
    user_id, *_ = make_user("secretariat", councils=[council_id])
    with app.app_context():
        from app.auth.models import User

        sec = db.session.get(User, user_id)
        consultation = services.create_consultation(
            db.session.get(Council, council_id),
            ROOT / "surveys" / "future-skill-needs.yaml",
            title="Order test",
            by=sec,
        )
        # a fixed study key keeps the pseudonyms, and so this test, deterministic
        (keys / f"consultation-{consultation.id}.key").write_text("ab" * 32)
        groups = list(StakeholderGroup)[:4]
        panel = [
            Panellist(
                consultation=consultation,
                name=f"P{i}",
                email=f"p{i}@example.org",
                stakeholder_group=groups[i % 4],
            )
            for i in range(N)
        ]
        db.session.add_all(panel)
        r1 = consultation.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        db.session.commit()
        order = list(range(N))
        random.Random(5).shuffle(order)
        for position, i in enumerate(order):
            answers = {
                "skills-needed-most": AnswerInput(text=f"statement number {position}"),
                "digital-data-skills": AnswerInput(value=4, rationale=f"reason number {position}"),
            }
            save_response(r1, panel[i], answers, submission_id=f"s{i}", submit=True)
            db.session.commit()
            record_participation(r1, panel[i], as_of=T0, submitted=True)
            db.session.commit()
        services.close_round(r1, by=sec, as_of=T0)
        db.session.commit()

        r1 = db.session.get(Consultation, consultation.id).rounds[0]
        assert r1.status is RoundStatus.closed
        participation_order = [
            p.panellist_id
            for p in db.session.scalars(select(Participation).order_by(Participation.id))
        ]
        assert participation_order == [panel[i].id for i in order]

        statements = text_answers(r1)
        read = [int(t.rsplit(" ", 1)[1]) for t in statements["text"]]
        assert sorted(read) == list(range(N))
        rho_text = spearmanr(read, range(N)).statistic

        item = next(i for i in r1.items if i.key == "digital-data-skills")
        seed = rationale_seed(r1.consultation_id, item.key)
        shown = shuffled_rationales(rationales(item), seed, item.key)
        read_reasons = [int(text.rsplit(" ", 1)[1]) for text, _group, _hidden in shown]
        rho_reasons = spearmanr(read_reasons, range(N)).statistic
    assert abs(rho_text) < 0.2, rho_text
    assert abs(rho_reasons) < 0.2, rho_reasons
