"""Stability between consecutive rounds and the stopping rule (METHOD §4)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ._frames import DENSE_LIMIT, factorize, likert_input, require_frame, shown
from .rules import CONSENSUS_STATUSES, DEFAULT_MIN_N, DEFAULT_STABILITY_RULE, STATUSES, apply_rule

#: Columns of :func:`round_stability`, in order (index: ``item``).
STABILITY_COLUMNS = (
    "n_paired",
    "cv_previous",
    "cv_current",
    "cv_change",
    "net_change",
    "wilcoxon_n",
    "w_plus",
    "w_minus",
    "wilcoxon_z",
    "wilcoxon_p",
    "stable",
)
ZERO_METHODS = ("wilcox", "pratt")
#: Decisions of :func:`stopping_rule`.
DECISIONS = ("continue", "stop-all-settled", "stop-max-rounds")
#: Final labels of :func:`stopping_rule`: ``consensus-middle`` is agreement on a middle
#: position (status ``mid``); ``dissent`` is kept for stable answers without consensus of any
#: kind.
LABELS = ("consensus-in", "consensus-out", "consensus-middle", "dissent", "unresolved")
#: Label of a settled item by its consensus status.
CONSENSUS_LABELS = {"in": "consensus-in", "out": "consensus-out", "mid": "consensus-middle"}
#: A consensus status as the stopping rule's reasons say it.
_CONSENSUS_REASON = {
    "in": "consensus in",
    "out": "consensus out",
    "mid": "consensus on a middle position",
}


def _remap(codes: np.ndarray, keys: pd.Index, target: pd.Index) -> np.ndarray:
    """Codes over ``keys`` translated to codes over ``target`` (-1 where absent)."""
    if not len(codes):
        return codes
    return target.get_indexer(keys)[codes]


def _panellist_space(current: pd.Series, previous: pd.Series):
    """Panellist codes of both rounds in one space: (current codes, previous codes, size, key).

    Integer ids with a modest range are offset, not hashed; other keys are factorized jointly.
    """
    both = (current, previous)
    if all(
        pd.api.types.is_integer_dtype(s.dtype)
        and not pd.api.types.is_extension_array_dtype(s.dtype)
        for s in both
    ) and (len(current) + len(previous)):
        ends = [(int(s.min()), int(s.max())) for s in both if len(s)]
        low, high = min(e[0] for e in ends), max(e[1] for e in ends)
        if high - low <= 4 * (len(current) + len(previous)) + 1024:
            codes = [s.to_numpy().astype(np.int64) - low for s in both]
            return codes[0], codes[1], high - low + 1, lambda code: code + low
    for name, series in (("current", current), ("previous", previous)):
        missing = series.isna().to_numpy()
        if missing.any():
            raise ValueError(f"panellist missing in row {int(np.argmax(missing))} of {name}")
    joint = np.concatenate([current.to_numpy(dtype=object), previous.to_numpy(dtype=object)])
    codes, keys = factorize(pd.Series(joint, dtype=object), "panellist")
    return codes[: len(current)], codes[len(current) :], len(keys), lambda code: keys[code]


def _check_unique(keys: np.ndarray, space: int, describe, name: str) -> None:
    """Raise if a key (item, panellist) occurs twice; ``describe(row)`` names the row."""
    if not len(keys):
        return
    if space <= DENSE_LIMIT and np.bincount(keys, minlength=space).max() <= 1:
        return
    order = np.argsort(keys, kind="stable")
    repeat = np.flatnonzero(keys[order[1:]] == keys[order[:-1]])
    if len(repeat):
        raise ValueError(f"{describe(int(order[repeat[0] + 1]))} answers more than once in {name}")


def _transitions(cur_keys, cur_values, prev_keys, prev_values, n_items, n_pan, width):
    """Paired answers per item as a transition tensor T[item, x1 - 1, x2 - 1] (counts).

    Keys are item * n_pan + panellist, unique per round; a value 0 marks a missing answer, so
    the dense path codes x1 * (k + 1) + x2 and drops the row and column of 0.
    """
    cells = width * width
    if n_items * n_pan <= DENSE_LIMIT:
        side = width + 1
        joint = np.zeros(n_items * n_pan, dtype=np.int16)
        joint[prev_keys] = prev_values * side
        joint[cur_keys] += cur_values
        offsets = np.arange(n_items, dtype=np.int64)[:, None] * (side * side)
        flat = np.bincount((joint.reshape(n_items, n_pan) + offsets).reshape(-1))
        flat = np.pad(flat, (0, n_items * side * side - len(flat)))
        return flat.reshape(n_items, side, side)[:, 1:, 1:]
    cur_keep, prev_keep = cur_values > 0, prev_values > 0
    cur_keys, cur_values = cur_keys[cur_keep], cur_values[cur_keep]
    prev_keys, prev_values = prev_keys[prev_keep], prev_values[prev_keep]
    common, i_prev, i_cur = np.intersect1d(prev_keys, cur_keys, return_indices=True)
    item = common // n_pan
    joint = item * cells + (prev_values[i_prev] - 1) * width + (cur_values[i_cur] - 1)
    flat = np.bincount(joint.astype(np.int64), minlength=n_items * cells)
    return flat.reshape(n_items, width, width)


def _cv_from_counts(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    categories = np.arange(1, counts.shape[1] + 1, dtype=float)
    nf = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (counts @ categories) / nf
        ss = (counts * (categories[None, :] - np.nan_to_num(mean)[:, None]) ** 2).sum(axis=1)
        sd = np.sqrt(ss / (nf - 1))
        cv = sd / mean
    return np.where((n > 1) & (np.nan_to_num(mean) > 0), cv, np.nan)


def _wilcoxon(transitions: np.ndarray, zero_method: str):
    """Signed-rank W+, W-, n', z and p per item from the transition tensor (normal approx.)."""
    n_items, width, _ = transitions.shape
    grid = np.arange(width)
    difference = grid[None, :] - grid[:, None]  # x2 - x1 for T[., x1, x2]
    signed = np.zeros((n_items, 2 * width - 1), dtype=np.int64)
    flat = transitions.reshape(n_items, width * width)
    for d in range(-(width - 1), width):
        signed[:, d + width - 1] = flat[:, (difference == d).reshape(-1)].sum(axis=1)
    positive = signed[:, width - 1 :].copy()
    negative = signed[:, width - 1 :: -1].copy()
    positive[:, 0] = negative[:, 0] = 0
    counts = positive + negative
    if zero_method == "pratt":
        counts[:, 0] = signed[:, width - 1]
    cum = np.cumsum(counts, axis=1)
    ranks = cum - (counts - 1) / 2.0
    w_plus = (positive * ranks).sum(axis=1)
    w_minus = (negative * ranks).sum(axis=1)
    n_all = counts.sum(axis=1).astype(float)
    zeros = counts[:, 0].astype(float)
    n_nonzero = n_all - zeros
    tied = counts[:, 1:].astype(float)
    tie_term = (tied**3 - tied).sum(axis=1)
    mean = n_all * (n_all + 1) / 4 - zeros * (zeros + 1) / 4
    var = (
        n_all * (n_all + 1) * (2 * n_all + 1) - zeros * (zeros + 1) * (2 * zeros + 1)
    ) / 24 - tie_term / 48
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (w_plus - mean) / np.sqrt(var)
    z = np.where(n_nonzero > 0, z, np.nan)
    p = np.where(n_nonzero > 0, 2 * special.ndtr(-np.abs(np.nan_to_num(z))), 1.0)
    return n_nonzero.astype(np.int64), w_plus, w_minus, z, p


