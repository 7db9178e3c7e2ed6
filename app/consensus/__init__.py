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
    CONSENSUS_STATUSES,
    DEFAULT_CONSENSUS_IN,
    DEFAULT_CONSENSUS_MID,
    DEFAULT_CONSENSUS_OUT,
    DEFAULT_STABILITY_RULE,
    RULE_NAMES,
    STATUSES,
    apply_rule,
    check_reachable,
    consensus_status,
    is_consensus,
    validate_rule,
)
from .stability import StoppingDecision, round_stability, stopping_rule
from .uncertainty import bootstrap_intervals

__all__ = [
    "CONSENSUS_STATUSES",
    "DEFAULT_CONSENSUS_IN",
    "DEFAULT_CONSENSUS_MID",
    "DEFAULT_CONSENSUS_OUT",
    "DEFAULT_STABILITY_RULE",
    "GROUPS",
    "RULE_NAMES",
    "STATUSES",
    "AnalysisPlan",
    "GroupBreakdown",
    "KendallResult",
    "StoppingDecision",
    "apply_rule",
    "balanced_statistics",
    "bootstrap_intervals",
    "check_reachable",
    "choice_statistics",
    "consensus_status",
    "disclosure_control",
    "estimate_statistics",
    "group_breakdown",
    "is_consensus",
    "item_statistics",
    "kendall_w",
    "round_stability",
    "stopping_rule",
    "triangulate",
    "validate_rule",
    "weighted_quantile",
]
