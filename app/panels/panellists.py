"""The panel: who is on it (adding one by one, importing a file's rows), stakeholder-group
quotas, and the panel listing with each member's link and progress.

Services flush and never commit; the edge commits once (``app.unit``). They take the acting
user (or a label such as ``"cli"``) as ``by`` and raise DomainError subclasses. Audit details
never hold tokens, pseudonyms or response ids, nor names or addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select

from app.audit.services import record
from app.consultations.models import Consultation, Round, RoundStatus, StakeholderGroup
from app.database import utcnow
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.panels.models import GroupQuota, Invitation, Panellist, Participation
from app.panels.parse import (
    GROUP_VALUES,
    Decisions,
    PanelPreview,
    PanelRow,
    email_key,
    match_group,
    normalise_email,
    text_problem,
)
from app.panels.tracking import PanellistProgress, progress_of
from app.problems import N_, Problem

#: How many problems an InvalidInput lists before summarising the rest.
MAX_PROBLEMS_LISTED = 50
#: Largest target accepted for a stakeholder group.
MAX_QUOTA = 100_000


# ----------------------------------------------------------------------------- look-ups


def get_panellist_for(consultation: Consultation, panellist_id: int) -> Panellist:
    """The panellist of ``consultation`` with this id; NotFound otherwise (scope from the
    object, never from the URL)."""
    panellist = db.session.get(Panellist, panellist_id)
    if panellist is None or panellist.consultation_id != consultation.id:
        raise NotFound("no such panellist")
    return panellist


def consultation_languages(consultation: Consultation) -> tuple[str, ...]:
    """The questionnaire's languages (falling back to the configured ``LANGUAGES``)."""
    spec = consultation.questionnaire.spec if consultation.questionnaire is not None else {}
    languages = (spec or {}).get("languages") or current_app.config["LANGUAGES"]
    return tuple(str(lang).lower() for lang in languages)


def default_language(consultation: Consultation) -> str:
    spec = consultation.questionnaire.spec if consultation.questionnaire is not None else {}
    languages = consultation_languages(consultation)
    wanted = (spec or {}).get("default_language")
    return wanted if wanted in languages else languages[0]


def existing_emails(consultation: Consultation) -> set[str]:
    """The panel's addresses, as keys (``email_key``: lower case)."""
    return set(
        db.session.scalars(
            select(Panellist.email_key).where(Panellist.consultation_id == consultation.id)
        )
    )


def panellists_by_email(consultation: Consultation, addresses) -> dict[str, Panellist]:
    """The panellists of ``consultation`` with these addresses (compared without case), by
    ``email_key``. Reads only."""
    keys = sorted({email_key(a) for a in addresses})
    found: dict[str, Panellist] = {}
    for start in range(0, len(keys), 500):  # a bounded IN list
        for p in db.session.scalars(
            select(Panellist).where(
                Panellist.consultation_id == consultation.id,
                Panellist.email_key.in_(keys[start : start + 500]),
            )
        ):
            found[p.email_key] = p
    return found


def _as_group(value: StakeholderGroup | str | None) -> StakeholderGroup | None:
    if isinstance(value, StakeholderGroup):
        return value
    found = match_group(str(value or ""))
    return StakeholderGroup(found) if found else None


def open_round_of(consultation: Consultation) -> Round | None:
    """The consultation's open round, if any."""
    return next((r for r in consultation.rounds if r.status is RoundStatus.open), None)


def current_round(consultation: Consultation) -> Round | None:
    """The round invitations are for: the open round, else the latest draft round."""
    found = open_round_of(consultation)
    if found is not None:
        return found
    drafts = [r for r in consultation.rounds if r.status is RoundStatus.draft]
    return drafts[-1] if drafts else None


def utc_today() -> date:
    return utcnow().date()


# ----------------------------------------------------------------------------- panellists


@dataclass(frozen=True)
class PanellistDetails:
    """A panellist's details as checked by ``_check_details``."""

    name: str
    email: str
    organisation: str
    group: StakeholderGroup
    language: str


