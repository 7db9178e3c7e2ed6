"""Brief pages: drafting (secretariat), review (officials), publication (publishers), history
and diffs (staff), and the permanent addresses of published versions (everyone).

Who may open a page is the route's policy; whether the brief or version is within the
actor's scope is the object policy, asked by the services (a draft outside it is 404 in
every format, published versions are public).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, gettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape

from app.auth.models import Role
from app.auth.policy import Act, decide, public, staff
from app.auth.policy import Decision as PolicyDecision
from app.briefs import mailing, services, words
from app.briefs.diff import diff_contents
from app.briefs.forms import (
    CHANGE_CLASS_LABELS,
    NARRATIVE_LABELS,
    ActionForm,
    ApproveForm,
    CommentForm,
    NewBriefForm,
    NewVersionForm,
    PublishForm,
    ReturnForm,
    narrative_form,
)
from app.briefs.models import (
    NARRATIVE_FIELDS,
    BriefComment,
    BriefStatus,
    BriefVersion,
    RenderStatus,
)
from app.briefs.readers import DEFAULT_VIEW, VIEW_FILES, VIEW_WORDS, VIEWS
from app.briefs.render import diff_html, preview_context
from app.briefs.rendering import progress, render_missing_later, render_outputs, start_rendering
from app.briefs.snapshot import content_of, figure_keys, typed
from app.charts.brief import brief_charts
from app.errors import DomainError, InvalidInput, NotAllowed, NotFound
from app.formatting import N_, date_text, language_name, word_list
from app.i18n import LANGUAGE_NAMES, problem_message, refusal_text
from app.portal import page_cache, shared_answers
from app.portal.caching import conditional
from app.portal.published import stored_file
from app.text import paragraphs
from app.unit import end_reads, unit_of_work

bp = Blueprint("briefs", __name__)

STAFF = "/staff/briefs"
VERSION = STAFF + "/<int:brief_id>/v/<int:number>"


def _user():
    return current_user._get_current_object()


def status_label(status: BriefStatus) -> str:
    return {
        BriefStatus.draft: _("draft"),
        BriefStatus.in_review: _("in review"),
        BriefStatus.approved: _("approved, waiting for publication"),
        BriefStatus.published: _("published"),
        BriefStatus.superseded: _("superseded"),
    }[status]


def render_label(status: RenderStatus) -> str:
    return {
        RenderStatus.none: _("not published yet"),
        RenderStatus.pending: _("waiting to be rendered"),
        RenderStatus.rendering: _("rendering…"),
        RenderStatus.ready: _("ready"),
        RenderStatus.failed: _("rendering failed"),
    }[status]


def target_names(content: dict[str, Any]) -> dict[str, str]:
    """What a person calls each thing a note may be put beside: a key fact's wording, a
    section's title, a chart's caption (never the internal key)."""
    brief = typed(content)
    if brief is None:
        return {}
    names = {key: _(words.FACT_WORDS[key]) for key in words.FACT_WORDS}
    names.update({key: _(title) for key, title in words.SECTION_TITLES.items()})
    names.update({chart.name: chart.caption for chart in brief_charts(brief)})
    return names


def target_label(target: str, kind: str, names: dict[str, str] | None = None) -> str:
    kinds = {
        "section": _("Note on the section %(name)s"),
        "fact": _("Note on the key fact %(name)s"),
        "chart": _("Note on the chart %(name)s"),
    }
    name = (names or {}).get(target) or target
    return kinds.get(kind, _("Note on %(name)s")) % {"name": name}


@bp.app_template_filter("paragraphs")
def _paragraphs(text: str | None) -> list[str]:
    return paragraphs(text)


@bp.app_context_processor
def _brief_words():
    return {
        "brief_status": status_label,
        "render_label": render_label,
        "render_progress": render_progress,
        "brief_files": brief_files,
        "written_in": written_in,
        "long_date": date_text,
        "language_name": language_name,
        "change_class_label": lambda c: str(CHANGE_CLASS_LABELS[c]) if c else "",
        "narrative_labels": NARRATIVE_LABELS,
        "narrative_fields": NARRATIVE_FIELDS,
        "BriefStatus": BriefStatus,
        "RenderStatus": RenderStatus,
    }


def _back_to(version: BriefVersion):
    return redirect(url_for(".version", brief_id=version.brief_id, number=version.number), code=303)


def _may(act: Act, obj) -> bool:
    return decide(_user(), act, obj) is PolicyDecision.allow


# ----------------------------------------------------------------------------- lists


@bp.route(STAFF + "/")
@staff()
def index():
    user = _user()
    return render_template(
        "briefs/index.html",
        briefs=services.briefs_for(user),
        consultations=services.draftable_consultations(user)
        if user.role is Role.secretariat
        else [],
    )


@bp.route(STAFF + "/review")
@staff(Role.official)
def review_queue():
    return render_template(
        "briefs/queue.html",
        versions=services.versions_in(BriefStatus.in_review),
        heading=_("Briefs to review"),
        empty=_("No brief is waiting for review."),
    )


@bp.route(STAFF + "/approved")
@staff(Role.publisher)
def approved_queue():
    user = _user()
    versions = services.versions_in(BriefStatus.approved)
    return render_template(
        "briefs/queue.html",
        versions=versions,
        heading=_("Approved briefs waiting for publication"),
        empty=_("No approved brief is waiting for publication."),
        mine={v.id for v in versions if v.author_id == user.id},
    )


@bp.route(STAFF + "/published")
@staff()
def published():
    return render_template(
        "briefs/queue.html",
        versions=services.versions_in(BriefStatus.published),
        heading=_("Published briefs"),
        empty=_("No brief is published yet."),
    )


# ----------------------------------------------------------------------------- drafting


@bp.route(STAFF + "/new", methods=["GET", "POST"])
@staff(Role.secretariat)
def new():
    user = _user()
    choices = services.draftable_consultations(user)
    form = NewBriefForm()
    form.consultation.choices = [(c.id, f"{c.title} ({c.council.name})") for c in choices]
    if request.method == "GET" and request.args.get("consultation", "").isdigit():
        form.consultation.data = int(request.args["consultation"])
    if not choices:
        flash(
            _("No consultation of your council is closed yet: a brief reports a closed one."),
            "info",
        )
        return redirect(url_for(".index"), code=303)
    status = 200
    if form.validate_on_submit():
        consultation = next((c for c in choices if c.id == form.consultation.data), None)
        if consultation is None:
            raise NotFound(N_("no such consultation"))
        try:
            with unit_of_work():
                version = services.create_draft(
                    consultation, by=user, title=form.title.data, contact=form.contact.data or ""
                )
        except InvalidInput as exc:
            _field_problems(form, exc)
            status = 422
        except DomainError as exc:
            form.consultation.errors = [*form.consultation.errors, refusal_text(exc)]
            status = 409
        else:
            flash(_("The brief is drafted. Write its narrative, then send it for review."), "info")
            return _back_to(version)
    elif request.method == "POST":
        status = 422
    return render_template("briefs/new.html", form=form), status


def _field_problems(form, exc: InvalidInput, fields: dict | None = None) -> None:
    """Put each problem beside the form field it names (the first field otherwise)."""
    fields = fields or {}
    for problem in exc.problems:
        key = problem.key or ""
        name = fields.get(key, key)
        target = form[name] if name in form else next(iter(form))
        target.errors = [*target.errors, problem_message(problem)]
    if not exc.problems:
        first = next(iter(form))
        first.errors = [*first.errors, refusal_text(exc)]


@bp.route(STAFF + "/<int:brief_id>")
@staff()
def show(brief_id: int):
    brief = services.get_brief_for(_user(), brief_id)
    versions = [v for v in brief.versions if _may(Act.view, v)]
    return render_template(
        "briefs/show.html",
        brief=brief,
        versions=versions,
        errata=services.errata(brief),
        may_run=_may(Act.run, brief),
        form=NewVersionForm(),
    )


@bp.route(STAFF + "/<int:brief_id>/versions", methods=["POST"])
@staff(Role.secretariat)
def new_version(brief_id: int):
    user = _user()
    brief = services.get_brief_for(user, brief_id, Act.run)
    form = NewVersionForm()
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            label = form[name].label.text if name in form else name
            flash(
                _("%(field)s: %(errors)s", field=label, errors=" ".join(map(str, errors))), "error"
            )
        return redirect(url_for(".show", brief_id=brief_id), code=303)
    try:
        with unit_of_work():
            version = services.new_version(
                brief,
                by=user,
                change_class=form.change_class.data,
                change_note=form.change_note.data,
            )
    except DomainError as exc:
        flash(refusal_text(exc, with_problems=True), "error")
        return redirect(url_for(".show", brief_id=brief_id), code=303)
    flash(_("Version %(n)s is started as a draft.", n=version.number), "info")
    return _back_to(version)


@bp.route(VERSION)
@staff()
def version(brief_id: int, number: int):
    user = _user()
    v = services.get_version_for(user, brief_id, number)
    targets = figure_keys(v.content)
    names = target_names(v.content)
    return render_template(
        "briefs/version.html",
        v=v,
        brief=v.brief,
        targets=targets,
        note_labels={t: target_label(t, kind, names) for t, kind in targets.items()},
        may_run=_may(Act.run, v),
        may_review=_may(Act.review, v),
        may_publish=_may(Act.publish, v),
        is_author=v.author_id == user.id,
        successor=services.successor(v),
        comment_form=CommentForm(),
        return_form=ReturnForm(),
        approve_form=ApproveForm(),
        action_form=ActionForm(),
        render_due=services.render_due(v),
        stored_languages=word_list([language_name(code) for code in v.languages]),
        missing_languages=word_list(
            [language_name(code) for code in services.missing_languages(v)]
        ),
    )


def _narrative_form(v: BriefVersion, **kwargs):
    targets = figure_keys(v.content)
    names = target_names(v.content)
    labels = {t: target_label(t, kind, names) for t, kind in targets.items()}
    return narrative_form(targets, labels, **kwargs)


def _fill(form, draft: services.Draft) -> None:
    for name in NARRATIVE_FIELDS:
        form[name].data = draft.narrative.get(name, "")
    form.contact.data = draft.contact
    form.change_note.data = draft.change_note
    form.edit_version.data = draft.edit_version
    for field, target in form.note_fields():
        field.data = draft.annotations.get(target, "")


@bp.route(VERSION + "/edit", methods=["GET", "POST"])
@staff(Role.secretariat)
def edit(brief_id: int, number: int):
    user = _user()
    v = services.get_version_for(user, brief_id, number, Act.run)
    if v.status is not BriefStatus.draft:
        flash(refusal_text(_refusal(v)), "error")
        return _back_to(v)
    form = _narrative_form(v)
    if request.method == "GET":
        _fill(form, services.Draft.of(v))
    status, theirs = 200, None
    if form.validate_on_submit():
        narrative = {name: form[name].data or "" for name in NARRATIVE_FIELDS}
        notes = {target: field.data or "" for field, target in form.note_fields()}
        try:
            with unit_of_work():
                services.save_narrative(
                    v,
                    narrative,
                    notes,
                    form.edit_version.data,
                    by=user,
                    contact=form.contact.data or "",
                    change_note=form.change_note.data if v.number > 1 else None,
                )
        except services.EditConflict as exc:
            theirs, status = exc.theirs, 409
            # the form keeps what was typed; saving it again means "mine over theirs"
            form.edit_version.data = exc.theirs.edit_version
            form.edit_version.raw_data = [str(exc.theirs.edit_version)]
            flash(refusal_text(exc), "error")
        except InvalidInput as exc:
            notes_by_target = {f"annotation-{t}": f.name for f, t in form.note_fields()}
            _field_problems(form, exc, notes_by_target)
            status = 422
        else:
            flash(_("The draft is saved."), "info")
            return _back_to(v)
    elif request.method == "POST":
        status = 422
    return (
        render_template("briefs/edit.html", v=v, brief=v.brief, form=form, theirs=theirs),
        status,
    )


def _refusal(v: BriefVersion) -> DomainError:
    try:
        v.require("edit", BriefStatus.draft)
    except DomainError as exc:
        return exc
    raise AssertionError("a draft can be edited")  # pragma: no cover


def _transition(brief_id: int, number: int, action, done: str, event=None, unmailed=None):
    """Run ``action`` on the version in one unit of work; with ``event``, tell the
    secretariat by e-mail once it has committed (``app.briefs.mailing``). ``done`` says what
    happened; when an e-mail could not be sent, ``unmailed`` (``done`` without its claim
    that the secretariat is told) says it, followed by who could not be told."""
    user = _user()
    v = services.get_version_for(user, brief_id, number, Act.view)
    problems: list[str] = []
    try:
        with unit_of_work() as work:
            result = action(v, user)
            if event is not None:
                problems = _tell_after(work, v, event, user, result)
    except (NotFound, NotAllowed):
        raise  # answered 404 / 403 by the error handler
    except DomainError as exc:
        flash(refusal_text(exc, with_problems=True), "error")
    else:
        flash((unmailed or done) if problems else done, "info")
        _flash_mail_problems(problems)
    return _back_to(v)


def _tell_after(work, v: BriefVersion, event, user, note=None) -> list[str]:
    """Build the e-mails about ``event`` now (in the unit) and send them after the commit.
    The list returned is empty until then; it holds, after the commit, one line for each
    recipient who could not be told (``_flash_mail_problems`` says them on the next page)."""
    outgoing = mailing.prepare(
        v, event, by=user, note=note if isinstance(note, BriefComment) else None
    )
    problems: list[str] = []

    def send() -> None:
        problems.extend(mailing.deliver(outgoing))

    work.after_commit(send)
    return problems


def _flash_mail_problems(problems: list[str]) -> None:
    if problems:
        flash(
            _(
                "The secretariat could not be told by e-mail: %(problems)s",
                problems="; ".join(problems),
            ),
            "error",
        )


@bp.route(VERSION + "/submit", methods=["POST"])
@staff(Role.secretariat)
def submit(brief_id: int, number: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    return _transition(
        brief_id,
        number,
        lambda v, user: services.submit_for_review(v, by=user),
        _("The version is sent to the officials for review."),
    )


@bp.route(VERSION + "/comment", methods=["POST"])
@staff(Role.official)
def comment(brief_id: int, number: int):
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Write a comment first."), "error")
        return redirect(url_for(".version", brief_id=brief_id, number=number), code=303)
    return _transition(
        brief_id,
        number,
        lambda v, user: services.comment(v, form.text.data, by=user),
        _("Your comment is added."),
    )


@bp.route(VERSION + "/return", methods=["POST"])
@staff(Role.official)
def return_to_author(brief_id: int, number: int):
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Say why the version goes back to its author."), "error")
        return redirect(url_for(".version", brief_id=brief_id, number=number), code=303)
    return _transition(
        brief_id,
        number,
        lambda v, user: services.return_to_author(v, form.text.data, by=user),
        _("The version is returned to its author as a draft; the secretariat is told by e-mail."),
        mailing.Event.returned,
        unmailed=_("The version is returned to its author as a draft."),
    )


@bp.route(VERSION + "/approve", methods=["POST"])
@staff(Role.official)
def approve(brief_id: int, number: int):
    if not ApproveForm().validate_on_submit():
        flash(_("Tick the box to confirm that you approve this version."), "error")
        return redirect(url_for(".version", brief_id=brief_id, number=number), code=303)
    return _transition(
        brief_id,
        number,
        lambda v, user: services.approve(v, by=user),
        _("The version is approved; a publisher can now publish it."),
        mailing.Event.approved,
    )


@bp.route(VERSION + "/publish", methods=["GET", "POST"])
@staff(Role.publisher)
def publish(brief_id: int, number: int):
    user = _user()
    v = services.get_version_for(user, brief_id, number, Act.view)
    form = PublishForm()
    if request.method == "GET":
        form.edit_version.data = v.edit_version
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work() as work:
                services.publish(v, by=user, expected_edit_version=form.edit_version.data)
                problems = _tell_after(work, v, mailing.Event.published, user)
                version_id = v.id
                work.after_commit(lambda: start_rendering(version_id))
        except (NotFound, NotAllowed):
            raise  # answered 404 / 403 by the error handler
        except DomainError as exc:
            # e.g. published a moment ago by another click: say so on the version's page
            flash(refusal_text(exc), "error")
            return _back_to(v)
        flash(_("Version %(n)s is published. Its files are being rendered.", n=number), "info")
        _flash_mail_problems(problems)
        return _back_to(v)
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "briefs/publish.html",
            v=v,
            brief=v.brief,
            form=form,
            is_author=v.author_id == user.id,
            current=v.brief.current,
        ),
        status,
    )


@bp.route(VERSION + "/render", methods=["POST"])
@staff(Role.publisher, Role.secretariat)
def retry_render(brief_id: int, number: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    user = _user()
    v = services.get_version_for(user, brief_id, number, Act.view)
    try:
        with unit_of_work() as work:
            services.retry_rendering(v, by=user)
            version_id = v.id
            work.after_commit(lambda: start_rendering(version_id))
    except DomainError as exc:
        flash(refusal_text(exc), "error")
    else:
        flash(_("Rendering started again."), "info")
    return _back_to(v)


# ----------------------------------------------------------------------------- preview, diff


def _nonced(html: str) -> str:
    """A stored or previewed brief page with this response's nonce on its style and script
    elements, so that the page's content security policy lets its own styles apply."""
    nonce = g.get("csp_nonce", "")
    return re.sub(r"<(style|script)(?=[\s>])", rf'<\1 nonce="{nonce}"', html)


