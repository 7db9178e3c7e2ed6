"""Per-item statistics of Likert and choice items (METHOD §2)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ._counts import QUANTILE_METHODS, STAT_COLUMNS, count_tuples, counts_matrix, likert_from_counts
from ._frames import BandArg, factorize, likert_input, require_frame

#: Columns of :func:`item_statistics`, in order (index: ``item``).
ITEM_COLUMNS = ("n", "n_missing", "n_dk", *STAT_COLUMNS, "k", "counts")
#: Columns of :func:`choice_statistics`, in order (index: ``item``).
CHOICE_COLUMNS = ("n", "n_missing", "top_share", "modal", "counts", "shares")


def _check_method(method: str) -> None:
    if method not in QUANTILE_METHODS:
        raise ValueError(f"quantile_method {method!r} is not one of {', '.join(QUANTILE_METHODS)}")


def likert_frame(
    stats: dict[str, np.ndarray],
    n: np.ndarray,
    n_missing: np.ndarray,
    n_dk: np.ndarray,
    ks: np.ndarray,
    counts: np.ndarray,
    index: pd.Index,
) -> pd.DataFrame:
    """Assemble the :data:`ITEM_COLUMNS` frame."""
    data: dict[str, object] = {
        "n": n.astype(np.int64),
        "n_missing": n_missing.astype(np.int64),
        "n_dk": n_dk.astype(np.int64),
    }
    data.update({name: stats[name] for name in STAT_COLUMNS})
    data["k"] = ks.astype(np.int64)
    data["counts"] = pd.Series(count_tuples(counts, ks), index=index, dtype=object)
    return pd.DataFrame(data, index=index)


def item_statistics(
    answers: pd.DataFrame,
    scale: int | Mapping[Hashable, int] = 5,
    agreement_band: BandArg = None,
    disagreement_band: BandArg = None,
    *,
    quantile_method: str = "type7",
) -> pd.DataFrame:
    """Likert statistics per item (METHOD §2).

    Args:
        answers: one row per (item, panellist) answer with columns ``item`` and ``value``
            (``panellist``, ``group`` and ``weight`` may be present and are not used here). A NaN
            ``value`` is a submitted response without a valid answer (blank or "cannot assess"):
            it is dropped from ``n`` and counted in ``n_missing``. An optional boolean
            ``dont_know`` column marks "cannot assess" rows (counted in ``n_dk`` too).
        scale: k, the number of categories (3..11), or a mapping item -> k.
        agreement_band, disagreement_band: (low, high) inclusive, or a mapping item -> band;
            default b = ceil(0.4 k): agree [k-b+1, k], disagree [1, b].
        quantile_method: ``"type7"`` (METHOD default, numpy ``linear``) or ``"type6"``
            (numpy ``weibull``), for q1 and q3 (the median is the same under both).

    Returns:
        DataFrame indexed by ``item`` (sorted) with columns ``n, n_missing, n_dk, median, q1, q3,
        iqr, mean, sd, cv, agreement, disagreement, middle, top1, rwg, ad_md, k, counts``.
        ``middle`` is the share of answers strictly between the disagree and the agree band (the
        3s of a 5-point scale); NaN where the bands leave no category between them (k = 4).
        ``counts`` is a tuple of the counts of categories 1..k. With n = 0 every statistic is
        NaN; with n = 1 sd, cv and rwg are NaN. Empty input gives an empty frame with these columns.

    Raises:
        ValueError: a missing column, a value that is not an integer on the item's scale (the
            message names item and value), a bad scale or band, or a value with ``dont_know``.
        TypeError: ``answers`` is not a DataFrame.
    """
    _check_method(quantile_method)
    data = likert_input(answers, scale, agreement_band, disagreement_band)
    n_items = len(data.items)
    width = int(data.ks.max()) if n_items else 1
    counts, n_missing = counts_matrix(data.codes, data.values, data.valid, n_items, width)
    n_dk = np.bincount(data.codes[data.dont_know], minlength=n_items)
    stats = likert_from_counts(counts, data.ks, data.bands, quantile_method)
    return likert_frame(
        stats, counts.sum(axis=1), n_missing, n_dk, data.ks, counts, data.items.rename("item")
    )


def _options_for(
    options: Sequence[Hashable] | Mapping[Hashable, Sequence[Hashable]] | None,
    item: Hashable,
    seen: Iterable[Hashable],
) -> list[Hashable]:
    if options is None:
        try:
            return sorted(set(seen))
        except TypeError:
            return list(dict.fromkeys(seen))
    if isinstance(options, Mapping):
        if item not in options:
            raise ValueError(f"item {item!r}: no options given")
        return list(options[item])
    return list(options)


def choice_statistics(
    answers: pd.DataFrame,
    options: Sequence[Hashable] | Mapping[Hashable, Sequence[Hashable]] | None = None,
) -> pd.DataFrame:
    """Counts and shares per option of choice items (METHOD §2).

    Args:
        answers: rows with ``item`` and either ``choice`` (single choice: one option key, NaN
            or None = no valid answer) or ``choices`` (multiple choice: a list, tuple or set of
            keys; None or an empty collection = no valid answer). Missing answers are dropped
            from ``n`` and counted in ``n_missing``.
        options: the option keys in display order, for every item or as a mapping item ->
            keys; by default the sorted keys seen in the answers.

    Returns:
        DataFrame indexed by ``item`` (sorted) with columns ``n, n_missing, top_share, modal,
        counts, shares``: ``counts`` and ``shares`` are dicts option -> count / share in option
        order (multiple choice: the denominator is n, so shares may sum above 1); ``top_share``
        is the modal share and ``modal`` the first option reaching it (NaN / None if n = 0).

    Raises:
        ValueError: missing columns, an unknown option (naming item and value), or a repeated
            option within one multiple-choice answer.
        TypeError: ``answers`` is not a DataFrame.
    """
    require_frame(answers, ("item",))
    multiple = "choices" in answers.columns
    column = "choices" if multiple else "choice"
    require_frame(answers, (column,))
    codes, items = factorize(answers["item"])
    raw = answers[column].to_numpy(dtype=object)
    rows: dict[str, list[object]] = {name: [] for name in CHOICE_COLUMNS}
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(items) + 1))
    for i, item in enumerate(items):
        picked = [raw[j] for j in order[bounds[i] : bounds[i + 1]]]
        answers_ = [_choice_set(item, value, multiple) for value in picked]
        given = [a for a in answers_ if a]
        keys = _options_for(options, item, (k for a in given for k in a))
        known = set(keys)
        tally = dict.fromkeys(keys, 0)
        for answer in given:
            for key in answer:
                if key not in known:
                    raise ValueError(f"item {item!r}: option {key!r} is not one of the options")
                tally[key] += 1
        n = len(given)
        shares = {key: (count / n if n else float("nan")) for key, count in tally.items()}
        top = max(tally.values(), default=0)
        rows["n"].append(n)
        rows["n_missing"].append(len(answers_) - n)
        rows["top_share"].append(top / n if n else float("nan"))
        rows["modal"].append(next((k for k, c in tally.items() if c == top), None) if n else None)
        rows["counts"].append(tally)
        rows["shares"].append(shares)
    index = items.rename("item")
    frame = pd.DataFrame(
        {
            "n": np.asarray(rows["n"], dtype=np.int64),
            "n_missing": np.asarray(rows["n_missing"], dtype=np.int64),
            "top_share": np.asarray(rows["top_share"], dtype=float),
        },
        index=index,
    )
    for name in ("modal", "counts", "shares"):
        frame[name] = pd.Series(rows[name], index=index, dtype=object)
    return frame


def _choice_set(item: Hashable, value: object, multiple: bool) -> tuple[Hashable, ...]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    if not multiple:
        return (value,)
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"item {item!r}: choices {value!r} is not a collection of options")
    keys = tuple(value)
    if len(set(keys)) != len(keys):
        raise ValueError(f"item {item!r}: choices {value!r} repeat an option")
    return keys