def _check_details(
    consultation: Consultation,
    name: str,
    email: str,
    organisation: str,
    group: StakeholderGroup | str,
    language: str,
    *,
    editing: Panellist | None = None,
) -> tuple[PanellistDetails | None, list[Problem]]:
    """The details, or every problem with them (each naming its form field)."""
    problems: list[Problem] = []
    name = (name or "").strip()
    if not name:
        problems.append(Problem(N_("a name is required"), field="name"))
    elif why := text_problem(name, "name"):
        problems.append(replace(why, field="name"))
    address, why = normalise_email(email)
    if why:
        problems.append(replace(why, field="email"))
    organisation = (organisation or "").strip()
    if why := text_problem(organisation, "organisation"):
        problems.append(replace(why, field="organisation"))
    stakeholder_group = _as_group(group)
    if stakeholder_group is None:
        problems.append(_not_a_group(group))
    languages = consultation_languages(consultation)
    language = (language or "").strip().lower()
    if language not in languages:
        problems.append(_not_offered(language, languages, "language"))
    if address:
        key = email_key(address)
        taken = existing_emails(consultation)
        if editing is not None and editing.email_key == key:
            taken = set()
        if key in taken:
            problems.append(
                Problem(
                    N_("'%(address)s' is already on the panel"),
                    field="email",
                    params={"address": address},
                )
            )
    if problems:
        return None, problems
    assert stakeholder_group is not None
    return PanellistDetails(name, address, organisation, stakeholder_group, language), []


def panellist_problems(
    consultation: Consultation,
    name: str,
    email: str,
    organisation: str,
    group: StakeholderGroup | str,
    language: str,
    *,
    editing: Panellist | None = None,
) -> list[Problem]:
    """Every problem with these details (none: they would be accepted), each naming its
    form field: for a form to show them all at once beside its own checks."""
    return _check_details(
        consultation, name, email, organisation, group, language, editing=editing
    )[1]


def add_panellist(
    consultation: Consultation,
    name: str,
    email: str,
    organisation: str,
    group: StakeholderGroup | str,
    language: str,
    by: Any,
) -> Panellist:
    """Add one panellist. Raises InvalidInput whose problems name the form field
    (``Problem.field``: ``"email"``...). The address is kept as typed and compared
    without case. Flushes."""
    details, problems = _check_details(consultation, name, email, organisation, group, language)
    if details is None:
        raise InvalidInput(N_("the panellist was not added"), problems)
    panellist = Panellist(
        consultation_id=consultation.id,
        name=details.name,
        email=details.email,
        organisation=details.organisation,
        stakeholder_group=details.group,
        language=details.language,
    )
    db.session.add(panellist)
    db.session.flush()
    record(
        "panellist-added",
        actor=by,
        object_type="panellist",
        object_id=panellist.id,
        details={"consultation": consultation.id, "group": details.group.value},
    )
    return panellist


def update_panellist(
    panellist: Panellist,
    name: str,
    email: str,
    organisation: str,
    group: StakeholderGroup | str,
    language: str,
    by: Any,
) -> list[str]:
    """Correct a panellist's name, address, organisation, stakeholder group or language.
    Returns the names of the fields that changed. The stakeholder group is fixed while a
    round is open (the round's response rates by group are counted on it). Raises
    InvalidInput naming each field. Flushes."""
    consultation = panellist.consultation
    details, problems = _check_details(
        consultation, name, email, organisation, group, language, editing=panellist
    )
    if (
        details is not None
        and details.group is not panellist.stakeholder_group
        and open_round_of(consultation) is not None
    ):
        problems.append(
            Problem(
                N_(
                    "the stakeholder group cannot change while a round is open: change it "
                    "after the round closes"
                ),
                field="stakeholder_group",
            )
        )
    if details is None or problems:
        raise InvalidInput(N_("the panellist was not changed"), problems)
    changed = [
        name
        for name, old, new in (
            ("name", panellist.name, details.name),
            ("email", panellist.email, details.email),
            ("organisation", panellist.organisation, details.organisation),
            ("stakeholder_group", panellist.stakeholder_group, details.group),
            ("language", panellist.language, details.language),
        )
        if old != new
    ]
    if not changed:
        return []
    if "language" in changed:
        panellist.stated_language = None
    panellist.name, panellist.email = details.name, details.email
    panellist.organisation, panellist.stakeholder_group = details.organisation, details.group
    panellist.language = details.language
    db.session.flush()
    record(
        "panellist-changed",
        actor=by,
        object_type="panellist",
        object_id=panellist.id,
        details={"consultation": consultation.id, "fields": changed},
    )
    return changed


class Removal(StrEnum):
    #: Never invited: the entry is deleted (a mistake corrected).
    deleted = "deleted"
    #: Invited before: kept as inactive (so that earlier rounds' response rates stay true),
    #: with the link revoked; can be put back.
    deactivated = "deactivated"


