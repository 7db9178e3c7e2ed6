"""Pre-registered rules (METHOD §3): a small expression language over an item's statistics.

A rule such as ``"iqr <= 1 and agreement >= 0.70"`` is parsed with :mod:`ast` and checked
against a node whitelist: numbers, statistic names, ``+ - * /``, comparisons, ``and or not`` and
parentheses. Nothing is ever passed to ``eval``. Evaluation is vectorised over a statistics frame.
"""

from __future__ import annotations

import ast
import difflib
import logging
import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from ._frames import MAX_SCALE, MIN_SCALE, default_bands, rounded
from ._messages import N_, english
from ._reach import RANGES, SHARES, grid_samples, likert_samples, statistic_range

log = logging.getLogger(__name__)

DEFAULT_CONSENSUS_IN = "iqr <= 1 and agreement >= 0.70"
DEFAULT_CONSENSUS_OUT = "iqr <= 1 and disagreement >= 0.70"
#: Agreement on a middle position (neither important nor unimportant): the default of a new
#: plan. Plans made before this rule existed have none (``consensus_mid`` None).
DEFAULT_CONSENSUS_MID = "iqr <= 1 and middle >= 0.70"
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
            "middle",
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
#: Consensus statuses of METHOD §3, with ``mid``: agreement on a middle position.
STATUSES = ("in", "out", "mid", "none", "conflict", "insufficient")
#: The statuses that are a consensus: the panel agrees, that an item matters (``in``), that it
#: does not (``out``) or on a middle position (``mid``). The open API's boolean ``consensus``
#: is true for these (``consensus_status`` says which); ``mid`` counts, since agreement on
#: the middle of the scale is agreement, not dissent.
CONSENSUS_STATUSES = ("in", "out", "mid")
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
    "and/or": N_(
        "%(part)s is not a condition: and and or join conditions such as agreement >= 0.70"
    ),
    "not": N_("not needs a condition after it, such as not (iqr > 1); %(part)s is not one"),
    "sign": N_("%(part)s is a condition, not a number: a sign cannot stand before it"),
    "arithmetic": N_("%(part)s is a condition, not a number: it cannot be added or multiplied"),
    "comparison": N_("%(part)s is a condition, not a number: it cannot be compared"),
}
#: Operators a rule cannot use, by the node of the parsed text.
_SIGNS = {
    ast.Pow: "**",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitXor: "^",
    ast.Invert: "~",
}
_EXAMPLE = "agreement >= 0.70"