def round_stability(
    previous: pd.DataFrame | None,
    current: pd.DataFrame,
    *,
    scale: int | Mapping[Hashable, int] = 5,
    min_n: int = DEFAULT_MIN_N,
    rule: str = DEFAULT_STABILITY_RULE,
    zero_method: str = "wilcox",
) -> pd.DataFrame:
    """Stability of each Likert item between round r-1 (``previous``) and round r (``current``).

    All statistics use the paired set P: panellists with a valid answer to the item in both
    rounds (NaN values and panellists absent from one round are left out, so attrition does not
    read as opinion change).

    Args:
        previous: round r-1 answers (``item, panellist, value``), or None in round 1.
        current: round r answers, same columns. NaN values are missing answers.
        scale: k (or mapping item -> k), used to validate values.
        min_n: ``stable`` is null when n_paired < min_n.
        rule: stability rule over ``n_paired, cv_change, net_change, wilcoxon_p``.
        zero_method: ``"wilcox"`` (zero differences dropped, METHOD default) or ``"pratt"``.

    Returns:
        DataFrame indexed by the items of ``current`` (sorted) with columns ``n_paired,
        cv_previous, cv_current`` (CV on P; NaN if n_paired < 2), ``cv_change``
        (|CV2 - CV1| / CV1; 0 if both are 0, inf if only CV1 is), ``net_change`` (half the L1
        distance between the two rounds' category distributions on P), ``wilcoxon_n`` (n', the
        nonzero differences), ``w_plus, w_minus, wilcoxon_z, wilcoxon_p`` (signed-rank test,
        average ranks, tie-corrected normal approximation without continuity correction;
        n' = 0 gives z NaN and p 1) and ``stable`` (nullable boolean: the rule, ``<NA>`` in round
        1, when n_paired < min_n or a rule operand is null). With n_paired = 0 every statistic
        is NaN.

    Raises:
        ValueError: missing columns, values off the scale (naming item and value), a panellist
            answering an item twice in one round, an unknown ``zero_method`` or invalid rule.
        TypeError: a frame is not a DataFrame.
    """
    if zero_method not in ZERO_METHODS:
        raise ValueError(f"zero_method {zero_method!r} is not one of {', '.join(ZERO_METHODS)}")
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer) or min_n < 1:
        raise ValueError(f"min_n {min_n!r} must be a positive integer")
    require_frame(current, ("item", "panellist", "value"), "current")
    first_round = previous is None
    if first_round:
        previous = current.iloc[:0]
    require_frame(previous, ("item", "panellist", "value"), "previous")
    cur = likert_input(current, scale, extra_columns=("panellist",))
    prev = likert_input(previous, scale, extra_columns=("panellist",))
    cur_pan, prev_pan, n_pan, panellist = _panellist_space(
        current["panellist"], previous["panellist"]
    )
    n_items, n_pan = len(cur.items), max(n_pan, 1)
    cur_keys = cur.codes * n_pan + cur_pan
    _check_unique(
        cur_keys,
        n_items * n_pan,
        lambda r: f"item {cur.items[cur.codes[r]]!r}: panellist {shown(panellist(cur_pan[r]))}",
        "current",
    )
    _check_unique(
        prev.codes * n_pan + prev_pan,
        len(prev.items) * n_pan,
        lambda r: f"item {prev.items[prev.codes[r]]!r}: panellist {shown(panellist(prev_pan[r]))}",
        "previous",
    )
    prev_items = _remap(prev.codes, prev.items, cur.items)
    width = int(cur.ks.max()) if n_items else 1
    cur_values = np.where(cur.valid, cur.values, 0.0).astype(np.int16)
    prev_values = np.where(prev.valid, prev.values, 0.0).astype(np.int16)
    prev_keys = prev_items * n_pan + prev_pan
    if len(prev_items) and prev_items.min() < 0:
        shared = prev_items >= 0
        prev_keys, prev_values = prev_keys[shared], prev_values[shared]
    transitions = _transitions(cur_keys, cur_values, prev_keys, prev_values, n_items, n_pan, width)
    c1, c2 = transitions.sum(axis=2), transitions.sum(axis=1)
    n_paired = c1.sum(axis=1)
    cv1, cv2 = _cv_from_counts(c1, n_paired), _cv_from_counts(c2, n_paired)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv_change = np.abs(cv2 - cv1) / cv1
        net = np.abs(c2 - c1).sum(axis=1) / (2.0 * n_paired)
    both_zero = (cv1 == 0) & (cv2 == 0)
    cv_change = np.where(both_zero, 0.0, np.where((cv1 == 0) & (cv2 > 0), np.inf, cv_change))
    cv_change = np.where(np.isnan(cv1) | np.isnan(cv2), np.nan, cv_change)
    n_nonzero, w_plus, w_minus, z, p = _wilcoxon(transitions, zero_method)
    none = n_paired == 0
    frame = pd.DataFrame(
        {
            "n_paired": n_paired.astype(np.int64),
            "cv_previous": cv1,
            "cv_current": cv2,
            "cv_change": cv_change,
            "net_change": np.where(none, np.nan, net),
            "wilcoxon_n": n_nonzero,
            "w_plus": np.where(none, np.nan, w_plus),
            "w_minus": np.where(none, np.nan, w_minus),
            "wilcoxon_z": np.where(none, np.nan, z),
            "wilcoxon_p": np.where(none, np.nan, p),
        },
        index=cur.items.rename("item"),
    )
    stable = apply_rule(frame, rule, "stability")
    stable[(n_paired < min_n) | first_round] = pd.NA
    frame["stable"] = stable
    return frame


