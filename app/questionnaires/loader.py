"""Read questionnaire files, naming the file, line and key of every problem.

Pure: no Flask. Three passes over one file, all problems collected before raising:

1. YAML, composed into nodes (SafeLoader) so every key and value keeps its line;
   duplicate keys, which PyYAML would silently resolve to the last, are reported.
2. The published JSON Schema (``questionnaire.schema.json``), each error mapped back
   from its data path to a line.
3. Rules a schema cannot express (unique keys, languages, labels, bands, bounds).

A file beyond the limits below (size, values, nesting) is one located problem, found before
the work grows: never a crash, a hang or a RecursionError.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from app.problems import Problem
from app.questionnaires.spec import (
    FORMAT_VERSION,
    SCALE_DEFAULT,
    SCALE_MAX,
    SCALE_MIN,
    Questionnaire,
    default_bands,
)

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

PathT = tuple[str | int, ...]


def _problem(file: str, line: int, key: str, message: str) -> Problem:
    """A problem of a questionnaire file: ``line`` 1-based, ``key`` a dotted path such as
    ``items[digital-skills].labels.de`` (empty when the file cannot be parsed)."""
    return Problem(message, field=key or None, file=file, line=line)


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
    problems = _Problems(file)
    if len(raw) > MAX_FILE_BYTES:
        problems.add(1, "", _too_large(len(raw)))
        raise QuestionnaireError(problems.sorted())
    data, index = _parse(text, problems)
    if data is not None or not problems.items:
        checker = _Checker(data, index, problems)
        checker.check_schema()
        checker.check_rules(expected_key)
    if problems.items:
        raise QuestionnaireError(problems.sorted())
    return Questionnaire.from_dict(
        data, content_hash=hashlib.sha256(raw).hexdigest(), source=source
    )


# --- problems ---------------------------------------------------------------------------


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []
        self._seen: set[Problem] = set()

    def add(self, line: int, key: str, message: str) -> None:
        problem = _problem(self.file, max(line, 1), key, message)
        if problem not in self._seen:
            self._seen.add(problem)
            self.items.append(problem)

    def sorted(self) -> list[Problem]:
        """The problems by line; beyond MAX_PROBLEMS, one more saying how many are left."""
        ordered = sorted(self.items, key=lambda p: (p.line, p.field or "", p.message))
        if len(ordered) <= MAX_PROBLEMS:
            return ordered
        rest = len(ordered) - MAX_PROBLEMS
        more = _problem(self.file, ordered[MAX_PROBLEMS].line, "", f"... and {rest} more problems")
        return [*ordered[:MAX_PROBLEMS], more]


# --- pass 1: YAML with positions --------------------------------------------------------


@dataclass
class _Pos:
    #: Line of the mapping key naming this value (None for sequence elements, the root).
    key_line: int | None
    #: First line of the value itself.
    value_line: int

    @property
    def line(self) -> int:
        return self.key_line if self.key_line is not None else self.value_line


class _LimitExceeded(yaml.YAMLError):
    """The file goes beyond one of the limits (MAX_DEPTH, MAX_NODES) on ``line``."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _nesting_message() -> str:
    return f"nesting deeper than {MAX_DEPTH} levels (lists or mappings inside each other)"


def _size_message() -> str:
    return (
        f"more than {MAX_NODES} values, counting each use of an alias as a copy (an alias "
        "bomb?); a questionnaire has a few hundred"
    )


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer stops at MAX_DEPTH levels, before Python's stack runs out,
    and at MAX_NODES nodes, before the time it takes grows long."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _LimitExceeded(self.peek_event().start_mark.line + 1, _size_message())
        if self.check_event(yaml.CollectionStartEvent):
            if self._depth >= MAX_DEPTH:
                raise _LimitExceeded(self.peek_event().start_mark.line + 1, _nesting_message())
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


