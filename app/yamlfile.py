"""Reading small declarative YAML files (questionnaires, forecast import profiles) so that
every problem names its file, line and key (pure: no Flask).

The parts every such file format shares:

1. YAML composed into nodes (SafeLoader) so every key and value keeps its line; duplicate
   keys, which PyYAML would silently resolve to the last, are reported; limits on size,
   values (alias bombs) and nesting are checked before the work grows.
2. A published JSON Schema, each error mapped back from its data path to a line and put in
   plain words (``SchemaChecker``).

Each format adds its own rules on top (``app.questionnaires.loader``,
``app.forecasts.profile``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
import yaml

from app.problems import Problem

__all__ = [
    "TYPE_NAMES",
    "Limits",
    "PathT",
    "Pos",
    "ProblemList",
    "SchemaChecker",
    "describe",
    "file_problem",
    "parse_yaml",
    "render_path",
]

PathT = tuple[str | int, ...]


@dataclass(frozen=True)
class Limits:
    """How large a file of one format may grow before it is refused (one located problem,
    never a crash, a hang or a RecursionError)."""

    #: Largest file read (bytes).
    max_file_bytes: int = 1024 * 1024
    #: Most values, counting each use of an alias as a copy of what it refers to.
    max_nodes: int = 20_000
    #: Deepest nesting of lists and mappings.
    max_depth: int = 50
    #: Most problems listed for one file; the rest are counted.
    max_problems: int = 100
    #: What a real file of the format holds, said after the node limit ("a questionnaire has
    #: a few hundred").
    typical_size: str = "a file of this kind has a few hundred"

    def nesting_message(self) -> str:
        return f"nesting deeper than {self.max_depth} levels (lists or mappings inside each other)"

    def size_message(self) -> str:
        return (
            f"more than {self.max_nodes} values, counting each use of an alias as a copy (an "
            f"alias bomb?); {self.typical_size}"
        )


def file_problem(file: str, line: int, key: str, message: str) -> Problem:
    """A problem of a YAML file: ``line`` 1-based, ``key`` a dotted path such as
    ``items[digital-skills].labels.de`` (empty when the file cannot be parsed)."""
    return Problem(message, field=key or None, file=file, line=line)


class ProblemList:
    """The problems of one file, each once, in the order found."""

    def __init__(self, file: str, limits: Limits) -> None:
        self.file = file
        self.limits = limits
        self.items: list[Problem] = []
        self._seen: set[Problem] = set()

    def add(self, line: int, key: str, message: str) -> None:
        problem = file_problem(self.file, max(line, 1), key, message)
        if problem not in self._seen:
            self._seen.add(problem)
            self.items.append(problem)

    def sorted(self) -> list[Problem]:
        """The problems by line; beyond the limit, one more saying how many are left."""
        ordered = sorted(self.items, key=lambda p: (p.line, p.field or "", p.message))
        most = self.limits.max_problems
        if len(ordered) <= most:
            return ordered
        rest = len(ordered) - most
        more = file_problem(self.file, ordered[most].line, "", f"... and {rest} more problems")
        return [*ordered[:most], more]


# --- YAML with positions ----------------------------------------------------------------


@dataclass
class Pos:
    #: Line of the mapping key naming this value (None for sequence elements, the root).
    key_line: int | None
    #: First line of the value itself.
    value_line: int

    @property
    def line(self) -> int:
        return self.key_line if self.key_line is not None else self.value_line


class _LimitExceeded(yaml.YAMLError):
    """The file goes beyond one of the limits (depth, nodes) on ``line``."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer stops at the depth limit, before Python's stack runs out,
    and at the node limit, before the time it takes grows long."""

    def __init__(self, stream: str, limits: Limits) -> None:
        super().__init__(stream)
        self._limits = limits
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        self._nodes += 1
        if self._nodes > self._limits.max_nodes:
            raise _LimitExceeded(self.peek_event().start_mark.line + 1, self._limits.size_message())
        if self.check_event(yaml.CollectionStartEvent):
            if self._depth >= self._limits.max_depth:
                raise _LimitExceeded(
                    self.peek_event().start_mark.line + 1, self._limits.nesting_message()
                )
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


def parse_yaml(text: str, problems: ProblemList) -> tuple[Any, dict[PathT, Pos]]:
    """YAML text to plain data plus the position of every path; None on a syntax error
    (reported in ``problems``)."""
    limits = problems.limits
    try:
        loader = _Loader(text, limits)
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
        index: dict[PathT, Pos] = {}
        builder = _Builder(loader, index, limits)
        data = builder.build(node)
        for line, path, message in builder.problems:
            problems.add(line, render_path(path, data), message)
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

    def __init__(self, loader: yaml.SafeLoader, index: dict[PathT, Pos], limits: Limits) -> None:
        self.loader = loader
        self.index = index
        self.limits = limits
        #: (line, path, message), rendered once the data is complete.
        self.problems: list[tuple[int, PathT, str]] = []
        #: Collections being built: an alias to one of them would never end.
        self.open: set[int] = set()
        self.count = 0

    def build(self, node: yaml.Node) -> Any:
        self.index[()] = Pos(None, node.start_mark.line + 1)
        return self._value(node, ())

    def _value(self, node: yaml.Node, path: PathT) -> Any:
        self.count += 1
        if self.count > self.limits.max_nodes:
            raise _LimitExceeded(node.start_mark.line + 1, self.limits.size_message())
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        if id(node) in self.open:
            line = node.start_mark.line + 1
            self.problems.append((line, path, "an alias refers to itself (recursive data)"))
            return None
        if len(self.open) >= self.limits.max_depth:  # through aliases: the composer checked
            raise _LimitExceeded(node.start_mark.line + 1, self.limits.nesting_message())
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            out = []
            for i, child in enumerate(node.value):
                self.index[(*path, i)] = Pos(None, child.start_mark.line + 1)
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
                message = f"key {key_node.value!r} is read as {describe(key)}; quote it"
                key = str(key_node.value)
                self.problems.append((key_line, (*path, key), message))
            if key in first_line:
                message = (
                    f"duplicate key (first on line {first_line[key]}); YAML would keep only "
                    "the last one"
                )
                self.problems.append((key_line, (*path, key), message))
            first_line.setdefault(key, key_line)
            self.index[(*path, key)] = Pos(key_line, value_node.start_mark.line + 1)
            out[key] = self._value(value_node, (*path, key))
        return out


# --- paths ------------------------------------------------------------------------------


def render_path(path: PathT, data: Any, name_key: str = "key") -> str:
    """``items[digital-skills].labels.de``: list elements that carry a ``name_key`` unique
    among their siblings are named by it, others by index."""
    out = ""
    current = data
    for segment in path:
        if isinstance(segment, int):
            label: str | int = segment
            if isinstance(current, list) and 0 <= segment < len(current):
                element = current[segment]
                key = element.get(name_key) if isinstance(element, dict) else None
                siblings = [e.get(name_key) for e in current if isinstance(e, dict)]
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


def describe(value: Any) -> str:
    """A value in words, for messages ("a number (3)", "a list")."""
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


TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
    "null": "empty",
}


# --- the schema -------------------------------------------------------------------------


class SchemaChecker:
    """Checks data against a JSON Schema and says each error in words, at its line.

    Subclasses add their format's rules and may refine messages through ``unknown_key_where``
    and ``const_message``."""

    #: Name of the key that names list elements in key paths (``items[digital-skills]``).
    name_key = "key"
    #: A missing required key is named in the problem's key path (at its parent's line).
    name_missing_keys = False

    def __init__(self, data: Any, index: dict[PathT, Pos], problems: ProblemList) -> None:
        self.data = data
        self.index = index
        self.problems = problems

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
            render_path(path, self.data, self.name_key),
            message,
        )

    def check_schema(self, validator: jsonschema.protocols.Validator) -> None:
        if not isinstance(self.data, dict):
            self.add((), f"the file must be a mapping of keys, not {describe(self.data)}")
            return
        for error in validator.iter_errors(self.data):
            self.schema_error(error)

    # hooks
    def unknown_key_where(self, instance: dict[str, Any], allowed: list[str]) -> str:
        """Words after "unknown key 'x'" saying in which kind of mapping it is ("")."""
        return ""

    def const_message(self, path: PathT, expected: Any, instance: Any) -> str:
        return f"must be {expected!r}, not {instance!r}"

    def schema_error(self, error: jsonschema.ValidationError) -> None:
        path: PathT = tuple(error.absolute_path)
        kind = error.validator
        sub = error.schema if isinstance(error.schema, dict) else {}
        instance = error.instance
        add: Callable[..., None] = self.add
        if "propertyNames" in error.relative_schema_path or "propertyNames" in error.schema_path:
            name = str(instance)
            add((*path, name), f"{name!r} is not {sub.get('description', 'a valid key')}")
        elif kind == "additionalProperties" and isinstance(instance, dict):
            allowed = sorted(sub.get("properties", {}))
            for name in instance:
                if name in allowed:
                    continue
                hint = difflib.get_close_matches(str(name), allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                where = self.unknown_key_where(instance, allowed)
                add((*path, name), f"unknown key {name!r}{where}{suggestion}")
        elif kind == "required" and isinstance(instance, dict):
            for name in error.validator_value:
                if name not in instance:
                    where = (*path, name) if self.name_missing_keys else path
                    add(where, f"required key {name!r} is missing", line=self.line(path))
        elif kind == "const":
            add(path, self.const_message(path, error.validator_value, instance))
        elif kind == "enum":
            choices = ", ".join(str(v) for v in error.validator_value)
            add(path, f"must be one of {choices}, not {describe(instance)}")
        elif kind == "type":
            expected = error.validator_value
            names = [expected] if isinstance(expected, str) else list(expected)
            wanted = " or ".join(TYPE_NAMES.get(n, n) for n in names)
            hint = "; quote it" if "string" in names and instance is not None else ""
            add(path, f"must be {wanted}, not {describe(instance)}{hint}")
        elif kind in ("pattern", "anyOf", "oneOf"):
            what = sub.get("description") or "valid"
            add(path, f"{describe(instance)} is not valid: {what}")
        elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            word = "at least" if "inimum" in kind else "at most"
            add(path, f"must be {word} {error.validator_value}, not {instance}")
        elif kind in ("minItems", "maxItems"):
            word = "at least" if kind == "minItems" else "at most"
            n = error.validator_value
            add(path, f"needs {word} {n} entr{'y' if n == 1 else 'ies'}, has {len(instance)}")
        elif kind in ("minLength", "maxLength"):
            if kind == "minLength":
                add(path, "must not be empty")
            else:
                n = error.validator_value
                add(path, f"is too long ({len(instance)} characters, at most {n})")
        elif kind == "minProperties":
            add(path, "must not be empty")
        elif kind == "uniqueItems":
            add(path, "lists the same value twice")
        else:
            add(path, error.message)