def remove_panellist(panellist: Panellist, by: Any) -> Removal:
    """Take a panellist off the panel. One never invited is deleted; one invited before
    becomes inactive, their link stops working and they get no more mail. Flushes."""
    consultation_id = panellist.consultation_id
    invited = db.session.scalar(
        select(func.count())
        .select_from(Participation)
        .where(Participation.panellist_id == panellist.id)
    ) or db.session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.panellist_id == panellist.id)
    )
    if invited:
        now = utcnow()
        for invitation in panellist.invitations:
            if invitation.revoked_at is None:
                invitation.revoked_at = now
        panellist.active = False
        outcome = Removal.deactivated
        object_id = panellist.id
    else:
        object_id = panellist.id
        db.session.delete(panellist)
        outcome = Removal.deleted
    db.session.flush()
    record(
        "panellist-removed",
        actor=by,
        object_type="panellist",
        object_id=object_id,
        details={"consultation": consultation_id, "outcome": outcome.value},
    )
    return outcome


def restore_panellist(panellist: Panellist, by: Any) -> bool:
    """Put an inactive panellist back on the panel (without a link: send one). Returns
    False when they were active already. Flushes."""
    if panellist.active:
        return False
    panellist.active = True
    db.session.flush()
    record(
        "panellist-restored",
        actor=by,
        object_type="panellist",
        object_id=panellist.id,
        details={"consultation": panellist.consultation_id},
    )
    return True


def _not_a_group(value: Any) -> Problem:
    return Problem(
        N_("'%(value)s' is not a stakeholder group (use one of %(groups)s)"),
        field="stakeholder_group",
        params={"value": str(value), "groups": ", ".join(GROUP_VALUES)},
    )


def _not_offered(value: str, languages, field: str) -> Problem:
    return Problem(
        N_("'%(value)s' is not one of the questionnaire's languages (%(languages)s)"),
        field=field,
        params={"value": value, "languages": ", ".join(languages)},
    )


def _refused(message: str, params: dict[str, Any], problems=()) -> InvalidInput:
    """InvalidInput whose first problem is ``message`` (a message id for people; the
    exception's message is its English), then ``problems`` (at most MAX_PROBLEMS_LISTED)."""
    reason = Problem(message, params=params)
    return InvalidInput(str(reason), [reason, *list(problems)[:MAX_PROBLEMS_LISTED]])


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    #: New panellists.
    added: int
    #: Panellists whose details were updated from the file.
    updated: int
    #: Valid rows left out by the secretariat's decisions.
    skipped: int
    #: Panellists (new or updated) who receive the fallback language.
    fallback: int
    #: Updated panellists whose stakeholder group was kept, because a round is open (a
    #: panellist's group is fixed for the round, METHOD.md 5).
    group_kept: int = 0


def _served(row: PanelRow, languages: tuple[str, ...], fallback: str) -> tuple[str, str | None]:
    """(language of invitations and questions, language stated when it is not offered)."""
    return (row.language, None) if row.language in languages else (fallback, row.language)


