"""The common rules of an analysis plan, offered as choices with plain labels (METHOD.md 3).

Each rule of the plan page (consensus in, out and on a middle position, stability) is chosen
from a list of common rules, each said in plain words, or written as a custom expression by
experts. The expressions are those METHOD.md 3 and 4 name; the plan stores the expression.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.consensus import DEFAULT_CONSENSUS_IN, DEFAULT_CONSENSUS_MID, DEFAULT_CONSENSUS_OUT
from app.consensus.rules import DEFAULT_STABILITY_RULE

#: The choice of writing the rule as an expression.
CUSTOM = "custom"
#: The choice of having no such rule (optional rules only).
NO_RULE = "none"


@dataclass(frozen=True)
class RuleChoice:
    key: str
    label: object  # a lazy string
    #: The expression stored in the plan; None for "no rule".
    expression: str | None


#: Choices per rule field of the plan, in the order offered; the first is the default.
RULE_CHOICES: dict[str, tuple[RuleChoice, ...]] = {
    "consensus_in": (
        RuleChoice(
            "default",
            _l(
                "At least 70% answer 4 or 5 (the top band of a 5-point scale) and the middle half "
                "of answers lies within one scale point (default)"
            ),
            DEFAULT_CONSENSUS_IN,
        ),
        RuleChoice(
            "share75",
            _l(
                "At least 75% answer 4 or 5 (the top band): the median threshold of 100 Delphi "
                "studies (Diamond et al. 2014)"
            ),
            "agreement >= 0.75",
        ),
        RuleChoice(
            "iqr-median",
            _l(
                "The middle half of answers lies within one scale point and the median is 4 or "
                "more (5-point scales; von der Gracht 2012)"
            ),
            "iqr <= 1 and median >= 4",
        ),
        RuleChoice(
            "grade",
            _l(
                "At least 70% answer in the top band and fewer than 15% answer in the bottom band "
                "(the 70/15 rule of the 1–9 GRADE scale; Harman et al. 2013)"
            ),
            "agreement >= 0.70 and disagreement < 0.15",
        ),
        RuleChoice(
            "iqr-or-sd",
            _l(
                "The middle half of answers lies within one scale point or the standard "
                "deviation is at most 1.5, and the median is 4 or more (Calibrum Surveylet)"
            ),
            "(iqr <= 1 or sd <= 1.5) and median >= 4",
        ),
        RuleChoice(
            "top1",
            _l(
                "At least 51% answer with the highest rating, the middle half of answers lies "
                "within one scale point and the standard deviation is at most 1 (Giannarou and "
                "Zervas 2014)"
            ),
            "top1 >= 0.51 and iqr <= 1 and sd <= 1",
        ),
        RuleChoice(
            "rwg",
            _l("The agreement index r_wg is at least 0.70 and the median is 4 or more"),
            "rwg >= 0.70 and median >= 4",
        ),
    ),
    "consensus_out": (
        RuleChoice(
            "default",
            _l(
                "At least 70% answer 1 or 2 (the bottom band of a 5-point scale) and the middle "
                "half of answers lies within one scale point (default)"
            ),
            DEFAULT_CONSENSUS_OUT,
        ),
        RuleChoice(
            "share75", _l("At least 75% answer 1 or 2 (the bottom band)"), "disagreement >= 0.75"
        ),
        RuleChoice(
            "iqr-median",
            _l(
                "The middle half of answers lies within one scale point and the median is 2 or "
                "less (5-point scales)"
            ),
            "iqr <= 1 and median <= 2",
        ),
        RuleChoice(
            "grade",
            _l(
                "At least 70% answer in the bottom band and fewer than 15% answer in the top band "
                "(70/15, GRADE scale)"
            ),
            "disagreement >= 0.70 and agreement < 0.15",
        ),
        RuleChoice(
            NO_RULE,
            _l("No rule: agreement that an item does not matter is not reported"),
            None,
        ),
    ),
    "consensus_mid": (
        RuleChoice(
            "default",
            _l(
                "At least 70% answer 3 (the middle of a 5-point scale) and the middle half of "
                "answers lies within one scale point (default)"
            ),
            DEFAULT_CONSENSUS_MID,
        ),
        RuleChoice("share75", _l("At least 75% answer 3 (the middle)"), "middle >= 0.75"),
        RuleChoice(
            "iqr-median",
            _l(
                "The middle half of answers lies within one scale point and the median lies "
                "above 2 and below 4 (5-point scales)"
            ),
            "iqr <= 1 and median > 2 and median < 4",
        ),
        RuleChoice(
            NO_RULE,
            _l(
                "No rule: agreement on a middle position is not reported (such items count as "
                "without consensus)"
            ),
            None,
        ),
    ),
    "stability_rule": (
        RuleChoice(
            "default",
            _l(
                "Fewer than 15% moved their answer since the previous round and no significant "
                "shift (Wilcoxon p of at least 0.05) (default)"
            ),
            DEFAULT_STABILITY_RULE,
        ),
        RuleChoice(
            "net",
            _l("Fewer than 15% moved their answer since the previous round"),
            "net_change < 0.15",
        ),
        RuleChoice(
            "cv",
            _l(
                "The coefficient of variation changed by less than 15% (for 30 or more "
                "panellists answering both rounds)"
            ),
            "cv_change < 0.15",
        ),
    ),
}
#: The rule fields whose rule may be left out (no rule).
OPTIONAL_RULES = frozenset({"consensus_out", "consensus_mid"})


def _same(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return " ".join(a.split()) == " ".join(b.split())


def choice_for(name: str, expression: str | None) -> str:
    """The key of the common rule whose expression a plan holds, else ``custom``."""
    for choice in RULE_CHOICES[name]:
        if _same(choice.expression, expression):
            return choice.key
    return CUSTOM


def expression_of(name: str, key: str) -> str | None:
    """The expression of a common rule (None for "no rule")."""
    for choice in RULE_CHOICES[name]:
        if choice.key == key:
            return choice.expression
    raise KeyError(key)


def select_choices(name: str) -> list[tuple[str, object]]:
    """(value, label) pairs of a rule's select box: the common rules, then the expression."""
    return [(c.key, c.label) for c in RULE_CHOICES[name]] + [
        (CUSTOM, _l("Custom expression (for experts): written in the box below"))
    ]
