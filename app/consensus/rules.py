"""Pre-registered rules (METHOD §3): a small expression language over an item's statistics.

A rule such as ``"iqr <= 1 and agreement >= 0.70"`` is parsed with :mod:`ast` and checked
against a node whitelist: numbers, statistic names, ``+ - * /``, comparisons, ``and or not`` and
parentheses. Nothing is ever passed to ``eval``. Evaluation is vectorised over a statistics frame.
"""

from __future__ import annotations

import ast
import logging
import math
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from ._frames import rounded
from ._messages import N_, english

log = logging.getLogger(__name__)

DEFAULT_CONSENSUS_IN = "iqr <= 1 and agreement >= 0.70"
DEFAULT_CONSENSUS_OUT = "iqr <= 1 and disagreement >= 0.70"
DEFAULT_STABILITY_RULE = "net_change < 0.15 and wilcoxon_p >= 0.05"
DEFAULT_MIN_N = 5

#: Names a rule may use, per kind of rule.
RULE_NAMES: Mapping[str, frozenset[str]] = {
    "likert": frozenset(
        [
            "n",
            "k",
            "median",
            "q1",
            "q3",
            "iqr",
            "mean",
            "sd",
            "cv",
            "agreement",
            "disagreement",
            "top1",
            "rwg",
            "ad_md",
        ]
    ),
    "estimate": frozenset(["n", "median", "q1", "q3", "iqr", "mean", "sd", "cv"]),
    "ranking": frozenset({"n", "w"}),
    "choice": frozenset({"n", "top_share"}),
    "stability": frozenset({"n_paired", "cv_change", "net_change", "wilcoxon_p"}),
}
ALL_RULE_NAMES = frozenset().union(*RULE_NAMES.values())
#: Consensus statuses of METHOD §3.
STATUSES = ("in", "out", "none", "conflict", "insufficient")
MAX_RULE_LENGTH = 500

_COMPARE = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_ARITHMETIC = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
_NUM, _BOOL = "number", "condition"


class RuleError(ValueError):
    """An invalid rule: ``message`` is an English message id (``N_``) whose ``%(name)s``
    placeholders ``params`` fill; ``str()`` is the English text."""

    def __init__(self, message: str, params: Mapping[str, object] | None = None) -> None:
        self.message = message
        self.params = dict(params) if params else None
        super().__init__(english(message, self.params))


#: What a part of a rule needs, as the refusal says it when it gets something else.
_NEEDS = {
    "and/or": N_("rule %(rule)s: and/or needs a condition"),
    "not": N_("rule %(rule)s: not needs a condition"),
    "sign": N_("rule %(rule)s: a sign needs a number"),
    "arithmetic": N_("rule %(rule)s: arithmetic needs a number"),
    "comparison": N_("rule %(rule)s: a comparison needs a number"),
}


class _Checker:
    def __init__(self, rule: str, allowed: frozenset[str]):
        self.rule = rule
        self.allowed = allowed
        self.names: set[str] = set()

    def fail(self, message: str, **params: object) -> RuleError:
        return RuleError(message, {"rule": repr(self.rule), **params})

    def check(self, node: ast.AST) -> str:
        if isinstance(node, ast.BoolOp) and type(node.op) in (ast.And, ast.Or):
            for value in node.values:
                self.expect(value, _BOOL, "and/or")
            return _BOOL
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                self.expect(node.operand, _BOOL, "not")
                return _BOOL
            if isinstance(node.op, ast.USub | ast.UAdd):
                self.expect(node.operand, _NUM, "sign")
                return _NUM
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            self.expect(node.left, _NUM, "arithmetic")
            self.expect(node.right, _NUM, "arithmetic")
            return _NUM
        if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
            for operand in (node.left, *node.comparators):
                self.expect(operand, _NUM, "comparison")
            return _BOOL
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in self.allowed:
                raise self.fail(
                    N_("rule %(rule)s: unknown name %(name)s (allowed: %(allowed)s)"),
                    name=repr(node.id),
                    allowed=", ".join(sorted(self.allowed)),
                )
            self.names.add(node.id)
            return _NUM
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, int | float) and not isinstance(value, bool):
                if not math.isfinite(value):
                    raise self.fail(
                        N_("rule %(rule)s: number %(value)s is not finite"), value=repr(value)
                    )
                return _NUM
            raise self.fail(
                N_("rule %(rule)s: constant %(value)s is not a number"), value=repr(value)
            )
        construct = type(getattr(node, "op", None) or node).__name__
        raise self.fail(N_("rule %(rule)s: %(construct)s is not allowed"), construct=construct)

    def expect(self, node: ast.AST, kind: str, part: str) -> None:
        if self.check(node) != kind:
            raise self.fail(_NEEDS[part])


