"""Rules no answers can meet are refused in plain words; every problem of a plan at once."""

from __future__ import annotations

import pytest

from app.consensus import AnalysisPlan, check_reachable
from app.consensus.plan import PlanError
from app.consensus.rules import RuleError

METHOD_RULES = [
    "iqr <= 1 and agreement >= 0.70",
    "iqr <= 1 and disagreement >= 0.70",
    "iqr <= 1 and middle >= 0.70",
    "agreement >= 0.75",
    "iqr <= 1 and median >= 4",
    "agreement >= 0.70 and disagreement < 0.15",
    "disagreement >= 0.70 and agreement < 0.15",
    "(iqr <= 1 or sd <= 1.5) and median >= 4",
    "top1 >= 0.51 and iqr <= 1 and sd <= 1",
    "rwg >= 0.70",
    "ad_md <= k/6",
    "cv <= 0.5",
    # unusual but possible
    "agreement > 0.95 and agreement < 1",
    "n > 500 and agreement >= 0.70",  # more answers than a panel has is allowed
    "median == 3 and sd == 0",
    "agreement >= 0.70 or median >= 9",
]


@pytest.mark.parametrize("rule", METHOD_RULES)
def test_rules_of_method_and_unusual_but_possible_ones_are_reachable(rule):
    check_reachable(rule, scales=(5,))


@pytest.mark.parametrize(
    "rule", ["net_change < 0.15 and wilcoxon_p >= 0.05", "cv_change < 0.15", "n_paired >= 30"]
)
def test_stability_rules_are_reachable(rule):
    check_reachable(rule, "stability")


@pytest.mark.parametrize(
    ("rule", "kind", "message"),
    [
        (
            "agreement >= 70",
            "likert",
            "no set of answers can meet this rule: agreement is a share between 0 and 1; "
            "did you mean 0.7?",
        ),
        (
            "iqr <= 1 and middle >= 70",
            "likert",
            "no set of answers can meet this rule: middle is a share between 0 and 1; "
            "did you mean 0.7?",
        ),
        ("70 <= agreement", "likert", "agreement is a share between 0 and 1; did you mean 0.7?"),
        ("top1 > 1", "likert", "top1 is a share between 0 and 1$"),
        ("iqr < 0", "likert", "iqr is never below 0"),
        ("sd < 0 and agreement >= 0.7", "likert", "sd is never below 0"),
        ("median > 5", "likert", "median lies between 1 and 5 on a scale of 5 points"),
        ("median > k", "likert", "its conditions cannot all hold at once"),
        (
            "agreement >= 0.70 and disagreement >= 0.70",
            "likert",
            "its conditions cannot all hold at once",
        ),
        ("agreement >= 0.5 and middle >= 0.6", "likert", "cannot all hold at once"),
        ("wilcoxon_p >= 5", "stability", "wilcoxon_p is a share between 0 and 1"),
        ("net_change > 15", "stability", "did you mean 0.15"),
        ("cv_change < 0", "stability", "cv_change is never below 0"),
    ],
)
def test_unreachable_rules_are_refused_in_plain_words(rule, kind, message):
    with pytest.raises(RuleError, match=message):
        check_reachable(rule, kind, scales=(5,))


def test_the_scales_of_the_consultation_decide_what_is_reachable():
    with pytest.raises(RuleError, match="median lies between 1 and 5"):
        check_reachable("median >= 7", scales=(5,))
    check_reachable("median >= 7", scales=(5, 9))
    # the GRADE 70/15 rule with its bands on a 9-point scale
    check_reachable(
        "agreement >= 0.70 and disagreement < 0.15",
        scales=(9,),
        agreement_band=(7, 9),
        disagreement_band=(1, 3),
    )
    # a middle on a 4-point scale does not exist, but 5 is always tried by the plan
    with pytest.raises(RuleError):
        check_reachable("middle >= 0.7", scales=(4,))


def test_an_unreachable_rule_is_valid_so_a_stored_plan_still_loads():
    plan = AnalysisPlan.from_dict({"consensus_in": "agreement >= 70"})
    [problem] = plan.unreachable_rules(scales=(5,))
    assert isinstance(problem, PlanError) and problem.field == "consensus_in"
    assert problem.params["suggestion"] == 0.7
    assert "did you mean 0.7?" in problem.detail
    assert AnalysisPlan.new().unreachable_rules(scales=(5,)) == []
    assert AnalysisPlan.new().unreachable_rules(scales=(4,)) != []  # a k=4 consultation
    odd = AnalysisPlan.new(
        {"consensus_out": "disagreement >= 90", "stability_rule": "n_paired < 0"}
    )
    assert [p.field for p in odd.unreachable_rules()] == ["consensus_out", "stability_rule"]


def test_every_problem_of_a_plan_is_reported_at_once():
    problems = AnalysisPlan.problems(
        {
            "consensus_in": "iqr <= 1 and",
            "consensus_mid": "middle => 0.7",
            "min_n": 0,
            "stability_rule": "",
            "min_group_n": 2,
            "colour": "blue",
        }
    )
    by_field = {p.field: p.detail for p in problems}
    assert list(by_field) == [
        "colour",
        "consensus_in",
        "consensus_mid",
        "min_n",
        "stability_rule",
        "min_group_n",
    ]
    assert by_field["consensus_in"] == "the rule is not complete: something is missing after 'and'"
    assert by_field["consensus_mid"] == "write => as >="
    assert by_field["stability_rule"].startswith("the rule is empty")
    assert AnalysisPlan.problems(AnalysisPlan.new().to_dict()) == []
    assert AnalysisPlan.problems([1]) and AnalysisPlan.problems([1])[0].field == "plan"
    # the first of them is what constructing the plan raises
    with pytest.raises(ValueError, match="^consensus_in: the rule is not complete"):
        AnalysisPlan.from_dict({"consensus_in": "iqr <= 1 and", "min_n": 0})


def test_a_plan_being_saved_reports_unreachable_rules_beside_its_other_problems():
    problems = AnalysisPlan.problems(
        {"consensus_in": "agreement >= 70", "consensus_out": "iqr <=", "min_n": 0}, scales=(5,)
    )
    assert [p.field for p in problems] == ["consensus_out", "min_n", "consensus_in"]
    assert problems[-1].params["name"] == "agreement"
    # without scales (a stored plan read back): only validity
    assert [p.field for p in AnalysisPlan.problems({"consensus_in": "agreement >= 70"})] == []
