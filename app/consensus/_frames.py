"""Input checks, scales and fast integer codes shared by the engine's functions.

Every public function validates its frame here, so the error messages (naming the item and the
offending value) read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Decimals kept before any threshold comparison (float noise must not flip a rule).
DECIMALS = 10
#: Smallest and largest Likert scale the engine accepts.
MIN_SCALE, MAX_SCALE = 3, 11
#: Key spaces (items x panellists) up to this size are paired through dense arrays.
DENSE_LIMIT = 1 << 24


def shown(value: object) -> str:
    """A value as it appears in error messages (numpy scalars as plain Python values)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def require_frame(frame: object, columns: Iterable[str], name: str = "answers") -> pd.DataFrame:
    """Return ``frame`` if it is a DataFrame holding ``columns``; raise otherwise."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {', '.join(missing)}")
    return frame


def _sorted_uniques(uniques: np.ndarray, what: str) -> np.ndarray:
    try:
        return np.argsort(uniques, kind="stable")
    except TypeError as exc:
        raise ValueError(f"{what} keys must be mutually comparable to be sorted") from exc


def factorize(series: pd.Series, what: str = "item") -> tuple[np.ndarray, pd.Index]:
    """Integer codes 0..u-1 following the sorted unique keys; a missing key raises.

    Categorical and small-range integer columns are coded without hashing; object columns that
    arrive in runs (answers ordered by item, as the database returns them) hash one key per run.
    """
    n = len(series)
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        raw = series.cat.codes.to_numpy()
        if (raw < 0).any():
            raise ValueError(f"{what} missing in row {int(np.argmax(raw < 0))}")
        categories = series.cat.categories
        used = np.flatnonzero(np.bincount(raw, minlength=len(categories)) > 0)
        uniques = np.asarray(categories[used], dtype=object)
        order = _sorted_uniques(uniques, what)
        remap = np.full(len(categories), -1, dtype=np.int64)
        remap[used[order]] = np.arange(len(used))
        return remap[raw], _index(uniques[order], what)
    if (
        n
        and pd.api.types.is_integer_dtype(dtype)
        and not pd.api.types.is_extension_array_dtype(dtype)
    ):
        values = series.to_numpy()
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * n + 1024:
            offset = values.astype(np.int64) - low
            present = np.bincount(offset, minlength=high - low + 1) > 0
            remap = np.cumsum(present) - 1
            return remap[offset], _index(np.flatnonzero(present) + low, what)
    values = series.to_numpy()
    if n > 64 and values.dtype == object:
        starts = _run_starts(values)
        if starts is not None:
            head_codes, uniques = _factorize_plain(values[starts], what, rows=starts)
            lengths = np.diff(np.append(starts, n))
            return np.repeat(head_codes, lengths), uniques
    return _factorize_plain(values, what)


def _run_starts(values: np.ndarray) -> np.ndarray | None:
    """First row of every run of equal keys, if the keys come in long runs; else None."""
    try:
        probe = values[:257]
        if np.count_nonzero(probe[1:] != probe[:-1]) * 8 > len(probe):
            return None
        heads = np.empty(len(values), dtype=bool)
        heads[0] = True
        np.not_equal(values[1:], values[:-1], out=heads[1:])
    except (TypeError, ValueError):
        return None
    starts = np.flatnonzero(heads)
    return starts if len(starts) * 4 <= len(values) else None


def _factorize_plain(
    values: np.ndarray, what: str, rows: np.ndarray | None = None
) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(values, sort=False)
    if (codes < 0).any():
        row = int(np.argmax(codes < 0))
        raise ValueError(f"{what} missing in row {int(rows[row]) if rows is not None else row}")
    uniques = np.asarray(uniques, dtype=object)
    order = _sorted_uniques(uniques, what)
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return remap[codes.astype(np.int64, copy=False)], _index(uniques[order], what)


def _index(values: np.ndarray, what: str) -> pd.Index:
    if not len(values):
        return pd.Index([], dtype=object, name=what)
    return pd.Index(values.tolist(), name=what)


def codes_in_order(series: pd.Series, order: tuple[str, ...], what: str = "group") -> np.ndarray:
    """Codes following ``order``; a value outside it (or missing) raises ValueError."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        raw = series.cat.codes.to_numpy()
        remap = pd.Index(order).get_indexer(series.cat.categories)
        codes = np.where(raw >= 0, remap[raw], -1)
    else:
        codes = pd.Categorical(series.to_numpy(dtype=object), categories=list(order)).codes
    if (codes < 0).any():
        row = int(np.argmax(codes < 0))
        value = series.iloc[row]
        raise ValueError(f"{what} {shown(value)} in row {row} is not one of {', '.join(order)}")
    return codes.astype(np.int64, copy=False)


def numeric_values(frame: pd.DataFrame, column: str, codes: np.ndarray, items: pd.Index):
    """Column as float64 with NaN for missing; a non-numeric entry raises naming its item."""
    series = frame[column]
    try:
        if pd.api.types.is_bool_dtype(series.dtype):
            raise TypeError
        if series.dtype == np.float64:
            return series.to_numpy()
        return series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        coerced = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isnan(coerced) & series.notna().to_numpy())
        row = int(bad[0]) if len(bad) else 0
        raise ValueError(
            f"item {items[codes[row]]!r}: {column} {shown(series.iloc[row])} is not a number"
        ) from None


