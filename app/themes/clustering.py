"""Theme suggestion: cluster statements by character n-gram similarity.

Method (deterministic for a given seed, and independent of the row order of the input):

1. Each statement is case-folded, stop words and skill-survey boilerplate are removed, and
   it is vectorised by TF-IDF over character n-grams within word boundaries (``char_wb``,
   3–5 by default, sublinear term frequency). Character n-grams need no language model and
   match inflected forms and compounds ("Instandhaltung" / "Instandhalter").
2. A k-nearest-neighbour graph joins each statement to the statements most similar to it
   (cosine). Short statements share few n-grams, so a neighbourhood graph separates themes
   far better than distances between raw vectors.
3. Spectral clustering of that graph (normalised affinity, Ng–Jordan–Weiss embedding) for
   every candidate number of themes; partitions are read off the embedding by pivoted QR
   (Damle, Minden & Ying 2019), which needs no random start.
4. When the number of themes is not given, the candidate with the highest modularity of the
   neighbourhood graph is chosen. For the chosen number, a Ward partition of the same
   embedding competes with the QR partition, again by modularity.

The seed fixes the start vector of the sparse eigensolver (used above :data:`DENSE_LIMIT`
distinct statements); no other step draws random numbers.

Statements with identical normalised text always share a theme. Character n-grams do not
bring translations together ("Wärmepumpe" / "heat pump"): a multilingual consultation gets
themes per language unless its statements share words or cognates.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import normalize

from app.themes._text import feature_text, is_keyword, shorten, words

try:  # installed with scikit-learn, which depends on it
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover
    ThreadpoolController = None

#: Columns of :attr:`ThemeSuggestion.themes`.
THEME_COLUMNS: tuple[str, ...] = (
    "theme_id",
    "label",
    "keywords",
    "size",
    "cohesion",
    "representative_id",
    "representative",
    "statement_ids",
)
#: Columns of :attr:`ThemeSuggestion.assignments`.
ASSIGNMENT_COLUMNS: tuple[str, ...] = ("statement_id", "theme_id", "similarity", "text")
#: Columns of :attr:`ThemeSuggestion.selection`.
SELECTION_COLUMNS: tuple[str, ...] = ("n_themes", "modularity")

#: Up to this many distinct statements the eigenvectors come from a dense decomposition;
#: above it from ARPACK on the sparse graph, which scales to thousands of statements and,
#: unlike multithreaded LAPACK, does not stall when other processes busy the CPU cores.
DENSE_LIMIT = 64
_LABEL_WIDTH = 60
#: A word pair ("heat pumps") names a theme better than either word, so it is preferred
#: while it occurs in at least 80% as many statements.
_PAIR_BONUS = 1.25


@dataclass(frozen=True)
class ThemeSuggestion:
    """Suggested themes for a set of statements.

    Attributes:
        themes: one row per theme, columns ``theme_id`` (1..n, largest theme first),
            ``label`` (its top keywords joined by ", ", or the shortened representative
            statement when no keyword recurs), ``keywords`` (tuple of distinctive words or
            word pairs, most distinctive first), ``size`` (number of statements),
            ``cohesion`` (mean cosine similarity of its statements to the theme centroid in
            the TF-IDF space, 0..1; 1 for a single statement), ``representative_id`` and
            ``representative`` (the statement closest to the centroid), ``statement_ids``
            (tuple, most central first).
        assignments: one row per statement, columns ``statement_id``, ``theme_id``,
            ``similarity`` (cosine similarity to its theme centroid, 0..1) and ``text``;
            sorted by theme, most central statement first.
        selection: the candidate numbers of themes considered and the modularity of the
            neighbourhood graph under each (columns ``n_themes``, ``modularity``).
        n_themes: number of themes.
        modularity: modularity of the chosen partition (about 0.3 and above: clear
            structure; near 0: statements hardly share vocabulary).
        seed: the seed used.
    """

    themes: pd.DataFrame
    assignments: pd.DataFrame
    selection: pd.DataFrame
    n_themes: int
    modularity: float
    seed: int


def suggest_themes(
    statements: pd.DataFrame,
    n_themes: int | None = None,
    seed: int = 0,
    *,
    min_themes: int = 2,
    max_themes: int | None = None,
    n_neighbors: int | None = None,
    ngram_range: tuple[int, int] = (3, 5),
    n_keywords: int = 3,
) -> ThemeSuggestion:
    """Suggest themes by clustering statements (see the module docstring for the method).

    Args:
        statements: columns ``statement_id`` (unique) and ``text`` (non-empty strings);
            other columns (e.g. from :func:`split_statements`) are ignored.
        n_themes: number of themes wanted; None chooses it between ``min_themes`` and
            ``max_themes`` by modularity.
        seed: start vector of the sparse eigensolver, used above :data:`DENSE_LIMIT`
            distinct statements (smaller inputs involve no random step). Different seeds
            give the same themes up to rounding.
        min_themes: smallest number of themes considered when ``n_themes`` is None.
        max_themes: largest number considered; default ``min(30, 2 * sqrt(n))`` for n
            distinct statements. Both are capped at n - 1.
        n_neighbors: neighbours per statement in the similarity graph; default grows with
            the number of statements (``sqrt(n) / 3``, between 4 and 10).
        ngram_range: character n-gram lengths.
        n_keywords: number of keywords per theme.

    Returns:
        A :class:`ThemeSuggestion`. Empty input gives empty frames with the documented
        columns and ``n_themes == 0``. The input is not modified.

    Raises:
        ValueError: not a DataFrame, a missing column, duplicate ``statement_id`` values,
            a missing, non-string or blank ``text``, ``n_themes`` outside 1 .. number of
            distinct statements, or inconsistent ``min_themes`` / ``max_themes`` /
            ``n_neighbors`` / ``ngram_range`` / ``n_keywords``.
    """
    _check_statements(statements)
    _check_options(n_themes, min_themes, max_themes, n_neighbors, ngram_range, n_keywords)
    if statements.empty:
        return _empty_suggestion(seed)

    ids = statements["statement_id"].to_numpy()
    texts = statements["text"].to_numpy()
    # A canonical order makes the result independent of the input row order.
    order = np.lexsort((np.array([str(i) for i in ids]), np.array(texts, dtype=str)))
    ids, texts = ids[order], texts[order]
    features = [feature_text(t) for t in texts]
    codes, uniques = pd.factorize(pd.Series(features, dtype=object), sort=False)
    n_unique = len(uniques)

    if n_themes is not None and n_themes > n_unique:
        raise ValueError(
            f"n_themes={n_themes} exceeds the number of distinct statements ({n_unique})"
        )

    with _single_threaded():
        matrix = _tfidf(list(uniques), ngram_range)
        if n_unique == 1 or n_themes == 1:
            labels = np.zeros(n_unique, dtype=int)
            modularity = 0.0
            selection = pd.DataFrame({"n_themes": [1], "modularity": [0.0]})
        else:
            labels, modularity, selection = _cluster(
                matrix, n_themes, seed, min_themes, max_themes, n_neighbors
            )
        statement_labels = labels[codes]
        statement_matrix = matrix[codes]
        return _suggestion(
            ids, texts, statement_labels, statement_matrix, modularity, selection, seed, n_keywords
        )


@functools.cache
def _thread_controller() -> object | None:
    return ThreadpoolController() if ThreadpoolController is not None else None


@contextlib.contextmanager
def _single_threaded() -> Iterator[None]:
    """Run BLAS and OpenMP single-threaded.

    The matrices here are small (hundreds of rows), so threads gain nothing, while
    multithreaded OpenBLAS stalls for up to seconds when other processes busy the cores.
    The limit is process-wide while it lasts, and the previous settings are restored.
    """
    controller = _thread_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1):  # type: ignore[attr-defined]
        yield


def _check_statements(statements: object) -> None:
    if not isinstance(statements, pd.DataFrame):
        raise ValueError(f"statements must be a pandas DataFrame, got {type(statements).__name__}")
    missing = [c for c in ("statement_id", "text") if c not in statements.columns]
    if missing:
        raise ValueError(f"statements lacks required column(s): {', '.join(missing)}")
    duplicated = statements["statement_id"].duplicated()
    if duplicated.any():
        first = statements["statement_id"][duplicated].iloc[0]
        raise ValueError(f"statement_id values must be unique; {first!r} occurs twice or more")
    for statement_id, text in zip(statements["statement_id"], statements["text"], strict=True):
        if not isinstance(text, str):
            raise ValueError(
                f"text of statement {statement_id!r} must be a string, "
                f"got {type(text).__name__}: {text!r}"
            )
        if not text.strip():
            raise ValueError(f"text of statement {statement_id!r} is blank")


def _check_options(
    n_themes: int | None,
    min_themes: int,
    max_themes: int | None,
    n_neighbors: int | None,
    ngram_range: tuple[int, int],
    n_keywords: int,
) -> None:
    if n_themes is not None and (
        isinstance(n_themes, bool) or not isinstance(n_themes, int | np.integer) or n_themes < 1
    ):
        raise ValueError(f"n_themes must be a positive integer or None, got {n_themes!r}")
    if min_themes < 1:
        raise ValueError(f"min_themes must be >= 1, got {min_themes}")
    if max_themes is not None and max_themes < min_themes:
        raise ValueError(f"max_themes ({max_themes}) must be >= min_themes ({min_themes})")
    if n_neighbors is not None and n_neighbors < 1:
        raise ValueError(f"n_neighbors must be >= 1, got {n_neighbors}")
    low, high = ngram_range
    if not 1 <= low <= high:
        raise ValueError(f"ngram_range must satisfy 1 <= low <= high, got {ngram_range}")
    if n_keywords < 0:
        raise ValueError(f"n_keywords must be >= 0, got {n_keywords}")


def _tfidf(documents: list[str], ngram_range: tuple[int, int]) -> scipy.sparse.csr_matrix:
    # n-grams seen in a single statement cannot link two statements; dropping them keeps
    # the vectors small and the similarities less noisy.
    min_df = 2 if len(documents) >= 20 else 1
    for df in (min_df, 1):
        vectoriser = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=ngram_range,
            lowercase=False,
            sublinear_tf=True,
            min_df=df,
            dtype=np.float64,
        )
        try:
            return vectoriser.fit_transform(documents).tocsr()
        except ValueError:
            continue
    return scipy.sparse.csr_matrix((len(documents), 1))


def _cluster(
    matrix: scipy.sparse.csr_matrix,
    n_themes: int | None,
    seed: int,
    min_themes: int,
    max_themes: int | None,
    n_neighbors: int | None,
) -> tuple[np.ndarray, float, pd.DataFrame]:
    n = matrix.shape[0]
    if n_neighbors is None:
        n_neighbors = int(min(10, max(4, round(math.sqrt(n) / 3))))
    n_neighbors = min(n_neighbors, n - 1)
    graph = _knn_graph(matrix, n_neighbors)

    if n_themes is None:
        high = max_themes if max_themes is not None else min(30, int(2 * math.sqrt(n)))
        high = max(min(high, n - 1), 1)
        low = min(min_themes, high)
        candidates = list(range(low, high + 1))
    else:
        candidates = [n_themes]

    embedding = _spectral_embedding(graph, max(candidates), seed)
    partitions = {
        k: _qr_partition(embedding[:, :k]) if k > 1 else np.zeros(n, dtype=int) for k in candidates
    }
    curve = [(k, _modularity(graph, labels)) for k, labels in partitions.items()]
    # The fewest themes among those (numerically) as modular as the best.
    top = max(score for _, score in curve)
    k = min(k for k, score in curve if score >= top - 1e-12)
    labels = partitions[k]

    if k > 1:
        options = [labels, _ward_partition(embedding[:, :k], k)]
        if n_themes is not None:
            exact = [o for o in options if len(np.unique(o)) == n_themes]
            options = exact or options
        scored = [(_modularity(graph, o), i) for i, o in enumerate(options)]
        labels = options[max(scored, key=lambda s: (s[0], -s[1]))[1]]
    selection = pd.DataFrame(curve, columns=list(SELECTION_COLUMNS))
    return labels, _modularity(graph, labels), selection


def _knn_graph(matrix: scipy.sparse.csr_matrix, n_neighbors: int) -> scipy.sparse.csr_matrix:
    """Symmetric graph: each statement linked to its nearest neighbours by cosine."""
    n = matrix.shape[0]
    finder = NearestNeighbors(n_neighbors=min(n_neighbors + 1, n), metric="cosine")
    finder.fit(matrix)
    distances, indices = finder.kneighbors(matrix)
    rows, cols, weights = [], [], []
    for i in range(n):
        kept = [(j, d) for j, d in zip(indices[i], distances[i], strict=True) if j != i]
        for j, d in kept[:n_neighbors]:
            similarity = 1.0 - d
            if similarity > 1e-9:
                rows.append(i)
                cols.append(j)
                weights.append(min(similarity, 1.0))
    graph = scipy.sparse.csr_matrix((weights, (rows, cols)), shape=(n, n))
    return graph.maximum(graph.T).tocsr()


def _spectral_embedding(graph: scipy.sparse.csr_matrix, k: int, seed: int) -> np.ndarray:
    """Top-k eigenvectors of the normalised affinity, rows scaled to unit length.

    A weak uniform link between all statements (0.1% of a typical degree in total) keeps
    the graph connected, so isolated statements do not break the decomposition. It is
    applied implicitly, so the sparse path never builds the dense n x n matrix.
    """
    n = graph.shape[0]
    degree = np.asarray(graph.sum(axis=1)).ravel()
    typical = float(np.median(degree[degree > 0])) if (degree > 0).any() else 1.0
    epsilon = 1e-3 * typical / max(n - 1, 1)
    total = degree + epsilon * (n - 1)
    scale = 1.0 / np.sqrt(total)
    k = min(k, n)

    vectors = None
    if n > DENSE_LIMIT and k < n - 1:
        graph_csr = graph.tocsr()

        def matvec(x: np.ndarray) -> np.ndarray:
            y = scale * x.ravel()
            return scale * (graph_csr @ y + epsilon * (y.sum() - y))

        operator = scipy.sparse.linalg.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        start = np.random.default_rng(seed).uniform(0.5, 1.5, size=n)
        try:
            values, vectors = scipy.sparse.linalg.eigsh(operator, k=k, which="LA", v0=start)
            vectors = vectors[:, np.argsort(values, kind="stable")]
        except scipy.sparse.linalg.ArpackNoConvergence:
            vectors = None  # the dense decomposition below always converges
    if vectors is None:
        affinity = graph.toarray() + epsilon
        np.fill_diagonal(affinity, 0.0)
        affinity *= scale[:, None]
        affinity *= scale[None, :]
        _, vectors = scipy.linalg.eigh(affinity, subset_by_index=[n - k, n - 1], driver="evx")
    # Largest eigenvalue first, so that embedding[:, :k] holds the top k eigenvectors.
    vectors = vectors[:, ::-1]
    return normalize(vectors)


def _qr_partition(embedding: np.ndarray) -> np.ndarray:
    """Partition read off a spectral embedding by column-pivoted QR (no random start)."""
    k = embedding.shape[1]
    _, _, pivots = scipy.linalg.qr(embedding.T, pivoting=True)
    left, _, right = np.linalg.svd(embedding[pivots[:k], :].T)
    return np.abs(embedding @ (left @ right)).argmax(axis=1)


def _ward_partition(embedding: np.ndarray, k: int) -> np.ndarray:
    """Ward clustering of the embedding: always exactly k groups, no random start."""
    return AgglomerativeClustering(n_clusters=k, linkage="ward").fit(embedding).labels_


def _modularity(graph: scipy.sparse.csr_matrix, labels: np.ndarray) -> float:
    """Newman's modularity of a partition of the weighted neighbourhood graph."""
    coo = graph.tocoo()
    two_m = float(coo.data.sum())
    if two_m <= 0:
        return 0.0
    n_labels = int(labels.max()) + 1
    same = labels[coo.row] == labels[coo.col]
    inside = np.bincount(labels[coo.row[same]], weights=coo.data[same], minlength=n_labels)
    degree = np.asarray(graph.sum(axis=1)).ravel()
    total = np.bincount(labels, weights=degree, minlength=n_labels)
    return float(inside.sum() / two_m - np.square(total / two_m).sum())


