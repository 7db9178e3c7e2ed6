"""Secretariat pages of a closed round: results, charts, downloads, rationale moderation."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError

from app import formatting
from app.auth.models import Role
from app.auth.policy import staff
from app.charts import (
    ChartText,
    choice_chart,
    figure_png,
    figure_svg,
    likert_distribution,
    ranking_chart,
)
from app.consultations.models import ItemType, Round, RoundStatus
from app.consultations.plans import plan_of
from app.errors import DomainError, NotFound
from app.formatting import N_
from app.i18n import refusal_text
from app.results import exports
from app.results.services import (
    ItemView,
    closed_round_for,
    frozen,
    item_by_key,
    item_rationales,
    item_view,
    item_views,
    option_labels,
    scale_labels,
    set_rationale_hidden,
)
from app.unit import end_reads, unit_of_work

bp = Blueprint("results", __name__, url_prefix="/staff/consultations")

ROUND_URL = "/<int:consultation_id>/rounds/<int:number>"

GROUP_LABELS = {
    "employers": _l("Employers"),
    "workers-representatives": _l("Workers' representatives"),
    "education-providers": _l("Education and training providers"),
    "public-authorities": _l("Public authorities"),
    "other-experts": _l("Other experts"),
}
CONSENSUS_WORDS = {
    "in": _l("Consensus: the panel agrees that this matters (in)"),
    "out": _l("Consensus: the panel agrees that this does not matter (out)"),
    "mid": _l("Consensus: the panel agrees on a middle position (neither matters nor not)"),
    "none": _l("No consensus"),
    "insufficient": _l("Too few answers for a consensus decision"),
    "conflict": _l("Both consensus rules hold (conflict, treated as no consensus)"),
}
#: Consensus in a word or two, for the round's overview table (CONSENSUS_WORDS explain).
CONSENSUS_SHORT = {
    "in": _l("Consensus in"),
    "out": _l("Consensus out"),
    "mid": _l("Consensus on a middle position"),
    "none": _l("No consensus"),
    "insufficient": _l("Too few answers"),
    "conflict": _l("Conflict, treated as no consensus"),
}
LABEL_WORDS = {
    "consensus-in": _l("Consensus in"),
    "consensus-out": _l("Consensus out"),
    "consensus-middle": _l("Consensus on a middle position"),
    "dissent": _l("Dissent (stable without consensus of any kind)"),
    "unresolved": _l("Unresolved"),
}
DECISION_WORDS = {
    "continue": _l("Continue: run another round with the items that are not settled."),
    "stop-all-settled": _l("Stop: every item is settled."),
    "stop-max-rounds": _l("Stop: the plan's maximum number of rounds is reached."),
}
TYPE_WORDS = {
    "likert": _l("rating scale"),
    "estimate": _l("estimate"),
    "ranking": _l("ranking"),
    "choice": _l("choice"),
    "text": _l("open question"),
}


def _user():
    return current_user._get_current_object()


def _lang() -> str:
    return str(get_locale())


def _default_language(round_: Round) -> str:
    return round_.consultation.questionnaire.spec.get("default_language", "en")


def _optional_url(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def fmt(value: Any, places: int = 2) -> str:
    """A statistic with ``places`` decimals in the interface language ("–" when undefined)."""
    return formatting.number(value, places)


def points(value: Any) -> str:
    """Points or scores shown without trailing zeros (Borda 13, 10.5)."""
    return formatting.number(value, trim=True)


def group_label(group: str) -> str:
    return str(GROUP_LABELS.get(group, group))


def stability_words(entry) -> str:
    stable = entry.stable
    if stable is True:
        return _("Stable: answers hardly moved since the previous round")
    if stable is False:
        return _("Not stable: answers are still moving between rounds")
    return _("Stability not assessable (first round or too few paired answers)")


def stability_short(entry) -> str:
    """Stability in a word or two, for the round's overview table."""
    stable = entry.stable
    if stable is True:
        return _("Stable")
    if stable is False:
        return _("Not stable")
    return _("Not assessable")