@dataclass(frozen=True)
class StoppingDecision:
    """Result of :func:`stopping_rule`."""

    #: ``continue``, ``stop-all-settled`` or ``stop-max-rounds``.
    decision: str
    #: One sentence explaining the decision.
    reason: str
    #: Per item (index ``item``): ``consensus_status, stable, settled, label, carry, reason``.
    items: pd.DataFrame


def _as_series(values, column: str, name: str) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        require_frame(values, (column,), name)
        return values[column]
    if isinstance(values, pd.Series):
        return values
    raise TypeError(f"{name} must be a pandas Series or DataFrame, not {type(values).__name__}")


def _item_reason(status, stable, settled, confirm) -> str:
    consensus = _CONSENSUS_REASON.get(status)
    stability = "stable" if stable is True else ("not stable" if stable is False else "")
    if settled and consensus and stable is True:
        return f"{consensus}, stable"
    if settled and consensus:
        return consensus
    if settled:
        return "stable without consensus (dissent)"
    if consensus and confirm:
        return f"{consensus} not yet confirmed by stability" + (
            "" if stability else " (stability not assessable)"
        )
    if status == "insufficient":
        head = "too few answers or a null statistic for the consensus rule"
    elif status == "conflict":
        head = "both consensus rules hold (conflict, treated as none)"
    else:
        head = "no consensus"
    tail = stability or "stability not assessable"
    return f"{head}; {tail}"


