"""The panellist's page: the open round's questions, drafts, submission and feedback.

``GET /r`` shows the current round of the panellist's consultation; ``POST /r`` saves a draft
(303 back to ``/r``) or submits (303 to ``/r/submitted``, which lists what was saved). The
language switcher of the page is part of the form: choosing a language saves the answers as a
draft and shows them in that language. Nothing a panellist typed is ever thrown away:
a refused request (stale CSRF token, expired session, round closed meanwhile, invalid
answers) shows the form again with every posted answer filled in (SECURITY.md S9).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, format_date, refresh
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, same_origin, validate_csrf
from itsdangerous import BadData, URLSafeTimedSerializer
from wtforms.validators import ValidationError

from app.answering.feedback import answer_lines, carried_answers, round_feedback
from app.answering.forms import answers_to_formdata, build_round_form, form_to_answers
from app.auth.models import Role
from app.auth.policy import panellist as panellist_only
from app.auth.policy import public, staff
from app.consultations.keys import StudyKeyMissing
from app.consultations.models import ConsultationStatus, ResponseStatus, Round, RoundStatus
from app.consultations.responses import (
    RoundNotOpen,
    SubmissionConflict,
    answer_problems,
    own_answers,
    own_response,
    save_response,
)
from app.consultations.services import get_round_for
from app.consultations.wording import round_description, round_title
from app.errors import InvalidInput, NotAllowed, StateError, render_error
from app.extensions import csrf, db
from app.formatting import language_name, localized
from app.i18n import refusal_text
from app.panels.models import Panellist
from app.panels.panellists import consultation_languages, default_language
from app.panels.tokens import active_invitation
from app.questionnaires.spec import Item as SpecItem
from app.unit import run_unit

bp = Blueprint("answering", __name__)

# The answering form checks its CSRF token itself (``_csrf_problem``): a missing or stale
# token must re-show the answers for confirmation, not end in a bare 400 that loses them.
csrf.exempt(bp)

#: The literal path invitation links redirect to.
ANSWER_PATH = "/r"
#: Where a submission lands: what was saved, and until when it can be changed.
SUBMITTED_PATH = "/r/submitted"
RESUME_SALT = "answering-resume"
#: How long a form may sit open and still be saved after its session expired.
RESUME_MAX_AGE = timedelta(days=7)


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# ----------------------------------------------------------------------------- helpers


def _resume_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=RESUME_SALT)


def resume_ticket(panellist_id: int, round_id: int, invitation_id: int | None) -> str:
    """A signed ticket that lets this form be saved after the session expired.

    It names the panellist, the round and the link's record only; never the invitation token.
    It stops working when that link is revoked or replaced."""
    return _resume_serializer().dumps({"p": panellist_id, "r": round_id, "i": invitation_id})


def _may_answer(panellist: Panellist | None, invitation_id: object) -> bool:
    """Active panellist whose session (or ticket) came from the link that is still active.

    A revoked or replaced link ends the sessions opened with it."""
    return (
        panellist is not None
        and panellist.active
        and invitation_id is not None
        and getattr(active_invitation(panellist), "id", None) == invitation_id
    )


def _read_resume(ticket: str) -> tuple[Panellist, int, int] | None:
    """(panellist, round id, invitation id) of a valid resume ticket, else None."""
    if not ticket:
        return None
    try:
        data = _resume_serializer().loads(ticket, max_age=int(RESUME_MAX_AGE.total_seconds()))
        panellist_id, round_id, invitation_id = int(data["p"]), int(data["r"]), int(data["i"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    panellist = db.session.get(Panellist, panellist_id)
    if not _may_answer(panellist, invitation_id):
        return None
    return panellist, round_id, invitation_id


def _session_panellist() -> Panellist | None:
    panellist_id = session.get("panellist_id")
    if panellist_id is None:
        return None
    panellist = db.session.get(Panellist, panellist_id)
    if not _may_answer(
        panellist, session.get("invitation_id")
    ) or panellist.consultation_id != session.get("consultation_id"):
        return None
    return panellist


def _start_session(panellist: Panellist, invitation_id: int) -> None:
    lang = session.get("lang")
    session.clear()
    session["panellist_id"] = panellist.id
    session["consultation_id"] = panellist.consultation_id
    session["invitation_id"] = invitation_id
    if lang:
        session["lang"] = lang
    session.permanent = True


def _ended():
    session.pop("panellist_id", None)
    session.pop("consultation_id", None)
    return render_error(
        403,
        _(
            "Your session has ended and this page can no longer be saved. Please open the "
            "personal link from your invitation e-mail again."
        ),
    )


def _content_language(panellist: Panellist, switch: str | None = None) -> str:
    """Language of questions and interface: ``switch`` (the page's language buttons), ?lang=,
    the one chosen before, the panellist's."""
    languages = list(current_app.config["LANGUAGES"])
    wanted = switch if switch in languages else request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
    elif session.get("lang") not in languages and panellist.language in languages:
        session["lang"] = panellist.language
    refresh()  # the interface locale follows the session from here on
    return session.get("lang") or panellist.language


def _open_round(panellist: Panellist) -> Round | None:
    return next((r for r in panellist.consultation.rounds if r.status is RoundStatus.open), None)


def _posted_round(panellist: Panellist, round_id: Any) -> Round | None:
    """The round the posted form was made for (one of the panellist's consultation)."""
    try:
        wanted = int(round_id)
    except (TypeError, ValueError):
        return _open_round(panellist)
    return next((r for r in panellist.consultation.rounds if r.id == wanted), None)


def _deadline(round_: Round) -> str | None:
    return format_date(round_.deadline, format="long") if round_.deadline else None


def _csrf_problem() -> str | None:
    """Why the posted CSRF token is not acceptable, or None when it is."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        return str(exc.args[0]) if exc.args else "invalid"
    strict = request.is_secure and current_app.config.get("WTF_CSRF_SSL_STRICT", True)
    if strict and not (
        request.referrer and same_origin(request.referrer, f"https://{request.host}/")
    ):
        return "referrer"
    return None


def _fresh_submission_id() -> str:
    return str(uuid.uuid4())


def _posted_submission_id(value: str | None) -> str:
    try:
        return str(uuid.UUID(value or ""))
    except ValueError:
        return _fresh_submission_id()


@dataclass
class PageState:
    """What the page says besides the form."""

    submitted: bool = False
    has_draft: bool = False
    #: The round is no longer open: no buttons, the answers are shown to copy.
    closed: bool = False
    #: Message asking to press the button again (CSRF / session expiry).
    confirm: str | None = None
    notice: str | None = None
    problems: list[str] | None = None
    #: Number of the round whose answers are filled in for the panellist to confirm.
    prefilled_from: int | None = None
    #: The secretariat's preview: the page as a panellist sees it, saving nothing.
    preview: bool = False


@dataclass
class Page:
    """One rendering of the round: the panellist, round, language, feedback and form."""

    panellist: Panellist
    round_: Round
    lang: str
    feedback: dict[str, Any]
    form: Any


def _page(panellist: Panellist, round_: Round, lang: str, formdata) -> Page:
    feedback = round_feedback(round_, panellist, lang)
    form_cls = build_round_form(list(round_.items), lang, feedback_keys=frozenset(feedback))
    return Page(panellist, round_, lang, feedback, form_cls(formdata=formdata))


def _render(page: Page, state: PageState, status: int = 200):
    panellist, round_, form, lang = page.panellist, page.round_, page.form, page.lang
    consultation = round_.consultation
    form.submission_id.data = _fresh_submission_id()
    if not form.base_submission.data:
        stored = own_response(round_, panellist)
        form.base_submission.data = (stored.submission_id if stored else None) or "new"
    form.round_id.data = str(round_.id)
    form.resume.data = resume_ticket(panellist.id, round_.id, session.get("invitation_id"))
    body = render_template(
        "answering/round.html",
        consultation=consultation,
        round_=round_,
        form=form,
        lang=lang,
        questionnaire_title=round_title(round_, lang),
        questionnaire_description=round_description(round_, lang),
        deadline=_deadline(round_),
        feedback=page.feedback,
        state=state,
        csrf_value=generate_csrf(),
    )
    return body, status


# ----------------------------------------------------------------------------- views


@bp.errorhandler(403)
def _forbidden(exc):
    # GET /r without a panellist session (expired, or never opened through a link).
    return render_error(
        403,
        _(
            "This page is for panellists. Please open the personal link from your "
            "invitation e-mail; it brings you back to your answers."
        ),
    )


@bp.get(ANSWER_PATH)
@panellist_only
def show():
    """The open round's questions, filled with the panellist's saved answers."""
    panellist = _session_panellist()
    if panellist is None:
        return _ended()
    lang = _content_language(panellist)
    round_ = _open_round(panellist)
    if round_ is None:
        return _no_open_round(panellist, lang)
    response = own_response(round_, panellist)
    state = PageState(
        submitted=response is not None and response.status is ResponseStatus.submitted,
        has_draft=response is not None and response.status is ResponseStatus.draft,
    )
    if response is not None:
        answers = own_answers(round_, panellist)
    else:
        # Nothing saved in this round yet: the answers of the round before, to confirm.
        answers = carried_answers(round_, panellist)
        if answers:
            state.prefilled_from = round_.number - 1
    page = _page(panellist, round_, lang, answers_to_formdata(answers))
    return _render(page, state)


def _untouched(answers: dict, panellist: Panellist, round_: Round, lang: str) -> bool:
    """Whether the posted answers are what the page showed before anything was typed: blank,
    or the previous round's answers it filled in (the panellist has confirmed nothing)."""
    if all(a.is_blank() and not a.rationale for a in answers.values()):
        return True
    carried = carried_answers(round_, panellist)
    if not carried:
        return False
    shown = _page(panellist, round_, lang, answers_to_formdata(carried)).form
    return answers == form_to_answers(shown, list(round_.items))


@bp.get(SUBMITTED_PATH)
@panellist_only
def submitted():
    """What the panellist submitted to the open round, and until when it can be changed."""
    panellist = _session_panellist()
    if panellist is None:
        return _ended()
    lang = _content_language(panellist)
    round_ = _open_round(panellist)
    response = own_response(round_, panellist) if round_ is not None else None
    if response is None or response.status is not ResponseStatus.submitted:
        return redirect(ANSWER_PATH, code=303)
    answers = own_answers(round_, panellist)
    lines = []
    for number, item in enumerate(round_.items, 1):
        spec = SpecItem.from_dict(item.spec)
        answer = answers.get(item.key)
        if item.type.value == "text" and (answer is None or answer.is_blank()):
            continue  # open questions are optional: no "you did not answer" for them
        lines.append((number, spec.text_for(lang), answer_lines(spec, answer, lang)))
    consultation = round_.consultation
    return render_template(
        "answering/submitted.html",
        consultation=consultation,
        round_=round_,
        questionnaire_title=round_title(round_, lang),
        saved_message=_saved_message(round_, submitted=True),
        answers=lines,
    )


def _no_open_round(panellist: Panellist, lang: str):
    consultation = panellist.consultation
    spec = consultation.questionnaire.spec
    started = [r for r in consultation.rounds if r.status is not RoundStatus.draft]
    last = started[-1] if started else None
    if last is None:
        state = "not-started"
    elif last.status is RoundStatus.closed:
        state = "closed"
    else:
        state = "released"
    return render_template(
        "answering/no_round.html",
        consultation=consultation,
        questionnaire_title=localized(spec.get("title"), lang, spec.get("default_language", "en")),
        last=last,
        state=state,
        finished=consultation.status is ConsultationStatus.finished,
    )


# POST /r is declared @public on purpose: a panellist whose session expired while the form
# was open must not lose what they typed. The view itself admits only a live panellist
# session, or a signed resume ticket from the form (at most 7 days old, panellist active,
# invitation not revoked), which restores the session and asks to confirm; anything else
# gets 403. GET /r stays @panellist.
@bp.post(ANSWER_PATH)
@public
def save():
    """Save a draft or submit; 303 back to /r, or the form again with the reason."""
    restored = False
    ticket_round: int | None = None
    panellist = _session_panellist()
    if panellist is None:
        if session.get("panellist_id") is not None:
            return _ended()  # the session's panellist may no longer answer
        resumed = _read_resume(request.form.get("resume", ""))
        if resumed is None:
            return _ended()
        panellist, ticket_round, invitation_id = resumed
        _start_session(panellist, invitation_id)
        restored = True
    switch = request.form.get("switch_lang")
    if switch not in current_app.config["LANGUAGES"]:
        switch = None
    lang = _content_language(panellist, switch)
    wanted = ticket_round if restored else request.form.get("round_id")
    round_ = _posted_round(panellist, wanted)
    if round_ is None:
        return redirect(ANSWER_PATH, code=303)
    stored = own_response(round_, panellist)
    state = PageState(
        submitted=stored is not None and stored.status is ResponseStatus.submitted,
        has_draft=stored is not None and stored.status is ResponseStatus.draft,
    )
    page = _page(panellist, round_, lang, request.form)
    form = page.form
    action = request.form.get("action")
    if switch is not None:
        action = "draft"
    elif action not in ("draft", "submit"):
        action = "submit" if state.submitted else "draft"
    submit = action == "submit"
    if switch is not None and state.submitted:
        button = _("Submit changes")
    elif not submit:
        button = _("Save draft")
    elif state.submitted:
        button = _("Submit changes")
    else:
        button = _("Submit")

    if restored or _csrf_problem() is not None:
        # Nothing is saved: the same answers come back with a fresh token for one more press.
        state.confirm = _(
            "For your security please confirm: press “%(button)s” again.", button=button
        )
        return _render(page, state, status=400)
    if round_.status is not RoundStatus.open:
        return _closed(page, state)
    if switch is not None and state.submitted:
        # Submitted answers change only by "Submit changes": the page comes back in the new
        # language with what was typed, nothing saved.
        if not form.check(submit=False):
            _check_rules(form, round_, submit=False)
        state.notice = _(
            "The page is now in your language. Changes you made are not saved yet: press "
            "“Submit changes” to save them."
        )
        return _render(page, state)
    if not form.check(submit=submit):
        # Every problem at once: the rules of an answer too, not only what is missing.
        _check_rules(form, round_, submit=submit)
        return _render(page, state, status=422)

    answers = form_to_answers(form, list(round_.items))
    if switch is not None and stored is None and _untouched(answers, panellist, round_, lang):
        return redirect(ANSWER_PATH, code=303)  # nothing typed: no draft, not "started"
    submission_id = _posted_submission_id(form.submission_id.data)
    try:
        # run again whole on a deadlock or serialization failure (PostgreSQL): the answers
        # and the submission id are the same, so a retry stores them once
        result = run_unit(
            lambda: save_response(
                round_,
                panellist,
                answers,
                submission_id=submission_id,
                submit=submit,
                base_submission_id=form.base_submission.data or None,
            )
        )
    except RoundNotOpen:
        return _closed(page, state)
    except InvalidInput as exc:
        state.problems = form.add_problems(exc.problems) or None
        return _render(page, state, status=422)
    except SubmissionConflict:
        # Another window or device saved newer answers since this page was opened (or this
        # very form was sent before with other answers). Nothing is overwritten, and nothing
        # typed here is lost: the page comes back with these answers, now based on what is
        # stored, so that pressing the button again replaces the other answers knowingly.
        form.base_submission.data = None
        state.notice = _(
            "Your answers were changed in another window or on another device since this "
            "page was opened. The answers below, from this page, were not saved. Press "
            "“%(button)s” again to replace the saved answers with them, or reload the page "
            "to see the saved answers.",
            button=button,
        )
        return _render(page, state, status=409)
    except (StudyKeyMissing, NotAllowed):
        raise
    except StateError as exc:
        state.notice = refusal_text(exc)
        return _render(page, state, status=409)

    # Nothing naming the panellist is written beside the response (SECURITY.md 2.3): who has
    # submitted is worked out from pseudonyms, and written for everyone when the round closes.
    if result.status is ResponseStatus.submitted:
        return redirect(SUBMITTED_PATH, code=303)
    flash(_saved_message(round_, submitted=False), "info")
    return redirect(ANSWER_PATH, code=303)


def _check_rules(form, round_: Round, *, submit: bool) -> None:
    """Put the answer service's rules (ranges, bounds, repeated places...) on the fields
    beside the form's own findings, so that one press shows every problem."""
    items = {item.key: item for item in round_.items}
    answers = form_to_answers(form, list(round_.items))
    problems = [
        problem
        for key, answer in answers.items()
        for problem in answer_problems(items[key], answer, draft=not submit)
    ]
    form.add_problems(problems, beside=True)


def _saved_message(round_: Round, submitted: bool) -> str:
    if not submitted:
        return _("Draft saved. You can continue later, on this or another device.")
    deadline = _deadline(round_)
    if deadline:
        return _(
            "Thank you, your answers are submitted. You can change them until the round "
            "closes on %(date)s.",
            date=deadline,
        )
    return _("Thank you, your answers are submitted. You can change them until the round closes.")


def _closed(page: Page, state: PageState):
    """The round closed meanwhile: show what was posted (nothing saved), without buttons."""
    db.session.refresh(page.round_)
    state.closed = True
    state.notice = _(
        "Round %(n)d is closed: answers can no longer be sent. Your saved draft is kept; "
        "what you see below was not saved.",
        n=page.round_.number,
    )
    return _render(page, state, status=409)


# ----------------------------------------------------------------------------- preview


@bp.route(
    "/staff/consultations/<int:consultation_id>/rounds/<int:number>/preview",
    methods=["GET", "POST"],
)
@staff(Role.secretariat)
def preview(consultation_id: int, number: int):
    """A round exactly as a panellist sees it, in any of its languages, before or while it is
    open: the buttons check the answers (every problem at once) and save nothing."""
    round_ = get_round_for(current_user._get_current_object(), consultation_id, number)
    consultation = round_.consultation
    languages = consultation_languages(consultation)
    wanted = request.form.get("switch_lang") or request.args.get("lang")
    lang = wanted if wanted in languages else default_language(consultation)
    feedback = round_feedback(round_, None, lang)
    form_cls = build_round_form(list(round_.items), lang, feedback_keys=frozenset(feedback))
    state = PageState(preview=True)
    status = 200
    if request.method == "POST":
        if _csrf_problem() is not None:
            abort(400)
        form = form_cls(formdata=request.form)
        if not request.form.get("switch_lang"):
            submit = request.form.get("action") != "draft"
            if not form.check(submit=submit):
                _check_rules(form, round_, submit=submit)
                status = 422
            else:
                state.notice = _("These answers would be accepted. Nothing is saved in a preview.")
    else:
        form = form_cls(formdata=None)
    form.round_id.data = str(round_.id)
    with force_locale(lang):
        body = render_template(
            "answering/round.html",
            consultation=consultation,
            round_=round_,
            form=form,
            lang=lang,
            questionnaire_title=round_title(round_, lang),
            questionnaire_description=round_description(round_, lang),
            deadline=_deadline(round_),
            feedback=feedback,
            state=state,
            csrf_value=generate_csrf(),
            form_action=url_for(
                "answering.preview", consultation_id=consultation_id, number=number
            ),
            preview_languages=[(code, language_name(code)) for code in languages],
            back_url=url_for("consultations.show", consultation_id=consultation_id),
        )
    return body, status