def _serve(name: str, media_type: str, data: bytes, *, inline: bool = False) -> Response:
    response = Response(data)
    response.headers["Content-Type"] = media_type
    filename = name.rsplit("/", 1)[-1]
    disposition = "inline" if inline else "attachment"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


#: Names an output of a brief may have ("brief.pdf", "data/key_facts.csv"): anything else is
#: not looked for.
OUTPUT_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,80}(/[a-z0-9][a-z0-9_.-]{0,80})?", re.ASCII)


def _rendered_now(v: BriefVersion, name: str) -> services.Output:
    """Output ``name`` of a version that is not published, rendered now in the interface
    language (nothing stored). NotFound when there is no such output."""
    if not OUTPUT_NAME.fullmatch(name):
        raise NotFound(N_("no such brief version"))
    outputs = render_outputs(v, lang=str(get_locale()))
    end_reads()  # the files hold what they need: no transaction stays open while served
    found = next((o for o in outputs if o.name == name), None)
    if found is None:
        raise NotFound(N_("no such brief version"))
    return found


@bp.route(VERSION + "/preview")
@staff()
def preview(brief_id: int, number: int):
    """The version exactly as it will be published (a published one: as it was stored)."""
    v = services.get_version_for(_user(), brief_id, number)
    if v.is_published:
        return redirect(url_for(".published_page", brief_id=brief_id, number=number))
    lang = str(get_locale())
    context = preview_context(content_of(v), lang=lang)
    end_reads()  # the page holds what it needs: no transaction stays open while it renders
    return render_template(
        "briefs/preview.html",
        **context,
        brief_notice=_(
            "Preview of version %(n)s (%(state)s): the brief exactly as it will be published, "
            "with the narrative and notes saved now.",
            n=v.number,
            state=status_label(v.status),
        ),
    )