class _Checker:
    def __init__(self, rule: str, allowed: frozenset[str]):
        self.rule = rule
        self.source = rule.strip()
        self.allowed = allowed
        self.names: set[str] = set()

    def fail(self, message: str, **params: object) -> RuleError:
        return RuleError(message, {"rule": repr(self.rule), **params})

    def part(self, node: ast.AST) -> str:
        """The text of a node as written (shortened), quoted."""
        text = ast.get_source_segment(self.source, node) or ""
        text = " ".join(text.split())
        return repr(text if len(text) <= 40 else text[:39] + "…")

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
                close = difflib.get_close_matches(node.id, sorted(self.allowed), n=1, cutoff=0.75)
                if close:
                    raise self.fail(
                        N_("%(name)s is not a statistic a rule can use: did you mean %(close)s?"),
                        name=repr(node.id),
                        close=close[0],
                    )
                raise self.fail(
                    N_("rule %(rule)s: unknown name %(name)s (allowed: %(allowed)s)"),
                    name=repr(node.id),
                    allowed=", ".join(sorted(self.allowed)),
                )
            self.names.add(node.id)
            return _NUM
        if isinstance(node, ast.Constant):
            return self.constant(node)
        raise self.refuse(node)

    def constant(self, node: ast.Constant) -> str:
        value = node.value
        if isinstance(value, bool):
            raise self.fail(
                N_(
                    "True and False cannot be used in a rule: write a condition such as %(example)s"
                ),
                example=_EXAMPLE,
            )
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise self.fail(N_("the number %(value)s is too large"), value=self.part(node))
            return _NUM
        if isinstance(value, str):
            raise self.fail(
                N_(
                    "text in quotes (%(part)s) cannot be used in a rule: write the names of "
                    "statistics without quotes"
                ),
                part=ast.get_source_segment(self.source, node) or repr(value),
            )
        raise self.fail(N_("%(part)s cannot be used in a rule"), part=self.part(node))

    def refuse(self, node: ast.AST) -> RuleError:
        """The refusal of a construct outside the whitelist, in plain words."""
        if isinstance(node, ast.Tuple):
            return self.fail(
                N_(
                    "a comma cannot be used in a rule: write decimals with a point (0.70) and "
                    "join conditions with and or or"
                )
            )
        if isinstance(node, ast.Call):
            return self.fail(
                N_("functions such as %(part)s cannot be used in a rule"), part=self.part(node)
            )
        if isinstance(node, ast.BinOp | ast.UnaryOp) and type(node.op) in (ast.BitAnd, ast.BitOr):
            return self.fail(N_("write and and or as words, not as & or |"))
        op = getattr(node, "op", None)
        if type(op) in _SIGNS:
            return self.fail(
                N_("%(sign)s cannot be used in a rule: use + - * / for arithmetic"),
                sign=_SIGNS[type(op)],
            )
        if isinstance(node, ast.Compare):
            return self.fail(
                N_(
                    "compare with <, <=, >, >=, == or != only: %(part)s uses a word such as "
                    "is or in"
                ),
                part=self.part(node),
            )
        return self.fail(
            N_(
                "%(part)s cannot be used in a rule: use numbers, names of statistics, + - * /, "
                "comparisons, and, or, not and brackets"
            ),
            part=self.part(node),
        )

    def expect(self, node: ast.AST, kind: str, part: str) -> None:
        if self.check(node) != kind:
            raise self.fail(_NEEDS[part], part=self.part(node))


def _parse(rule: str, allowed: frozenset[str]) -> tuple[ast.AST, frozenset[str]]:
    if not isinstance(rule, str) or not rule.strip():
        raise RuleError(
            N_("the rule is empty: write a condition such as %(example)s"),
            {"rule": repr(rule), "example": _EXAMPLE},
        )
    return _parse_text(rule, allowed)


_TOKEN = re.compile(r"\s*(\d+(?:[.,]\d*)?%?|\.\d+%?|[A-Za-z_]\w*|<=|>=|==|!=|=<|=>|&&|\|\||\S)")
_JOINS = {"and", "or", "not"}
_OPERATORS = {"<", "<=", ">", ">=", "==", "!=", "+", "-", "*", "/"}


def _tokens(text: str) -> list[str]:
    return [m.group(1) for m in _TOKEN.finditer(text)]


def _operand(token: str) -> bool:
    return bool(re.fullmatch(r"[\d.]+|[A-Za-z_]\w*", token)) and token not in _JOINS


