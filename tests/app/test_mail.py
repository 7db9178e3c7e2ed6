"""E-mail over a real local SMTP server: invitations, reminders, languages, failures."""

from __future__ import annotations

import html
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from sqlalchemy import select

from app.consultations.keys import pseudonym
from app.consultations.models import (
    Consultation,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    StakeholderGroup,
)
from app.database import utcnow
from app.errors import RoundStateError
from app.extensions import babel, db
from app.mail import MailError, send_mail
from app.panels import services
from app.panels.models import Invitation, Panellist, Participation
from app.panels.tokens import redeem
from tests.app.factories import (
    LocalSmtp,
    build_study,
    free_port,
    make_consultation,
    make_panellist,
    sign_in,
)

LINK = re.compile(r"http://skillsdelphi\.test/i\?t=([A-Za-z0-9_-]{43})")

#: German texts of the e-mail, as the catalogue will hold them.
GERMAN = {
    "Invitation: %(title)s": "Einladung: %(title)s",
    "Dear %(name)s,": "Guten Tag %(name)s,",
    "Your personal link:": "Ihr persönlicher Link:",
    "Reminder: %(title)s": "Erinnerung: %(title)s",
}


@pytest.fixture
def smtp():
    with LocalSmtp() as server:
        yield server


def _forget_loaded_catalogues() -> None:
    # Flask-Babel caches loaded catalogues per locale in one process-wide domain object.
    domain = babel.__dict__.get("domain_instance")
    if domain is not None:
        domain.cache.clear()


@pytest.fixture
def german_catalogue(tmp_path):
    """A German catalogue holding the e-mail texts, used beside the shipped catalogues."""
    catalog = Catalog(locale="de", domain="messages")
    for msgid, msgstr in GERMAN.items():
        catalog.add(msgid, msgstr)
    folder = tmp_path / "translations" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    _forget_loaded_catalogues()
    yield f"translations;{tmp_path / 'translations'}"
    _forget_loaded_catalogues()


def _links(received) -> list[str]:
    return LINK.findall(received.text)


def test_send_mail_delivers_to_the_smtp_server(make_app, smtp):
    app = make_app(**smtp.config(), MAIL_FROM="Council <council@example.org>")
    with app.app_context():
        send_mail("maria@example.org", "Hello", "Plain text body", "<p>HTML body</p>")
    assert len(smtp.received) == 1
    got = smtp.received[0]
    assert got.recipients == ["maria@example.org"]
    assert got.sender == "council@example.org"
    assert got.message["Subject"] == "Hello"
    assert got.text.strip() == "Plain text body"
    assert "<p>HTML body</p>" in got.html


def test_an_unreachable_mail_server_is_a_clear_domain_error(make_app):
    port = free_port()  # nothing listens here
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context(), pytest.raises(MailError) as caught:
        send_mail("maria@example.org", "Hello", "Body")
    assert caught.value.message == f"the mail server 127.0.0.1:{port} refused the connection"


def test_invitations_carry_a_base_url_link_in_the_panellists_language(
    make_app, smtp, german_catalogue
):
    app = make_app(**smtp.config(), BABEL_TRANSLATION_DIRECTORIES=german_catalogue)
    study = build_study(
        app,
        panellists=[
            {"name": "Anna Schmidt", "email": "anna@example.de", "language": "de"},
            {"name": "John Smith", "email": "john@example.org", "language": "en"},
        ],
    )
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        sent = services.send_invitations(consultation, consultation.rounds[0], by="test")
        db.session.commit()
    assert sent == 2
    by_address = {r.recipients[0]: r for r in smtp.received}
    german, english = by_address["anna@example.de"], by_address["john@example.org"]

    assert german.message["Subject"] == "Einladung: Construction skills 2030"
    assert german.message["Content-Language"] == "de"
    assert "Guten Tag Anna Schmidt," in german.text
    assert "Ihr persönlicher Link:" in german.text
    assert "Wir fragen, wie sich der Qualifikationsbedarf verändern wird." in german.text
    assert "March 16, 2026" not in german.text and "16. März 2026" in german.text

    assert english.message["Subject"] == "Invitation: Construction skills 2030"
    assert "Dear John Smith," in english.text
    assert "We ask how the skills needed will change." in english.text
    assert "March 16, 2026" in english.text
    assert "anonymous" in english.text

    for received in (german, english):
        (token,) = _links(received)
        assert f'href="http://skillsdelphi.test/i?t={token}"' in received.html
    with app.app_context():
        (german_token,) = _links(german)
        assert redeem(german_token).email == "anna@example.de"
        invited = db.session.scalars(select(Participation.invited_on)).all()
        assert invited == [utcnow().date()] * 2
        assert all(i.last_sent_at is not None for i in db.session.scalars(select(Invitation)))