def _suggestion(
    ids: np.ndarray,
    texts: np.ndarray,
    labels: np.ndarray,
    matrix: scipy.sparse.csr_matrix,
    modularity: float,
    selection: pd.DataFrame,
    seed: int,
    n_keywords: int,
) -> ThemeSuggestion:
    # Themes numbered by size, ties broken by the canonical position of their first member.
    positions = np.arange(len(labels))
    clusters = sorted(
        np.unique(labels), key=lambda c: (-int((labels == c).sum()), positions[labels == c][0])
    )
    theme_of = {c: number for number, c in enumerate(clusters, start=1)}
    theme_ids = np.array([theme_of[c] for c in labels])

    similarity = np.zeros(len(labels))
    for c in clusters:
        members = np.flatnonzero(labels == c)
        centroid = np.asarray(matrix[members].mean(axis=0)).ravel()
        norm = np.linalg.norm(centroid)
        if norm > 0:
            similarity[members] = matrix[members] @ (centroid / norm)
    similarity = np.clip(similarity, 0.0, 1.0)

    assignments = pd.DataFrame(
        {
            "statement_id": ids,
            "theme_id": theme_ids,
            "similarity": similarity,
            "text": texts,
            "_position": positions,
        }
    )
    assignments = assignments.sort_values(
        ["theme_id", "similarity", "_position"], ascending=[True, False, True], kind="mergesort"
    )
    keywords = _keywords(texts, theme_ids, n_keywords)

    rows = []
    for theme_id, members in assignments.groupby("theme_id", sort=True):
        top = members.iloc[0]
        theme_keywords = keywords.get(theme_id, ())
        rows.append(
            {
                "theme_id": int(theme_id),
                "label": ", ".join(theme_keywords)
                if theme_keywords
                else shorten(top["text"], _LABEL_WIDTH),
                "keywords": theme_keywords,
                "size": len(members),
                "cohesion": float(members["similarity"].mean()),
                "representative_id": top["statement_id"],
                "representative": top["text"],
                "statement_ids": tuple(members["statement_id"]),
            }
        )
    themes = pd.DataFrame(rows, columns=list(THEME_COLUMNS))
    assignments = assignments.drop(columns="_position").reset_index(drop=True)
    return ThemeSuggestion(
        themes=themes,
        assignments=assignments[list(ASSIGNMENT_COLUMNS)],
        selection=selection.reset_index(drop=True),
        n_themes=len(themes),
        modularity=float(modularity),
        seed=seed,
    )