def stopping_rule(
    status: pd.Series | pd.DataFrame,
    stability: pd.Series | pd.DataFrame | None = None,
    *,
    round_number: int,
    max_rounds: int = 3,
    confirm_consensus: bool = False,
    carry_settled: bool = False,
) -> StoppingDecision:
    """Decide whether a consultation continues after round r (METHOD §4).

    An item is *settled* if its status is a consensus, ``in``/``out``/``mid`` (with
    ``confirm_consensus``: and it is stable too), or it is stable. The consultation stops when
    every item passed in is settled (``stop-all-settled``) or r >= ``max_rounds``
    (``stop-max-rounds``); else ``continue``. Items settled in earlier rounds and not carried
    are not passed in.

    Args:
        status: consensus status per item (Series, or a frame with ``consensus_status``, as from
            :func:`consensus_status`).
        stability: ``stable`` per item (nullable boolean Series or the :func:`round_stability`
            frame); None in round 1. Items missing from it count as not assessable.
        round_number: r, 1-based.
        max_rounds: the plan's last round.
        confirm_consensus: settle in/out/mid only when also stable.
        carry_settled: carry settled items into round r+1 too.

    Returns:
        :class:`StoppingDecision` with ``decision``, ``reason`` and ``items`` (index ``item``,
        sorted): ``consensus_status, stable`` (nullable boolean), ``settled``, ``label``
        (``consensus-in``, ``consensus-out``, ``consensus-middle`` = agreement on a middle
        position, ``dissent`` = stable without consensus of any kind, or ``unresolved``;
        provisional while the consultation continues), ``carry`` (asked again in round r+1)
        and ``reason``.

    Raises:
        ValueError: an unknown status, a round number < 1 or max_rounds < 1.
        TypeError: inputs are not Series/DataFrames.
    """
    for name, value in (("round_number", round_number), ("max_rounds", max_rounds)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} {value!r} must be a positive integer")
    statuses = _as_series(status, "consensus_status", "status")
    bad = ~statuses.isin(STATUSES)
    if bad.any():
        item = statuses.index[np.argmax(bad.to_numpy())]
        raise ValueError(f"item {item!r}: status {statuses[item]!r} is not one of {STATUSES}")
    statuses = statuses.sort_index()
    if stability is None:
        stable = pd.Series(pd.NA, index=statuses.index, dtype="boolean")
    else:
        given = _as_series(stability, "stable", "stability").astype("boolean")
        stable = given.reindex(statuses.index)
    status_values = statuses.to_numpy(dtype=object)
    stable_true = stable.to_numpy(dtype=bool, na_value=False)
    consensus = np.isin(status_values, CONSENSUS_STATUSES)
    settled = np.where(confirm_consensus, consensus & stable_true, consensus) | stable_true
    by_status = np.array([CONSENSUS_LABELS.get(v, "dissent") for v in status_values], dtype=object)
    label = np.where(settled, np.where(consensus, by_status, "dissent"), "unresolved")
    reasons = [
        _item_reason(s, None if pd.isna(t) else bool(t), bool(d), confirm_consensus)
        for s, t, d in zip(status_values, stable.astype(object), settled, strict=True)
    ]
    index = pd.Index(statuses.index, name="item")
    items = pd.DataFrame(
        {
            "consensus_status": pd.Series(status_values, index=index, dtype=object),
            "stable": pd.array(stable.to_numpy(dtype=object), dtype="boolean"),
            "settled": settled.astype(bool),
            "label": pd.Series(label.astype(object), index=index, dtype=object),
            "carry": False,
            "reason": pd.Series(reasons, index=index, dtype=object),
        },
        index=index,
    )
    total, done = len(items), int(settled.sum())
    if done == total:
        decision = "stop-all-settled"
        reason = f"all {total} items settled in round {round_number}"
    elif round_number >= max_rounds:
        decision = "stop-max-rounds"
        reason = (
            f"round {round_number} reached max_rounds {max_rounds}; "
            f"{total - done} of {total} items unresolved"
        )
    else:
        decision = "continue"
        reason = f"{total - done} of {total} items not settled after round {round_number}"
    items["carry"] = (~settled | bool(carry_settled)) & (decision == "continue")
    return StoppingDecision(decision, reason, items)