def _parse(rule: str, allowed: frozenset[str]) -> tuple[ast.AST, frozenset[str]]:
    if not isinstance(rule, str) or not rule.strip():
        raise RuleError(N_("rule %(rule)s is empty or not a string"), {"rule": repr(rule)})
    return _parse_text(rule, allowed)


@lru_cache(maxsize=256)
def _parse_text(rule: str, allowed: frozenset[str]) -> tuple[ast.AST, frozenset[str]]:
    if len(rule) > MAX_RULE_LENGTH:
        raise RuleError(N_("rule is longer than %(n)s characters"), {"n": MAX_RULE_LENGTH})
    try:
        tree = ast.parse(rule.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise RuleError(
            N_("rule %(rule)s is not a valid expression: %(error)s"),
            {"rule": repr(rule), "error": str(exc)},
        ) from None
    checker = _Checker(rule, allowed)
    if checker.check(tree.body) != _BOOL:
        raise checker.fail(
            N_("rule %(rule)s: must be a condition (a comparison, possibly joined by and/or/not)")
        )
    return tree.body, frozenset(checker.names)


def _allowed(kind: str | None) -> frozenset[str]:
    if kind is None:
        return ALL_RULE_NAMES
    if kind not in RULE_NAMES:
        raise ValueError(f"rule kind {kind!r} is not one of {', '.join(RULE_NAMES)}")
    return RULE_NAMES[kind]


def validate_rule(rule: str, kind: str | None = "likert") -> frozenset[str]:
    """Check a rule before a plan is saved; return the statistic names it uses.

    Args:
        rule: the expression, e.g. ``"iqr <= 1 and agreement >= 0.70"``.
        kind: ``likert``, ``estimate``, ``ranking``, ``choice`` or ``stability`` (whose names
            the rule may use, see :data:`RULE_NAMES`); ``None`` allows every known name.

    Returns:
        The set of statistic names the rule reads.

    Raises:
        RuleError (a ValueError): syntax error, a name the kind does not know, or forbidden
            syntax (attribute access, calls, subscripts, lambdas, strings, ``**`` ...), or a
            non-condition result.
    """
    return _parse(rule, _allowed(kind))[1]


def _evaluate(node: ast.AST, env: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(values, null mask) of a checked node."""
    if isinstance(node, ast.Name):
        values = env[node.id]
        return values, np.isnan(values)
    if isinstance(node, ast.Constant):
        size = len(next(iter(env.values()))) if env else 0
        return np.full(size, float(node.value)), np.zeros(size, dtype=bool)
    if isinstance(node, ast.UnaryOp):
        values, null = _evaluate(node.operand, env)
        if isinstance(node.op, ast.Not):
            return ~values, null
        return (-values if isinstance(node.op, ast.USub) else values), null
    if isinstance(node, ast.BinOp):
        left, left_null = _evaluate(node.left, env)
        right, right_null = _evaluate(node.right, env)
        with np.errstate(all="ignore"):
            values = _ARITHMETIC[type(node.op)](left, right)
        return values, left_null | right_null | np.isnan(values)
    if isinstance(node, ast.Compare):
        operands = [_evaluate(node.left, env)]
        operands += [_evaluate(c, env) for c in node.comparators]
        result = np.ones(len(operands[0][0]), dtype=bool)
        null = np.zeros(len(result), dtype=bool)
        for op, (left, left_null), (right, right_null) in zip(
            node.ops, operands, operands[1:], strict=False
        ):
            with np.errstate(invalid="ignore"):
                result &= _COMPARE[type(op)](rounded(left), rounded(right))
            null |= left_null | right_null
        return result, null
    if isinstance(node, ast.BoolOp):
        parts = [_evaluate(v, env) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        values = combine.reduce([p[0] for p in parts])
        null = np.logical_or.reduce([p[1] for p in parts])
        return values, null
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover


def _column(stats: pd.DataFrame, name: str) -> np.ndarray:
    if name not in stats.columns:
        raise ValueError(f"the statistics have no column {name!r} used by the rule")
    return stats[name].to_numpy(dtype=float, na_value=np.nan)


def apply_rule(stats: pd.DataFrame, rule: str, kind: str | None = None) -> pd.Series:
    """Evaluate a pre-registered rule on every row of a statistics frame.

    Args:
        stats: a frame with one row per item (or cell), holding the columns the rule names, e.g.
            the result of :func:`item_statistics` or :func:`round_stability`.
        rule: the expression (see :func:`validate_rule`). Both sides of every comparison are
            rounded to 10 decimals first.
        kind: restrict names to one kind of rule; ``None`` allows every known name.

    Returns:
        Series (nullable ``boolean`` dtype, index of ``stats``): True where the rule holds, False
        where it does not, ``<NA>`` where any statistic the rule uses is null (NaN) or an
        arithmetic step is undefined (0/0): the result is then *insufficient*. ``inf`` (e.g. a
        ``cv_change`` after a zero CV) compares as a number.

    Raises:
        ValueError: the rule is invalid, or ``stats`` lacks a column it uses.
    """
    if not isinstance(stats, pd.DataFrame):
        raise TypeError(f"stats must be a pandas DataFrame, not {type(stats).__name__}")
    tree, names = _parse(rule, _allowed(kind))
    env = {name: _column(stats, name) for name in sorted(names)}
    if not env:
        env = {"": np.zeros(len(stats))}
    values, null = _evaluate(tree, env)
    array = pd.array(values.astype(bool), dtype="boolean")
    array[null] = pd.NA
    return pd.Series(array, index=stats.index.copy(), name=None)


def consensus_status(
    stats: pd.DataFrame,
    consensus_in: str = DEFAULT_CONSENSUS_IN,
    consensus_out: str | None = DEFAULT_CONSENSUS_OUT,
    min_n: int = DEFAULT_MIN_N,
    kind: str | None = None,
    *,
    groups: pd.DataFrame | None = None,
) -> pd.Series:
    """Consensus status per row (METHOD §3).

    Args:
        stats: statistics frame with an ``n`` column and the columns the rules use (one row per
            item, e.g. :func:`item_statistics`, or per cell, e.g. ``group_breakdown().cells``).
        consensus_in: rule for agreement that the item matters.
        consensus_out: rule for agreement that it does not; ``None`` if the plan has none.
        min_n: fewer valid answers than this gives ``insufficient``.
        kind: restrict the rules' names to one kind (see :data:`RULE_NAMES`).
        groups: for the plan scope ``panel_and_groups``: the ``cells`` frame of
            :func:`group_breakdown` (columns ``item``, ``status`` and the statistics). An item
            then keeps ``in``/``out`` only if every published group of it has the same status;
            otherwise it becomes ``none``. Suppressed groups and groups without answers are
            not considered.

    Returns:
        Series ``consensus_status`` (index of ``stats``) with ``insufficient`` (n < min_n or a
        null operand), ``in`` (only the in-rule holds), ``out`` (only the out-rule holds),
        ``none`` (neither) or ``conflict`` (both; logged, to be treated as none).

    Raises:
        ValueError: an invalid rule, a missing column or ``min_n`` < 1.
        TypeError: ``stats`` (or ``groups``) is not a DataFrame.
    """
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer) or min_n < 1:
        raise ValueError(f"min_n {min_n!r} must be a positive integer")
    if not isinstance(stats, pd.DataFrame):
        raise TypeError(f"stats must be a pandas DataFrame, not {type(stats).__name__}")
    n = _column(stats, "n")
    holds_in = apply_rule(stats, consensus_in, kind)
    if consensus_out is None:
        holds_out = pd.Series(pd.array([False] * len(stats), dtype="boolean"), index=stats.index)
    else:
        holds_out = apply_rule(stats, consensus_out, kind)
    in_ = holds_in.to_numpy(dtype=bool, na_value=False)
    out = holds_out.to_numpy(dtype=bool, na_value=False)
    null = holds_in.isna().to_numpy() | holds_out.isna().to_numpy()
    insufficient = null | ~(np.nan_to_num(n, nan=-1) >= min_n)
    status = np.select(
        [insufficient, in_ & out, in_, out], ["insufficient", "conflict", "in", "out"], "none"
    ).astype(object)
    if groups is not None:
        status = _within_groups(stats, status, groups, consensus_in, consensus_out, min_n, kind)
    result = pd.Series(status, index=stats.index.copy(), name="consensus_status")
    conflicts = result.index[status == "conflict"]
    if len(conflicts):
        log.warning("consensus rules both hold (conflict, treated as none) for %s", list(conflicts))
    return result


def _within_groups(stats, status, groups, consensus_in, consensus_out, min_n, kind):
    """Downgrade in/out to none where a published group of the item does not share it."""
    if not isinstance(groups, pd.DataFrame):
        raise TypeError(f"groups must be a pandas DataFrame, not {type(groups).__name__}")
    for column in ("item", "status"):
        if column not in groups.columns:
            raise ValueError(f"groups lacks the column {column!r}")
    published = groups[groups["status"] == "published"]
    if not len(published):
        return status
    cell_status = consensus_status(published, consensus_in, consensus_out, min_n, kind)
    item_status = pd.Series(status, index=stats.index)
    expected = item_status.reindex(published["item"].to_numpy()).to_numpy()
    differs = (
        pd.Series(cell_status.to_numpy() != expected).groupby(published["item"].to_numpy()).any()
    )
    broken = item_status.index.isin(differs.index[differs.to_numpy()])
    return np.where(broken & np.isin(status, ["in", "out"]), "none", status).astype(object)
