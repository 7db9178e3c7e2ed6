"""Forecast pages: officials import datasets (upload, preview, confirm) and everyone who
reviews briefs reads their provenance; the secretariat binds a dataset's series to its
consultation.

The upload is checked (``app.uploads.checks``) and parsed in the resource-limited child
process; the file, the profile and the preview are kept (``app.uploads.services``) until the
official confirms; the import then reads the kept file after the request, in one
transaction (``app.forecasts.importing``), and its page shows how far it has got. Every
POST ends in a 303 redirect with a message, or shows its form again with the problems (422;
413 beyond an upload limit).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.auth.models import Role
from app.auth.policy import Act, Decision, authorize, decide, staff
from app.consultations.models import Consultation
from app.errors import InvalidInput, NotFound, UploadRefused
from app.extensions import db
from app.forecasts import importing, queries, services, table_files
from app.forecasts.forms import (
    KIND_LABELS,
    UPLOADED_PROFILE,
    ActionForm,
    BindingForm,
    ImportForm,
    kind_label,
)
from app.forecasts.models import ForecastBinding, ForecastDataset, ForecastImport, ImportState
from app.forecasts.table import DatasetKind, Provenance, TableSummary
from app.formatting import count, data_size, number
from app.i18n import problem_text, refusal_text
from app.problems import N_, Bytes, Problem
from app.unit import unit_of_work
from app.uploads import services as uploads

bp = Blueprint("forecasts", __name__)

_PREFIX = "/staff/forecasts"
#: Kept forecast uploads belong to no council: officials import for everyone.
UPLOAD_OWNER = 0
#: Problems listed on the preview page; the rest are counted.
SHOWN_PROBLEMS = 200
#: Largest profile or crosswalk file read.
MAX_SIDE_FILE = 1024 * 1024


def _by() -> Any:
    return current_user._get_current_object()


def _read_side_file(storage, problems: list[Problem], field: str) -> bytes | None:
    if storage is None or not getattr(storage, "filename", None):
        return None
    data = storage.read(MAX_SIDE_FILE + 1)
    if len(data) > MAX_SIDE_FILE:
        problems.append(
            Problem(
                N_("this file is larger than %(limit)s"),
                field=field,
                params={"limit": Bytes(MAX_SIDE_FILE, limit=True)},
            )
        )
        return None
    return data


def _clean_name(name: str | None) -> str:
    return (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200] or "upload"


def _provenance(form: ImportForm, base: Provenance) -> Provenance:
    """The profile's provenance with the official's corrections."""
    changes: dict[str, Any] = {}
    for name in ("publisher", "title", "licence", "vintage", "unit", "source_url"):
        value = (getattr(form, name).data or "").strip()
        if value:
            changes[name] = value
    for name in ("base_year", "horizon_year"):
        if getattr(form, name).data is not None:
            changes[name] = getattr(form, name).data
    if form.kind.data:
        changes["kind"] = DatasetKind(form.kind.data)
    caveats = [line.strip() for line in (form.caveats.data or "").splitlines() if line.strip()]
    if caveats:
        changes["caveats"] = tuple(caveats)
    return replace(base, **changes)


def _attach(form: ImportForm, problems: list[Problem]) -> None:
    for problem in problems:
        key = problem.key
        if key and key in form and key != "submit":
            form[key].errors.append(problem_text(problem))
        else:
            form.file.errors.append(problem_text(problem))


def _render_import(form: ImportForm, status: int = 200):
    return (
        render_template(
            "forecasts/import.html",
            form=form,
            max_size=data_size(uploads.max_file_bytes(), limit=True),
            max_rows=count(200_000),
        ),
        status,
    )


def _import_form(fresh: bool = False) -> ImportForm:
    form = ImportForm(formdata=None) if fresh else ImportForm()
    form.profile.choices = [(name, f"{name} — {title}") for name, title in table_files.shipped()]
    form.profile.choices.append((UPLOADED_PROFILE, _("The profile file uploaded below")))
    return form


# ----------------------------------------------------------------------------- datasets


@bp.get(_PREFIX)
@staff(Role.official, Role.publisher)
def index():
    return render_template(
        "forecasts/index.html",
        datasets=queries.list_datasets(),
        kind_label=kind_label,
        count=count,
        may_import=current_user.role is Role.official,
    )


@bp.get(_PREFIX + "/<int:dataset_id>")
@staff(Role.official, Role.publisher)
def dataset(dataset_id: int):
    found = services.get_dataset_for(_by(), dataset_id)
    bindings = [b for b in queries.bindings_of_dataset(found.id) if _may(Act.view, b)]
    return render_template(
        "forecasts/dataset.html",
        dataset=found,
        counts=queries.counts_by_indicator_year(found.id),
        first=queries.first_values(found.id, 20),
        categories=queries.category_values(found.id),
        bindings=bindings,
        kind_label=kind_label,
        count=count,
        number=number,
    )


def _may(act: Act, obj: Any) -> bool:
    return decide(_by(), act, obj) is Decision.allow


# ----------------------------------------------------------------------------- import


@bp.get(_PREFIX + "/import")
@staff(Role.official)
def import_form():
    authorize(_by(), Act.import_data, ForecastDataset())
    return _render_import(_import_form(fresh=True))


@bp.post(_PREFIX + "/import")
@staff(Role.official)
def upload():
    authorize(_by(), Act.import_data, ForecastDataset())
    form = _import_form()
    if not form.validate_on_submit():
        return _render_import(form, 422)
    storage = form.file.data
    filename = _clean_name(storage.filename)
    data = storage.read()
    problems: list[Problem] = []
    profile_yaml = _read_side_file(form.profile_file.data, problems, "profile_file")
    crosswalk = _read_side_file(form.crosswalk.data, problems, "crosswalk")
    if problems:
        _attach(form, problems)
        return _render_import(form, 422)
    try:
        source = table_files.choose(form.profile.data, profile_yaml)
    except InvalidInput as exc:
        _attach(
            form,
            [replace(p, field=p.field or "profile_file") for p in exc.problems]
            or [Problem(exc.message_id, field="profile", params=exc.params)],
        )
        return _render_import(form, 422)
    duplicate = services.find_duplicate(data, source.profile.name)
    if duplicate is not None:
        flash(
            _(
                "This file was already imported with this profile as dataset %(id)s; nothing "
                "changed.",
                id=duplicate.id,
            ),
            "info",
        )
        return redirect(url_for(".dataset", dataset_id=duplicate.id), code=303)
    provenance = _provenance(form, source.profile.provenance)
    old = session.get("forecast_upload")
    replacing = old.get("id") if isinstance(old, dict) else None
    try:
        uploads.check_room(UPLOAD_OWNER, len(data), replacing=replacing)
        uploads.check_file(filename, data)
        summary, found = table_files.preview(data, filename, source, crosswalk)
        kept = {
            "filename": filename,
            "profile": source.to_json(),
            "crosswalk": None if crosswalk is None else crosswalk.decode("utf-8", "replace"),
            "provenance": provenance.to_json(),
            "summary": summary.to_json(),
            "problems": [p.to_json() for p in services.check_provenance(provenance) + found],
        }
        upload_id = uploads.keep_upload(UPLOAD_OWNER, data, result=kept, replacing=replacing)
    except UploadRefused as exc:
        form.file.errors.append(_("Nothing in this file can be imported."))
        form.file.errors.append(refusal_text(exc))
        return _render_import(form, exc.status_code)
    session["forecast_upload"] = {"id": upload_id, "filename": filename}
    return redirect(url_for(".preview", upload_id=upload_id), code=303)


def _kept(upload_id: str) -> dict[str, Any] | None:
    pending = session.get("forecast_upload")
    if not isinstance(pending, dict) or pending.get("id") != upload_id:
        return None
    kept = uploads.read_result(UPLOAD_OWNER, upload_id)
    return kept if isinstance(kept, dict) else None


def _gone():
    session.pop("forecast_upload", None)
    flash(
        _(
            "This upload is no longer available: an upload is kept only for the session that "
            "uploaded it, until it is imported or discarded. Please upload the file again."
        ),
        "error",
    )
    return redirect(url_for(".import_form"), code=303)


def _render_preview(upload_id: str, kept: dict[str, Any], status: int = 200, extra=()):
    summary = TableSummary.from_json(kept["summary"])
    problems = [table_files.problem_from_json(p) for p in kept.get("problems") or ()]
    problems += list(extra)
    provenance = Provenance.from_json(kept["provenance"])
    return (
        render_template(
            "forecasts/preview.html",
            upload_id=upload_id,
            filename=kept["filename"],
            profile_name=kept["profile"].get("name"),
            summary=summary,
            problems=[problem_text(p) for p in problems[:SHOWN_PROBLEMS]],
            problem_count=len(problems),
            provenance=provenance,
            kind_label=kind_label,
            action_form=ActionForm(),
            count=count,
            number=number,
        ),
        status,
    )


@bp.get(_PREFIX + "/import/<upload_id>")
@staff(Role.official)
def preview(upload_id: str):
    authorize(_by(), Act.import_data, ForecastDataset())
    kept = _kept(upload_id)
    if kept is None:
        session.pop("forecast_upload", None)
        return render_template("forecasts/upload_gone.html"), 404
    return _render_preview(upload_id, kept)


@bp.post(_PREFIX + "/import/<upload_id>/confirm")
@staff(Role.official)
def confirm(upload_id: str):
    authorize(_by(), Act.import_data, ForecastDataset())
    kept = _kept(upload_id)
    if kept is None or not ActionForm().validate_on_submit():
        return _gone()
    data = uploads.read_upload(UPLOAD_OWNER, upload_id)
    if data is None:
        return _gone()
    if _job_of(upload_id, running=True) is not None:  # confirmed twice: the one import
        return redirect(url_for(".import_status", upload_id=upload_id), code=303)
    if kept.get("problems"):  # the preview found problems: nothing to import
        flash(_("The file has problems; nothing was imported."), "error")
        return _render_preview(upload_id, kept, 422)
    source = table_files.from_json(kept["profile"])
    summary = TableSummary.from_json(kept["summary"])
    with unit_of_work() as work:
        job = ForecastImport(
            upload_id=upload_id,
            filename=str(kept["filename"])[:255],
            profile=str(source.profile.name)[:100],
            rows_total=summary.rows,
            created_by_id=_by().id,
        )
        db.session.add(job)
        db.session.flush()
        job_id = job.id
        work.after_commit(lambda: importing.start_import(job_id))
    session.pop("forecast_upload", None)
    return redirect(url_for(".import_status", upload_id=upload_id), code=303)


#: Seconds between two refreshes of a running import's page.
REFRESH_SECONDS = 2


def _job_of(upload_id: str, running: bool = False) -> ForecastImport | None:
    """The latest import of a kept upload (``running``: only one running or done)."""
    query = select(ForecastImport).where(ForecastImport.upload_id == str(upload_id)[:64])
    if running:
        query = query.where(ForecastImport.state != ImportState.failed)
    return db.session.scalars(query.order_by(ForecastImport.id.desc())).first()


@bp.get(_PREFIX + "/import/<upload_id>/progress")
@staff(Role.official)
def import_status(upload_id: str):
    """How far the import of a kept upload has got (the page refreshes itself while it
    runs), and how it ended: the dataset, or the problems found."""
    authorize(_by(), Act.import_data, ForecastDataset())
    job = _job_of(upload_id)
    if job is None:
        raise NotFound(N_("no such forecast import"))
    state, read, written = job.state, job.rows_read, job.rows_written
    live = importing.LIVE.get(job.id)
    if job.running and live is not None:
        state, read, written = live
    message = problems = None
    if job.state == ImportState.failed:
        message = problem_text(table_files.problem_from_json(job.message or {}))
        problems = [problem_text(table_files.problem_from_json(p)) for p in job.problems or ()]
    return render_template(
        "forecasts/import_status.html",
        job=job,
        state=state,
        read=read,
        written=written,
        message=message,
        problems=problems,
        refresh=REFRESH_SECONDS if job.running else None,
        count=count,
    )


@bp.post(_PREFIX + "/import/<upload_id>/cancel")
@staff(Role.official)
def cancel(upload_id: str):
    pending = session.get("forecast_upload")
    mine = isinstance(pending, dict) and pending.get("id") == upload_id
    if mine and ActionForm().validate_on_submit():
        uploads.discard_upload(UPLOAD_OWNER, upload_id)
        session.pop("forecast_upload", None)
        flash(_("The upload was discarded; nothing was imported."), "info")
    return redirect(url_for(".import_form"), code=303)


# ----------------------------------------------------------------------------- binding

_BINDINGS = "/staff/consultations/<int:consultation_id>/forecasts"


def _consultation(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    authorize(_by(), Act.run, consultation, what="consultation")
    return consultation


def _binding_form(consultation: Consultation, fresh: bool = False) -> BindingForm:
    form = BindingForm(formdata=None) if fresh else BindingForm()
    form.dataset.choices = [
        (str(d.id), f"{d.title} ({d.vintage}) — {d.publisher}") for d in queries.list_datasets()
    ]
    return form


def _render_bindings(consultation: Consultation, form: BindingForm, status: int = 200):
    bindings = queries.bindings_of_consultation(consultation)
    return (
        render_template(
            "forecasts/bindings.html",
            c=consultation,
            form=form,
            bound=[(b, queries.bound_codes(b)) for b in bindings],
            action_form=ActionForm(),
            kind_label=kind_label,
        ),
        status,
    )


@bp.get(_BINDINGS)
@staff(Role.secretariat)
def bindings(consultation_id: int):
    consultation = _consultation(consultation_id)
    return _render_bindings(consultation, _binding_form(consultation, fresh=True))


@bp.post(_BINDINGS)
@staff(Role.secretariat)
def bind(consultation_id: int):
    consultation = _consultation(consultation_id)
    form = _binding_form(consultation)
    if not form.validate_on_submit():
        return _render_bindings(consultation, form, 422)
    chosen = db.session.get(ForecastDataset, int(form.dataset.data))
    problems: list[Problem] = []
    crosswalk = _read_side_file(form.crosswalk.data, problems, "crosswalk")
    if not problems:
        try:
            with unit_of_work():
                report = services.bind_series(
                    _consultation(consultation_id),
                    chosen,
                    by=_by(),
                    sector_codes=services.split_codes(form.sector_codes.data),
                    occupation_codes=services.split_codes(form.occupation_codes.data),
                    crosswalk=crosswalk,
                    crosswalk_filename=_clean_name(form.crosswalk.data.filename)
                    if crosswalk is not None
                    else None,
                    geography=form.geography.data,
                    total_code=form.total_code.data,
                )
                codes = len(report.sector_codes) + len(report.occupation_codes)
        except InvalidInput as exc:
            problems = exc.problems
        else:
            flash(
                ngettext(
                    "%(count)s code of the dataset is bound to this consultation.",
                    "%(count)s codes of the dataset are bound to this consultation.",
                    codes,
                    count=count(codes),
                ),
                "success",
            )
            for warning in report.warnings:
                flash(problem_text(warning), "warning")
            return redirect(url_for(".bindings", consultation_id=consultation_id), code=303)
    for problem in problems:
        key = problem.key if problem.key in form else "sector_codes"
        form[key].errors.append(problem_text(problem))
    return _render_bindings(_consultation(consultation_id), form, 422)


@bp.post(_BINDINGS + "/<int:binding_id>/remove")
@staff(Role.secretariat)
def unbind(consultation_id: int, binding_id: int):
    consultation = _consultation(consultation_id)
    binding = db.session.get(ForecastBinding, binding_id)
    if binding is None or binding.consultation_id != consultation.id:
        raise NotFound("no such forecast binding")
    if ActionForm().validate_on_submit():
        with unit_of_work():
            services.unbind_series(db.session.get(ForecastBinding, binding_id), by=_by())
        flash(_("The forecast series are no longer bound to this consultation."), "info")
    return redirect(url_for(".bindings", consultation_id=consultation_id), code=303)


__all__ = ["KIND_LABELS", "bp"]
