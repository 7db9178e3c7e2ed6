"""Secretariat pages: consultations, analysis plan and the round lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from app.auth.models import Role
from app.auth.policy import staff
from app.consultations import services
from app.consultations.forms import ConfirmForm, DeadlineForm, NewConsultationForm, PlanForm
from app.consultations.models import Consultation, RoundStatus
from app.consultations.plans import plan_of
from app.database import utcnow
from app.errors import DomainError, InvalidInput, PlanLockedError
from app.i18n import problem_message, problem_text, refusal_text
from app.questionnaires.loader import QuestionnaireError, load_questionnaire
from app.questionnaires.services import available_files
from app.unit import unit_of_work

bp = Blueprint("consultations", __name__, url_prefix="/staff/consultations")


def _user():
    return current_user._get_current_object()


def _end_of_day(day) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def optional_url(endpoint: str, **values) -> str | None:
    """The URL of a page, or None where that page is not part of this installation."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _questionnaire_choices(lang: str) -> list[tuple[str, str]]:
    choices = []
    for path in available_files():
        try:
            spec = load_questionnaire(path)
        except (QuestionnaireError, OSError):
            continue  # `flask surveys check` reports broken files
        choices.append((path.name, f"{spec.title_for(lang)} ({spec.key}, {spec.version})"))
    return choices


@bp.route("/")
@staff(Role.secretariat)
def index():
    councils = list(_user().councils)
    consultations = [c for council in councils for c in council.consultations]
    consultations.sort(key=lambda c: c.created_at, reverse=True)
    return render_template(
        "consultations/index.html", consultations=consultations, councils=councils
    )


