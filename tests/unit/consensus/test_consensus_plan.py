"""The analysis plan (METHOD §3): defaults, validation, canonical JSON and hash; package purity."""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path

import pytest

import app.consensus as consensus
from app.consensus import AnalysisPlan

PACKAGE = Path(consensus.__file__).resolve().parent
ALLOWED_IMPORTS = {"numpy", "pandas", "scipy"}


def test_defaults_follow_method():
    plan = AnalysisPlan()
    assert plan.consensus_in == "iqr <= 1 and agreement >= 0.70"
    assert plan.consensus_out == "iqr <= 1 and disagreement >= 0.70"
    assert plan.stability_rule == "net_change < 0.15 and wilcoxon_p >= 0.05"
    assert (plan.min_n, plan.max_rounds, plan.min_group_n) == (5, 3, 5)
    assert (plan.carry_settled, plan.confirm_consensus) == (False, False)
    assert (plan.contested_alpha, plan.contested_median_diff) == (0.05, 2.0)
    assert (plan.bootstrap_b, plan.bootstrap_seed) == (2000, 12345)
    assert plan.group_feedback is True  # groups were always shown in feedback
    assert (plan.quantile_method, plan.weighting, plan.zero_method) == (
        "type7",
        "balanced",
        "wilcox",
    )


def test_canonical_json_and_hash():
    plan = AnalysisPlan(agreement_band=(7, 9), disagreement_band=[1, 3], consensus_in="median >= 7")
    text = plan.to_json()
    assert text == json.dumps(
        json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert " " not in text.replace("iqr <= 1 and disagreement >= 0.70", "").replace(
        "net_change < 0.15 and wilcoxon_p >= 0.05", ""
    ).replace("median >= 7", "")
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert plan.sha256() == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert plan.agreement_band == (7, 9) and plan.disagreement_band == (1, 3)
    assert json.loads(text)["agreement_band"] == [7, 9]


def test_round_trip_and_hash_stability():
    plan = AnalysisPlan(contested_median_diff=2, min_group_n=6, confirm_consensus=True)
    again = AnalysisPlan.from_dict(json.loads(plan.to_json()))
    assert again == plan and again.sha256() == plan.sha256()
    assert plan.contested_median_diff == 2.0 and isinstance(plan.contested_median_diff, float)
    assert AnalysisPlan().sha256() == AnalysisPlan.from_dict({}).sha256()
    assert AnalysisPlan(min_n=6).sha256() != AnalysisPlan().sha256()


def test_group_feedback_keeps_the_fingerprints_of_earlier_plans():
    # fingerprints of plans made before group_feedback existed (stored without the field)
    assert AnalysisPlan().sha256() == (
        "cc832eb32fa5cd310f2180bd8d16a164e72e27a9923f200ab7633f6839ba4c50"
    )
    assert AnalysisPlan(min_group_n=6, carry_settled=True).sha256() == (
        "4e773dbfb2703a2ad888ed9ddaacafbe9ba17322e3effe0cdebbc48de0f48f70"
    )
    assert "group_feedback" not in AnalysisPlan().to_json()
    assert AnalysisPlan().to_dict()["group_feedback"] is True
    off = AnalysisPlan(group_feedback=False)
    assert '"group_feedback":false' in off.to_json() and off.sha256() != AnalysisPlan().sha256()
    assert AnalysisPlan.from_dict(json.loads(off.to_json())) == off
    assert AnalysisPlan.from_dict(off.to_dict()).sha256() == off.sha256()


def test_plan_is_frozen():
    with pytest.raises(AttributeError):
        AnalysisPlan().min_n = 3


def test_plan_without_out_rule():
    plan = AnalysisPlan(consensus_out=None)
    assert '"consensus_out":null' in plan.to_json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("consensus_in", "iqr <= 1 and agreemnt >= 0.7"),
        ("consensus_in", "__import__('os')"),
        ("consensus_out", 3),
        ("stability_rule", "iqr <= 1"),
        ("min_n", 0),
        ("min_n", 2.5),
        ("min_n", True),
        ("max_rounds", 0),
        ("carry_settled", "yes"),
        ("confirm_consensus", 1),
        ("group_feedback", "no"),
        ("group_feedback", 0),
        ("min_group_n", 2),
        ("contested_alpha", 0),
        ("contested_alpha", 1.0),
        ("contested_alpha", float("nan")),
        ("contested_median_diff", 0),
        ("bootstrap_b", 10),
        ("bootstrap_seed", -1),
        ("quantile_method", "type5"),
        ("weighting", "population"),
        ("scope", "groups"),
        ("zero_method", "zsplit"),
        ("agreement_band", (3,)),
        ("agreement_band", (4, 2)),
        ("agreement_band", (0, 2)),
    ],
)
def test_invalid_fields_are_named(field, value):
    with pytest.raises(ValueError, match=rf"^{field}: "):
        AnalysisPlan.from_dict({field: value})


def test_overlapping_bands_and_unknown_fields():
    with pytest.raises(ValueError, match="^disagreement_band: .*overlaps"):
        AnalysisPlan(agreement_band=(3, 5), disagreement_band=(1, 3))
    with pytest.raises(ValueError, match="^colour: is not a field"):
        AnalysisPlan.from_dict({"colour": "blue"})
    with pytest.raises(ValueError, match="mapping"):
        AnalysisPlan.from_dict(["min_n", 5])


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_engine_imports_only_stdlib_numpy_pandas_scipy():
    offenders = [
        f"{path.name}: {name}"
        for path in sorted(PACKAGE.glob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] not in ALLOWED_IMPORTS
        and name.split(".")[0] not in sys.stdlib_module_names
        and name != "__future__"
    ]
    assert offenders == []


def test_public_api_is_exported():
    for name in consensus.__all__:
        assert getattr(consensus, name) is not None
        if callable(getattr(consensus, name)) and not isinstance(getattr(consensus, name), type):
            assert getattr(consensus, name).__doc__, name