@bp.route(VERSION + "/preview/<path:name>")
@staff()
def preview_file(brief_id: int, number: int, name: str):
    """One output of a version not yet published, rendered now, for those who may see it
    (a download); a published version's files are the stored ones."""
    v = services.get_version_for(_user(), brief_id, number)
    if v.is_published:
        return redirect(url_for(".published_file", brief_id=brief_id, number=number, name=name))
    output = _rendered_now(v, name)
    return _serve(output.name, output.media_type, output.data)


@bp.route(STAFF + "/<int:brief_id>/diff")
@staff()
def diff(brief_id: int):
    user = _user()
    brief = services.get_brief_for(user, brief_id)
    versions = [v for v in brief.versions if _may(Act.view, v)]
    numbers = [v.number for v in versions]
    try:
        new = int(request.args.get("to") or (numbers[-1] if numbers else 0))
        old = int(request.args.get("from") or (new - 1))
    except ValueError:
        abort(404)
    a = next((v for v in versions if v.number == old), None)
    b = next((v for v in versions if v.number == new), None)
    if a is None or b is None:
        raise NotFound(N_("no such brief version"))
    lang = str(get_locale())
    changes = diff_contents(content_of(a), content_of(b), locale=lang, translate=gettext)
    return render_template(
        "briefs/diff.html",
        brief=brief,
        a=a,
        b=b,
        versions=versions,
        changes=diff_html(changes, lang=lang),
    )


