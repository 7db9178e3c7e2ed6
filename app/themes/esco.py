"""ESCO skills: loading the published CSV files and matching statements to skills.

Matching is lexical (TF-IDF over character n-grams, fitted once on the skill texts), so it
needs no model download. A statement is scored against every label of a skill (preferred
and alternative labels; the best one counts) and against its description; labels weigh more
than descriptions. The ESCO files are read as published: statements in another language
than the file match only through shared words and cognates.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from app.themes._text import feature_text
from app.themes.clustering import ThemeSuggestion

#: Columns of the frame returned by :func:`load_esco_skills`.
SKILL_COLUMNS: tuple[str, ...] = (
    "uri",
    "label",
    "alt_labels",
    "description",
    "skill_type",
    "reuse_level",
    "concept_type",
    "broader_uris",
    "broader_labels",
    "source",
)
#: Columns of the frame returned by :func:`load_esco_hierarchy`.
HIERARCHY_COLUMNS: tuple[str, ...] = (
    "uri",
    "label",
    "level",
    "parent_uri",
    "description",
    "scope_note",
    "source",
)
#: Columns of the frame returned by :func:`match_esco` and :meth:`SkillIndex.match`.
MATCH_COLUMNS: tuple[str, ...] = ("text_id", "rank", "uri", "label", "score", "matched_label")
#: Columns of the frame returned by :func:`match_themes_esco`.
THEME_MATCH_COLUMNS: tuple[str, ...] = ("theme_id", "rank", "uri", "label", "score")

#: ESCO CSV column → column of :data:`SKILL_COLUMNS`; the first two are required.
_SKILL_SOURCE_COLUMNS = {
    "conceptUri": "uri",
    "preferredLabel": "label",
    "altLabels": "alt_labels",
    "description": "description",
    "skillType": "skill_type",
    "reuseLevel": "reuse_level",
    "conceptType": "concept_type",
    "broaderConceptUri": "broader_uris",
    "broaderConceptPT": "broader_labels",
}
_REQUIRED_SKILL_COLUMNS = ("conceptUri", "preferredLabel")
_LIST_SEPARATOR = re.compile(r"\s*\|\s*|\s*[\r\n]+\s*")
_MAX_LEVEL = 3
#: Query rows scored at once, bounding memory to rows x labels floats.
_CHUNK = 64

PathLike = str | os.PathLike[str]


def load_esco_skills(path_or_paths: PathLike | Iterable[PathLike]) -> pd.DataFrame:
    """Read ESCO skill CSV files (collections or the full skills list) into one frame.

    Accepts the ESCO download layout: ``conceptType, conceptUri, skillType, reuseLevel,
    preferredLabel, altLabels, description, broaderConceptUri, broaderConceptPT``; only
    ``conceptUri`` and ``preferredLabel`` are required, other columns (``hiddenLabels``,
    ``status``, ``scopeNote``, ...) are ignored. Alternative labels and broader concepts are
    separated by ``" | "`` (collections) or line breaks (full skills list). A skill listed in
    several files (the ICT collection repeats transversal skills) is kept once, as first read.

    Args:
        path_or_paths: one CSV path or several.

    Returns:
        DataFrame with columns ``uri``, ``label``, ``alt_labels`` (tuple of str, without the
        preferred label), ``description``, ``skill_type``, ``reuse_level``, ``concept_type``
        (str, "" when the file lacks the column), ``broader_uris``, ``broader_labels``
        (tuples), ``source`` (file name), sorted by ``uri``, with a fresh RangeIndex.

    Raises:
        FileNotFoundError: a file does not exist.
        ValueError: a file lacks ``conceptUri`` or ``preferredLabel`` (the message names the
            column and the file), or a row has an empty URI or preferred label.
    """
    frames = []
    for path in _paths(path_or_paths):
        raw = _read_csv(path)
        missing = [c for c in _REQUIRED_SKILL_COLUMNS if c not in raw.columns]
        if missing:
            raise ValueError(
                f"{path}: missing required column(s) {', '.join(missing)} "
                f"(found: {', '.join(raw.columns) or 'none'})"
            )
        _require_values(raw, _REQUIRED_SKILL_COLUMNS, path)
        frame = pd.DataFrame(
            {
                target: raw[source].map(str.strip) if source in raw.columns else ""
                for source, target in _SKILL_SOURCE_COLUMNS.items()
            },
            index=raw.index,
        )
        for column in ("alt_labels", "broader_uris", "broader_labels"):
            frame[column] = frame[column].map(_split_list)
        frame["alt_labels"] = [
            tuple(a for a in alts if a.casefold() != label.casefold())
            for alts, label in zip(frame["alt_labels"], frame["label"], strict=True)
        ]
        frame["source"] = Path(path).name
        frames.append(frame[list(SKILL_COLUMNS)])
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SKILL_COLUMNS})
    skills = pd.concat(frames, ignore_index=True).drop_duplicates("uri", keep="first")
    return skills.sort_values("uri", kind="mergesort").reset_index(drop=True)


def load_esco_hierarchy(path: PathLike) -> pd.DataFrame:
    """Read the ESCO skills hierarchy CSV into one row per skill-group concept.

    The file has columns ``Level 0 URI, Level 0 preferred term, ..., Level 3 URI, Level 3
    preferred term, Description, Scope note``; each row describes the concept at its deepest
    filled level. Levels beyond 0 and the description columns are optional.

    Args:
        path: the CSV path.

    Returns:
        DataFrame with columns ``uri``, ``label``, ``level`` (int, 0..3), ``parent_uri``
        (None at level 0), ``description``, ``scope_note``, ``source`` (file name), one row
        per concept (first occurrence kept), sorted by level and ``uri``. It can be passed
        to :class:`SkillIndex` and :func:`match_esco` to match statements to skill groups.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: ``Level 0 URI`` or ``Level 0 preferred term`` is missing (the message
            names the column and the file), a level's URI column comes without its
            preferred-term column, or a concept has a URI but no preferred term.
    """
    raw = _read_csv(path)
    for required in ("Level 0 URI", "Level 0 preferred term"):
        if required not in raw.columns:
            raise ValueError(f"{path}: missing required column {required}")
    levels = []
    for level in range(_MAX_LEVEL + 1):
        uri_column, term_column = f"Level {level} URI", f"Level {level} preferred term"
        if uri_column not in raw.columns:
            break
        if term_column not in raw.columns:
            raise ValueError(f"{path}: missing required column {term_column}")
        levels.append((uri_column, term_column))

    rows = []
    for position, record in enumerate(raw.to_dict("records")):
        filled = [i for i, (u, _) in enumerate(levels) if record[u].strip()]
        if not filled:
            continue
        level = filled[-1]
        uri_column, term_column = levels[level]
        label = record[term_column].strip()
        if not label:
            raise ValueError(f"{path}: data row {position + 1} has a URI but no {term_column}")
        rows.append(
            {
                "uri": record[uri_column].strip(),
                "label": label,
                "level": level,
                "parent_uri": (record[levels[level - 1][0]].strip() or None) if level else None,
                "description": record.get("Description", "").strip(),
                "scope_note": record.get("Scope note", "").strip(),
                "source": Path(path).name,
            }
        )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HIERARCHY_COLUMNS})
    hierarchy = pd.DataFrame(rows, columns=list(HIERARCHY_COLUMNS))
    hierarchy = hierarchy.drop_duplicates("uri", keep="first")
    return hierarchy.sort_values(["level", "uri"], kind="mergesort").reset_index(drop=True)


class SkillIndex:
    """Skills vectorised once, for matching many texts.

    Args:
        skills: columns ``uri`` (unique) and ``label``; optional ``alt_labels`` (tuples or
            lists of str, or a ``" | "``/newline separated string) and ``description``. The
            frames of :func:`load_esco_skills` and :func:`load_esco_hierarchy` qualify.
        label_weight: weight of the best label similarity in the score.
        description_weight: weight of the description similarity.
        ngram_range: character n-gram lengths.

    The score of a skill for a text is ``(label_weight * best_label + description_weight *
    description) / (label_weight + description_weight)``, where ``best_label`` is the
    highest cosine similarity between the text and any of the skill's labels and
    ``description`` the cosine similarity with its description (0 when it has none).
    Scores lie in 0..1.

    Raises:
        ValueError: `skills` is not a DataFrame, lacks ``uri`` or ``label``, has duplicate
            or empty URIs or empty labels, or a weight is negative or both are zero.
    """

    def __init__(
        self,
        skills: pd.DataFrame,
        *,
        label_weight: float = 2.0,
        description_weight: float = 1.0,
        ngram_range: tuple[int, int] = (3, 5),
    ) -> None:
        _check_skills(skills)
        if label_weight < 0 or description_weight < 0 or label_weight + description_weight == 0:
            raise ValueError(
                "label_weight and description_weight must be >= 0 and not both 0, "
                f"got {label_weight} and {description_weight}"
            )
        self._uris = skills["uri"].astype(str).to_numpy()
        self._labels = skills["label"].astype(str).to_numpy()
        self._label_weight = float(label_weight)
        self._description_weight = float(description_weight)

        label_texts: list[str] = []
        owners: list[int] = []
        alt_column = skills["alt_labels"] if "alt_labels" in skills.columns else None
        for index, label in enumerate(self._labels):
            alts = _as_labels(alt_column.iloc[index]) if alt_column is not None else ()
            for text in dict.fromkeys([label, *alts]):
                label_texts.append(text)
                owners.append(index)
        descriptions = (
            [d if isinstance(d, str) else "" for d in skills["description"]]
            if "description" in skills.columns
            else [""] * len(skills)
        )

        self._label_texts = np.array(label_texts, dtype=object)
        self._owners = np.array(owners, dtype=int)
        self._group_starts = np.flatnonzero(np.diff(self._owners, prepend=-1))
        self._vectoriser = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=ngram_range,
            lowercase=False,
            sublinear_tf=True,
            dtype=np.float64,
        )
        label_features = [feature_text(t) for t in label_texts]
        description_features = [feature_text(d) if d.strip() else "" for d in descriptions]
        if not len(self._uris):
            # An empty skill list still yields a usable index that matches nothing.
            self._label_matrix = self._description_matrix = scipy.sparse.csr_matrix((0, 0))
            return
        self._vectoriser.fit(label_features + [d for d in description_features if d])
        self._label_matrix = self._vectoriser.transform(label_features).T.tocsr()
        self._description_matrix = self._vectoriser.transform(description_features).T.tocsr()

    def __len__(self) -> int:
        return len(self._uris)

    @property
    def uris(self) -> tuple[str, ...]:
        """Skill URIs in index order (the columns of :meth:`scores`)."""
        return tuple(self._uris)

    @property
    def labels(self) -> tuple[str, ...]:
        """Preferred labels in index order."""
        return tuple(self._labels)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Score matrix, one row per text and one column per skill (see :attr:`uris`).

        Raises:
            ValueError: an element of `texts` is not a string.
        """
        values = _check_texts(texts)
        parts = [
            self._scores(values[start : start + _CHUNK])[0]
            for start in range(0, len(values), _CHUNK)
        ]
        return np.vstack(parts) if parts else np.zeros((0, len(self)))

    def match(
        self,
        texts: str | Sequence[str] | pd.Series | pd.DataFrame,
        top_k: int = 5,
        min_score: float = 0.15,
    ) -> pd.DataFrame:
        """Best-scoring skills per text; see :func:`match_esco`."""
        ids, values = _texts_and_ids(texts)
        _check_match_options(top_k, min_score)
        if not values or not len(self):
            return _empty(MATCH_COLUMNS)
        rows = []
        ends = np.r_[self._group_starts[1:], len(self._owners)]
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            scores, label_similarity = self._scores(chunk)
            for offset in range(len(chunk)):
                row = scores[offset]
                for rank, skill in enumerate(_top(row, top_k, min_score), start=1):
                    first, last = self._group_starts[skill], ends[skill]
                    best = first + int(np.argmax(label_similarity[offset, first:last]))
                    rows.append(
                        {
                            "text_id": ids[start + offset],
                            "rank": rank,
                            "uri": self._uris[skill],
                            "label": self._labels[skill],
                            "score": float(row[skill]),
                            "matched_label": self._label_texts[best],
                        }
                    )
        if not rows:
            return _empty(MATCH_COLUMNS)
        return pd.DataFrame(rows, columns=list(MATCH_COLUMNS))

    def _scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Scores (texts x skills) and label similarities (texts x labels)."""
        if not len(texts) or not len(self):
            return np.zeros((len(texts), len(self))), np.zeros((len(texts), len(self._owners)))
        features = [feature_text(t) if t.strip() else "" for t in texts]
        query = self._vectoriser.transform(features)
        label_similarity = (query @ self._label_matrix).toarray()
        best = np.maximum.reduceat(label_similarity, self._group_starts, axis=1)
        description = (query @ self._description_matrix).toarray()
        total = self._label_weight + self._description_weight
        scores = (self._label_weight * best + self._description_weight * description) / total
        return np.clip(scores, 0.0, 1.0), label_similarity


def match_esco(
    texts: str | Sequence[str] | pd.Series | pd.DataFrame,
    skills: pd.DataFrame | SkillIndex,
    top_k: int = 5,
    min_score: float = 0.1,
) -> pd.DataFrame:
    """Rank ESCO skills (or skill groups) for each text.

    Args:
        texts: a string, a sequence of strings (ids 0..n-1), a Series (its index gives the
            ids) or a statements frame with ``statement_id`` and ``text`` columns.
        skills: a frame from :func:`load_esco_skills` / :func:`load_esco_hierarchy`, or a
            :class:`SkillIndex` built from one (build it once when matching repeatedly).
        top_k: at most this many candidates per text.
        min_score: candidates scoring below this are left out (scores lie in 0..1).

    Returns:
        DataFrame with columns ``text_id``, ``rank`` (1 = best), ``uri``, ``label``,
        ``score`` and ``matched_label`` (the preferred or alternative label that matched
        best), sorted by text in input order and rank; ties in score keep index order.
        Texts without a candidate above ``min_score`` have no rows. Empty input gives an
        empty frame with these columns.

    Raises:
        ValueError: a text is not a string, the statements frame lacks a column,
            ``top_k`` < 1, ``min_score`` outside 0..1, or invalid `skills` (see
            :class:`SkillIndex`).
    """
    index = skills if isinstance(skills, SkillIndex) else SkillIndex(skills)
    return index.match(texts, top_k=top_k, min_score=min_score)


def match_themes_esco(
    suggestion: ThemeSuggestion,
    skills: pd.DataFrame | SkillIndex,
    top_k: int = 5,
    min_score: float = 0.05,
) -> pd.DataFrame:
    """Rank ESCO skills for each suggested theme.

    A theme's score for a skill is the mean of its statements' scores, so skills matching
    many of the theme's statements rank first.

    Args:
        suggestion: the result of :func:`suggest_themes`.
        skills: as for :func:`match_esco`.
        top_k: at most this many candidates per theme.
        min_score: candidates scoring below this are left out.

    Returns:
        DataFrame with columns ``theme_id``, ``rank``, ``uri``, ``label``, ``score``, sorted
        by theme and rank. No themes give an empty frame with these columns.

    Raises:
        ValueError: ``top_k`` < 1, ``min_score`` outside 0..1, or invalid `skills`.
    """
    _check_match_options(top_k, min_score)
    assignments = suggestion.assignments
    if assignments.empty:
        return _empty(THEME_MATCH_COLUMNS)
    index = skills if isinstance(skills, SkillIndex) else SkillIndex(skills)
    if not len(index):
        return _empty(THEME_MATCH_COLUMNS)
    theme_ids = assignments["theme_id"].to_numpy()
    themes = np.unique(theme_ids)
    totals = np.zeros((len(themes), len(index)))
    position = {theme: i for i, theme in enumerate(themes)}
    texts = list(assignments["text"])
    for start in range(0, len(texts), _CHUNK):
        scores = index.scores(texts[start : start + _CHUNK])
        for offset, theme in enumerate(theme_ids[start : start + _CHUNK]):
            totals[position[theme]] += scores[offset]
    counts = np.bincount([position[t] for t in theme_ids], minlength=len(themes))
    means = totals / counts[:, None]
    uris, labels = index.uris, index.labels
    rows = [
        {
            "theme_id": int(theme),
            "rank": rank,
            "uri": uris[skill],
            "label": labels[skill],
            "score": float(means[i, skill]),
        }
        for i, theme in enumerate(themes)
        for rank, skill in enumerate(_top(means[i], top_k, min_score), start=1)
    ]
    if not rows:
        return _empty(THEME_MATCH_COLUMNS)
    return pd.DataFrame(rows, columns=list(THEME_MATCH_COLUMNS))


def _paths(path_or_paths: PathLike | Iterable[PathLike]) -> list[PathLike]:
    if isinstance(path_or_paths, str | os.PathLike):
        return [path_or_paths]
    return list(path_or_paths)


def _read_csv(path: PathLike) -> pd.DataFrame:
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {path}")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _require_values(raw: pd.DataFrame, columns: Iterable[str], path: PathLike) -> None:
    for column in columns:
        empty = raw[column].str.strip() == ""
        if empty.any():
            position = int(np.flatnonzero(empty.to_numpy())[0])
            raise ValueError(f"{path}: data row {position + 1} has an empty {column}")


def _split_list(value: str) -> tuple[str, ...]:
    parts = (p.strip() for p in _LIST_SEPARATOR.split(value))
    return tuple(dict.fromkeys(p for p in parts if p))


def _as_labels(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return _split_list(value)
    if isinstance(value, Iterable):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return ()


def _check_skills(skills: object) -> None:
    if not isinstance(skills, pd.DataFrame):
        raise ValueError(f"skills must be a pandas DataFrame, got {type(skills).__name__}")
    missing = [c for c in ("uri", "label") if c not in skills.columns]
    if missing:
        raise ValueError(f"skills lacks required column(s): {', '.join(missing)}")
    uris = skills["uri"].astype(str)
    if (uris.str.strip() == "").any() or skills["uri"].isna().any():
        raise ValueError("skills has an empty uri")
    if skills["label"].isna().any() or (skills["label"].astype(str).str.strip() == "").any():
        raise ValueError("skills has an empty label")
    duplicated = uris.duplicated()
    if duplicated.any():
        raise ValueError(f"skills has duplicate uri {uris[duplicated].iloc[0]!r}")


def _check_texts(texts: Sequence[str]) -> list[str]:
    values = list(texts)
    for position, text in enumerate(values):
        if not isinstance(text, str):
            raise ValueError(
                f"text {position} must be a string, got {type(text).__name__}: {text!r}"
            )
    return values


def _texts_and_ids(
    texts: str | Sequence[str] | pd.Series | pd.DataFrame,
) -> tuple[list[object], list[str]]:
    if isinstance(texts, str):
        return [0], [texts]
    if isinstance(texts, pd.DataFrame):
        missing = [c for c in ("statement_id", "text") if c not in texts.columns]
        if missing:
            raise ValueError(f"texts lacks required column(s): {', '.join(missing)}")
        return list(texts["statement_id"]), _check_texts(texts["text"])
    if isinstance(texts, pd.Series):
        return list(texts.index), _check_texts(texts)
    values = _check_texts(texts)
    return list(range(len(values))), values


def _check_match_options(top_k: int, min_score: float) -> None:
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    if not 0 <= min_score <= 1:
        raise ValueError(f"min_score must lie in 0..1, got {min_score!r}")


def _top(row: np.ndarray, top_k: int, min_score: float) -> list[int]:
    candidates = np.flatnonzero(row >= min_score) if min_score > 0 else np.arange(len(row))
    candidates = candidates[row[candidates] > 0]
    order = np.lexsort((candidates, -row[candidates]))
    return [int(c) for c in candidates[order][:top_k]]


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
