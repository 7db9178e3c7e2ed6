"""Quantitative analysis engine (pure: pandas, numpy, scipy only).

Implements ``METHOD.md``: per-item statistics, pre-registered consensus rules, stability and
stopping, stakeholder groups under disclosure control, balanced aggregation, Kendall's W,
bootstrap intervals and triangulation with forecasts. Inputs and outputs are DataFrames or
frozen dataclasses; nothing here reads configuration, the clock or a database.
"""

from .estimates import estimate_statistics, triangulate
from .groups import (
    GROUPS,
    GroupBreakdown,
    balanced_statistics,
    disclosure_control,
    group_breakdown,
    weighted_quantile,
)
from .items import choice_statistics, item_statistics
from .plan import AnalysisPlan
from .rankings import KendallResult, kendall_w
from .rules import (
    DEFAULT_CONSENSUS_IN,
    DEFAULT_CONSENSUS_OUT,
    DEFAULT_STABILITY_RULE,
    RULE_NAMES,
    apply_rule,
    consensus_status,
    validate_rule,
)
from .stability import StoppingDecision, round_stability, stopping_rule
from .uncertainty import bootstrap_intervals

__all__ = [
    "DEFAULT_CONSENSUS_IN",
    "DEFAULT_CONSENSUS_OUT",
    "DEFAULT_STABILITY_RULE",
    "GROUPS",
    "RULE_NAMES",
    "AnalysisPlan",
    "GroupBreakdown",
    "KendallResult",
    "StoppingDecision",
    "apply_rule",
    "balanced_statistics",
    "bootstrap_intervals",
    "choice_statistics",
    "consensus_status",
    "disclosure_control",
    "estimate_statistics",
    "group_breakdown",
    "item_statistics",
    "kendall_w",
    "round_stability",
    "stopping_rule",
    "triangulate",
    "validate_rule",
    "weighted_quantile",
]