def _parse(text: str, problems: _Problems) -> tuple[Any, dict[PathT, _Pos]]:
    """YAML text to plain data plus the position of every path; None on a syntax error."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        problems.add(
            line,
            "",
            f"the file contains a character YAML does not allow (U+{ord(character):04X}); "
            "is it a text file?",
        )
        return None, {}
    try:
        node = loader.get_single_node()
        if node is None:
            problems.add(1, "", "the file is empty")
            return None, {}
        index: dict[PathT, _Pos] = {}
        builder = _Builder(loader, index)
        data = builder.build(node)
        for line, path, message in builder.problems:
            problems.add(line, _render(path, data), message)
        return data, index
    except _LimitExceeded as exc:
        problems.add(exc.line, "", exc.message)
        return None, {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        detail = exc.problem or exc.context or str(exc)
        if exc.context and exc.problem:
            where = f" on line {exc.context_mark.line + 1}" if exc.context_mark else ""
            detail = f"{exc.problem} ({exc.context}{where})"
        problems.add(line, "", f"YAML syntax error: {detail}")
        return None, {}
    except yaml.YAMLError as exc:
        problems.add(1, "", f"YAML error: {exc}")
        return None, {}
    finally:
        loader.dispose()


class _Builder:
    """Build plain data from the node tree, recording positions and duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader, index: dict[PathT, _Pos]) -> None:
        self.loader = loader
        self.index = index
        #: (line, path, message), rendered once the data is complete.
        self.problems: list[tuple[int, PathT, str]] = []
        #: Collections being built: an alias to one of them would never end.
        self.open: set[int] = set()
        self.count = 0

    def build(self, node: yaml.Node) -> Any:
        self.index[()] = _Pos(None, node.start_mark.line + 1)
        return self._value(node, ())

    def _value(self, node: yaml.Node, path: PathT) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _LimitExceeded(node.start_mark.line + 1, _size_message())
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        if id(node) in self.open:
            line = node.start_mark.line + 1
            self.problems.append((line, path, "an alias refers to itself (recursive data)"))
            return None
        if len(self.open) >= MAX_DEPTH:  # through aliases: the composer checked the rest
            raise _LimitExceeded(node.start_mark.line + 1, _nesting_message())
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            out = []
            for i, child in enumerate(node.value):
                self.index[(*path, i)] = _Pos(None, child.start_mark.line + 1)
                out.append(self._value(child, (*path, i)))
            return out
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: PathT) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append((key_line, path, "a key must be plain text"))
                continue
            key = self.loader.construct_object(key_node)
            if not isinstance(key, str):
                message = f"key {key_node.value!r} is read as {_describe(key)}; quote it"
                key = str(key_node.value)
                self.problems.append((key_line, (*path, key), message))
            if key in first_line:
                message = (
                    f"duplicate key (first on line {first_line[key]}); YAML would keep only "
                    "the last one"
                )
                self.problems.append((key_line, (*path, key), message))
            first_line.setdefault(key, key_line)
            self.index[(*path, key)] = _Pos(key_line, value_node.start_mark.line + 1)
            out[key] = self._value(value_node, (*path, key))
        return out


# --- paths ------------------------------------------------------------------------------


def _render(path: PathT, data: Any) -> str:
    """``items[digital-skills].labels.de``: list elements that carry a key unique among
    their siblings are named by it, others by index."""
    out = ""
    current = data
    for segment in path:
        if isinstance(segment, int):
            label: str | int = segment
            if isinstance(current, list) and 0 <= segment < len(current):
                element = current[segment]
                key = element.get("key") if isinstance(element, dict) else None
                siblings = [e.get("key") for e in current if isinstance(e, dict)]
                if isinstance(key, str) and key and siblings.count(key) == 1:
                    label = key
                current = element
            else:
                current = None
            out += f"[{label}]"
        else:
            out += f".{segment}" if out else str(segment)
            current = current.get(segment) if isinstance(current, dict) else None
    return out


