"""Read questionnaire files, naming the file, line and key of every problem.

Pure: no Flask. Three passes over one file, all problems collected before raising:

1. YAML, composed into nodes (SafeLoader) so every key and value keeps its line;
   duplicate keys, which PyYAML would silently resolve to the last, are reported.
2. The published JSON Schema (``questionnaire.schema.json``), each error mapped back
   from its data path to a line.
3. Rules a schema cannot express (unique keys, languages, labels, bands, bounds).

The first two passes are shared with other YAML formats (``app.yamlfile``).

A file beyond the limits below (size, values, nesting) is one located problem, found before
the work grows: never a crash, a hang or a RecursionError.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import stat
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from app.problems import Problem
from app.questionnaires.spec import (
    FORMAT_VERSION,
    SCALE_DEFAULT,
    SCALE_MAX,
    SCALE_MIN,
    Questionnaire,
    default_bands,
)
from app.yamlfile import Limits, PathT, ProblemList, SchemaChecker, file_problem, parse_yaml

SCHEMA_FILE = "questionnaire.schema.json"
#: Limits far above any real questionnaire (a few dozen KiB, five levels deep). They keep a
#: huge file, an alias bomb ("billion laughs") or deep nesting from exhausting memory, time
#: or the stack.
#: Largest file read (bytes).
MAX_FILE_BYTES = 1024 * 1024
#: Most values, counting each use of an alias as a copy of what it refers to (the shipped
#: questionnaires have about 430).
MAX_NODES = 20_000
#: Deepest nesting of lists and mappings.
MAX_DEPTH = 50
#: Most problems listed for one file; the rest are counted.
MAX_PROBLEMS = 100

LIMITS = Limits(
    max_file_bytes=MAX_FILE_BYTES,
    max_nodes=MAX_NODES,
    max_depth=MAX_DEPTH,
    max_problems=MAX_PROBLEMS,
    typical_size="a questionnaire has a few hundred",
)

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "MAX_PROBLEMS",
    "PathT",
    "Problem",
    "QuestionnaireError",
    "check_files",
    "load_questionnaire",
    "load_questionnaire_text",
    "read_questionnaire_file",
    "schema",
    "schema_text",
]

_problem = file_problem


class QuestionnaireError(ValueError):
    """A questionnaire file has problems; ``problems`` lists them sorted by line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of the file format (cached and shared: do not change it)."""
    text = resources.files("app.questionnaires").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


def schema_text() -> str:
    """The schema file as published, byte for byte."""
    return resources.files("app.questionnaires").joinpath(SCHEMA_FILE).read_text("utf-8")


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and check ``path``. Its key must match the file name (``<key>.yaml``).

    Returns the frozen Questionnaire (content_hash = SHA-256 of the bytes, source = file
    name). Raises QuestionnaireError listing every problem.
    """
    path = Path(path)
    raw = read_questionnaire_file(path)
    file = str(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise QuestionnaireError([_problem(file, line, "", "file is not UTF-8 text")]) from None
    return _load(text, raw, file=file, source=path.name, expected_key=path.stem)


def read_questionnaire_file(path: str | Path) -> bytes:
    """The bytes of ``path``. Raises QuestionnaireError when it is not a regular file (a
    folder, a device or a pipe, which could block), cannot be read or is larger than
    MAX_FILE_BYTES."""
    path = Path(path)
    file = str(path)

    def refuse(message: str) -> QuestionnaireError:
        return QuestionnaireError([_problem(file, 1, "", message)])

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise refuse("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise refuse(_too_large(info.st_size))
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise refuse(f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:  # grew while being read
        raise refuse(_too_large(len(raw)))
    return raw


def _too_large(size: int) -> str:
    return (
        f"the file is larger than {MAX_FILE_BYTES // 1024} KiB ({size} bytes); a "
        "questionnaire is a few dozen KiB"
    )


def load_questionnaire_text(text: str, source: str = "<text>") -> Questionnaire:
    """Check and build a questionnaire from YAML text (hash of its UTF-8 bytes).

    ``source`` names the text in problems and becomes ``Questionnaire.source``.
    Raises QuestionnaireError.
    """
    return _load(text, text.encode("utf-8"), file=source, source=source, expected_key=None)


def check_files(paths: Iterable[str | Path]) -> list[Problem]:
    """Every problem in every file, file by file in the given order, each sorted by line."""
    problems: list[Problem] = []
    for path in paths:
        try:
            load_questionnaire(path)
        except QuestionnaireError as exc:
            problems.extend(exc.problems)
    return problems


def _load(
    text: str, raw: bytes, *, file: str, source: str, expected_key: str | None
) -> Questionnaire:
    problems = ProblemList(file, LIMITS)
    if len(raw) > MAX_FILE_BYTES:
        problems.add(1, "", _too_large(len(raw)))
        raise QuestionnaireError(problems.sorted())
    data, index = parse_yaml(text, problems)
    if data is not None or not problems.items:
        checker = _Checker(data, index, problems)
        checker.check_schema(_validator())
        checker.check_rules(expected_key)
    if problems.items:
        raise QuestionnaireError(problems.sorted())
    return Questionnaire.from_dict(
        data, content_hash=hashlib.sha256(raw).hexdigest(), source=source
    )


# --- passes 2 and 3: schema and rules ---------------------------------------------------


class _Checker(SchemaChecker):
    def unknown_key_where(self, instance: dict[str, Any], allowed: list[str]) -> str:
        if "type" in allowed and instance.get("type") in (
            "likert",
            "estimate",
            "ranking",
            "choice",
            "text",
        ):
            return f" for a {instance['type']} item"
        return ""

    def const_message(self, path: PathT, expected: Any, instance: Any) -> str:
        if path == ("format_version",):
            return (
                f"must be {FORMAT_VERSION}, the only file format this version of "
                f"SkillsDelphi reads, not {instance!r}"
            )
        return super().const_message(path, expected, instance)

    # pass 3
    def check_rules(self, expected_key: str | None) -> None:
        data = self.data
        if not isinstance(data, dict):
            return
        key = data.get("key")
        if expected_key is not None and isinstance(key, str) and key != expected_key:
            self.add(("key",), f"key {key!r} must match the file name ({expected_key}.yaml)")
        languages = _as_list(data.get("languages"))
        if not all(map(_is_language, languages)):
            languages = []  # reported by the schema; cross-checks would only add noise
        default = data.get("default_language")
        if isinstance(default, str) and languages and default not in languages:
            self.add(
                ("default_language",),
                f"{default!r} is not one of the languages ({', '.join(languages)})",
            )
        for name in ("title", "description"):
            self._texts((name,), data.get(name), languages)
        items = _as_list(data.get("items"))
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            item_key = item.get("key")
            if isinstance(item_key, str):
                if item_key in seen:
                    self.add(
                        ("items", i, "key"),
                        f"item key {item_key!r} is already used by the item on line "
                        f"{seen[item_key]}",
                    )
                else:
                    seen[item_key] = self.line(("items", i, "key"))
            self._item(("items", i), item, languages)

    def _texts(self, path: PathT, texts: Any, languages: list[str]) -> None:
        if not isinstance(texts, dict):
            return
        for lang in languages:
            if lang not in texts:
                self.add(
                    (*path, lang),
                    f"no text in {lang!r}; every text is needed in all languages",
                    line=self.line(path),
                )
        for lang in texts:
            if languages and _is_language(lang) and lang not in languages:
                self.add((*path, lang), f"language {lang!r} is not listed in languages")

    def _item(self, path: PathT, item: dict[str, Any], languages: list[str]) -> None:
        self._texts((*path, "text"), item.get("text"), languages)
        self._texts((*path, "help"), item.get("help"), languages)
        kind = item.get("type")
        if kind == "likert":
            self._likert(path, item, languages)
        elif kind == "estimate":
            self._estimate(path, item)
        elif kind in ("ranking", "choice"):
            options = self._options(path, item, languages)
            if kind == "ranking":
                self._ranking(path, item, options)
            else:
                self._choice(path, item, options)

    def _likert(self, path: PathT, item: dict[str, Any], languages: list[str]) -> None:
        scale = item.get("scale", SCALE_DEFAULT)
        if not (_is_int(scale) and SCALE_MIN <= scale <= SCALE_MAX):
            return  # reported by the schema; the rules below need a valid k
        labels = item.get("labels")
        if isinstance(labels, dict):
            for lang in languages:
                if lang not in labels:
                    self.add(
                        (*path, "labels", lang),
                        f"no labels in {lang!r}",
                        line=self.line((*path, "labels")),
                    )
            for lang, values in labels.items():
                if languages and _is_language(lang) and lang not in languages:
                    self.add(
                        (*path, "labels", lang), f"language {lang!r} is not listed in languages"
                    )
                if isinstance(values, list) and len(values) != scale:
                    self.add(
                        (*path, "labels", lang),
                        f"{len(values)} labels for a scale of {scale} points; give one per point",
                    )
        bands: dict[str, tuple[int, int]] = {}
        defaults = dict(
            zip(("agreement_band", "disagreement_band"), default_bands(scale), strict=True)
        )
        for name in ("agreement_band", "disagreement_band"):
            band = item.get(name)
            if band is None:
                bands[name] = defaults[name]
                continue
            if not (isinstance(band, list) and len(band) == 2 and all(map(_is_int, band))):
                return
            lo, hi = band
            if not (1 <= lo <= hi <= scale):
                self.add(
                    (*path, name),
                    f"[{lo}, {hi}] must lie inside 1..{scale} with low <= high",
                )
                return
            bands[name] = (lo, hi)
        (alo, ahi), (dlo, dhi) = bands["agreement_band"], bands["disagreement_band"]
        if alo <= dhi and dlo <= ahi:
            explicit = [n for n in bands if item.get(n) is not None]
            where = (*path, explicit[-1] if explicit else "scale")
            advice = (
                "; the bands must not share a scale point"
                if len(explicit) == 2
                else f" (default for a scale of {scale}); set both bands so they do not"
            )
            self.add(
                where,
                f"agreement_band [{alo}, {ahi}] and disagreement_band [{dlo}, {dhi}] overlap"
                f"{advice}",
            )

    def _estimate(self, path: PathT, item: dict[str, Any]) -> None:
        lo, hi = item.get("min"), item.get("max")
        for name, value in (("min", lo), ("max", hi)):
            if _is_num(value) and not math.isfinite(value):
                self.add((*path, name), f"must be a finite number, not {value}")
                return
        if _is_num(lo) and _is_num(hi) and lo >= hi:
            self.add((*path, "min"), f"min ({lo}) must be less than max ({hi})")
        if item.get("ratio_scale") is True and _is_num(lo) and lo < 0:
            self.add(
                (*path, "ratio_scale"),
                f"a ratio scale has a true zero, so min ({lo}) cannot be negative",
            )

    def _options(self, path: PathT, item: dict[str, Any], languages: list[str]) -> int | None:
        options = item.get("options")
        if not isinstance(options, list):
            return None
        seen: dict[str, int] = {}
        for j, option in enumerate(options):
            if not isinstance(option, dict):
                continue
            key = option.get("key")
            opath = (*path, "options", j)
            if isinstance(key, str):
                if key in seen:
                    self.add(
                        (*opath, "key"),
                        f"option key {key!r} is already used on line {seen[key]}",
                    )
                else:
                    seen[key] = self.line((*opath, "key"))
            self._texts((*opath, "text"), option.get("text"), languages)
        return len(options)

    def _ranking(self, path: PathT, item: dict[str, Any], n: int | None) -> None:
        top_m = item.get("top_m")
        if n is not None and _is_int(top_m) and top_m > n:
            self.add((*path, "top_m"), f"top_m ({top_m}) is more than the {n} options")

    def _choice(self, path: PathT, item: dict[str, Any], n: int | None) -> None:
        lo, hi = item.get("min_selections"), item.get("max_selections")
        if item.get("multiple") is not True:
            for name in ("min_selections", "max_selections"):
                if name in item:
                    self.add((*path, name), f"{name} needs multiple: true")
            return
        if _is_int(lo) and _is_int(hi) and lo > hi:
            self.add(
                (*path, "min_selections"), f"min_selections ({lo}) exceeds max_selections ({hi})"
            )
        if n is not None:
            for name, value in (("min_selections", lo), ("max_selections", hi)):
                if _is_int(value) and value > n:
                    self.add((*path, name), f"{name} ({value}) is more than the {n} options")


def _is_language(value: Any) -> bool:
    pattern = schema()["$defs"]["language"]["pattern"]
    return isinstance(value, str) and re.match(pattern, value) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