def _keywords(
    texts: np.ndarray, theme_ids: np.ndarray, n_keywords: int
) -> dict[int, tuple[str, ...]]:
    """Distinctive words and word pairs per theme (class-based TF-IDF over statements).

    A term scores by the share of the theme's statements using it times its smoothed
    inverse frequency over all statements (word pairs get :data:`_PAIR_BONUS`); it must
    occur in two statements of a theme unless the theme has a single statement. Terms
    sharing a word stem with a better one are skipped. Shown in its most frequent spelling.
    """
    if n_keywords == 0:
        return {}
    terms_per_statement: list[set[str]] = []
    spellings: dict[str, Counter[str]] = {}
    keyword_cache: dict[str, bool] = {}
    for text in texts:
        tokens = words(text)
        usable = []
        for token in tokens:
            if token not in keyword_cache:
                keyword_cache[token] = is_keyword(token)
            usable.append(keyword_cache[token])
        terms: set[str] = set()
        for index, token in enumerate(tokens):
            if not usable[index]:
                continue
            candidates = [token]
            if index + 1 < len(tokens) and usable[index + 1]:
                candidates.append(f"{token} {tokens[index + 1]}")
            for candidate in candidates:
                key = candidate.casefold()
                terms.add(key)
                # A statement's first word is capitalised by position, not by spelling.
                weight = 1 if index else 0.001
                spellings.setdefault(key, Counter())[candidate] += weight
        terms_per_statement.append(terms)

    n = len(texts)
    document_frequency: Counter[str] = Counter()
    for terms in terms_per_statement:
        document_frequency.update(terms)

    result: dict[int, tuple[str, ...]] = {}
    for theme_id in np.unique(theme_ids):
        members = np.flatnonzero(theme_ids == theme_id)
        in_theme: Counter[str] = Counter()
        for m in members:
            in_theme.update(terms_per_statement[m])
        minimum = 2 if len(members) > 1 else 1
        scored = sorted(
            (
                (
                    -(count / len(members))
                    * (math.log((1 + n) / (1 + document_frequency[term])) + 1)
                    * (_PAIR_BONUS if " " in term else 1.0),
                    -len(term.split()),
                    term,
                )
                for term, count in in_theme.items()
                if count >= minimum
            )
        )
        chosen: list[str] = []
        used_words: list[str] = []
        for _, _, term in scored:
            parts = term.split()
            if any(_same_stem(p, u) for p in parts for u in used_words):
                continue
            chosen.append(term)
            used_words.extend(parts)
            if len(chosen) == n_keywords:
                break
        result[int(theme_id)] = tuple(_spelling(spellings[t]) for t in chosen)
    return result


def _same_stem(a: str, b: str) -> bool:
    """Crude, language-neutral: "customer"/"customers", "Ausbilder"/"Ausbildung"."""
    shorter, longer = sorted((a, b), key=len)
    return longer.startswith(shorter) or (len(shorter) >= 6 and a[:6] == b[:6])


def _spelling(counts: Counter[str]) -> str:
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def _empty_suggestion(seed: int) -> ThemeSuggestion:
    def empty(columns: tuple[str, ...]) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})

    return ThemeSuggestion(
        themes=empty(THEME_COLUMNS),
        assignments=empty(ASSIGNMENT_COLUMNS),
        selection=empty(SELECTION_COLUMNS),
        n_themes=0,
        modularity=0.0,
        seed=seed,
    )