def import_panel(
    consultation: Consultation,
    preview: PanelPreview,
    only_valid: bool,
    by: Any,
    *,
    decisions: Decisions | None = None,
    fallback_language: str | None = None,
) -> ImportReport:
    """Add the preview's rows to the panel, all or nothing, as ``decisions`` say for the
    addresses repeated in the file or already on the panel (a row taken for an address on
    the panel updates that panellist's name, organisation, group and language).

    With problems in the preview nothing is imported unless ``only_valid`` is True; nothing
    is imported while a conflict is undecided. A panellist whose language the questionnaire
    does not offer receives ``fallback_language`` (default: the questionnaire's default
    language) and keeps theirs as ``stated_language``. The rows are checked again against
    the panel as it is now. Raises InvalidInput, whose first problem says why for people
    (the others name rows or the field ``fallback_language``). Flushes."""
    name = preview.filename
    if preview.problems and not only_valid:
        raise _refused(
            N_(
                "%(file)s: nothing was imported, because the file has problems (%(count)s "
                "found); correct the file, or import only the valid rows"
            ),
            {"file": name, "count": preview.problem_count},
            preview.problems,
        )
    languages = consultation_languages(consultation)
    fallback = (fallback_language or default_language(consultation)).strip().lower()
    if fallback not in languages:
        raise _refused(
            N_("%(file)s: nothing was imported; choose a language the questionnaire offers"),
            {"file": name},
            [_not_offered(fallback, languages, "fallback_language")],
        )
    resolution = preview.resolve(decisions)
    if resolution.undecided:
        raise _refused(
            N_(
                "%(file)s: nothing was imported; choose what to do with each e-mail address "
                "that appears in several rows or is already on the panel"
            ),
            {"file": name},
            [
                Problem(
                    N_("'%(address)s' needs a decision (rows %(rows)s)"),
                    field="email",
                    row=c.first_row,
                    column="email",
                    params={"address": c.address, "rows": ", ".join(str(r.row) for r in c.rows)},
                )
                for c in resolution.undecided
            ],
        )
    if not resolution.add and not resolution.update:
        raise _refused(N_("%(file)s: no rows to import; nothing was imported"), {"file": name})
    panel = panellists_by_email(consultation, [r.email for r in resolution.add + resolution.update])
    changed = [
        Problem(
            N_("'%(address)s' is already on the panel"),
            field="email",
            row=r.row,
            column="email",
            params={"address": r.email},
        )
        for r in resolution.add
        if r.key in panel
    ] + [
        Problem(
            N_("'%(address)s' is no longer on the panel"),
            field="email",
            row=r.row,
            column="email",
            params={"address": r.email},
        )
        for r in resolution.update
        if r.key not in panel
    ]
    keys = [r.key for r in resolution.add + resolution.update]
    if changed or len(set(keys)) != len(keys):
        raise _refused(
            N_("%(file)s: the panel changed since the preview; nothing was imported"),
            {"file": name},
            changed,
        )
    fallback_count = 0
    new = []
    for r in resolution.add:
        language, stated = _served(r, languages, fallback)
        fallback_count += stated is not None
        new.append(
            {
                "consultation_id": consultation.id,
                "name": r.name,
                "email": r.email,
                "email_key": r.key,
                "organisation": r.organisation,
                "stakeholder_group": StakeholderGroup(r.stakeholder_group),
                "language": language,
                "stated_language": stated,
                "active": True,
            }
        )
    if new:
        db.session.execute(insert(Panellist), new)
    round_open = open_round_of(consultation) is not None
    group_kept = 0
    for r in resolution.update:
        panellist = panel[r.key]
        language, stated = _served(r, languages, fallback)
        fallback_count += stated is not None
        panellist.name = r.name
        panellist.email = r.email
        panellist.organisation = r.organisation
        group = StakeholderGroup(r.stakeholder_group)
        if round_open and group is not panellist.stakeholder_group:
            group_kept += 1  # fixed for the open round: their answers count in one group
        else:
            panellist.stakeholder_group = group
        panellist.language, panellist.stated_language = language, stated
    db.session.flush()
    report = ImportReport(
        added=len(new),
        updated=len(resolution.update),
        skipped=resolution.skipped,
        fallback=fallback_count,
        group_kept=group_kept,
    )
    record(
        "panel-imported",
        actor=by,
        object_type="consultation",
        object_id=consultation.id,
        details={
            "imported": report.added,
            "updated": report.updated,
            "skipped": report.skipped,
            "fallback_language": fallback if fallback_count else None,
            "with_fallback": fallback_count,
            "rows_left_out": preview.rows_with_problems,
        },
    )
    return report


@dataclass(frozen=True)
class LanguageGap:
    """Active panellists whose language the questionnaire does not offer, by the language
    they receive instead."""

    #: The language they receive (one the questionnaire offers).
    served: str
    #: The languages they gave, sorted.
    stated: tuple[str, ...]
    count: int


def language_gaps(consultation: Consultation) -> list[LanguageGap]:
    """Per language received instead (sorted), the active panellists whose own language
    is not among the questionnaire's (``consultation_languages``). Reads only."""
    offered = set(consultation_languages(consultation))
    rows = db.session.execute(
        select(Panellist.language, Panellist.stated_language, func.count())
        .where(
            Panellist.consultation_id == consultation.id,
            Panellist.active.is_(True),
            Panellist.stated_language.is_not(None),
        )
        .group_by(Panellist.language, Panellist.stated_language)
    )
    by_served: dict[str, dict[str, int]] = {}
    for served, stated, number in rows:
        if stated not in offered:
            by_served.setdefault(served, {})[stated] = number
    return [
        LanguageGap(served, tuple(sorted(stated)), sum(stated.values()))
        for served, stated in sorted(by_served.items())
    ]


# ----------------------------------------------------------------------------- quotas


@dataclass(frozen=True)
class QuotaGap:
    group: StakeholderGroup
    #: Target number of panellists; None when no target is set.
    target: int | None
    #: Active panellists of the group now.
    current: int
    #: Panellists still missing to reach the target (0 when reached); None without target.
    gap: int | None


