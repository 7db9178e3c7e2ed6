"""Panel pages of the secretariat, and the invitation link that starts a panellist session.

Every POST ends in a 303 redirect with a message, or re-renders its form with the errors
(422; 413 for an upload beyond a size, count, time or quota limit). The one exception is the
mail-merge download, which answers the file itself: its links are made at that moment and
cannot be made again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse as parse_limit
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BuildError

from app.audit.services import record
from app.auth.models import Role
from app.auth.policy import enforce_policy, public, staff
from app.consultations.models import Consultation, Round, StakeholderGroup
from app.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    UploadRefused,
    render_error,
    too_large_message,
)
from app.extensions import db, limiter
from app.formatting import count, data_size, language_name, word_list
from app.i18n import LANGUAGE_NAMES, problem_message, problem_text, refusal_text
from app.panels import services
from app.panels.forms import (
    GROUP_LABELS,
    ActionForm,
    EditPanellistForm,
    PanellistForm,
    QuotaForm,
    UploadForm,
    group_label,
    quota_field,
)
from app.panels.parse import (
    MAX_ROWS,
    ON_PANEL_CHOICES,
    REPEATED_CHOICES,
    Conflict,
    Decisions,
    PanelPreview,
    PanelRow,
)
from app.panels.services import MailKind
from app.panels.tokens import active_invitation, redeem, revoke_invitation
from app.panels.tracking import tracking as tracking_of
from app.problems import Problem
from app.unit import end_reads, unit_of_work

bp = Blueprint("panels", __name__)

#: Panellists listed per page.
PER_PAGE = 100
#: Conflicts, and rows with a fallback language, listed on the preview page.
PREVIEW_LIST = 200
#: Where a panellist goes after the invitation link: the answering page.
ANSWER_PATH = "/r"

_PANEL = "/staff/consultations/<int:consultation_id>/panel"


def _by() -> Any:
    return current_user._get_current_object()


#: Ids beyond a 32-bit integer exist nowhere (and PostgreSQL refuses to compare with them).
MAX_ID = 2**31 - 1


def _consultation(consultation_id: int) -> Consultation:
    if consultation_id > MAX_ID:
        raise NotFound("no such consultation")
    return services.get_consultation_for(_by(), consultation_id)


def _panellist(consultation: Consultation, panellist_id: int):
    if panellist_id > MAX_ID:
        raise NotFound("no such panellist")
    return services.get_panellist_for(consultation, panellist_id)


def _panel_url(consultation_id: int, **anchor: Any) -> str:
    return url_for("panels.panel", consultation_id=consultation_id, **anchor)


def _back_url(consultation: Consultation) -> str | None:
    try:
        return url_for("consultations.show", consultation_id=consultation.id)
    except BuildError:
        return None


def _language_choices(consultation: Consultation) -> list[tuple[str, str]]:
    return [
        (code, LANGUAGE_NAMES.get(code, code))
        for code in services.consultation_languages(consultation)
    ]


def _panellist_form(consultation: Consultation, *, fresh: bool = False) -> PanellistForm:
    """The add form: as posted, or (``fresh``) empty with the default language."""
    form = PanellistForm(prefix="add", formdata=None) if fresh else PanellistForm(prefix="add")
    form.language.choices = _language_choices(consultation)
    if fresh:
        form.language.data = services.default_language(consultation)
    return form


def _quota_form(consultation: Consultation, *, fresh: bool = False) -> QuotaForm:
    """The targets form: as posted, or (``fresh``) filled with the current targets."""
    form = QuotaForm(prefix="quota", formdata=None) if fresh else QuotaForm(prefix="quota")
    if fresh:
        for gap in services.quota_gaps(consultation):
            quota_field(form, gap.group).data = gap.target
    return form


def _render_panel(
    consultation: Consultation,
    *,
    add_form: PanellistForm | None = None,
    upload_form: UploadForm | None = None,
    quota_form: QuotaForm | None = None,
    status: int = 200,
):
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)
    round_ = services.current_round(consultation)
    total, rows = services.panel_rows(
        consultation, round_, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
    )
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    if page > pages:  # past the end: show the last page
        page = pages
        total, rows = services.panel_rows(
            consultation, round_, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
        )
    return (
        render_template(
            "panels/panel.html",
            language_notes=_language_notes(consultation),
            language_name=language_name,
            consultation=consultation,
            back_url=_back_url(consultation),
            round_=round_,
            open_round=services.open_round_of(consultation),
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            gaps=services.quota_gaps(consultation),
            add_form=add_form or _panellist_form(consultation, fresh=True),
            upload_form=upload_form or UploadForm(prefix="upload", formdata=None),
            quota_form=quota_form or _quota_form(consultation, fresh=True),
            action_form=ActionForm(formdata=None),  # renders a token; never reads the request
            group_label=group_label,
            quota_field=quota_field,
            max_rows=count(MAX_ROWS),
            max_size=data_size(services.max_upload_bytes(), limit=True),
        ),
        status,
    )


def _language_notes(consultation: Consultation) -> list[str]:
    """ "3 panellists read Greek, French or Polish; the questionnaire offers English and
    German: they receive English.", per language received instead."""
    offered = word_list([language_name(c) for c in services.consultation_languages(consultation)])
    return [
        ngettext(
            "%(count)s panellist reads %(stated)s; the questionnaire offers %(offered)s: they "
            "receive %(served)s.",
            "%(count)s panellists read %(stated)s; the questionnaire offers %(offered)s: they "
            "receive %(served)s.",
            gap.count,
            count=count(gap.count),
            stated=word_list(sorted(language_name(c) for c in gap.stated), style="or"),
            offered=offered,
            served=language_name(gap.served),
        )
        for gap in services.language_gaps(consultation)
    ]