# ----------------------------------------------------------------------------- public


def brief_files(v: BriefVersion, lang: str | None) -> list[tuple[str, str]]:
    """(name, address) of the downloads of a published version in ``lang`` (its default
    language when it is not stored in ``lang``): the files at the top of the version, each
    language's under ``<lang>/``."""
    languages = v.languages
    if not languages:
        return []
    lang = lang if lang in languages else languages[0]
    prefix = "" if lang == languages[0] else f"{lang}/"
    return [
        (
            a.name,
            url_for(".published_file", brief_id=v.brief_id, number=v.number, name=prefix + a.name),
        )
        for a in v.artefacts
        if "/" not in a.name and v.artefact(a.name, lang) is not None
    ]


def language_links(v: BriefVersion, lang: str) -> list[tuple[str, str, str, bool]]:
    """(code, name in its own language, address, is the page's language) of each language a
    published version is stored in, for the switch on its page."""
    return [
        (
            code,
            LANGUAGE_NAMES.get(code, code),
            url_for(".published_page", brief_id=v.brief_id, number=v.number, lang=code),
            code == lang,
        )
        for code in v.languages
    ]


def written_in(v: BriefVersion) -> str:
    """The language the secretariat wrote a version's texts in (its notes, its change note):
    the first language of its consultation, as its content records it."""
    header = (v.content or {}).get("header") or {}
    languages = header.get("languages") or [current_app.config["BABEL_DEFAULT_LOCALE"]]
    return str(languages[0])