def group_counts(consultation: Consultation) -> dict[StakeholderGroup, int]:
    """Active panellists per stakeholder group (every group, zeros included)."""
    counts = dict.fromkeys(StakeholderGroup, 0)
    rows = db.session.execute(
        select(Panellist.stakeholder_group, func.count())
        .where(Panellist.consultation_id == consultation.id, Panellist.active.is_(True))
        .group_by(Panellist.stakeholder_group)
    )
    for group, count in rows:
        counts[group] = count
    return counts


def active_panellist_count(consultation: Consultation) -> int:
    """How many panellists are active (invitations and reminders go to them)."""
    return sum(group_counts(consultation).values())


def set_quota(
    consultation: Consultation, group: StakeholderGroup | str, target: int | None, by: Any
) -> GroupQuota | None:
    """Set the target number of panellists of a group; None or 0 removes the target.

    Raises InvalidInput naming the field. Flushes."""
    stakeholder_group = _as_group(group)
    if stakeholder_group is None:
        raise InvalidInput(N_("the target was not set"), [_not_a_group(group)])
    if target is not None and (
        isinstance(target, bool) or not isinstance(target, int) or not 0 <= target <= MAX_QUOTA
    ):
        raise InvalidInput(
            N_("the target was not set"),
            [
                Problem(
                    N_("'%(value)s' is not a whole number from %(min)s to %(max)s"),
                    field="target",
                    params={"value": str(target), "min": 0, "max": MAX_QUOTA},
                )
            ],
        )
    quota = db.session.scalars(
        select(GroupQuota).where(
            GroupQuota.consultation_id == consultation.id,
            GroupQuota.stakeholder_group == stakeholder_group,
        )
    ).first()
    if not target:
        if quota is not None:
            db.session.delete(quota)
        quota = None
    elif quota is None:
        quota = GroupQuota(
            consultation_id=consultation.id, stakeholder_group=stakeholder_group, target=target
        )
        db.session.add(quota)
    else:
        quota.target = target
    db.session.flush()
    record(
        "quota-set",
        actor=by,
        object_type="consultation",
        object_id=consultation.id,
        details={"group": stakeholder_group.value, "target": target or None},
    )
    return quota


def quota_gaps(consultation: Consultation) -> list[QuotaGap]:
    """Per stakeholder group (in the enum's order): target, current and gap."""
    counts = group_counts(consultation)
    targets = {
        q.stakeholder_group: q.target
        for q in db.session.scalars(
            select(GroupQuota).where(GroupQuota.consultation_id == consultation.id)
        )
    }
    out = []
    for group in StakeholderGroup:
        target = targets.get(group)
        current = counts[group]
        out.append(
            QuotaGap(group, target, current, None if target is None else max(target - current, 0))
        )
    return out


# ----------------------------------------------------------------------------- panel listing


class LinkState(StrEnum):
    none = "none"
    active = "active"
    revoked = "revoked"


@dataclass(frozen=True)
class PanelRowView:
    panellist: Panellist
    link: LinkState
    #: When the active link was last e-mailed or exported; None if never.
    link_sent_at: Any
    #: Progress in the round shown (invited, started, submitted), with the participation
    #: row (invitation and reminder dates); None without a round.
    progress: PanellistProgress | None


def panel_rows(
    consultation: Consultation, round_: Round | None, *, offset: int = 0, limit: int = 100
) -> tuple[int, list[PanelRowView]]:
    """(total, one page of panellists by name) with their link state and their
    progress in ``round_``. Reads only."""
    total = db.session.scalar(
        select(func.count())
        .select_from(Panellist)
        .where(Panellist.consultation_id == consultation.id)
    )
    people = list(
        db.session.scalars(
            select(Panellist)
            .where(Panellist.consultation_id == consultation.id)
            .order_by(Panellist.name, Panellist.id)
            .offset(offset)
            .limit(limit)
        )
    )
    ids = [p.id for p in people]
    latest: dict[int, Invitation] = {}
    if ids:
        for inv in db.session.scalars(
            select(Invitation).where(Invitation.panellist_id.in_(ids)).order_by(Invitation.id)
        ):
            latest[inv.panellist_id] = inv
    progress = progress_of(round_, ids) if round_ is not None else {}
    rows = []
    for p in people:
        inv = latest.get(p.id)
        if inv is None:
            state, sent = LinkState.none, None
        elif inv.revoked_at is None:
            state, sent = LinkState.active, inv.last_sent_at
        else:
            state, sent = LinkState.revoked, None
        rows.append(PanelRowView(p, state, sent, progress.get(p.id)))
    return total or 0, rows