def _describe(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})" if len(value) <= 40 else "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} ({value})"


_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
    "null": "empty",
}


# --- passes 2 and 3: schema and rules ---------------------------------------------------


class _Checker:
    def __init__(self, data: Any, index: dict[PathT, _Pos], problems: _Problems) -> None:
        self.data = data
        self.index = index
        self.problems = problems

    # where a path is
    def line(self, path: PathT) -> int:
        """Line of the key naming ``path`` (of the element, in a list), else of the nearest
        parent that exists."""
        for end in range(len(path), -1, -1):
            pos = self.index.get(path[:end])
            if pos is not None:
                return pos.line
        return 1

    def add(self, path: PathT, message: str, *, line: int | None = None) -> None:
        self.problems.add(
            line if line is not None else self.line(path),
            _render(path, self.data),
            message,
        )

    # pass 2
    def check_schema(self) -> None:
        if not isinstance(self.data, dict):
            self.add((), f"the file must be a mapping of keys, not {_describe(self.data)}")
            return
        for error in _validator().iter_errors(self.data):
            self._schema_error(error)

    def _schema_error(self, error: jsonschema.ValidationError) -> None:
        path: PathT = tuple(error.absolute_path)
        kind = error.validator
        sub = error.schema if isinstance(error.schema, dict) else {}
        instance = error.instance
        if "propertyNames" in error.relative_schema_path or "propertyNames" in error.schema_path:
            name = str(instance)
            self.add((*path, name), f"{name!r} is not {sub.get('description', 'a valid key')}")
        elif kind == "additionalProperties" and isinstance(instance, dict):
            allowed = sorted(sub.get("properties", {}))
            for name in instance:
                if name in allowed:
                    continue
                hint = difflib.get_close_matches(str(name), allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                where = (
                    f" for a {instance['type']} item"
                    if "type" in allowed
                    and instance.get("type") in ("likert", "estimate", "ranking", "choice", "text")
                    else ""
                )
                self.add((*path, name), f"unknown key {name!r}{where}{suggestion}")
        elif kind == "required" and isinstance(instance, dict):
            for name in error.validator_value:
                if name not in instance:
                    self.add(path, f"required key {name!r} is missing")
        elif kind == "const" and path == ("format_version",):
            self.add(
                path,
                f"must be {FORMAT_VERSION}, the only file format this version of "
                f"SkillsDelphi reads, not {instance!r}",
            )
        elif kind == "const":
            self.add(path, f"must be {error.validator_value!r}, not {instance!r}")
        elif kind == "enum":
            choices = ", ".join(str(v) for v in error.validator_value)
            self.add(path, f"must be one of {choices}, not {_describe(instance)}")
        elif kind == "type":
            expected = error.validator_value
            names = [expected] if isinstance(expected, str) else list(expected)
            wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
            hint = "; quote it" if "string" in names and instance is not None else ""
            self.add(path, f"must be {wanted}, not {_describe(instance)}{hint}")
        elif kind in ("pattern", "anyOf"):
            what = sub.get("description") or "valid"
            self.add(path, f"{_describe(instance)} is not valid: {what}")
        elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            word = "at least" if "inimum" in kind else "at most"
            self.add(path, f"must be {word} {error.validator_value}, not {instance}")
        elif kind in ("minItems", "maxItems"):
            word = "at least" if kind == "minItems" else "at most"
            n = error.validator_value
            self.add(path, f"needs {word} {n} entr{'y' if n == 1 else 'ies'}, has {len(instance)}")
        elif kind in ("minLength", "maxLength"):
            if kind == "minLength":
                self.add(path, "must not be empty")
            else:
                n = error.validator_value
                self.add(path, f"is too long ({len(instance)} characters, at most {n})")
        elif kind == "minProperties":
            self.add(path, "must not be empty")
        elif kind == "uniqueItems":
            self.add(path, "lists the same value twice")
        else:
            self.add(path, error.message)

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
