"""Secretariat pages: consultations, analysis plan and the round lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from app.auth.models import Role
from app.auth.policy import staff
from app.consensus.plan import AnalysisPlan
from app.consultations import services
from app.consultations.forms import (
    ConfirmForm,
    DeadlineForm,
    NewConsultationForm,
    PlanForm,
    texts_form,
)
from app.consultations.models import Consultation, RoundStatus
from app.consultations.plans import plan_of, plan_problems, rating_scales
from app.consultations.rule_choices import RULE_CHOICES
from app.database import utcnow
from app.errors import DomainError, InvalidInput, PlanLockedError
from app.formatting import language_name, word_list
from app.i18n import problem_message, problem_text, refusal_text
from app.panels import services as panel_services
from app.panels.services import MailKind
from app.panels.views import flash_send_report, send_round_mail
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
        text_languages=word_list(
            [
                language_name(lang)
                for i, lang in enumerate(services.questionnaire_languages(consultation))
                if i == 0 or (consultation.translations or {}).get(lang)
            ]
        ),
    )


@bp.route("/<int:consultation_id>/texts", methods=["GET", "POST"])
@staff(Role.secretariat)
def texts(consultation_id: int):
    """Title and description in each of the questionnaire's languages."""
    user = _user()
    consultation = services.get_consultation_for(user, consultation_id)
    languages = services.questionnaire_languages(consultation)
    current = {}
    for index, lang in enumerate(languages):
        if index == 0:
            title, description = consultation.title, consultation.description
        else:
            own = (consultation.translations or {}).get(lang) or {}
            title, description = own.get("title", ""), own.get("description", "")
        current[f"title-{lang}"], current[f"description-{lang}"] = title, description
    names = {lang: language_name(lang) for lang in languages}
    if request.method == "GET":
        form = texts_form(languages, names, formdata=None, data=current)
    else:
        form = texts_form(languages, names)
    status = 200
    if request.method == "POST":
        status = 422
        posted = {
            lang: (form[f"title-{lang}"].data or "", form[f"description-{lang}"].data or "")
            for lang in languages
        }
        if not form.validate_on_submit():
            # every problem at once: the service's checks for fields the form found fine
            token = getattr(form, "csrf_token", None)
            if token is None or not token.errors:
                for problem in services.check_texts(consultation, posted)[1]:
                    if problem.key in form and not form[problem.key].errors:
                        form[problem.key].errors = [problem_message(problem)]
        else:
            try:
                with unit_of_work():
                    services.set_texts(consultation, posted, by=user)
            except InvalidInput as exc:
                for problem in exc.problems:
                    if problem.key in form:
                        target = form[problem.key]
                        target.errors = [*target.errors, problem_message(problem)]
                    else:
                        form.form_errors.append(problem_text(problem))
                consultation = services.get_consultation_for(user, consultation_id)
            else:
                flash(_("The titles and descriptions were saved."), "info")
                return redirect(url_for(".show", consultation_id=consultation_id), code=303)
    return (
        render_template(
            "consultations/texts.html",
            c=consultation,
            form=form,
            own_languages=languages,
            language_name=language_name,
        ),
        status,
    )


@bp.route("/<int:consultation_id>/rounds/<int:number>/questions", methods=["GET", "POST"])
@staff(Role.secretariat)
def questions(consultation_id: int, number: int):
    """Reword the questions of a round before it opens, in each language."""
    user = _user()
    round_ = services.get_round_for(user, consultation_id, number)
    languages = services.questionnaire_languages(round_.consultation)
    status = 200
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and round_.status is RoundStatus.draft:
        if not ConfirmForm().validate_on_submit():
            abort(400)
        posted = {
            item.key: {lang: request.form.get(f"{item.key}-{lang}", "") for lang in languages}
            for item in round_.items
        }
        try:
            with unit_of_work():
                changed = services.update_question_texts(round_, posted, by=user)
        except InvalidInput as exc:
            for problem in exc.problems:
                errors.setdefault(problem.key or "", []).append(problem_message(problem))
            status = 422
            round_ = services.get_round_for(user, consultation_id, number)
            values = posted
        except DomainError as exc:
            flash(refusal_text(exc), "error")
            return redirect(url_for(".show", consultation_id=consultation_id), code=303)
        else:
            flash(
                ngettext(
                    "%(num)s question was reworded.",
                    "%(num)s questions were reworded.",
                    len(changed),
                )
                if changed
                else _("Nothing was changed."),
                "info",
            )
            return redirect(
                url_for(".round_detail", consultation_id=consultation_id, number=number),
                code=303,
            )
    if status == 200:
        values = {item.key: dict(item.text or {}) for item in round_.items}
    return (
        render_template(
            "consultations/questions.html",
            r=round_,
            c=round_.consultation,
            own_languages=languages,
            language_name=language_name,
            values=values,
            errors=errors,
            editable=round_.status is RoundStatus.draft,
            RoundStatus=RoundStatus,
        ),
        status,
    )