def _helpers(round_: Round) -> dict[str, Any]:
    return {
        "fmt": fmt,
        "pct": formatting.percent,
        "pvalue": formatting.p_value,
        "p_clause": formatting.p_clause,
        "points": points,
        "count": formatting.count,
        "group_label": group_label,
        "stability_words": stability_words,
        "stability_short": stability_short,
        "consensus_short": CONSENSUS_SHORT,
        "consensus_words": CONSENSUS_WORDS,
        "label_words": LABEL_WORDS,
        "type_words": TYPE_WORDS,
        "lang": _lang(),
        "default_language": _default_language(round_),
    }


@bp.route(ROUND_URL + "/results")
@staff(Role.secretariat)
def results(consultation_id: int, number: int):
    round_ = closed_round_for(_user(), consultation_id, number)
    plan = plan_of(round_.consultation)
    lang, default = _lang(), _default_language(round_)
    document = frozen(round_)
    items = item_views(round_)
    extra = {
        r.key: {
            "scale_labels": scale_labels(r.item, lang, default),
            "option_labels": option_labels(r.item, lang, default),
        }
        for r in items
    }
    return render_template(
        "results/results.html",
        r=round_,
        c=round_.consultation,
        plan=plan,
        items=items,
        extra=extra,
        doc=document,
        stopping=document.stopping,
        decision_words=DECISION_WORDS,
        themes_url=_optional_url("curation.themes", consultation_id=consultation_id, number=number),
        back_url=_optional_url("consultations.show", consultation_id=consultation_id),
        has_text=any(r.item.type is ItemType.text for r in items),
        **_helpers(round_),
    )


def _chart(consultation_id: int, number: int, item_key: str):
    round_ = closed_round_for(_user(), consultation_id, number)
    result = item_view(round_, item_by_key(round_, item_key))
    if not result.chartable:
        raise NotFound(N_("question %(key)s has no chart"), {"key": repr(item_key)})
    return build_chart(round_, result, _lang())


def chart_text() -> ChartText:
    """The words drawn on charts, in the interface language."""
    return ChartText(
        answers_axis=_("Number of answers"),
        median=_("Median %(value)s"),
        iqr=_("Interquartile range %(low)s–%(high)s"),
        total=_("n = %(n)s"),
        no_answers=_("No answers"),
        mean_rank=_("mean rank %(value)s"),
        borda=_("Borda %(value)s"),
        first=_("first %(value)s"),
        borda_axis=_("Borda points (longer bar = ranked higher)"),
        no_rankings=_("No rankings"),
        share_axis=_("Share of panellists choosing the option (%%)"),
        locale=_lang(),
    )


def build_chart(round_: Round, result: ItemView, lang: str):
    """The figure of an item from its frozen entry."""
    item, entry = result.item, result.entry
    default = _default_language(round_)
    title = item.text_for(lang, default)
    words = chart_text()
    if item.type is ItemType.likert:
        return likert_distribution(
            entry.counts,
            scale_labels(item, lang, default),
            title,
            median=entry.median,
            q1=entry.q1,
            q3=entry.q3,
            text=words,
        )
    labels = option_labels(item, lang, default)
    if item.type is ItemType.ranking:
        options = [option.to_json() for option in entry.options]
        return ranking_chart(options, title=title, labels=labels, text=words)
    shares = {k: (entry.shares or {}).get(k) for k in labels if k in (entry.shares or {})}
    return choice_chart(shares, title=title, labels=labels, counts=entry.counts, text=words)


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route(ROUND_URL + "/results/charts/<item_key>.svg")
@staff(Role.secretariat)
def chart_svg(consultation_id: int, number: int, item_key: str):
    fig = _chart(consultation_id, number, item_key)
    end_reads()  # the figure holds its data: no transaction stays open while it renders
    response = Response(figure_svg(fig))
    response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route(ROUND_URL + "/results/charts/<item_key>.png")