def _details(form) -> tuple[str, str, str, str, str]:
    """A panellist form's name, address, organisation, group and language, as posted."""
    return (
        form.name.data or "",
        form.email.data or "",
        form.organisation.data or "",
        form.stakeholder_group.data or "",
        form.language.data or "",
    )


def _all_problems(form, consultation: Consultation, editing=None) -> None:
    """After the form's own checks failed, add the service's problems for the fields the
    form found nothing wrong with, so that every problem is reported at once."""
    token = getattr(form, "csrf_token", None)
    if token is not None and token.errors:
        return
    problems = services.panellist_problems(consultation, *_details(form), editing=editing)
    _field_errors(form, [p for p in problems if not (p.key in form and form[p.key].errors)])


def _field_errors(form, problems: list[Problem]) -> None:
    """Attach a service's problems to the form fields their ``field`` names."""
    for problem in problems:
        if problem.key and problem.key in form:
            form[problem.key].errors.append(problem_message(problem))
        else:
            form.form_errors.append(problem_text(problem))


# ----------------------------------------------------------------------------- panel


@bp.get(_PANEL)
@staff(Role.secretariat)
def panel(consultation_id: int):
    return _render_panel(_consultation(consultation_id))


@bp.post(_PANEL + "/add")
@staff(Role.secretariat)
def add(consultation_id: int):
    consultation = _consultation(consultation_id)
    form = _panellist_form(consultation)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                panellist = services.add_panellist(
                    consultation,
                    *_details(form),
                    by=_by(),
                )
                name = panellist.name
        except InvalidInput as exc:
            _field_errors(form, exc.problems)
        else:
            flash(_("%(name)s was added to the panel.", name=name), "success")
            return redirect(_panel_url(consultation_id), code=303)
    else:
        _all_problems(form, consultation)
    return _render_panel(_consultation(consultation_id), add_form=form, status=422)


@bp.post(_PANEL + "/quotas")
@staff(Role.secretariat)
def quotas(consultation_id: int):
    consultation = _consultation(consultation_id)
    form = _quota_form(consultation)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                for group in StakeholderGroup:
                    target = quota_field(form, group).data
                    services.set_quota(consultation, group, target, by=_by())
        except InvalidInput as exc:
            form.form_errors.extend(problem_text(p) for p in exc.problems)
        else:
            flash(_("The targets were saved."), "success")
            return redirect(_panel_url(consultation_id, _anchor="quotas"), code=303)
    return _render_panel(_consultation(consultation_id), quota_form=form, status=422)


