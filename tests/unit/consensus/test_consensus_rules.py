"""Consensus rules (METHOD §3): safe parsing, evaluation, null handling and status."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from consensus_vectors import TV1, TV2, TV8, answers, grouped
from consensus_vectors import TV3 as TV3_GROUPS

from app.consensus import (
    RULE_NAMES,
    apply_rule,
    consensus_status,
    group_breakdown,
    item_statistics,
    validate_rule,
)


def _stats(**columns) -> pd.DataFrame:
    size = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=pd.Index([f"i{j}" for j in range(size)], name="item"))


@pytest.mark.parametrize(
    ("values", "kwargs", "status"),
    [
        (TV1, {}, "in"),
        (TV2, {}, "out"),
        ([v for vs in TV3_GROUPS.values() for v in vs], {}, "none"),
        (TV1[:4], {}, "insufficient"),
    ],
)
def test_status_of_worked_vectors(values, kwargs, status):
    stats = item_statistics(answers(values), **kwargs)
    assert consensus_status(stats).loc["q"] == status


def test_tv1_type6_would_give_none():
    stats = item_statistics(answers(TV1), quantile_method="type6")
    assert consensus_status(stats).loc["q"] == "none"


def test_tv8_grade_70_15_rule():
    stats = item_statistics(answers(TV8), scale=9, agreement_band=(7, 9), disagreement_band=(1, 3))
    status = consensus_status(
        stats,
        "agreement >= 0.70 and disagreement < 0.15",
        "disagreement >= 0.70 and agreement < 0.15",
    )
    assert status.loc["q"] == "in"


@pytest.mark.parametrize(
    "rule",
    [
        "agreement >= 0.75",
        "iqr <= 1 and median >= 4",
        "(iqr <= 1 or sd <= 1.5) and median >= 4",
        "top1 >= 0.51 and iqr <= 1 and sd <= 1",
        "rwg >= 0.70",
        "ad_md <= k/6",
        "cv <= 0.5",
        "not (iqr > 1) and -median < -3",
        "1 <= median <= 5",
    ],
)
def test_method_alternatives_are_valid(rule):
    assert validate_rule(rule) <= RULE_NAMES["likert"]
    apply_rule(item_statistics(answers(TV1)), rule)


def test_other_kinds():
    assert validate_rule("w >= 0.7", "ranking") == {"w"}
    assert validate_rule("top_share >= 0.5", "choice") == {"top_share"}
    assert validate_rule("net_change < 0.15 and wilcoxon_p >= 0.05", "stability") == {
        "net_change",
        "wilcoxon_p",
    }
    with pytest.raises(ValueError, match="unknown name 'w'"):
        validate_rule("w >= 0.7", "likert")
    with pytest.raises(ValueError, match="kind"):
        validate_rule("n > 1", "text")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("iqr <= 1 and agreemnt >= 0.7", "'agreemnt' is not a statistic .*did you mean agreement"),
        ("iqr <= 1 and happiness >= 0.7", "unknown name 'happiness'"),
        ("__import__('os').system('true')", "functions such as"),
        ("stats.iqr <= 1", "'stats.iqr' cannot be used in a rule"),
        ("median.real >= 4", "'median.real' cannot be used"),
        ("abs(median) >= 4", "functions such as 'abs\\(median\\)'"),
        ("(lambda: 1)() == 1", "functions such as"),
        ("(lambda x: x) == 1", "'lambda x: x' cannot be used"),
        ("counts[4] > 2", "'counts\\[4\\]' cannot be used"),
        ("median ** 2 >= 16", "^\\*\\* cannot be used in a rule"),
        ("median // 2 >= 2", "^// cannot be used"),
        ("median in (4, 5)", "compare with <, <=, >, >=, == or != only"),
        ("median is 4", "uses a word such as is or in"),
        ("'a' < 'b'", "text in quotes \\('a'\\)"),
        ("True", "True and False cannot be used"),
        ("median", "must be a condition such as agreement >= 0.70: 'median' alone is a number"),
        ("iqr <= 1 and 0.7", "'0.7' is not a condition: and and or join conditions"),
        ("median + (iqr < 1) > 2", "'iqr < 1' is a condition, not a number"),
        ("not median", "not needs a condition after it"),
        ("[x for x in n] == 1", "cannot be used in a rule"),
        ("iqr <= 1;", "cannot be read from ';' on"),
        ("iqr <=", "not complete: something is missing after '<='"),
        ("iqr <= 1 and", "not complete: something is missing after 'and'"),
        ("and iqr <= 1", "something is missing before 'and'"),
        ("iqr <= 1 agreement >= 0.7", "something is missing between '1' and 'agreement'"),
        ("(iqr <= 1", "opened with \\( but not closed"),
        ("iqr <= 1)", "closing bracket"),
        ("median = 4", "a single = is not a comparison"),
        ("median =< 4", "write =< as <="),
        ("iqr <= 1 && median >= 4", "write && as and"),
        ("iqr <= 1 & median >= 4", "write and and or as words"),
        ("agreement >= 70%", "write shares as decimals: 70% is 0.7"),
        ("agreement >= 0,70", "write decimals with a point"),
        ("", "the rule is empty"),
        ("n > 1 " + "and n > 1 " * 60, "longer"),
        ("median := 4", "a single = is not a comparison"),
        ("median if n else iqr", "cannot be used in a rule"),
        ("~n > 1", "^~ cannot be used"),
        ("1e999 > n", "too large"),
    ],
)
def test_forbidden_or_invalid_rules_are_rejected(rule, message):
    with pytest.raises(ValueError, match=message) as refused:
        validate_rule(rule)
    # plain words: never the parser's own report
    assert "<unknown>" not in str(refused.value) and "invalid syntax" not in str(refused.value)
    with pytest.raises(ValueError):
        apply_rule(item_statistics(answers(TV1)), rule)


def test_non_string_rule():
    with pytest.raises(ValueError):
        validate_rule(["iqr <= 1"])


def test_null_operand_gives_na_and_insufficient():
    stats = _stats(n=[10, 1], iqr=[0.5, 0.0], agreement=[0.8, 1.0], sd=[0.5, np.nan])
    result = apply_rule(stats, "iqr <= 1 and sd <= 1.5")
    assert str(result.dtype) == "boolean"
    assert bool(result.iloc[0])
    assert result.isna().tolist() == [False, True]
    status = consensus_status(stats, "iqr <= 1 and sd <= 1.5", None, min_n=1)
    assert status.tolist() == ["in", "insufficient"]


def test_null_operand_counts_even_if_other_branch_decides():
    stats = _stats(n=[9], iqr=[0.5], sd=[np.nan])
    assert apply_rule(stats, "iqr <= 1 or sd <= 1.5").isna().all()


def test_division_by_zero_is_null_only_when_undefined():
    stats = _stats(n=[5, 5], mean=[0.0, 2.0], sd=[0.0, 1.0])
    result = apply_rule(stats, "sd / mean <= 0.5")
    assert result.isna().tolist() == [True, False]
    assert bool(result.iloc[1])


def test_infinity_compares():
    stats = _stats(n_paired=[12, 12], cv_change=[np.inf, 0.0])
    assert apply_rule(stats, "cv_change < 0.15").tolist() == [False, True]


def test_values_rounded_to_ten_decimals_before_comparison():
    stats = _stats(n=[10, 10], agreement=[0.7 - 1e-12, 0.7 - 1e-9], iqr=[1 + 1e-12, 1.0])
    assert apply_rule(stats, "agreement >= 0.70 and iqr <= 1").tolist() == [True, False]


def test_chained_comparison_and_arithmetic():
    stats = _stats(median=[3.0, 4.5], q1=[2.0, 4.0], q3=[4.0, 5.0], k=[5, 5])
    assert apply_rule(stats, "q1 < median < q3").tolist() == [True, True]
    assert apply_rule(stats, "q3 - q1 <= k / 5 and median * 2 >= 8").tolist() == [False, True]


def test_missing_column_is_reported():
    with pytest.raises(ValueError, match="'top_share'"):
        apply_rule(item_statistics(answers(TV1)), "top_share >= 0.5")


def test_empty_stats_give_empty_results():
    empty = item_statistics(pd.DataFrame({"item": [], "value": []}))
    assert apply_rule(empty, "iqr <= 1").empty
    assert consensus_status(empty).empty


def test_conflict_is_logged(caplog):
    stats = _stats(n=[8], iqr=[0.0], agreement=[0.8], disagreement=[0.8])
    with caplog.at_level(logging.WARNING, logger="app.consensus.rules"):
        status = consensus_status(stats)
    assert status.tolist() == ["conflict"]
    assert "conflict" in caplog.text


def test_status_respects_min_n_and_keeps_index():
    stats = item_statistics(pd.concat([answers(TV1, "a"), answers(TV2, "b")]))
    assert consensus_status(stats, min_n=8).to_dict() == {"a": "insufficient", "b": "out"}
    with pytest.raises(ValueError, match="min_n"):
        consensus_status(stats, min_n=0)


def test_rules_apply_to_group_cells(tv3_answers):
    cells = group_breakdown(tv3_answers).cells
    status = consensus_status(cells)
    published = cells["status"] == "published"
    assert set(status[~published]) == {"insufficient"}
    assert status[published].tolist() == ["in", "in"]


def test_scope_panel_and_groups():
    agreeing = grouped({"employers": [5, 5, 4, 5, 4], "education-providers": [4, 4, 5, 4, 5]})
    split = grouped({"employers": [5, 5, 5, 5, 5, 5, 5, 5], "education-providers": [4, 3, 3, 4, 3]})
    split["item"] = "r"
    frame = pd.concat([agreeing, split], ignore_index=True)
    stats = item_statistics(frame)
    cells = group_breakdown(frame).cells
    assert consensus_status(stats).to_dict() == {"q": "in", "r": "in"}
    assert consensus_status(stats, groups=cells).to_dict() == {"q": "in", "r": "none"}
    with pytest.raises(ValueError, match="status"):
        consensus_status(stats, groups=cells.drop(columns="status"))