@bp.route("/new", methods=["GET", "POST"])
@staff(Role.secretariat)
def new():
    from flask_babel import get_locale

    user = _user()
    form = NewConsultationForm()
    form.council.choices = [(c.id, c.name) for c in user.councils]
    form.questionnaire.choices = _questionnaire_choices(str(get_locale()))
    if not form.council.choices:
        flash(_("You are not assigned to a council yet; ask an administrator."), "error")
        return redirect(url_for(".index"))
    status = 200
    if form.validate_on_submit():
        council = next(c for c in user.councils if c.id == form.council.data)
        path = next(p for p in available_files() if p.name == form.questionnaire.data)
        try:
            with unit_of_work():
                consultation = services.create_consultation(
                    council,
                    path,
                    title=form.title.data,
                    description=form.description.data or "",
                    by=user,
                )
        except InvalidInput as exc:
            fields = {"title": form.title, "description": form.description}
            for problem in exc.problems:
                if target := fields.get(problem.key or ""):
                    target.errors = [*target.errors, problem_message(problem)]
            rest = [p for p in exc.problems if (p.key or "") not in fields]
            if rest or not exc.problems:  # the questionnaire file (changed since it was listed)
                form.questionnaire.errors = [
                    *form.questionnaire.errors,
                    refusal_text(exc),
                    *map(problem_text, rest),
                ]
            status = 422
        else:
            flash(_("Consultation created. Check the analysis plan before round 1 opens."), "info")
            return redirect(url_for(".show", consultation_id=consultation.id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("consultations/new.html", form=form), status


def _links(consultation: Consultation) -> dict[str, str | None]:
    cid = consultation.id
    return {
        "panel": optional_url("panels.panel", consultation_id=cid),
        "tracking": optional_url("panels.tracking", consultation_id=cid),
        "forecasts": optional_url("forecasts.bindings", consultation_id=cid),
    }


def _round_links(consultation: Consultation, number: int) -> dict[str, str | None]:
    cid = consultation.id
    return {
        "results": optional_url("results.results", consultation_id=cid, number=number),
        "themes": optional_url("curation.themes", consultation_id=cid, number=number),
        "rationales": optional_url("results.rationales", consultation_id=cid, number=number),
    }


@bp.route("/<int:consultation_id>")
@staff(Role.secretariat)
def show(consultation_id: int):
    consultation = services.get_consultation_for(_user(), consultation_id)
    last_closed = next((r for r in reversed(consultation.rounds) if r.results is not None), None)
    return render_template(
        "consultations/show.html",
        c=consultation,
        plan=plan_of(consultation),
        links=_links(consultation),
        round_links={r.number: _round_links(consultation, r.number) for r in consultation.rounds},
        stopping=last_closed.frozen_results().stopping if last_closed else None,
        last_closed=last_closed,
        deadline_form=DeadlineForm(),
        confirm_form=ConfirmForm(),
        RoundStatus=RoundStatus,
    )


@bp.route("/<int:consultation_id>/plan", methods=["GET", "POST"])
@staff(Role.secretariat)
def plan(consultation_id: int):
    user = _user()
    consultation = services.get_consultation_for(user, consultation_id)
    form = PlanForm(data=consultation.plan if request.method == "GET" else None)
    status = 200
    if request.method == "POST" and consultation.plan_locked:
        try:
            # the audit record of the refused change is kept
            with unit_of_work(keep_on=(PlanLockedError,)):
                services.update_plan(consultation, consultation.plan, by=user)
        except PlanLockedError as exc:
            flash(refusal_text(exc), "error")
            return redirect(url_for(".plan", consultation_id=consultation_id), code=303)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_plan(consultation, form.plan_data(consultation.plan), by=user)
        except InvalidInput as exc:
            for problem in exc.problems:
                field = problem.key or ""
                target = form[field] if field in form.FIELDS else form.consensus_in
                target.errors = [*target.errors, problem_message(problem)]
            status = 422
        else:
            flash(_("Analysis plan saved."), "info")
            return redirect(url_for(".show", consultation_id=consultation_id), code=303)
    elif request.method == "POST":
        status = 422
    return (
        render_template("consultations/plan.html", form=form, c=consultation),
        status,
    )


def _round_action(consultation_id: int, number: int, action):
    user = _user()
    round_ = services.get_round_for(user, consultation_id, number)
    try:
        with unit_of_work():
            message = action(round_, user)
        flash(message, "info")
    except DomainError as exc:
        flash(refusal_text(exc), "error")
    return redirect(url_for(".show", consultation_id=consultation_id), code=303)


def _deadline() -> datetime | None:
    """The submitted deadline, or None after flashing what is wrong with it."""
    form = DeadlineForm()
    if form.validate_on_submit():
        return _end_of_day(form.deadline.data)
    for name, errors in form.errors.items():
        label = form[name].label.text if name in form else name
        flash(_("%(field)s: %(errors)s", field=label, errors=" ".join(map(str, errors))), "error")
    return None


@bp.route("/<int:consultation_id>/rounds/<int:number>/open", methods=["POST"])
@staff(Role.secretariat)
def open_round(consultation_id: int, number: int):
    deadline = _deadline()
    if deadline is None:
        return redirect(url_for(".show", consultation_id=consultation_id), code=303)

    def act(round_, user):
        services.open_round(round_, by=user, as_of=utcnow(), deadline=deadline)
        return _("Round %(n)s is open until %(d)s.", n=number, d=deadline.date().isoformat())

    return _round_action(consultation_id, number, act)


@bp.route("/<int:consultation_id>/rounds/<int:number>/extend", methods=["POST"])
@staff(Role.secretariat)
def extend_round(consultation_id: int, number: int):
    deadline = _deadline()
    if deadline is None:
        return redirect(url_for(".show", consultation_id=consultation_id), code=303)

    def act(round_, user):
        services.extend_round(round_, deadline, by=user, as_of=utcnow())
        return _(
            "The deadline of round %(n)s is now %(d)s.", n=number, d=deadline.date().isoformat()
        )

    return _round_action(consultation_id, number, act)


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.route("/<int:consultation_id>/rounds/<int:number>/close", methods=["POST"])
@staff(Role.secretariat)
def close_round(consultation_id: int, number: int):
    _confirmed()

    def act(round_, user):
        services.close_round(round_, by=user, as_of=utcnow())
        return _("Round %(n)s is closed; its results are frozen.", n=number)

    return _round_action(consultation_id, number, act)


@bp.route("/<int:consultation_id>/rounds/<int:number>/release", methods=["POST"])
@staff(Role.secretariat)
def release_round(consultation_id: int, number: int):
    _confirmed()

    def act(round_, user):
        services.release_round(round_, by=user, as_of=utcnow())
        return _("The results of round %(n)s are released to the panel.", n=number)

    return _round_action(consultation_id, number, act)


@bp.route("/<int:consultation_id>/finish", methods=["POST"])
@staff(Role.secretariat)
def finish(consultation_id: int):
    _confirmed()
    user = _user()
    consultation = services.get_consultation_for(user, consultation_id)
    try:
        with unit_of_work():
            services.finish_consultation(consultation, by=user, as_of=utcnow())
        flash(
            _(
                "The consultation is finished. No round can be opened any more and the "
                "panellists' links no longer work; its results stay available."
            ),
            "info",
        )
    except DomainError as exc:
        flash(refusal_text(exc), "error")
    return redirect(url_for(".show", consultation_id=consultation_id), code=303)


@bp.route("/<int:consultation_id>/rounds/next", methods=["POST"])
@staff(Role.secretariat)
def prepare_next(consultation_id: int):
    _confirmed()
    user = _user()
    consultation = services.get_consultation_for(user, consultation_id)
    try:
        with unit_of_work():
            nxt = services.prepare_next_round(consultation, by=user)
        flash(
            _("Round %(n)s is prepared with %(k)s questions.", n=nxt.number, k=len(nxt.items)),
            "info",
        )
    except DomainError as exc:
        flash(refusal_text(exc), "error")
    return redirect(url_for(".show", consultation_id=consultation_id), code=303)


@bp.route("/<int:consultation_id>/rounds/<int:number>")
@staff(Role.secretariat)
def round_detail(consultation_id: int, number: int):
    from flask_babel import get_locale

    round_ = services.get_round_for(_user(), consultation_id, number)
    return render_template(
        "consultations/round.html",
        r=round_,
        c=round_.consultation,
        lang=str(get_locale()),
        links=_round_links(round_.consultation, number),
    )