def render_progress(v: BriefVersion) -> str:
    """What the renderer of a version is doing, for staff ("rendering 2 of 3 languages")."""
    found = progress(v.render_note or "") if v.render_status is RenderStatus.rendering else None
    if found is None:
        return render_label(v.render_status)
    done, total = found
    return _("rendering %(n)s of %(total)s languages", n=min(done + 1, total), total=total)


def _after(pattern: str, insert: str, html: str) -> tuple[str, bool]:
    """``html`` with ``insert`` after the first match of ``pattern``; whether it matched."""
    html, found = re.subn(pattern, lambda m: m.group(0) + insert, html, count=1, flags=re.S)
    return html, bool(found)


def _before(pattern: str, insert: str, html: str) -> tuple[str, bool]:
    html, found = re.subn(pattern, lambda m: insert + m.group(0), html, count=1, flags=re.S)
    return html, bool(found)


def _with_notice(html: str, notice: str, switch: str, alternates: str) -> str:
    """A stored brief page with what happened to it since (``notice``) at the top of its main
    content, below the brief's title; the language ``switch`` at the end of its header; the
    other languages named in its head."""
    html, _found = _before(r"</head>", alternates, html)
    html, in_header = _before(r"</header>", switch, html)
    if not in_header:
        notice = switch + notice
    for pattern in (r"<main\b[^>]*>.*?</h1>", r"<main\b[^>]*>", r"<body\b[^>]*>"):
        html, found = _after(pattern, notice, html)
        if found:
            return html
    return notice + html