@staff(Role.secretariat)
def chart_png(consultation_id: int, number: int, item_key: str):
    fig = _chart(consultation_id, number, item_key)
    end_reads()  # the figure holds its data: no transaction stays open while it renders
    response = Response(figure_png(fig))
    response.headers["Content-Type"] = "image/png"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _records(round_: Round):
    plan = plan_of(round_.consultation)
    records = exports.result_records(
        round_, item_views(round_), lang=_lang(), secret=current_app.config["SECRET_KEY"]
    )
    return plan, records


def _filename(round_: Round, extension: str) -> str:
    cid, number = round_.consultation_id, round_.number
    return f"skillsdelphi-consultation-{cid}-round-{number}-results.{extension}"


@bp.route(ROUND_URL + "/results.csv")
@staff(Role.secretariat)
def results_csv(consultation_id: int, number: int):
    round_ = closed_round_for(_user(), consultation_id, number)
    _plan, records = _records(round_)
    return _download(exports.results_csv(records), exports.CSV_MIMETYPE, _filename(round_, "csv"))


@bp.route(ROUND_URL + "/results.xlsx")
@staff(Role.secretariat)
def results_xlsx(consultation_id: int, number: int):
    round_ = closed_round_for(_user(), consultation_id, number)
    plan, records = _records(round_)
    document = frozen(round_)
    about = [
        ("consultation", round_.consultation.title),
        ("round", round_.number),
        ("status", round_.status.value),
        ("closed_at", round_.closed_at),
        ("submitted_responses", document.submitted),
        ("plan_sha256", document.plan_sha256),
        ("quantile_method", plan.quantile_method),
        ("min_group_n", plan.min_group_n),
        ("stopping_decision", document.stopping.decision.value),
        ("stopping_reason", document.stopping.reason),
    ]
    return _download(
        exports.results_xlsx(records, about, translate=_),
        exports.XLSX_MIMETYPE,
        _filename(round_, "xlsx"),
    )


@bp.route(ROUND_URL + "/rationales", methods=["GET", "POST"])
@staff(Role.secretariat)
def rationales(consultation_id: int, number: int):
    user = _user()
    round_ = closed_round_for(user, consultation_id, number)
    secret = current_app.config["SECRET_KEY"]
    if request.method == "POST":
        item_key = request.form.get("item", "")
        action = request.form.get("action")
        hide = action in ("hide", "withdraw")
        withdraw = action == "withdraw"
        try:
            with unit_of_work():
                set_rationale_hidden(
                    round_,
                    item_key,
                    request.form.get("rationale", ""),
                    hide,
                    by=user,
                    secret=secret,
                    withdraw=withdraw,
                )
        except DomainError as exc:
            flash(refusal_text(exc), "error")
        else:
            if withdraw and round_.status is RoundStatus.released:
                message = _(
                    "The rationale is removed from the downloads and from the feedback of the "
                    "next round."
                )
            elif round_.status is RoundStatus.released:
                message = (
                    _(
                        "The rationale is hidden from the downloads. The feedback of the next "
                        "round was frozen at release and does not change."
                    )
                    if hide
                    else _(
                        "The rationale is shown in the downloads again. The feedback of the "
                        "next round was frozen at release and does not change."
                    )
                )
            else:
                message = (
                    _("The rationale is hidden from feedback.")
                    if hide
                    else _("The rationale is shown in feedback again.")
                )
            flash(message, "info")
        return redirect(
            url_for(
                ".rationales",
                consultation_id=consultation_id,
                number=number,
                _anchor=f"item-{item_key}" if item_key else None,
            ),
            code=303,
        )
    lang, default = _lang(), _default_language(round_)
    sections = []
    for item in round_.items:
        if item.type is ItemType.text:
            continue
        views = item_rationales(round_, item, secret=secret)
        sections.append(
            {
                "item": item,
                "text": item.text_for(lang, default),
                "rationales": views,
            }
        )
    return render_template(
        "results/rationales.html",
        r=round_,
        c=round_.consultation,
        sections=sections,
        released=round_.status is RoundStatus.released,
        results_url=url_for(".results", consultation_id=consultation_id, number=number),
        **_helpers(round_),
    )