def test_links_ignore_a_spoofed_host_header(make_app, smtp):
    app = make_app(**smtp.config())
    study = build_study(app, panellists=[{"email": "p@example.org"}])
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = "evil.example"  # every request, sign-in included
    sign_in(client, study.secretariat)
    response = client.post(
        f"/staff/consultations/{study.consultation}/panel/invitations/send",
        data={"scope": "all"},
    )
    assert response.status_code == 303
    (received,) = smtp.received
    assert "evil.example" not in received.text
    assert len(_links(received)) == 1


def test_sending_again_ends_the_earlier_link(make_app, smtp):
    app = make_app(**smtp.config())
    study = build_study(app, panellists=[{"email": "p@example.org"}])
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        services.send_invitations(consultation, consultation.rounds[0], by="test")
        db.session.commit()
        services.send_invitations(consultation, consultation.rounds[0], by="test")
        db.session.commit()
        first, second = (_links(r)[0] for r in smtp.received)
        assert redeem(first) is None
        assert redeem(second) is not None
        part = db.session.scalars(select(Participation)).one()
        assert part.invited_on == utcnow().date()


def test_a_refused_recipient_does_not_stop_the_others(make_app, smtp):
    app = make_app(**smtp.config())
    study = build_study(
        app, panellists=[{"email": "gone@example.org"}, {"email": "here@example.org"}]
    )
    smtp.refuse("gone@example.org")
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        report = services.send_invitations(consultation, consultation.rounds[0], by="test")
        db.session.commit()
        assert report == 1
        assert report.refused and "gone@example.org" in report.refused[0]
        gone = db.session.scalars(
            select(Panellist).where(Panellist.email == "gone@example.org")
        ).one()
        assert gone.invitations == []  # no link was stored for an e-mail never delivered
    assert [r.recipients for r in smtp.received] == [["here@example.org"]]


def _reminder_study(app):
    study = build_study(
        app,
        panellists=[
            {"name": "Done", "email": "done@example.org"},
            {"name": "Waiting", "email": "waiting@example.org", "language": "de"},
            {"name": "Started", "email": "started@example.org"},
            {"name": "Never invited", "email": "new@example.org"},
            {"name": "Left", "email": "left@example.org", "active": False},
        ],
    )
    today = utcnow().date()
    with app.app_context():
        round_id = study.rounds[0]
        done, waiting, started, _new, left = study.panellists
        db.session.add_all(
            [
                Participation(panellist_id=pid, round_id=round_id, invited_on=today)
                for pid in (done, waiting, started, left)
            ]
        )
        # who submitted is known from the responses only, while the round is open
        for pid, status in ((done, ResponseStatus.submitted), (started, ResponseStatus.draft)):
            db.session.add(
                Response(
                    round_id=round_id,
                    respondent_pseudonym=pseudonym(study.consultation, pid),
                    stakeholder_group=StakeholderGroup.employers,
                    status=status,
                )
            )
        db.session.commit()
    return study


def test_reminders_go_to_non_responders_only(make_app, smtp, german_catalogue):
    app = make_app(**smtp.config(), BABEL_TRANSLATION_DIRECTORIES=german_catalogue)
    study = _reminder_study(app)
    with app.app_context():
        round_ = db.session.get(Round, study.rounds[0])
        assert services.send_reminders(round_, by="test") == 2
        db.session.commit()
        reminded = dict(
            db.session.execute(
                select(Panellist.email, Participation.reminded_on).join(Participation)
            ).all()
        )
        # once a day at most
        assert services.send_reminders(db.session.get(Round, study.rounds[0]), by="test") == 0
    assert sorted(r.recipients[0] for r in smtp.received) == [
        "started@example.org",
        "waiting@example.org",
    ]
    assert reminded["waiting@example.org"] == utcnow().date()
    assert reminded["done@example.org"] is None
    german = next(r for r in smtp.received if r.recipients == ["waiting@example.org"])
    assert german.message["Subject"] == "Erinnerung: Construction skills 2030"
    assert len(_links(german)) == 1