# ----------------------------------------------------------------------------- upload


def _pending(consultation_id: int, upload_id: str) -> dict[str, Any] | None:
    pending = session.get("panel_upload")
    if (
        isinstance(pending, dict)
        and pending.get("id") == upload_id
        and pending.get("consultation_id") == consultation_id
    ):
        return pending
    return None


@bp.post(_PANEL + "/upload")
@staff(Role.secretariat)
def upload(consultation_id: int):
    consultation = _consultation(consultation_id)
    form = UploadForm(prefix="upload")
    if not form.validate_on_submit():
        return _render_panel(consultation, upload_form=form, status=422)
    storage = form.file.data
    filename = (storage.filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    data = storage.read()
    old = session.get("panel_upload")
    old = old if isinstance(old, dict) and isinstance(old.get("council_id"), int) else None
    replacing = old["id"] if old and old["council_id"] == consultation.council_id else None
    try:
        services.check_upload_room(consultation, len(data), replacing)
        preview = services.preview_panel_file(consultation, filename, data)
        if preview.importable:
            upload_id = services.keep_panel_upload(consultation, data, preview, replacing)
    except UploadRefused as exc:
        if exc.limit != "quota":
            form.file.errors.append(_("Nothing in this file can be imported."))
        form.file.errors.append(refusal_text(exc))
        return _render_panel(consultation, upload_form=form, status=exc.status_code)
    if not preview.importable:
        form.file.errors.append(_("Nothing in this file can be imported."))
        form.file.errors.extend(problem_text(p) for p in preview.problems[:20])
        if preview.problem_count > 20:
            form.file.errors.append(
                _("… and %(count)s more problems.", count=count(preview.problem_count - 20))
            )
        return _render_panel(consultation, upload_form=form, status=422)
    if old and not replacing:  # an upload kept for another council
        services.discard_panel_upload(old["council_id"], old.get("id"))
    session["panel_upload"] = {
        "id": upload_id,
        "consultation_id": consultation_id,
        "council_id": consultation.council_id,
        "filename": filename,
    }
    return redirect(
        url_for("panels.preview", consultation_id=consultation_id, upload_id=upload_id), code=303
    )


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(exc: RequestEntityTooLarge):
    """A request body beyond ``MAX_CONTENT_LENGTH`` (refused before the view, perhaps by the
    CSRF check): the upload form shows the limit, as for any other refused file, to whoever
    may see the panel page; everyone else gets the plain error page."""
    message = too_large_message()
    if request.endpoint == "panels.upload":
        try:
            allowed = enforce_policy() is None
            consultation = _consultation(int((request.view_args or {})["consultation_id"]))
        except (HTTPException, DomainError, KeyError, ValueError):
            allowed = False
        if allowed:
            form = UploadForm(prefix="upload", formdata=None)
            form.file.errors = [_("Nothing in this file can be imported."), message]
            return _render_panel(consultation, upload_form=form, status=413)
    return render_error(413, message)


@dataclass(frozen=True)
class ConflictChoice:
    """A conflict of the preview as its page shows it: the question and its answers."""

    conflict: Conflict
    #: Name of its radio buttons.
    field: str
    question: str
    #: (value, label): a row's number, or "skip".
    options: list[tuple[str, str]]
    #: The value posted, if any.
    chosen: str | None
    #: Posted without a decision.
    undecided: bool


def _row_details(row: PanelRow) -> str:
    parts = [row.name, row.organisation, group_label(row.stakeholder_group)]
    return " · ".join([p for p in parts if p] + [language_name(row.language)])


def _rows_text(rows: tuple[PanelRow, ...]) -> str:
    # row numbers as the spreadsheet shows them: not grouped
    return word_list([str(r.row) for r in rows])


def _conflict_choice(
    conflict: Conflict, panel: Mapping[str, Any], posted: Mapping[str, str], undecided: bool
) -> ConflictChoice:
    field = f"address-{conflict.first_row}"
    if conflict.on_panel:
        person = panel.get(conflict.key)
        name = person.name if person is not None else conflict.address
        if conflict.repeated:
            question = _(
                "Rows %(rows)s have the same e-mail address %(address)s, which is already on "
                "the panel (%(name)s).",
                rows=_rows_text(conflict.rows),
                address=conflict.address,
                name=name,
            )
        else:
            question = _(
                "Row %(row)s: the e-mail address %(address)s is already on the panel (%(name)s).",
                row=conflict.first_row,
                address=conflict.address,
                name=name,
            )
        options = [
            (
                str(r.row),
                _(
                    "Update %(name)s from row %(row)s: %(details)s",
                    name=name,
                    row=r.row,
                    details=_row_details(r),
                ),
            )
            for r in conflict.rows
        ] + [("skip", _("Skip: keep %(name)s as they are", name=name))]
    else:
        question = _(
            "Rows %(rows)s have the same e-mail address %(address)s.",
            rows=_rows_text(conflict.rows),
            address=conflict.address,
        )
        options = [
            (str(r.row), _("Keep row %(row)s: %(details)s", row=r.row, details=_row_details(r)))
            for r in conflict.rows
        ] + [("skip", _("Skip this address: import none of these rows"))]
    return ConflictChoice(conflict, field, question, options, posted.get(field) or None, undecided)


def _decisions(preview: PanelPreview, posted: Mapping[str, str]) -> Decisions:
    """The secretariat's choices for the preview's conflicts, as posted."""
    rows: dict[int, int | None] = {}
    for conflict in preview.conflicts:
        value = posted.get(f"address-{conflict.first_row}", "")
        if value == "skip":
            rows[conflict.first_row] = None
        elif value.isascii() and value.isdigit() and len(value) < 10:
            rows[conflict.first_row] = int(value)
    repeated = posted.get("repeated")
    on_panel = posted.get("on_panel")
    return Decisions(
        rows=rows,
        repeated=repeated if repeated in REPEATED_CHOICES else None,
        on_panel=on_panel if on_panel in ON_PANEL_CHOICES else None,
    )


def _render_preview(
    consultation: Consultation,
    pending: dict[str, Any],
    status: int = 200,
    posted: Mapping[str, str] | None = None,
):
    """The preview page; ``posted``: the import form as sent, when it is shown again."""
    preview = services.kept_panel_preview(consultation, pending["id"])
    if preview is None:
        session.pop("panel_upload", None)
        flash(_("The uploaded file has expired. Please upload it again."), "error")
        return redirect(_panel_url(consultation.id, _anchor="upload"), code=303)
    posted = posted or {}
    decisions = _decisions(preview, posted)
    shown = preview.conflicts[:PREVIEW_LIST]
    panel = services.panellists_by_email(consultation, [c.address for c in shown if c.on_panel])
    choices = [
        _conflict_choice(c, panel, posted, bool(posted) and not decisions.choice(c)[0])
        for c in shown
    ]
    languages = services.consultation_languages(consultation)
    fallback = posted.get("fallback_language")
    if fallback not in languages:
        fallback = services.default_language(consultation)
    fallback_rows = preview.fallback_rows()
    return (
        render_template(
            "panels/preview.html",
            consultation=consultation,
            back_url=_back_url(consultation),
            preview=preview,
            upload_id=pending["id"],
            action_form=ActionForm(),
            group_label=group_label,
            language_name=language_name,
            count=count,
            shown_rows=preview.valid_rows[:50],
            shown_problems=[problem_text(p) for p in preview.problems[:200]],
            notes=[problem_text(n) for n in preview.notes],
            choices=choices,
            repeated=any(c.repeated for c in preview.conflicts),
            on_panel=any(c.on_panel for c in preview.conflicts),
            posted=posted,
            offered=word_list([language_name(c) for c in languages]),
            languages=[(c, language_name(c)) for c in languages],
            fallback=fallback,
            fallback_rows=fallback_rows[:PREVIEW_LIST],
            fallback_count=len(fallback_rows),
            fallback_languages=word_list(
                sorted({language_name(r.language) for r in fallback_rows})
            ),
        ),
        status,
    )


@bp.get(_PANEL + "/upload/<upload_id>")
@staff(Role.secretariat)
def preview(consultation_id: int, upload_id: str):
    consultation = _consultation(consultation_id)
    pending = _pending(consultation_id, upload_id)
    if pending is None:
        flash(_("This upload is no longer available. Please upload the file again."), "error")
        return redirect(_panel_url(consultation_id, _anchor="upload"), code=303)
    return _render_preview(consultation, pending)


@bp.post(_PANEL + "/upload/<upload_id>/import")
@staff(Role.secretariat)
def import_rows(consultation_id: int, upload_id: str):
    consultation = _consultation(consultation_id)
    pending = _pending(consultation_id, upload_id)
    form = ActionForm()
    if pending is None or not form.validate_on_submit():
        flash(_("This upload is no longer available. Please upload the file again."), "error")
        return redirect(_panel_url(consultation_id, _anchor="upload"), code=303)
    preview_ = services.kept_panel_preview(consultation, upload_id)
    if preview_ is None:
        return _render_preview(consultation, pending)
    only_valid = request.form.get("mode") == "valid"
    fallback = request.form.get("fallback_language") or None
    council_id = consultation.council_id
    posted = request.form.to_dict()
    try:
        with unit_of_work() as work:
            report = services.import_panel(
                consultation,
                preview_,
                only_valid,
                by=_by(),
                decisions=_decisions(preview_, posted),
                fallback_language=fallback,
            )
            work.after_commit(lambda: services.discard_panel_upload(council_id, upload_id))
    except InvalidInput as exc:
        flash(problem_text(exc.problems[0]) if exc.problems else refusal_text(exc), "error")
        return _render_preview(_consultation(consultation_id), pending, 422, posted)
    session.pop("panel_upload", None)
    _flash_import(report, fallback or services.default_language(_consultation(consultation_id)))
    return redirect(_panel_url(consultation_id), code=303)


def _flash_import(report: services.ImportReport, fallback: str) -> None:
    flash(
        ngettext(
            "%(count)s panellist was imported.",
            "%(count)s panellists were imported.",
            report.added,
            count=count(report.added),
        ),
        "success",
    )
    if report.updated:
        flash(
            ngettext(
                "%(count)s panellist was updated from the file.",
                "%(count)s panellists were updated from the file.",
                report.updated,
                count=count(report.updated),
            ),
            "success",
        )
    if report.group_kept:
        flash(
            ngettext(
                "%(count)s panellist keeps their stakeholder group while the round is open: "
                "a panellist's group is fixed for a round. Import the file again after the "
                "round closes to change it.",
                "%(count)s panellists keep their stakeholder group while the round is open: "
                "a panellist's group is fixed for a round. Import the file again after the "
                "round closes to change it.",
                report.group_kept,
                count=count(report.group_kept),
            ),
            "info",
        )
    if report.fallback:
        flash(
            ngettext(
                "%(count)s panellist receives %(language)s, because the questionnaire does not "
                "offer their language.",
                "%(count)s panellists receive %(language)s, because the questionnaire does not "
                "offer their language.",
                report.fallback,
                count=count(report.fallback),
                language=language_name(fallback),
            ),
            "info",
        )


@bp.post(_PANEL + "/upload/<upload_id>/cancel")
@staff(Role.secretariat)
def cancel_upload(consultation_id: int, upload_id: str):
    consultation = _consultation(consultation_id)
    if _pending(consultation_id, upload_id) is not None and ActionForm().validate_on_submit():
        services.discard_panel_upload(consultation.council_id, upload_id)
        session.pop("panel_upload", None)
        flash(_("The upload was discarded; nothing was imported."), "info")
    return redirect(_panel_url(consultation_id, _anchor="upload"), code=303)


# ----------------------------------------------------------------------------- invitations


def flash_send_report(report: services.SendReport, kind: MailKind) -> None:
    if kind is MailKind.invitation:
        text = ngettext("%(num)d invitation was sent.", "%(num)d invitations were sent.", report)
    else:
        text = ngettext("%(num)d reminder was sent.", "%(num)d reminders were sent.", report)
    flash(text, "success" if report else "info")
    if report.refused:
        flash(
            _(
                "The mail server refused these addresses; their earlier links still work: %(list)s",
                list="; ".join(f"{a}: {refusal_text(why)}" for a, why in report.refused[:20]),
            ),
            "error",
        )
    if report.error:
        flash(
            _(
                "Sending stopped: %(reason)s. %(left)d e-mails were not sent; those panellists' "
                "earlier links still work.",
                reason=refusal_text(report.error),
                left=report.not_tried,
            ),
            "error",
        )


def send_round_mail(consultation: Consultation, round_: Round, kind: MailKind, panellists=None):
    """Prepare, then mail with no transaction open (SQLite's write lock is not held while
    the mail server works), then record what was delivered."""
    if kind is MailKind.invitation:
        outgoing = services.prepare_invitations(consultation, round_, panellists)
    else:
        outgoing = services.prepare_reminders(round_)
    consultation_id, round_id = consultation.id, round_.id
    end_reads()  # nothing was written: no transaction stays open while mailing
    delivery = services.deliver(outgoing)
    with unit_of_work():
        return services.record_delivery(
            db.session.get(Consultation, consultation_id),
            db.session.get(Round, round_id),
            delivery,
            kind,
            by=_by(),
        )


def _checked_action(consultation_id: int) -> Consultation | None:
    consultation = _consultation(consultation_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return None
    return consultation


@bp.post(_PANEL + "/invitations/send")
@staff(Role.secretariat)
def send(consultation_id: int):
    consultation = _checked_action(consultation_id)
    if consultation is None:
        return redirect(_panel_url(consultation_id, _anchor="invitations"), code=303)
    round_ = services.current_round(consultation)
    if round_ is None:
        flash(_("There is no draft or open round to invite panellists to."), "error")
        return redirect(_panel_url(consultation_id, _anchor="invitations"), code=303)
    panellists = None
    if request.form.get("scope") == "selected":
        ids = {
            int(v)
            for v in request.form.getlist("panellist")
            if v.isascii() and v.isdigit() and len(v) < 10
        }
        if not ids:
            flash(_("Select at least one panellist first."), "error")
            return redirect(_panel_url(consultation_id, _anchor="panellists"), code=303)
        panellists = [_panellist(consultation, pid) for pid in sorted(ids)]
    try:
        report = send_round_mail(consultation, round_, MailKind.invitation, panellists)
    except DomainError as exc:
        flash(_("No invitations were sent: %(reason)s", reason=refusal_text(exc)), "error")
    else:
        flash_send_report(report, MailKind.invitation)
    return redirect(_panel_url(consultation_id, _anchor="invitations"), code=303)


@bp.post(_PANEL + "/invitations/remind")
@staff(Role.secretariat)
def remind(consultation_id: int):
    consultation = _checked_action(consultation_id)
    if consultation is None:
        return redirect(_panel_url(consultation_id, _anchor="invitations"), code=303)
    round_ = services.open_round_of(consultation)
    if round_ is None:
        flash(_("Reminders can only be sent while a round is open."), "error")
        return redirect(_panel_url(consultation_id, _anchor="invitations"), code=303)
    try:
        report = send_round_mail(consultation, round_, MailKind.reminder)
    except DomainError as exc:
        flash(_("No reminders were sent: %(reason)s", reason=refusal_text(exc)), "error")
    else:
        flash_send_report(report, MailKind.reminder)
    return redirect(_panel_url(consultation_id, _anchor="invitations"), code=303)


@bp.post(_PANEL + "/invitations/export")
@staff(Role.secretariat)
def export(consultation_id: int):
    consultation = _checked_action(consultation_id)
    if consultation is None:
        return redirect(_panel_url(consultation_id, _anchor="invitations"), code=303)
    with unit_of_work():
        data = services.export_invitations_csv(consultation, by=_by())
    response = make_response(data)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="invitations-consultation-{consultation_id}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post(_PANEL + "/<int:panellist_id>/revoke")
@staff(Role.secretariat)
def revoke(consultation_id: int, panellist_id: int):
    consultation = _checked_action(consultation_id)
    if consultation is not None:
        panellist = _panellist(consultation, panellist_id)
        name = panellist.name
        with unit_of_work():
            count = revoke_invitation(panellist, by=_by())
        if count:
            flash(_("The link of %(name)s no longer works.", name=name), "success")
        else:
            flash(_("%(name)s had no active link.", name=name), "info")
    return redirect(_panel_url(consultation_id, _anchor="panellists"), code=303)


@bp.route(_PANEL + "/<int:panellist_id>/edit", methods=["GET", "POST"])
@staff(Role.secretariat)
def edit(consultation_id: int, panellist_id: int):
    consultation = _consultation(consultation_id)
    panellist = _panellist(consultation, panellist_id)
    if request.method == "GET":
        form = EditPanellistForm(prefix="edit", formdata=None, obj=panellist)
        form.stakeholder_group.data = panellist.stakeholder_group.value
    else:
        form = EditPanellistForm(prefix="edit")
    form.language.choices = _language_choices(consultation)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                with unit_of_work():
                    changed = services.update_panellist(
                        panellist,
                        *_details(form),
                        by=_by(),
                    )
                    name = panellist.name
            except InvalidInput as exc:
                _field_errors(form, exc.problems)
            else:
                if changed:
                    flash(_("The details of %(name)s were saved.", name=name), "success")
                else:
                    flash(_("Nothing was changed."), "info")
                return redirect(_panel_url(consultation_id, _anchor="panellists"), code=303)
        else:
            _all_problems(form, consultation, editing=panellist)
        panellist = _panellist(_consultation(consultation_id), panellist_id)
    return (
        render_template(
            "panels/edit.html",
            consultation=panellist.consultation,
            panellist=panellist,
            form=form,
            open_round=services.open_round_of(panellist.consultation),
            back_url=_panel_url(consultation_id, _anchor="panellists"),
        ),
        status,
    )


@bp.get(_PANEL + "/<int:panellist_id>/remove")
@staff(Role.secretariat)
def confirm_remove(consultation_id: int, panellist_id: int):
    consultation = _consultation(consultation_id)
    panellist = _panellist(consultation, panellist_id)
    return render_template(
        "panels/confirm.html",
        consultation=consultation,
        panellist=panellist,
        action="remove",
        invited=bool(panellist.invitations),
        back_url=_panel_url(consultation_id, _anchor="panellists"),
    )


@bp.post(_PANEL + "/<int:panellist_id>/remove")
@staff(Role.secretariat)
def remove(consultation_id: int, panellist_id: int):
    consultation = _checked_action(consultation_id)
    if consultation is not None:
        panellist = _panellist(consultation, panellist_id)
        name = panellist.name
        with unit_of_work():
            outcome = services.remove_panellist(panellist, by=_by())
        if outcome is services.Removal.deleted:
            flash(_("%(name)s was removed from the panel.", name=name), "success")
        else:
            flash(
                _(
                    "%(name)s is now inactive: their link no longer works and they get no more "
                    "mail. They stay counted in the rounds they were invited to.",
                    name=name,
                ),
                "success",
            )
    return redirect(_panel_url(consultation_id, _anchor="panellists"), code=303)


@bp.post(_PANEL + "/<int:panellist_id>/restore")
@staff(Role.secretariat)
def restore(consultation_id: int, panellist_id: int):
    consultation = _checked_action(consultation_id)
    if consultation is not None:
        panellist = _panellist(consultation, panellist_id)
        name = panellist.name
        with unit_of_work():
            services.restore_panellist(panellist, by=_by())
        flash(
            _("%(name)s is back on the panel. Send them a new link.", name=name),
            "success",
        )
    return redirect(_panel_url(consultation_id, _anchor="panellists"), code=303)


@bp.get(_PANEL + "/<int:panellist_id>/revoke")
@staff(Role.secretariat)
def confirm_revoke(consultation_id: int, panellist_id: int):
    consultation = _consultation(consultation_id)
    panellist = _panellist(consultation, panellist_id)
    return render_template(
        "panels/confirm.html",
        consultation=consultation,
        panellist=panellist,
        action="revoke",
        invited=True,
        back_url=_panel_url(consultation_id, _anchor="panellists"),
    )


@bp.post(_PANEL + "/<int:panellist_id>/reissue")
@staff(Role.secretariat)
def reissue(consultation_id: int, panellist_id: int):
    consultation = _checked_action(consultation_id)
    if consultation is None:
        return redirect(_panel_url(consultation_id, _anchor="panellists"), code=303)
    panellist = _panellist(consultation, panellist_id)
    round_ = services.current_round(consultation)
    if round_ is None:
        flash(_("There is no draft or open round to invite panellists to."), "error")
        return redirect(_panel_url(consultation_id, _anchor="panellists"), code=303)
    if not panellist.active:
        flash(_("This panellist is inactive."), "error")
        return redirect(_panel_url(consultation_id, _anchor="panellists"), code=303)
    try:
        report = send_round_mail(consultation, round_, MailKind.invitation, [panellist])
    except DomainError as exc:
        flash(_("No invitation was sent: %(reason)s", reason=refusal_text(exc)), "error")
    else:
        flash_send_report(report, MailKind.invitation)
    return redirect(_panel_url(consultation_id, _anchor="panellists"), code=303)


# ----------------------------------------------------------------------------- tracking


@bp.get("/staff/consultations/<int:consultation_id>/tracking")
@staff(Role.secretariat)
def tracking(consultation_id: int):
    consultation = _consultation(consultation_id)
    return render_template(
        "panels/tracking.html",
        consultation=consultation,
        back_url=_back_url(consultation),
        rounds=tracking_of(consultation),
        groups=list(GROUP_LABELS),
        group_label=group_label,
    )


# ----------------------------------------------------------------------------- invitation link


#: What the failed links of one address are counted under in the limiter's storage.
LINK_SCOPE = "invitation-link"


def _count_link_attempt() -> Callable[[], None] | None:
    """Count this link attempt against the address's limit (``INVITATION_RATE_LIMIT``) before
    the link is looked up, in one atomic step of the limiter's storage that every worker and
    instance shares: so however many guesses arrive at once, no more are looked up than the
    limit allows. None when the address is over its limit; else what gives the attempt back
    (a link that works is not a failure)."""
    if not limiter.enabled:
        return lambda: None
    item = parse_limit(current_app.config["INVITATION_RATE_LIMIT"])
    who = get_remote_address()
    if not limiter.limiter.hit(item, LINK_SCOPE, who):
        return None
    return lambda: limiter.limiter.hit(item, LINK_SCOPE, who, cost=-1)


@bp.get("/i")
@public
def redeem_link():
    """Exchange a personal link for a panellist session; answer 303 to a token-free page."""
    give_back = _count_link_attempt()
    if give_back is None:
        abort(429)
    panellist = redeem(request.args.get("t"))
    if panellist is not None:
        give_back()
    if panellist is None:
        with unit_of_work():
            record("invitation-link-refused", actor="anonymous")
        return render_template("panels/invalid_link.html"), 404
    # Nothing that names the panellist is written here: a time-stamped record of who opened
    # a link just before answering would line up with the order of the anonymous responses
    # (SECURITY.md P2). Opening a link is not "starting" either: mail scanners open them too.
    panellist_id, consultation_id, language = (
        panellist.id,
        panellist.consultation_id,
        panellist.language,
    )
    # the session lasts only while this link stays the panellist's active one
    invitation_id = active_invitation(panellist).id
    with unit_of_work():
        record(
            "panellist-session-started",
            actor="panellist",
            object_type="consultation",
            object_id=consultation_id,
        )
    session.clear()
    session["panellist_id"] = panellist_id
    session["consultation_id"] = consultation_id
    session["invitation_id"] = invitation_id
    if language in current_app.config["LANGUAGES"]:
        session["lang"] = language
    session.permanent = True
    return redirect(ANSWER_PATH, code=303)


@bp.after_request
def _link_headers(response):
    if request.endpoint == "panels.redeem_link":
        # The link's URL holds the token: never send it on as a Referer, never cache it.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response
