"""``flask --app app send-reminders``: remind non-responders of every open round (for a timer)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.commands import database_errors, fail
from app.consultations.models import Consultation, Round, RoundStatus
from app.errors import DomainError
from app.extensions import db
from app.panels import services
from app.panels.services import MailKind
from app.unit import end_reads, unit_of_work

#: Audit actor of reminders sent from the command line.
CLI_ACTOR = "cli:send-reminders"


@click.command("send-reminders")
@with_appcontext
@database_errors
def send_reminders_command() -> None:
    """E-mail a reminder with a fresh link to each panellist of an open round who was
    invited, has not submitted and was not reminded today. Commits per round; a round whose
    mail fails does not stop the others: the failures are listed at the end and the
    command exits with status 2 (what was sent stays recorded)."""
    round_ids = list(
        db.session.scalars(
            select(Round.id).where(Round.status == RoundStatus.open).order_by(Round.id)
        )
    )
    if not round_ids:
        click.echo("No open rounds: no reminders to send.")
        return
    total = 0
    failures: list[str] = []
    for round_id in round_ids:
        round_ = db.session.get(Round, round_id)
        consultation = round_.consultation
        consultation_id = consultation.id
        label = f"consultation {consultation.id} “{consultation.title}”, round {round_.number}"
        try:
            outgoing = services.prepare_reminders(round_)
        except DomainError as exc:
            end_reads()
            failures.append(f"{label}: {exc.message}")
            continue
        end_reads()  # no transaction stays open while the mail server works
        delivery = services.deliver(outgoing)
        with unit_of_work():
            report = services.record_delivery(
                db.session.get(Consultation, consultation_id),
                db.session.get(Round, round_id),
                delivery,
                MailKind.reminder,
                by=CLI_ACTOR,
            )
        total += report
        click.echo(f"{label}: {int(report)} reminder(s) sent")
        for address, why in report.refused:
            click.echo(f"  refused: {address}: {why.message}", err=True)
        if report.error:
            failures.append(
                f"{label}: sending stopped: {report.error.message}; "
                f"{report.not_tried} reminder(s) not sent"
            )
    click.echo(f"{total} reminder(s) sent in all.")
    if failures:
        # every round was tried; what was sent stays recorded
        fail(f"reminders could not be sent for {len(failures)} round(s)", failures)