def test_reminders_need_an_open_round(make_app, smtp):
    app = make_app(**smtp.config())
    study = build_study(app, rounds=[RoundStatus.closed])
    with app.app_context(), pytest.raises(RoundStateError, match="open round only"):
        services.send_reminders(db.session.get(Round, study.rounds[0]), by="test")


def test_send_reminders_command_reports_counts_per_consultation(make_app, smtp):
    app = make_app(**smtp.config())
    _reminder_study(app)
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "“Construction skills 2030”, round 1: 2 reminder(s) sent" in result.output
    assert "2 reminder(s) sent in all." in result.output
    assert len(smtp.received) == 2
    again = app.test_cli_runner().invoke(args=["send-reminders"])
    assert again.exit_code == 0 and "round 1: 0 reminder(s) sent" in again.output


def test_send_reminders_command_exits_2_when_the_mail_server_is_down(make_app):
    port = free_port()
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    _reminder_study(app)
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 2
    assert f"the mail server 127.0.0.1:{port} refused the connection" in result.output
    with app.app_context():
        assert db.session.scalars(select(Invitation)).all() == []
        assert all(r is None for r in db.session.scalars(select(Participation.reminded_on)))


def test_send_reminders_command_without_open_rounds(make_app):
    app = make_app()
    build_study(app, rounds=[RoundStatus.draft])
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0 and "No open rounds" in result.output


def test_sending_through_the_page_with_the_mail_server_down_is_a_message(make_app):
    port = free_port()
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    study = build_study(app, panellists=[{"email": "p@example.org"}])
    client = app.test_client()
    sign_in(client, study.secretariat)
    url = f"/staff/consultations/{study.consultation}/panel"
    response = client.post(url + "/invitations/send", data={"scope": "all"})
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert f"the mail server 127.0.0.1:{port} refused the connection" in page
    with app.app_context():
        assert db.session.scalars(select(Invitation)).all() == []
        assert db.session.scalars(select(Participation)).all() == []


def test_remind_button_reminds_non_responders(make_app, smtp):
    app = make_app(**smtp.config())
    study = _reminder_study(app)
    client = app.test_client()
    sign_in(client, study.secretariat)
    url = f"/staff/consultations/{study.consultation}/panel"
    response = client.post(url + "/invitations/remind")
    assert response.status_code == 303
    assert "2 reminders were sent." in client.get(url).get_data(as_text=True)
    assert len(smtp.received) == 2


def test_send_to_selected_panellists_only(make_app, smtp):
    app = make_app(**smtp.config())
    study = build_study(
        app,
        panellists=[
            {"email": "a@example.org", "group": StakeholderGroup.employers},
            {"email": "b@example.org", "group": StakeholderGroup.other_experts},
            {"email": "c@example.org"},
        ],
    )
    client = app.test_client()
    sign_in(client, study.secretariat)
    url = f"/staff/consultations/{study.consultation}/panel"
    a, b, _c = study.panellists
    response = client.post(
        url + "/invitations/send", data={"scope": "selected", "panellist": [str(a), str(b)]}
    )
    assert response.status_code == 303
    assert sorted(r.recipients[0] for r in smtp.received) == ["a@example.org", "b@example.org"]
    assert "2 invitations were sent." in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("smtputf8", [True, False])
def test_names_with_commas_and_non_ascii_addresses(make_app, smtputf8):
    """A display name is quoted; a non-ASCII address goes out where the server takes it,
    and is reported (not a 500, not the end of the batch) where it does not."""
    with LocalSmtp(smtputf8=smtputf8) as smtp:
        app = make_app(**smtp.config())
        study = build_study(
            app,
            panellists=[
                {"name": "Jürgen Müller", "email": "müller@bau.de", "language": "de"},
                {"name": "Smith, John", "email": "john@example.org"},
            ],
        )
        client = app.test_client()
        sign_in(client, study.secretariat)
        url = f"/staff/consultations/{study.consultation}/panel"
        assert client.post(url + "/invitations/send", data={"scope": "all"}).status_code == 303
        page = client.get(url).get_data(as_text=True)
    john = next(r for r in smtp.received if r.recipients == ["john@example.org"])
    assert john.message["To"].addresses[0].display_name == "Smith, John"
    assert "Dear Smith, John," in john.text
    if smtputf8:
        assert "2 invitations were sent." in page
        assert len(smtp.received) == 2
    else:
        assert "1 invitation was sent." in page
        assert "müller@bau.de" in page and "earlier links still work" in page
        assert len(smtp.received) == 1


