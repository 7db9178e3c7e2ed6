"""The pre-registered analysis plan (METHOD §3): validated, canonical JSON, SHA-256 hash."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from numbers import Integral, Real
from typing import Any

from ._counts import QUANTILE_METHODS
from ._messages import N_, english
from .groups import MIN_GROUP_N_FLOOR
from .rules import (
    DEFAULT_CONSENSUS_IN,
    DEFAULT_CONSENSUS_MID,
    DEFAULT_CONSENSUS_OUT,
    DEFAULT_MIN_N,
    DEFAULT_STABILITY_RULE,
    RuleError,
    check_reachable,
    validate_rule,
)
from .stability import ZERO_METHODS
from .uncertainty import DEFAULT_B, DEFAULT_SEED

WEIGHTINGS = ("balanced", "none")
SCOPES = ("panel", "panel_and_groups")
#: Fields added after the first plans were locked, with their defaults. While a field holds
#: its default it is left out of the canonical JSON, so that the fingerprint of a plan locked
#: before the field existed stays the same.
LATER_FIELDS: dict[str, Any] = {"group_feedback": True, "consensus_mid": None}
#: Defaults of a new plan that differ from those a stored plan without the field is read with
#: (``LATER_FIELDS``): a new plan has a rule for agreement on a middle position, a plan locked
#: before that rule existed keeps its meaning (no such rule) and its fingerprint.
NEW_PLAN_DEFAULTS: dict[str, Any] = {"consensus_mid": DEFAULT_CONSENSUS_MID}


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


def _check_fields(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[PlanError]]:
    """Each field checked on its own: (the checked values, every problem found)."""
    checks = {
        "consensus_in": lambda v: _rule("consensus_in", v, "likert"),
        "consensus_out": lambda v: None if v is None else _rule("consensus_out", v, "likert"),
        "consensus_mid": lambda v: None if v is None else _rule("consensus_mid", v, "likert"),
        "min_n": lambda v: _integer("min_n", v, 1),
        "agreement_band": lambda v: _band("agreement_band", v),
        "disagreement_band": lambda v: _band("disagreement_band", v),
        "stability_rule": lambda v: _rule("stability_rule", v, "stability"),
        "zero_method": lambda v: _choice("zero_method", v, ZERO_METHODS),
        "max_rounds": lambda v: _integer("max_rounds", v, 1, 20),
        "carry_settled": lambda v: _flag("carry_settled", v),
        "confirm_consensus": lambda v: _flag("confirm_consensus", v),
        "scope": lambda v: _choice("scope", v, SCOPES),
        "min_group_n": lambda v: _integer("min_group_n", v, MIN_GROUP_N_FLOOR),
        "contested_alpha": lambda v: _number("contested_alpha", v, 0.0, 1.0, open_low=True),
        "contested_median_diff": lambda v: _number(
            "contested_median_diff", v, 0.0, None, open_low=True
        ),
        "bootstrap_b": lambda v: _integer("bootstrap_b", v, 100, 1_000_000),
        "bootstrap_seed": lambda v: _integer("bootstrap_seed", v, 0, 2**63 - 1),
        "quantile_method": lambda v: _choice("quantile_method", v, QUANTILE_METHODS),
        "weighting": lambda v: _choice("weighting", v, WEIGHTINGS),
        "group_feedback": lambda v: _flag("group_feedback", v),
    }
    checked: dict[str, Any] = {}
    problems: list[PlanError] = []
    for name, check in checks.items():
        try:
            checked[name] = check(values[name])
        except PlanError as exc:
            problems.append(exc)
    agree, disagree = checked.get("agreement_band"), checked.get("disagreement_band")
    if agree and disagree and not (disagree[1] < agree[0] or agree[1] < disagree[0]):
        problems.append(
            _fail(
                "disagreement_band",
                N_("%(band)s overlaps agreement_band %(other)s"),
                band=repr(disagree),
                other=repr(agree),
            )
        )
    return checked, problems


#: The plan's rules, and whose statistics each reads.
RULE_FIELDS = {
    "consensus_in": "likert",
    "consensus_out": "likert",
    "consensus_mid": "likert",
    "stability_rule": "stability",
}


def _unreachable(checked: Mapping[str, Any], scales: Iterable[int]) -> list[PlanError]:
    """The valid rules among ``checked`` that no set of answers can meet, as problems."""
    scales = tuple(scales)
    problems = []
    for name, kind in RULE_FIELDS.items():
        rule = checked.get(name)
        if rule is None:
            continue
        try:
            check_reachable(
                rule,
                kind,
                scales=scales,
                agreement_band=checked.get("agreement_band"),
                disagreement_band=checked.get("disagreement_band"),
            )
        except RuleError as exc:
            problems.append(PlanError(name, exc.message, exc.params))
    return problems


@dataclass(frozen=True)
class AnalysisPlan:
    """Rules and parameters fixed before round 1 opens; every field is validated on creation.

    Fields (defaults from METHOD §3-§7): ``consensus_in``/``consensus_out`` (rules; out may be
    None), ``consensus_mid`` (rule for agreement on a middle position, None = none: the
    default when a stored plan lacks it; :meth:`new` gives a new plan the default rule),
    ``min_n``, ``agreement_band``/``disagreement_band`` (plan-wide overrides, None = the
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
    #: Agreement on a middle position; None (plans made before it existed): no such status.
    #: A new plan gets ``DEFAULT_CONSENSUS_MID`` (:meth:`new`).
    consensus_mid: str | None = None
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
        checked, problems = _check_fields({f.name: getattr(self, f.name) for f in fields(self)})
        if problems:
            raise problems[0]
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def problems(
        cls, data: Mapping[str, Any], *, scales: Iterable[int] | None = None
    ) -> list[PlanError]:
        """Every problem of a plan given as a mapping, at once (a form shows them together);
        absent fields take their defaults. Empty when ``from_dict(data)`` would succeed.

        With ``scales`` (the consultation's numbers of scale points), the valid rules are also
        checked to be reachable (see :meth:`unreachable_rules`), as a plan being saved is."""
        if not isinstance(data, Mapping):
            return [_fail("plan", N_("%(type)s is not a mapping"), type=type(data).__name__)]
        known = {f.name: f for f in fields(cls)}
        found = [
            _fail(str(k), N_("is not a field of the analysis plan"))
            for k in sorted(str(k) for k in data if k not in known)
        ]
        values = {name: data.get(name, f.default) for name, f in known.items()}
        checked, problems = _check_fields(values)
        found += problems
        if scales is not None:
            faulty = {p.field for p in problems}
            found += _unreachable({k: v for k, v in checked.items() if k not in faulty}, scales)
        return found

    @classmethod
    def new(cls, data: Mapping[str, Any] | None = None) -> AnalysisPlan:
        """A plan for a new consultation: the defaults of :data:`NEW_PLAN_DEFAULTS` (the rule
        for agreement on a middle position), then ``data``. ``from_dict`` reads stored plans,
        whose absent later fields keep the meaning they had when the plan was made.

        Raises:
            ValueError: as :meth:`from_dict`.
        """
        return cls.from_dict({**NEW_PLAN_DEFAULTS, **dict(data or {})})

    def unreachable_rules(self, scales: Iterable[int] = (5, 7)) -> list[PlanError]:
        """The plan's rules that no set of answers can meet, as problems of their fields.

        A rule such as ``agreement >= 70`` (agreement is a share from 0 to 1) is valid but can
        never hold, so that no item could ever reach consensus once the plan is locked. Checked
        when a plan is saved, never when a stored plan is read. ``scales``: the numbers of
        scale points (k) the consultation's rating items use; a rule has to be reachable on one.
        """
        return _unreachable({f.name: getattr(self, f.name) for f in fields(self)}, scales)

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