@bp.route("/<int:consultation_id>/plan", methods=["GET", "POST"])
@staff(Role.secretariat)
def plan(consultation_id: int):
    user = _user()
    consultation = services.get_consultation_for(user, consultation_id)
    form = PlanForm(data=consultation.plan if request.method == "GET" else None)
    if request.method == "GET":
        form.show_rules(consultation.plan or {})
    status = 200
    if request.method == "POST" and consultation.plan_locked:
        try:
            # the audit record of the refused change is kept
            with unit_of_work(keep_on=(PlanLockedError,)):
                services.update_plan(consultation, consultation.plan, by=user)
        except PlanLockedError as exc:
            flash(refusal_text(exc), "error")
            return redirect(url_for(".plan", consultation_id=consultation_id), code=303)
    if form.is_submitted():
        # every problem at once: the form's own, and the plan's for the fields without one
        form.validate()
        data = form.plan_data(consultation.plan or {})
        if any(f.errors for f in form):
            _show_plan_problems(form, plan_problems(data, rating_scales(consultation)))
            status = 422
        else:
            try:
                with unit_of_work():
                    services.update_plan(consultation, data, by=user)
            except InvalidInput as exc:
                _show_plan_problems(form, exc.problems)
                status = 422
            else:
                flash(_("Analysis plan saved."), "info")
                return redirect(url_for(".show", consultation_id=consultation_id), code=303)
    titles = [
        ("consensus_in", _("Agreement that an item matters")),
        ("consensus_out", _("Agreement that an item does not matter")),
        ("consensus_mid", _("Agreement on a middle position")),
        ("stability_rule", _("Stability between rounds")),
    ]
    return (
        render_template(
            "consultations/plan.html",
            form=form,
            c=consultation,
            rule_choices=RULE_CHOICES,
            rule_titles=titles,
        ),
        status,
    )


def _show_plan_problems(form: PlanForm, problems) -> None:
    """Each problem beside its field (a field with a problem of the form already keeps it)."""
    for problem in problems:
        name = problem.key or ""
        if name in RULE_CHOICES:
            target = form.rule_field(name)
        elif name in form.FIELDS:
            target = form[name]
        else:  # a field not on this page: shown at the top of the plan
            target = form.consensus_in_choice
        if name in form.FIELDS and target.errors:
            continue  # the form's own problem of the field says more
        target.errors = [*target.errors, problem_message(problem)]


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


#: The round actions that cannot be undone, each asked for on a page of its own first.
CONFIRMED_ACTIONS = ("open", "close", "release")


@bp.get("/<int:consultation_id>/rounds/<int:number>/<any(open, close, release):action>")
@staff(Role.secretariat)
def confirm_round_action(consultation_id: int, number: int, action: str):
    """What an irreversible round action does, with warnings, and the button that does it."""
    round_ = services.get_round_for(_user(), consultation_id, number)
    consultation = round_.consultation
    allowed = {
        "open": RoundStatus.draft,
        "close": RoundStatus.open,
        "release": RoundStatus.closed,
    }[action]
    if round_.status is not allowed:
        return redirect(url_for(".show", consultation_id=consultation_id), code=303)
    active = panel_services.active_panellist_count(consultation)
    plan = plan_of(consultation)
    return render_template(
        "consultations/confirm_round.html",
        c=consultation,
        r=round_,
        action=action,
        active=active,
        default_plan=plan.sha256() in {AnalysisPlan().sha256(), AnalysisPlan.new().sha256()},
        locks_plan=round_.number == 1 and not consultation.plan_locked,
        deadline_form=DeadlineForm(formdata=None),
        back_url=url_for(".show", consultation_id=consultation_id),
    )


@bp.route("/<int:consultation_id>/rounds/<int:number>/open", methods=["POST"])
@staff(Role.secretariat)
def open_round(consultation_id: int, number: int):
    services.get_round_for(_user(), consultation_id, number)  # another council's: 404 first
    deadline = _deadline()
    if deadline is None:
        return redirect(
            url_for(
                ".confirm_round_action",
                consultation_id=consultation_id,
                number=number,
                action="open",
            ),
            code=303,
        )
    invite = request.form.get("invite") == "1"
    opened: dict[str, object] = {}

    def act(round_, user):
        services.open_round(round_, by=user, as_of=utcnow(), deadline=deadline)
        opened["round"] = round_
        return _(
            "Round %(n)s is open until %(d)s.", n=number, d=format_date(deadline, format="long")
        )

    response = _round_action(consultation_id, number, act)
    if invite and "round" in opened:
        consultation = services.get_consultation_for(_user(), consultation_id)
        round_ = services.get_round_for(_user(), consultation_id, number)
        try:
            report = send_round_mail(consultation, round_, MailKind.invitation)
        except DomainError as exc:
            flash(_("No invitations were sent: %(reason)s", reason=refusal_text(exc)), "error")
        else:
            flash_send_report(report, MailKind.invitation)
    return response


@bp.route("/<int:consultation_id>/rounds/<int:number>/extend", methods=["POST"])
@staff(Role.secretariat)
def extend_round(consultation_id: int, number: int):
    services.get_round_for(_user(), consultation_id, number)  # another council's: 404 first
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