def test_a_stored_title_or_name_with_line_breaks_cannot_break_the_message(make_app, smtp):
    """Defence in depth: text stored before the one-line check still gives a one-line
    subject and recipient, and no header of its own."""
    app = make_app(**smtp.config())
    study = build_study(
        app,
        panellists=[
            {"name": "Anna\r\nCc: other@example.org", "email": "anna@example.org"},
            {"name": "John Smith", "email": "john@example.org"},
        ],
    )
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        consultation.title = "Skills 2030\r\nBcc: everyone@example.org\u2028\x85end"
        db.session.commit()
        sent = services.send_invitations(consultation, consultation.rounds[0], by="test")
        db.session.commit()
    assert sent == 2
    assert sorted(r.recipients[0] for r in smtp.received) == [
        "anna@example.org",
        "john@example.org",
    ]
    for received in smtp.received:
        assert received.message["Subject"] == (
            "Invitation: Skills 2030 Bcc: everyone@example.org end"
        )
        assert received.message["Bcc"] is None and received.message["Cc"] is None
    anna = next(r for r in smtp.received if r.recipients == ["anna@example.org"])
    assert anna.message["To"].addresses[0].display_name == "Anna Cc: other@example.org"


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: x@example.org", "Hello\nX", "A\u2029B\x00C"])
def test_build_message_puts_the_subject_on_one_line(make_app, subject):
    from app.mail import build_message

    app = make_app()
    with app.app_context():
        msg = build_message("maria@example.org", subject, "Body")
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert msg["Bcc"] is None
    assert msg["Subject"].split() == subject.replace("\x00", " ").split()


def test_send_reminders_goes_on_after_a_round_whose_mail_fails(make_app, smtp):
    """One consultation's mail failing part-way does not stop the others; the failures
    are listed at the end and the command exits 2, with what was sent recorded."""
    app = make_app(**smtp.config())
    first = build_study(
        app, panellists=[{"email": "drop@example.org"}, {"email": "after@example.org"}]
    )
    today = utcnow().date()
    with app.app_context():
        council = db.session.get(Consultation, first.consultation).council
        other = make_consultation(council, title="Second consultation")
        other_person = make_panellist(other, email="other@example.org")
        invited = [(pid, first.rounds[0]) for pid in first.panellists]
        invited.append((other_person.id, other.rounds[0].id))
        for pid, round_id in invited:
            db.session.add(Participation(panellist_id=pid, round_id=round_id, invited_on=today))
        db.session.commit()
    smtp.drop_at("drop@example.org")
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 2, result.output
    assert [r.recipients for r in smtp.received] == [["other@example.org"]]
    assert "reminders could not be sent for 1 round(s)" in result.output
    assert f"consultation {first.consultation} " in result.output.split("could not be sent")[1]
    assert "1 reminder(s) sent in all." in result.output
    with app.app_context():
        reminded = dict(
            db.session.execute(
                select(Panellist.email, Participation.reminded_on).join(Participation)
            ).all()
        )
    assert reminded["other@example.org"] == today
    assert reminded["after@example.org"] is None


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "de",
            "Versand abgebrochen: der Mailserver 127.0.0.1:{port} hat die Verbindung abgelehnt.",
        ),
        (
            "fr",
            "Envoi interrompu\u00a0: le serveur de messagerie 127.0.0.1:{port} a refusé la "
            "connexion.",
        ),
    ],
)
def test_the_mail_server_being_down_is_said_in_the_interface_language(make_app, lang, expected):
    port = free_port()
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    study = build_study(app, panellists=[{"email": "p@example.org"}])
    client = app.test_client()
    sign_in(client, study.secretariat)
    url = f"/staff/consultations/{study.consultation}/panel"
    client.post(url + f"/invitations/send?lang={lang}", data={"scope": "all"})
    page = html.unescape(client.get(url + f"?lang={lang}").get_data(as_text=True))
    assert expected.format(port=port) in page
