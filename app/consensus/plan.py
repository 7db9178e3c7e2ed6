"""The pre-registered analysis plan (METHOD §3): validated, canonical JSON, SHA-256 hash."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from numbers import Integral, Real
from typing import Any

from ._counts import QUANTILE_METHODS
from ._messages import N_, english
from .groups import MIN_GROUP_N_FLOOR
from .rules import (
    DEFAULT_CONSENSUS_IN,
    DEFAULT_CONSENSUS_OUT,
    DEFAULT_MIN_N,
    DEFAULT_STABILITY_RULE,
    RuleError,
    validate_rule,
)
from .stability import ZERO_METHODS
from .uncertainty import DEFAULT_B, DEFAULT_SEED

WEIGHTINGS = ("balanced", "none")
SCOPES = ("panel", "panel_and_groups")
#: Fields added after the first plans were locked, with their defaults. While a field holds
#: its default it is left out of the canonical JSON, so that the fingerprint of a plan locked
#: before the field existed stays the same.
LATER_FIELDS = {"group_feedback": True}


class PlanError(ValueError):
    """An invalid analysis plan: ``field`` names the plan field; ``message`` says why, as an
    English message id (``N_``) whose ``%(name)s`` placeholders ``params`` fill (raw values:
    counts, and the offending value as written); ``detail`` is the English text."""

    def __init__(self, field: str, message: str, params: Mapping[str, Any] | None = None) -> None:
        self.field = field
        self.message = message
        self.params = dict(params) if params else None
        self.detail = english(message, self.params)
        super().__init__(f"{field}: {self.detail}")


def _fail(name: str, message: str, **params: Any) -> PlanError:
    return PlanError(name, message, params)


def _integer(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise _fail(name, N_("%(value)s is not an integer"), value=repr(value))
    if value < low or (high is not None and value > high):
        if high is None:
            raise _fail(name, N_("%(value)s must be >= %(low)s"), value=repr(value), low=low)
        raise _fail(
            name,
            N_("%(value)s must be in %(low)s..%(high)s"),
            value=repr(value),
            low=low,
            high=high,
        )
    return int(value)


def _number(name: str, value: Any, low: float, high: float | None, *, open_low: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise _fail(name, N_("%(value)s is not a finite number"), value=repr(value))
    value = float(value)
    if value < low or (open_low and value == low) or (high is not None and value >= high):
        raise _fail(name, N_("%(value)s is out of range"), value=repr(value))
    return value


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, N_("%(value)s is not true or false"), value=repr(value))
    return value


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _fail(
            name,
            N_("%(value)s is not one of %(choices)s"),
            value=repr(value),
            choices=", ".join(allowed),
        )
    return value


def _rule(name: str, value: Any, kind: str) -> str:
    if not isinstance(value, str):
        raise _fail(name, N_("%(value)s is not a rule"), value=repr(value))
    try:
        validate_rule(value, kind)
    except RuleError as exc:
        raise PlanError(name, exc.message, exc.params) from None
    except ValueError as exc:
        raise PlanError(name, str(exc)) from None
    return value


def _band(name: str, value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise _fail(name, N_("%(value)s is not [low, high]"), value=repr(value))
    low = _integer(name, value[0], 1)
    high = _integer(name, value[1], low)
    return low, high


@dataclass(frozen=True)
class AnalysisPlan:
    """Rules and parameters fixed before round 1 opens; every field is validated on creation.

    Fields (defaults from METHOD §3-§7): ``consensus_in``/``consensus_out`` (rules; out may be
    None), ``min_n``, ``agreement_band``/``disagreement_band`` (plan-wide overrides, None = the
    ceil(0.4 k) default), ``stability_rule``, ``zero_method`` (Wilcoxon zeros: ``wilcox`` or
    ``pratt``), ``max_rounds``, ``carry_settled``, ``confirm_consensus``, ``scope`` (``panel``
    or ``panel_and_groups``), ``min_group_n`` (>= 3), ``contested_alpha``,
    ``contested_median_diff``, ``bootstrap_b``, ``bootstrap_seed``, ``quantile_method``
    (``type7`` or ``type6``), ``weighting`` (``balanced``: balanced figures shown beside
    unweighted ones; ``none``) and ``group_feedback`` (panellists' feedback shows each
    published stakeholder group's figures, METHOD §9).

    Raises:
        ValueError: naming the field, for any invalid value.
    """

    consensus_in: str = DEFAULT_CONSENSUS_IN
    consensus_out: str | None = DEFAULT_CONSENSUS_OUT
    min_n: int = DEFAULT_MIN_N
    agreement_band: tuple[int, int] | None = None
    disagreement_band: tuple[int, int] | None = None
    stability_rule: str = DEFAULT_STABILITY_RULE
    zero_method: str = "wilcox"
    max_rounds: int = 3
    carry_settled: bool = False
    confirm_consensus: bool = False
    scope: str = "panel"
    min_group_n: int = 5
    contested_alpha: float = 0.05
    contested_median_diff: float = 2.0
    bootstrap_b: int = DEFAULT_B
    bootstrap_seed: int = DEFAULT_SEED
    quantile_method: str = "type7"
    weighting: str = "balanced"
    group_feedback: bool = True

    def __post_init__(self) -> None:
        checked = {
            "consensus_in": _rule("consensus_in", self.consensus_in, "likert"),
            "consensus_out": None
            if self.consensus_out is None
            else _rule("consensus_out", self.consensus_out, "likert"),
            "min_n": _integer("min_n", self.min_n, 1),
            "agreement_band": _band("agreement_band", self.agreement_band),
            "disagreement_band": _band("disagreement_band", self.disagreement_band),
            "stability_rule": _rule("stability_rule", self.stability_rule, "stability"),
            "zero_method": _choice("zero_method", self.zero_method, ZERO_METHODS),
            "max_rounds": _integer("max_rounds", self.max_rounds, 1, 20),
            "carry_settled": _flag("carry_settled", self.carry_settled),
            "confirm_consensus": _flag("confirm_consensus", self.confirm_consensus),
            "scope": _choice("scope", self.scope, SCOPES),
            "min_group_n": _integer("min_group_n", self.min_group_n, MIN_GROUP_N_FLOOR),
            "contested_alpha": _number(
                "contested_alpha", self.contested_alpha, 0.0, 1.0, open_low=True
            ),
            "contested_median_diff": _number(
                "contested_median_diff", self.contested_median_diff, 0.0, None, open_low=True
            ),
            "bootstrap_b": _integer("bootstrap_b", self.bootstrap_b, 100, 1_000_000),
            "bootstrap_seed": _integer("bootstrap_seed", self.bootstrap_seed, 0, 2**63 - 1),
            "quantile_method": _choice("quantile_method", self.quantile_method, QUANTILE_METHODS),
            "weighting": _choice("weighting", self.weighting, WEIGHTINGS),
            "group_feedback": _flag("group_feedback", self.group_feedback),
        }
        bands = checked["agreement_band"], checked["disagreement_band"]
        if bands[0] and bands[1] and not (bands[1][1] < bands[0][0] or bands[0][1] < bands[1][0]):
            raise _fail(
                "disagreement_band",
                N_("%(band)s overlaps agreement_band %(other)s"),
                band=repr(bands[1]),
                other=repr(bands[0]),
            )
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalysisPlan:
        """Build a plan from a mapping (e.g. parsed JSON); absent fields take their defaults.

        Raises:
            ValueError: naming the field, for an unknown field or an invalid value.
        """
        if not isinstance(data, Mapping):
            raise _fail("plan", N_("%(type)s is not a mapping"), type=type(data).__name__)
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise _fail(unknown[0], N_("is not a field of the analysis plan"))
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (bands as lists), as serialised by :meth:`to_json`."""
        data = asdict(self)
        for name in ("agreement_band", "disagreement_band"):
            if data[name] is not None:
                data[name] = list(data[name])
        return data

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no insignificant whitespace, non-ASCII kept (UTF-8).

        A field of ``LATER_FIELDS`` is left out while it holds its default.
        """
        data = {
            k: v for k, v in self.to_dict().items() if k not in LATER_FIELDS or v != LATER_FIELDS[k]
        }
        return json.dumps(
            data,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )

    def sha256(self) -> str:
        """Hex SHA-256 of the UTF-8 canonical JSON; printed in reports, fixed at lock time."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()
