"""The secretariat's view of a closed round: frozen results, charts, rationale moderation.

Every figure comes from ``Round.results`` (frozen at close); nothing is recomputed here. The
secretariat sees statistics and authorless rationales only: no response id, pseudonym or
name leaves this module. A rationale is addressed by an opaque HMAC of (response id, item id)
under the application's secret key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from app.audit.services import record
from app.auth.models import User
from app.consultations.document import Disclosure, ItemResult, RoundResults
from app.consultations.keys import rationale_seed
from app.consultations.models import Answer, Item, ItemType, Round, RoundStatus
from app.consultations.plans import plan_of
from app.consultations.queries import rationale_rows
from app.consultations.results import feedback_rationales, shuffled_rationales
from app.consultations.services import ensure_staff_can_see_results, get_round_for
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.formatting import N_, localized
from app.problems import Problem


def closed_round_for(user: User, consultation_id: int, number: int) -> Round:
    """The round if ``user`` runs the consultation and the round is closed or released.

    Raises NotFound (out of scope, no such round, no frozen results) or NotAllowed (the round
    is draft or open: no aggregate of an open round is ever shown).
    """
    round_ = get_round_for(user, consultation_id, number)
    ensure_staff_can_see_results(user, round_)
    if not round_.results:
        raise NotFound(N_("round %(n)s has no frozen results"), {"n": number})
    return round_


def item_by_key(round_: Round, key: str) -> Item:
    for item in round_.items:
        if item.key == key:
            return item
    raise NotFound(
        N_("round %(n)s has no question %(key)s"), {"n": round_.number, "key": repr(key)}
    )


def frozen(round_: Round) -> RoundResults:
    """The round's frozen results (a closed round: see ``closed_round_for``)."""
    document = round_.frozen_results()
    if document is None:
        raise NotFound(N_("round %(n)s has no frozen results"), {"n": round_.number})
    return document


def entry_of(round_: Round, item: Item, document: RoundResults | None = None) -> ItemResult:
    """The item's frozen result (an empty one when the round stored nothing for it)."""
    document = document or frozen(round_)
    return document.item(item.key) or ItemResult(item.key, item.type.value, item.position)


@dataclass(frozen=True)
class ItemView:
    """One item of a closed round as shown to the secretariat: question and frozen result."""

    item: Item
    entry: ItemResult

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def type(self) -> str:
        return self.item.type.value

    @property
    def suppressed(self) -> bool:
        """The panel figures are withheld (fewer answers than the disclosure threshold)."""
        return self.entry.disclosure is Disclosure.suppressed

    @property
    def chartable(self) -> bool:
        return self.entry.chartable

    @property
    def text_count(self) -> int | None:
        """Written answers (open questions only)."""
        return (self.entry.n or 0) if self.item.type is ItemType.text else None


def item_view(round_: Round, item: Item, document: RoundResults | None = None) -> ItemView:
    return ItemView(item=item, entry=entry_of(round_, item, document))


def item_views(round_: Round) -> list[ItemView]:
    """Every item of a closed round with its frozen result, in questionnaire order."""
    document = frozen(round_)
    return [item_view(round_, item, document) for item in round_.items]


def option_labels(item: Item, lang: str, default: str = "en") -> dict[str, str]:
    """Option key -> option text in ``lang`` (ranking and choice items)."""
    labels = {}
    for option in item.spec.get("options") or []:
        text = option.get("text") or {}
        labels[str(option["key"])] = localized(text, lang, default) or str(option["key"])
    return labels


def scale_labels(item: Item, lang: str, default: str = "en") -> list[str] | None:
    """Labels of the scale points of a Likert item in ``lang``, or None."""
    labels = item.spec.get("labels")
    if isinstance(labels, dict):
        chosen = next(
            (labels[k] for k in (lang, default) if labels.get(k)),
            next(iter(labels.values()), None),
        )
        return list(chosen) if chosen else None
    if isinstance(labels, list):
        return [str(label) for label in labels]
    return None


# --- rationale moderation ------------------------------------------------------------------


@dataclass(frozen=True)
class RationaleView:
    #: Opaque handle for the form: HMAC of (response id, item id); reveals neither.
    token: str
    text: str
    #: The author's stakeholder group, only when that group's cell is published.
    group: str | None
    hidden: bool


def rationale_token(secret: str | bytes, response_id: str, item_id: int) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = f"rationale:{response_id}:{item_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def item_rationales(
    round_: Round,
    item: Item,
    *,
    secret: str | bytes,
    include_hidden: bool = True,
) -> list[RationaleView]:
    """The item's rationales in the plan's seeded random order (never by time or author).

    Blank rationales are left out; the group is named only where its cell is published.
    """
    published = entry_of(round_, item).published_groups
    views = [
        RationaleView(
            token=rationale_token(secret, response_id, item.id),
            text=text.strip(),
            group=group if group in published else None,
            hidden=bool(hidden),
        )
        for response_id, text, hidden, group in rationale_rows(item)
        if (text or "").strip() and (include_hidden or not hidden)
    ]
    seed = rationale_seed(round_.consultation_id, item.key)
    return shuffled_rationales(views, seed, item.key)  # type: ignore[arg-type]


def set_rationale_hidden(
    round_: Round,
    item_key: str,
    token: str,
    hidden: bool,
    *,
    by: User,
    secret: str | bytes,
    withdraw: bool = False,
) -> Item:
    """Hide a rationale from feedback (or show it again). Audited without any response id.

    ``withdraw`` (with ``hidden``, on a released round): the reason could identify its author,
    so it is also taken out of the frozen feedback of the next round — the one change made to
    that document after the release; showing the reason again later does not put it back.

    Once the round's results are released, the feedback of the next round is frozen
    (``Round.feedback_rationales``): the change then applies to the downloads only, and the
    audit event says so. Raises NotFound (unknown item or rationale), NotAllowed (round open
    or draft). Flushes.
    """
    ensure_staff_can_see_results(by, round_)
    released = round_.status is RoundStatus.released
    if released and round_.feedback_rationales is None:
        # released before the reasons were frozen with the release: freeze them as the
        # panel has seen them so far, before this change
        round_.feedback_rationales = feedback_rationales(
            round_, plan_of(round_.consultation)
        ).to_json()
    item = item_by_key(round_, item_key)
    if not token or len(token) != 64:
        raise InvalidInput(
            N_("the rationale could not be identified"),
            [Problem(N_("unknown"), field="rationale")],
        )
    target = None
    for response_id, _text, _hidden, _group in rationale_rows(item):
        if hmac.compare_digest(rationale_token(secret, response_id, item.id), token):
            target = response_id
            break
    if target is None:
        raise NotFound(N_("no such rationale"))
    answer = db.session.get(Answer, (target, item.id))
    if answer is None:  # pragma: no cover - found just above
        raise NotFound(N_("no such rationale"))
    changed = answer.rationale_hidden != hidden
    answer.rationale_hidden = hidden
    if withdraw and hidden and released and answer.rationale:
        frozen = round_.frozen_feedback_rationales()
        if frozen is not None:
            round_.feedback_rationales = frozen.without(item.key, answer.rationale).to_json()
        record(
            "rationale-withdrawn",
            actor=by,
            object_type="item",
            object_id=item.id,
            details={"round": round_.number, "item": item.key},
        )
        changed = False
    if changed:
        record(
            "rationale-hidden" if hidden else "rationale-shown",
            actor=by,
            object_type="item",
            object_id=item.id,
            details={"round": round_.number, "item": item.key, "feedback_frozen": released},
        )
    db.session.flush()
    return item