@bp.route("/briefs/<int:brief_id>/v/<int:number>")
@public
def published_page(brief_id: int, number: int):
    """The permanent address of a published version: its stored page in the reader's
    language (``?lang=de``, else the interface language: ``app.i18n.select_locale``), with
    at the top of its content what has happened since (superseded, corrected) and its files
    in that language, and links to its other languages; the default language, saying so,
    when the version is not stored in the reader's. While the files are being rendered, a
    page saying so."""
    v = services.published_version(brief_id, number)
    context = {
        "v": v,
        "brief": v.brief,
        "successor": services.successor(v),
        "errata": services.errata(v.brief),
        "files": [],
    }
    reader = str(get_locale())
    pages = services.stored_pages(v)
    languages = tuple(pages)
    if not languages:
        return render_template("briefs/public.html", **context)
    lang = reader if reader in languages else languages[0]
    if lang != reader and reader in services.render_languages():
        render_missing_later(v)  # the reader's language next time (the demo stores one)
    view = chosen_view()
    stored = pages[lang]
    if view != DEFAULT_VIEW:
        stored = stored_file(v, VIEW_FILES[view], lang) or stored
    # What the page is made of: the stored page and what happened to the version since.
    parts = (
        stored.sha256,
        view,
        lang,
        tuple(languages),
        context["successor"].number if context["successor"] else None,
        tuple((e.number, e.published_at) for e in context["errata"]),
    )
    changed = [v.published_at, v.superseded_at, v.corrected_at]
    changed += [e.published_at for e in context["errata"]]
    last_modified = max((d for d in changed if d is not None), default=None)
    # published files never change: the page made from them is kept until something is
    # published after it (which changes ``parts``)
    key = (v.id, reader, v.status, *changed, *parts)
    make = page_cache.cached(key, lambda: _published_page(v, stored, lang, reader, context, view))
    shared_answers.share()
    return conditional(parts, last_modified, make)