def _syntax_error(rule: str, exc: BaseException) -> RuleError:
    """A rule that does not parse, said in plain words: what is missing or wrong, and where."""
    text = rule.strip()
    tokens = _tokens(text)
    params: dict[str, object] = {"rule": repr(rule)}

    def fail(message: str, **more: object) -> RuleError:
        return RuleError(message, {**params, **more})

    for token in tokens:
        if token.endswith("%") and token[:-1]:
            number = float(token[:-1].replace(",", "."))
            return fail(
                N_("write shares as decimals: %(percent)s is %(decimal)s"),
                percent=token,
                decimal=f"{number / 100:g}",
            )
    for wrong, right in (("=<", "<="), ("=>", ">="), ("&&", "and"), ("||", "or"), ("!", "not")):
        if wrong in tokens:
            return fail(N_("write %(wrong)s as %(right)s"), wrong=wrong, right=right)
    if "=" in tokens:
        return fail(
            N_("a single = is not a comparison: write == for equal, or >= or <="),
        )
    opened = text.count("(") - text.count(")")
    if opened > 0:
        return fail(N_("a bracket is opened with ( but not closed with )"))
    if opened < 0:
        return fail(N_("there is a closing bracket ) without an opening one ("))
    if tokens and (tokens[-1] in _JOINS or tokens[-1] in _OPERATORS):
        return fail(
            N_("the rule is not complete: something is missing after %(word)s"),
            word=repr(tokens[-1]),
        )
    if tokens and (tokens[0] in {"and", "or"} or tokens[0] in _OPERATORS - {"-", "+"}):
        return fail(
            N_("the rule is not complete: something is missing before %(word)s"),
            word=repr(tokens[0]),
        )
    for left, right in zip(tokens, tokens[1:], strict=False):
        if (_operand(left) or left == ")") and (_operand(right) or right == "("):
            return fail(
                N_(
                    "something is missing between %(left)s and %(right)s: a comparison such "
                    "as >= or a word such as and"
                ),
                left=repr(left),
                right=repr(right),
            )
        if left in _OPERATORS | {"and", "or"} and right in (_OPERATORS - {"-", "+"}) | {
            "and",
            "or",
        }:
            return fail(
                N_("something is missing between %(left)s and %(right)s"),
                left=repr(left),
                right=repr(right),
            )
    offset = getattr(exc, "offset", None)
    if isinstance(offset, int) and 0 < offset <= len(text):
        near = text[offset - 1 :][:20]
        return fail(N_("the rule cannot be read from %(part)s on"), part=repr(near))
    return fail(
        N_(
            "the rule cannot be read: use numbers, names of statistics, + - * /, comparisons, "
            "and, or, not and brackets"
        )
    )


@lru_cache(maxsize=256)
def _parse_text(rule: str, allowed: frozenset[str]) -> tuple[ast.AST, frozenset[str]]:
    if len(rule) > MAX_RULE_LENGTH:
        raise RuleError(N_("rule is longer than %(n)s characters"), {"n": MAX_RULE_LENGTH})
    try:
        tree = ast.parse(rule.strip(), mode="eval")
    except (SyntaxError, ValueError) as exc:
        raise _syntax_error(rule, exc) from None
    except (RecursionError, MemoryError):
        raise RuleError(
            N_("the rule is nested too deeply: use fewer brackets"), {"rule": repr(rule)}
        ) from None
    checker = _Checker(rule, allowed)
    try:
        kind = checker.check(tree.body)
    except RecursionError:
        raise RuleError(
            N_("the rule is nested too deeply: use fewer brackets"), {"rule": repr(rule)}
        ) from None
    if kind != _BOOL:
        raise checker.fail(
            N_("the rule must be a condition such as %(example)s: %(part)s alone is a number"),
            example=_EXAMPLE,
            part=checker.part(tree.body),
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


def _bands_for(
    k: int, agreement_band: tuple[int, int] | None, disagreement_band: tuple[int, int] | None
) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """The plan's bands where they fit a k-point scale (else the defaults: None)."""
    agree, disagree = default_bands(k)

    def fits(band):
        return band is not None and 1 <= band[0] <= band[1] <= k

    a = tuple(agreement_band) if fits(agreement_band) else agree
    d = tuple(disagreement_band) if fits(disagreement_band) else disagree
    if not (d[1] < a[0] or a[1] < d[0]):
        return None, None
    return a, d


def _impossible(op: ast.cmpop, value: float, low: float, high: float) -> bool:
    """Whether ``statistic <op> value`` fails for every statistic in [low, high]."""
    if isinstance(op, ast.GtE):
        return high < value
    if isinstance(op, ast.Gt):
        return high <= value
    if isinstance(op, ast.LtE):
        return low > value
    if isinstance(op, ast.Lt):
        return low >= value
    if isinstance(op, ast.Eq):
        return not low <= value <= high
    return False


_FLIPPED = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE}


