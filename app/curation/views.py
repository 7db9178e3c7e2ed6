"""Theme curation page of a closed round: suggestions, curated themes and their actions."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from app.auth.models import Role
from app.auth.policy import staff
from app.consultations.models import ItemType, Round
from app.consultations.queries import too_few_to_show_texts
from app.consultations.services import ensure_staff_can_see_results, get_round_for
from app.curation import services
from app.errors import DomainError, InvalidInput, NotFound
from app.formatting import N_, localized
from app.i18n import LANGUAGE_NAMES, refusal_text
from app.problems import Problem
from app.unit import unit_of_work

log = logging.getLogger(__name__)

bp = Blueprint("curation", __name__, url_prefix="/staff/consultations")


def _user():
    return current_user._get_current_object()


def _optional_url(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _esco_files() -> list[Path]:
    root = Path(current_app.root_path).parent
    files = []
    for name in current_app.config.get("ESCO_SKILLS_FILES") or []:
        path = Path(name)
        files.append(path if path.is_absolute() else root / path)
    return files


def _esco() -> tuple[services.EscoSkills | None, str]:
    """The ESCO skills and their state: ``off`` (not configured), ``ready`` or ``error``."""
    files = _esco_files()
    if not files:
        return None, "off"
    try:
        return services.esco_skills(files), "ready"
    except (OSError, ValueError):
        log.exception("ESCO skills could not be loaded from %s", [str(f) for f in files])
        return None, "error"


def _round(consultation_id: int, number: int) -> Round:
    user = _user()
    round_ = get_round_for(user, consultation_id, number)
    ensure_staff_can_see_results(user, round_)
    return round_


def _labels_from_form(languages: list[str], prefix: str = "label-") -> dict[str, str]:
    return {lang: request.form.get(prefix + lang, "") for lang in languages}


#: Why a form value naming an object names none.
_NO_SUCH = {
    "suggestion": N_("no such suggestion"),
    "theme": N_("no such theme"),
    "target": N_("no such target"),
}


def _int(name: str) -> int:
    raw = request.form.get(name, "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        raise NotFound(_NO_SUCH[name])
    return int(raw)


def _act(round_: Round) -> tuple[str, str | None]:
    """Run the posted action; returns the success message and the anchor to go back to."""
    user = _user()
    action = request.form.get("action", "")
    languages, _default = services.panel_languages(round_.consultation)
    if action == "accept":
        esco, _state = _esco()
        suggestion = services.find_suggestion(
            services.suggest_themes(round_, esco),
            request.form.get("item", ""),
            _int("suggestion"),
            request.form.get("digest", ""),
        )
        theme = services.accept_suggestion(
            round_,
            suggestion,
            _labels_from_form(languages),
            request.form.getlist("esco"),
            by=user,
        )
        return _("Theme “%(label)s” created from the suggestion.", label=_label(theme)), (
            f"theme-{theme.id}"
        )
    theme_id = _int("theme")
    if action == "merge":
        target = services.merge_themes(round_, theme_id, _int("target"), by=user)
        return _("Themes merged into “%(label)s”.", label=_label(target)), f"theme-{target.id}"
    if action == "split":
        chosen = [
            int(v)
            for v in request.form.getlist("statement")
            if v.isascii() and v.isdigit() and len(v) < 10
        ]
        new = services.split_theme(
            round_, theme_id, chosen, _labels_from_form(languages, "split-label-"), by=user
        )
        return _("New theme “%(label)s” split off.", label=_label(new)), f"theme-{new.id}"
    if action == "rename":
        theme = services.rename_theme(round_, theme_id, _labels_from_form(languages), by=user)
        return _("Labels saved."), f"theme-{theme.id}"
    if action == "link":
        esco, _state = _esco()
        theme = services.link_esco(
            round_,
            theme_id,
            request.form.get("uri", ""),
            by=user,
            known=esco.labels if esco is not None else None,
        )
        return _("ESCO skill linked."), f"theme-{theme.id}"
    if action == "unlink":
        theme = services.unlink_esco(round_, theme_id, request.form.get("uri", ""), by=user)
        return _("ESCO skill unlinked."), f"theme-{theme.id}"
    if action == "approve":
        theme = services.approve_theme(round_, theme_id, by=user)
        return _("Theme approved: it becomes a question of the next round."), f"theme-{theme.id}"
    if action == "unapprove":
        theme = services.unapprove_theme(round_, theme_id, by=user)
        return _("Approval withdrawn."), f"theme-{theme.id}"
    raise InvalidInput(
        N_("unknown action"),
        [
            Problem(
                N_("%(action)s is not an action of this page"),
                field="action",
                params={"action": repr(action)},
            )
        ],
    )


def _label(theme) -> str:
    _languages, default = services.panel_languages(theme.consultation)
    return localized(theme.label, default, default)


@bp.route("/<int:consultation_id>/rounds/<int:number>/themes", methods=["GET", "POST"])
@staff(Role.secretariat)
def themes(consultation_id: int, number: int):
    round_ = _round(consultation_id, number)
    if request.method == "POST":
        anchor = None
        try:
            with unit_of_work():
                message, anchor = _act(round_)
        except DomainError as exc:
            flash(refusal_text(exc, with_problems=True), "error")
        else:
            flash(message, "info")
        return redirect(
            url_for(".themes", consultation_id=consultation_id, number=number, _anchor=anchor),
            code=303,
        )

    esco, esco_state = _esco()
    languages, default = services.panel_languages(round_.consultation)
    curated = services.round_themes(round_)
    lang = str(get_locale())
    text_items = {i.key: i for i in round_.items if i.type is ItemType.text}
    return render_template(
        "curation/themes.html",
        r=round_,
        c=round_.consultation,
        questions=services.suggest_themes(round_, esco) if text_items else [],
        text_items=text_items,
        themes=curated,
        candidates=services.theme_candidates(curated, esco, default),
        esco_labels=esco.labels if esco else {},
        esco_state=esco_state,
        too_few=too_few_to_show_texts(round_),
        min_group_n=(round_.consultation.plan or {}).get("min_group_n", 5),
        statement_groups=services.statement_groups,
        missing_languages=services.missing_languages,
        label_languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in languages],
        panel_languages=languages,
        default_language=default,
        lang=lang,
        results_url=_optional_url(
            "results.results", consultation_id=consultation_id, number=number
        ),
        back_url=_optional_url("consultations.show", consultation_id=consultation_id),
    )