#: Where the reader's choice of view is remembered.
VIEW_KEY = "brief_view"


def chosen_view() -> str:
    """The view of a brief the reader asked for (``?view=plain``), remembered for the next
    brief they open; without ``?view``, the one remembered, else the detailed view. A value
    that names no view shows the detailed view and leaves the remembered choice as it is."""
    asked = request.args.get("view")
    if asked in VIEWS:
        if asked == DEFAULT_VIEW:
            session.pop(VIEW_KEY, None)
        else:
            session[VIEW_KEY] = asked
        return asked
    if asked is not None:
        return DEFAULT_VIEW
    remembered = session.get(VIEW_KEY)
    return remembered if remembered in VIEWS else DEFAULT_VIEW


def view_links(v: BriefVersion, lang: str, view: str) -> list[tuple[str, str, str, bool]]:
    """(code, name, address, is the view shown) of each view of a published version, for the
    switch on its page."""
    return [
        (
            code,
            _(VIEW_WORDS[code]),
            url_for(".published_page", brief_id=v.brief_id, number=v.number, lang=lang, view=code),
            code == view,
        )
        for code in VIEWS
    ]


def _linked_data(v: BriefVersion) -> str:
    """The version's schema.org ``Dataset`` as a JSON-LD block for its page's head (dataset
    search engines read it); ``<`` escaped so no text can end the block."""
    from app.portal.linked_data import schema_org_dataset

    data = json.dumps(schema_org_dataset(v), ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/ld+json" nonce="{g.csp_nonce}">{data}</script>'


def _published_page(
    v: BriefVersion, stored, lang: str, reader: str, context: dict, view: str = DEFAULT_VIEW
) -> Response:
    languages = v.languages
    only_in = None
    if lang != reader:
        names = [language_name(code, locale=reader) for code in languages]
        only_in = _(
            "This brief is available only in %(languages)s.",
            languages=word_list(names, style="or", locale=reader),
        )
    links = language_links(v, lang)
    with force_locale(lang):
        notice = render_template(
            "briefs/_notice.html",
            standalone=True,
            page_lang=lang,
            only_in=only_in,
            reader_lang=reader,
            # published before this version: the list never changes once it is published
            earlier=[e for e in v.brief.versions if e.is_published and e.number < v.number],
            **{**context, "files": brief_files(v, lang)},
        )
        switch = render_template(
            "briefs/_languages.html",
            links=links,
            v=v,
            page_lang=lang,
            views=view_links(v, lang, view),
            # a version stored before its views were made: its detailed page only
            view_missing=stored.name.rsplit("/", 1)[-1] != VIEW_FILES[view],
        )
    base = current_app.config["BASE_URL"].rstrip("/")
    alternates = "".join(
        f'<link rel="alternate" hreflang="{code}" href="{escape(base + url)}">'
        for code, _n, url, _c in links
    )
    alternates += _linked_data(v)
    html = _with_notice(_nonced(stored.data.decode("utf-8")), notice, switch, alternates)
    response = _serve("brief.html", "text/html; charset=utf-8", html.encode("utf-8"), inline=True)
    response.headers["Content-Language"] = lang
    response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.route("/briefs/<int:brief_id>/v/<int:number>/")
@public
def published_page_slash(brief_id: int, number: int):
    """The permanent address written with a trailing slash: the address without it."""
    query = request.query_string.decode("ascii", "replace")
    target = url_for(".published_page", brief_id=brief_id, number=number)
    return redirect(f"{target}?{query}" if query else target, code=308)


@bp.route("/briefs/<int:brief_id>/v/<int:number>/<path:name>")
@public
def published_file(brief_id: int, number: int, name: str):
    """A stored output of a published version, exactly as stored (a download): ``brief.pdf``
    in the default language, ``de/brief.pdf`` in another; drafts and unknown files are 404
    for everyone."""
    v = services.published_version(brief_id, number)
    stored = stored_file(v, name)
    lang, _slash, rest = name.partition("/")
    if stored is None and rest and lang in current_app.config["LANGUAGES"]:
        stored = stored_file(v, rest, lang)
    if stored is None:
        raise NotFound(N_("no such brief version"))
    return _serve(stored.name, stored.media_type, stored.data)