def _number_of(node: ast.AST) -> float | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _number_of(node.operand)
        if inner is not None:
            return -inner if isinstance(node.op, ast.USub) else inner
    return None


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _unreachable(tree: ast.AST, rule: str, k: int) -> RuleError:
    """Why no answers can meet a rule: the first comparison of a statistic with a number
    outside the statistic's range, or else the conditions contradicting each other."""
    params: dict[str, object] = {"rule": repr(rule)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, right, op = node.left, node.comparators[0], node.ops[0]
        if isinstance(right, ast.Name) and _number_of(left) is not None:
            left, right = right, left
            op = _FLIPPED.get(type(op), type(op))()
        value = _number_of(right)
        if not isinstance(left, ast.Name) or left.id not in RANGES or value is None:
            continue
        low, high = statistic_range(left.id, k)
        if not _impossible(op, value, low, high):
            continue
        name = left.id
        if name in SHARES:
            if 1 < value <= 100:
                return RuleError(
                    N_(
                        "no set of answers can meet this rule: %(name)s is a share between 0 "
                        "and 1; did you mean %(suggestion)s?"
                    ),
                    {**params, "name": name, "suggestion": round(value / 100, 10)},
                )
            return RuleError(
                N_("no set of answers can meet this rule: %(name)s is a share between 0 and 1"),
                {**params, "name": name},
            )
        if math.isinf(high) or _impossible(op, value, low, math.inf):
            return RuleError(
                N_("no set of answers can meet this rule: %(name)s is never below %(low)s"),
                {**params, "name": name, "low": _plain(low)},
            )
        return RuleError(
            N_(
                "no set of answers can meet this rule: %(name)s lies between %(low)s and "
                "%(high)s on a scale of %(k)s points"
            ),
            {**params, "name": name, "low": _plain(low), "high": _plain(high), "k": k},
        )
    return RuleError(
        N_(
            "no set of answers can meet this rule: its conditions cannot all hold at once "
            "(like agreement >= 0.70 and disagreement >= 0.70)"
        ),
        params,
    )


def check_reachable(
    rule: str,
    kind: str | None = "likert",
    *,
    scales: Iterable[int] = (5, 7),
    agreement_band: tuple[int, int] | None = None,
    disagreement_band: tuple[int, int] | None = None,
) -> None:
    """Refuse a rule that no set of answers can meet, such as ``agreement >= 70``.

    A rating rule is evaluated on the statistics of many possible answer distributions of
    each scale in ``scales`` (every distribution of a few answers and a fixed-seed sample of
    distributions of 101 answers; ``n`` also read as very large); it is reachable if it holds
    for at least one. The rules of other kinds (stability, ranking, choice) are evaluated over
    a grid of typical values of their statistics, each taken independently. The search proves
    a rule reachable; it can only miss distributions more exotic than its samples, so it errs
    towards accepting a rule.

    Args:
        rule: the expression (see :func:`validate_rule`).
        kind: whose statistics the rule reads (see :data:`RULE_NAMES`); ``None``: rating.
        scales: the numbers of scale points (k, 3..11) to try for a rating rule.
        agreement_band, disagreement_band: the plan's bands, used on the scales they fit.

    Raises:
        RuleError (a ValueError): the rule is invalid, or no answers can meet it; the message
            says why in plain words (e.g. "agreement is a share between 0 and 1; did you mean
            0.7?").
    """
    tree, names = _parse(rule, _allowed(kind))
    if kind in (None, "likert"):
        ks = sorted({int(k) for k in scales}) or [5]
        bad = [k for k in ks if not MIN_SCALE <= k <= MAX_SCALE]
        if bad:
            raise ValueError(f"scale {bad[0]!r} outside {MIN_SCALE}..{MAX_SCALE}")
        frames = [likert_samples(k, *_bands_for(k, agreement_band, disagreement_band)) for k in ks]
    else:
        ks = [max(scales, default=5)]
        frames = [grid_samples(names)]
    for frame in frames:
        if apply_rule(frame, rule, kind).to_numpy(dtype=bool, na_value=False).any():
            return
    raise _unreachable(tree, rule, max(ks))


def is_consensus(status: object) -> bool:
    """Whether a consensus status is a consensus (see :data:`CONSENSUS_STATUSES`): the value
    of the open API's ``consensus`` field beside ``consensus_status``."""
    return status in CONSENSUS_STATUSES


def consensus_status(
    stats: pd.DataFrame,
    consensus_in: str = DEFAULT_CONSENSUS_IN,
    consensus_out: str | None = DEFAULT_CONSENSUS_OUT,
    min_n: int = DEFAULT_MIN_N,
    kind: str | None = None,
    *,
    groups: pd.DataFrame | None = None,
    consensus_mid: str | None = None,
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
            then keeps ``in``/``out``/``mid`` only if every published group of it has the same
            status; otherwise it becomes ``none``. Suppressed groups and groups without answers
            are not considered.
        consensus_mid: rule for agreement on a middle position (e.g. ``"iqr <= 1 and middle
            >= 0.70"``); ``None`` (the default, and plans made before the rule existed): no
            such status.

    Returns:
        Series ``consensus_status`` (index of ``stats``) with ``insufficient`` (n < min_n or a
        null operand of the in- or out-rule), ``in`` (only the in-rule holds), ``out`` (only the
        out-rule holds), ``conflict`` (both; logged, to be treated as none), ``mid`` (neither
        holds, the middle rule does) or ``none``. The in- and out-rules take precedence: the
        middle rule is read only where neither holds, so it never turns an ``in``, ``out`` or
        ``conflict`` into ``mid``. A null operand of the middle rule (``middle`` on a scale
        without a middle category, k = 4) means it does not hold; it never makes a row
        ``insufficient``.

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
    if consensus_mid is None:
        mid = np.zeros(len(stats), dtype=bool)
    else:
        mid = apply_rule(stats, consensus_mid, kind).to_numpy(dtype=bool, na_value=False)
    in_ = holds_in.to_numpy(dtype=bool, na_value=False)
    out = holds_out.to_numpy(dtype=bool, na_value=False)
    null = holds_in.isna().to_numpy() | holds_out.isna().to_numpy()
    insufficient = null | ~(np.nan_to_num(n, nan=-1) >= min_n)
    status = np.select(
        [insufficient, in_ & out, in_, out, mid],
        ["insufficient", "conflict", "in", "out", "mid"],
        "none",
    ).astype(object)
    if groups is not None:
        status = _within_groups(
            stats, status, groups, consensus_in, consensus_out, min_n, kind, consensus_mid
        )
    result = pd.Series(status, index=stats.index.copy(), name="consensus_status")
    conflicts = result.index[status == "conflict"]
    if len(conflicts):
        log.warning("consensus rules both hold (conflict, treated as none) for %s", list(conflicts))
    return result


def _within_groups(stats, status, groups, consensus_in, consensus_out, min_n, kind, consensus_mid):
    """Downgrade in/out/mid to none where a published group of the item does not share it."""
    if not isinstance(groups, pd.DataFrame):
        raise TypeError(f"groups must be a pandas DataFrame, not {type(groups).__name__}")
    for column in ("item", "status"):
        if column not in groups.columns:
            raise ValueError(f"groups lacks the column {column!r}")
    published = groups[groups["status"] == "published"]
    if not len(published):
        return status
    cell_status = consensus_status(
        published, consensus_in, consensus_out, min_n, kind, consensus_mid=consensus_mid
    )
    item_status = pd.Series(status, index=stats.index)
    expected = item_status.reindex(published["item"].to_numpy()).to_numpy()
    differs = (
        pd.Series(cell_status.to_numpy() != expected).groupby(published["item"].to_numpy()).any()
    )
    broken = item_status.index.isin(differs.index[differs.to_numpy()])
    consensus = np.isin(status, CONSENSUS_STATUSES)
    return np.where(broken & consensus, "none", status).astype(object)