def scale_per_item(scale: int | Mapping[Hashable, int], items: pd.Index) -> np.ndarray:
    """Number of categories k per item (3..11)."""
    if not isinstance(scale, Mapping) and (
        isinstance(scale, bool)
        or not isinstance(scale, int | np.integer)
        or not MIN_SCALE <= scale <= MAX_SCALE
    ):
        raise ValueError(f"scale {scale!r} is not an integer in {MIN_SCALE}..{MAX_SCALE}")
    if isinstance(scale, Mapping):
        missing = [item for item in items if item not in scale]
        if missing:
            raise ValueError(f"item {missing[0]!r}: no scale given")
        ks = [scale[item] for item in items]
    else:
        ks = [scale] * len(items)
    for item, k in zip(items, ks, strict=True):
        if isinstance(k, bool) or not isinstance(k, int | np.integer):
            raise ValueError(f"item {item!r}: scale {k!r} is not an integer")
        if not MIN_SCALE <= k <= MAX_SCALE:
            raise ValueError(f"item {item!r}: scale {k!r} outside {MIN_SCALE}..{MAX_SCALE}")
    return np.asarray(ks, dtype=np.int64)


def default_bands(k: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Agree and disagree bands of METHOD §2: b = ceil(0.4 k), capped at floor(k/2).

    The cap only changes k = 3, where ceil(1.2) = 2 would make the bands overlap on the middle
    category; it keeps every other scale (4..11) exactly as METHOD §2 lists it.
    """
    b = min(-(-2 * k // 5), k // 2)
    return (k - b + 1, k), (1, b)


Band = tuple[int, int]
BandArg = Band | Mapping[Hashable, Band] | None


def _band_for(arg: BandArg, item: Hashable) -> Band | None:
    if arg is None:
        return None
    if isinstance(arg, Mapping):
        return arg.get(item)
    return arg


def _check_band(item: Hashable, name: str, band: object, k: int) -> Band:
    if (
        not isinstance(band, tuple | list)
        or len(band) != 2
        or any(isinstance(b, bool) or not isinstance(b, int | np.integer) for b in band)
    ):
        raise ValueError(f"item {item!r}: {name} {band!r} must be two integers (low, high)")
    low, high = int(band[0]), int(band[1])
    if not 1 <= low <= high <= k:
        raise ValueError(f"item {item!r}: {name} {band!r} outside 1..{k} or reversed")
    return low, high


def bands_per_item(
    ks: np.ndarray, items: pd.Index, agreement_band: BandArg, disagreement_band: BandArg
) -> np.ndarray:
    """Array (items x 4): agree low, agree high, disagree low, disagree high."""
    out = np.empty((len(items), 4), dtype=np.int64)
    for i, (item, k) in enumerate(zip(items, ks, strict=True)):
        agree, disagree = default_bands(int(k))
        given_a = _band_for(agreement_band, item)
        given_d = _band_for(disagreement_band, item)
        if given_a is not None:
            agree = _check_band(item, "agreement_band", given_a, int(k))
        if given_d is not None:
            disagree = _check_band(item, "disagreement_band", given_d, int(k))
        if not (disagree[1] < agree[0] or agree[1] < disagree[0]):
            raise ValueError(f"item {item!r}: agreement and disagreement bands overlap")
        out[i] = (*agree, *disagree)
    return out


@dataclass(frozen=True)
class LikertInput:
    """A validated Likert answer frame reduced to arrays (rows in input order)."""

    items: pd.Index
    codes: np.ndarray  # item code per row
    values: np.ndarray  # float64, NaN = missing
    valid: np.ndarray  # bool per row
    dont_know: np.ndarray  # bool per row
    ks: np.ndarray  # k per item
    bands: np.ndarray  # items x 4


def likert_input(
    answers: pd.DataFrame,
    scale: int | Mapping[Hashable, int],
    agreement_band: BandArg = None,
    disagreement_band: BandArg = None,
    *,
    extra_columns: Iterable[str] = (),
) -> LikertInput:
    """Validate Likert answers: integers 1..k or NaN; ``dont_know`` rows must carry no value."""
    require_frame(answers, ("item", "value", *extra_columns))
    codes, items = factorize(answers["item"])
    ks = scale_per_item(scale, items)
    bands = bands_per_item(ks, items, agreement_band, disagreement_band)
    values = numeric_values(answers, "value", codes, items)
    valid = ~np.isnan(values)
    top = int(ks[0]) if len(ks) and (ks == ks[0]).all() else None
    k_row = top if top is not None else ks[codes]
    with np.errstate(invalid="ignore"):
        bad = ((values < 1) | (values > k_row) | (values != np.floor(values))) & valid
    if bad.any():
        row = int(np.argmax(bad))
        k_row = ks[codes]
        raise ValueError(
            f"item {items[codes[row]]!r}: value {shown(answers['value'].iloc[row])} "
            f"is not an integer on the 1..{k_row[row]} scale"
        )
    if "dont_know" in answers.columns:
        flags = answers["dont_know"]
        given = flags.notna().to_numpy()
        dont_know = np.zeros(len(values), dtype=bool)
        dont_know[given] = flags[given].astype(bool).to_numpy()
        clash = dont_know & valid
        if clash.any():
            row = int(np.argmax(clash))
            raise ValueError(
                f"item {items[codes[row]]!r}: value {shown(answers['value'].iloc[row])} "
                "given together with dont_know"
            )
    else:
        dont_know = np.zeros(len(values), dtype=bool)
    return LikertInput(items, codes, values, valid, dont_know, ks, bands)


def rounded(values: np.ndarray | float) -> np.ndarray:
    """Values rounded to :data:`DECIMALS` (infinities and NaN pass through)."""
    return np.round(np.asarray(values, dtype=float), DECIMALS)
