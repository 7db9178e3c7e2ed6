"""What a round is called and how it is introduced to panellists, on their page and in mails.

Round 1 is introduced by the questionnaire's own title and description. Later rounds are made
from the released round before them (``prepare_next_round``) and the questionnaire's texts
speak of round 1 ("(round 1)", "in the next round you will see..."), so they have their own
words, with their own number.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.consultations.models import Round
from app.formatting import localized


def _spec(round_: Round) -> dict:
    questionnaire = round_.consultation.questionnaire
    return (questionnaire.spec if questionnaire is not None else None) or {}


def round_title(round_: Round, lang: str) -> str:
    """The subtitle of the round's page, in ``lang`` (texts of the app: the request's)."""
    spec = _spec(round_)
    if round_.number == 1:
        return localized(spec.get("title"), lang, spec.get("default_language", "en"))
    return _("Round %(n)s: the panel's answers, and yours to confirm or change", n=round_.number)


def round_description(round_: Round, lang: str) -> str:
    """The introduction of the round, in ``lang`` ("" when round 1's questionnaire has none)."""
    spec = _spec(round_)
    if round_.number == 1:
        return localized(spec.get("description"), lang, spec.get("default_language", "en"))
    return _(
        "Thank you for answering round %(prev)s. For each question asked again you see a "
        "summary of the panel's answers and your own answer from round %(prev)s. Keep your "
        "answer or change it; if you move away from the group view, a short reason helps the "
        "other panel members. New questions come from what panel members wrote in round "
        "%(prev)s. Your answers stay anonymous.",
        prev=round_.number - 1,
    )
