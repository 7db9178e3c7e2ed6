"""The open API's documentation page, read from its generated OpenAPI document.

Nothing is written twice: the endpoints, their parameters, the fields of their responses and
the example addresses on the page all come from ``/api/v1/openapi.json``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: How deep nested response fields are listed (``consultation.rounds[].items[].groups[]``).
MAX_DEPTH = 6


@dataclass(frozen=True)
class Param:
    name: str
    where: str
    type: str
    required: bool
    description: str
    constraints: str


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str
    depth: int


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    params: list[Param]
    statuses: list[tuple[str, str]]
    media_type: str
    fields: list[Field] = field(default_factory=list)
    example: str = ""


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        target: Any = spec
        for part in parts:
            target = target[part]
        node = target
    return node


def _type(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = _resolve(spec, schema)
    kind = schema.get("type", "object" if "properties" in schema else "")
    kinds = [kind] if isinstance(kind, str) else list(kind)
    nullable = "null" in kinds
    kinds = [k for k in kinds if k != "null"]
    name = kinds[0] if kinds else "any"
    if name == "array":
        name = f"array of {_type(spec, schema.get('items', {}))}"
    if schema.get("enum"):
        name += " (" + ", ".join(str(v) for v in schema["enum"]) + ")"
    if schema.get("format") in ("date-time", "url", "uri"):
        name += f", {schema['format']}"
    return name + (" or null" if nullable else "")


def _constraints(schema: dict[str, Any]) -> str:
    words = []
    for key, label in (("minimum", "≥"), ("maximum", "≤")):
        if key in schema:
            words.append(f"{label} {schema[key]}")
    if "minLength" in schema or "maxLength" in schema:
        words.append(f"{schema.get('minLength', 0)}–{schema.get('maxLength', '')} characters")
    if "pattern" in schema:
        words.append(f"pattern {schema['pattern']}")
    if "default" in schema:
        words.append(f"default {schema['default']}")
    return "; ".join(words)


def _fields(spec, schema, prefix="", depth=0, seen=()) -> list[Field]:
    schema = _resolve(spec, schema)
    if schema.get("type") == "array" or (
        isinstance(schema.get("type"), list) and "array" in schema["type"]
    ):
        return _fields(spec, schema.get("items", {}), prefix + "[]", depth, seen)
    props = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    out: list[Field] = []
    for name, sub in props.items():
        full = f"{prefix}.{name}" if prefix else name
        ref = sub.get("$ref") or (sub.get("items") or {}).get("$ref")
        out.append(
            Field(
                full,
                _type(spec, sub),
                name in required,
                _resolve(spec, sub).get("description", sub.get("description", "")),
                depth,
            )
        )
        if depth < MAX_DEPTH and ref not in seen:
            out.extend(_fields(spec, sub, full, depth + 1, (*seen, ref) if ref else seen))
    return out


def _example_path(path: str, params: list[Param]) -> str:
    return path.replace("{id}", "1").replace("{n}", "1")


def documentation(spec: dict[str, Any]) -> dict[str, Any]:
    """What the page shows: ``info``, ``server`` and ``operations`` (``Operation``)."""
    operations = []
    server = (spec.get("servers") or [{"url": ""}])[0]["url"]
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method == "parameters":
                continue
            params = [
                Param(
                    p["name"],
                    p["in"],
                    _type(spec, p.get("schema", {})),
                    bool(p.get("required")),
                    p.get("description", ""),
                    _constraints(_resolve(spec, p.get("schema", {}))),
                )
                for p in [*shared, *op.get("parameters", [])]
            ]
            statuses = []
            fields_: list[Field] = []
            media_type = ""
            for status, response in sorted(op.get("responses", {}).items()):
                response = _resolve(spec, response)
                statuses.append((status, response.get("description", "")))
                if status == "200":
                    content = response.get("content") or {}
                    media_type = next(iter(content), "")
                    schema = content.get(media_type, {}).get("schema")
                    if schema and "$ref" in schema:
                        fields_ = _fields(spec, schema)
            operations.append(
                Operation(
                    anchor=re.sub(r"[^a-z0-9]+", "-", f"{method}{path}".lower()).strip("-"),
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    params=params,
                    statuses=statuses,
                    media_type=media_type,
                    fields=fields_,
                    example=server + _example_path(path, params),
                )
            )
    problem = _fields(spec, {"$ref": "#/components/schemas/Problem"})
    return {
        "info": spec.get("info", {}),
        "server": server,
        "operations": operations,
        "problem": problem,
    }
