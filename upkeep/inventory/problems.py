"""Problem lines: ``FILE:LINE: key.path[0].sub: what is wrong (what to do)``.

Pydantic's errors are turned into such lines here: its ``loc`` tuples become key
paths, the YAML document gives the line, and its terse messages are reworded
with a hint.

    >>> print(Problem("inventories/demo.yml", 12, ("environments", "dev", "hosts", 0, "port"),
    ...               "too large (use at most 65535)"))
    inventories/demo.yml:12: environments.dev.hosts[0].port: too large (use at most 65535)
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from upkeep.credentials import SecretRef
from upkeep.inventory.yamldoc import Document, Path

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: Path
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        # One problem, one line, whatever a library put in its message.
        message = " ".join(self.message.splitlines())
        return f"{where}: {format_path(self.path)}: {message}"


def format_path(path: Path) -> str:
    """``("a", "b", 0, "c")`` as ``a.b[0].c``; odd keys quoted: ``php.ini["opcache.jit"]``."""
    if not path:
        return "(file)"
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part[:60])}]"
    return text


def sort_lines(problems: Iterable[Problem]) -> list[str]:
    """Unique problem lines, in file then line order."""
    unique = {str(p): p for p in problems}
    ordered = sorted(unique.values(), key=lambda p: (p.file, p.line or 0, format_path(p.path)))
    return [str(p) for p in ordered]


def from_document(file: str, doc: Document) -> list[Problem]:
    return [Problem(file, line, path, message) for line, path, message in doc.problems]


def from_validation(
    file: str, doc: Document, error: ValidationError, root: type[BaseModel]
) -> list[Problem]:
    """One problem per pydantic error, worded for an operator."""
    problems = []
    for detail in error.errors(include_url=False):
        path: Path = tuple(part for part in detail["loc"] if part != "[key]")
        message = _reword(detail, path, doc, root)
        if message is not None:
            problems.append(Problem(file, doc.line_of(path), path, message))
    return problems


def _reword(detail: ErrorDetails, path: Path, doc: Document, root: type[BaseModel]) -> str | None:
    """The error in an operator's words; None for an echo of another error."""
    kind = detail["type"]
    value = detail.get("input")
    key = str(path[-1]) if path else ""
    ctx = detail.get("ctx") or {}
    if kind == "missing":
        where = f"under {format_path(path[:-1])}" if len(path) > 1 else "at the top level"
        return f"missing (add '{key}:' {where})"
    if kind == "extra_forbidden":
        return f"unknown key{_suggest(key, _known_keys(root, path[:-1]))}"
    if _type_at(root, path) is SecretRef and kind in ("model_type", "dict_type"):
        # Never echo the value: it is most likely the password itself.
        return (
            "a secret's value must not be in the inventory (write {secret: NAME} here and "
            "set the value in UPKEEP_SECRET_NAME or the secrets file)"
        )
    if kind == "enum" and "[key]" in detail["loc"]:
        return f"unknown environment {key!r} (use {ctx.get('expected', 'a known name')})"
    if kind in ("string_type", "string_sub_type"):
        hint = _quote_hint(key, doc, path, value)
        return f"expected text, got {_describe(value, doc.raw.get(path))}{hint}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        hint = " (remove the quotes)" if isinstance(value, str) and value.isdigit() else ""
        return f"expected a whole number, got {_describe(value, doc.raw.get(path))}{hint}"
    if kind in ("bool_type", "bool_parsing"):
        hint = " (write true or false, without quotes)" if isinstance(value, str) else ""
        return f"expected true or false, got {_describe(value, doc.raw.get(path))}{hint}"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return (
            f"expected a mapping of 'key: value' lines, got {_describe(value, doc.raw.get(path))}"
        )
    if kind in ("tuple_type", "list_type", "iterable_type"):
        return (
            f"expected a list ('- item' lines or [a, b]), got {_describe(value, doc.raw.get(path))}"
        )
    if kind == "too_short":
        # Pydantic also says "too short" when the items were there but invalid.
        given = value if isinstance(value, list | tuple) else ()
        return None if len(given) >= ctx.get("min_length", 1) else "empty (give at least one entry)"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = re.findall(r"'([^']*)'", expected)
        close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close and isinstance(value, str) else ""
        return f"{_describe(value, doc.raw.get(path))} is not one of {expected}{hint}"
    if kind == "greater_than_equal":
        return f"{_describe(value, None)} is too small (use at least {ctx.get('ge')})"
    if kind == "less_than_equal":
        return f"{_describe(value, None)} is too large (use at most {ctx.get('le')})"
    message = detail["msg"]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    return f"{message} (got {_describe(value, doc.raw.get(path))})"


def _describe(value: Any, raw: str | None) -> str:
    """What YAML made of the value, in words: ``the number 8.2``, ``a list``."""
    raw = raw[:60] if raw else raw
    if isinstance(value, bool):
        return f"the boolean {raw or str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {raw or value}"
    if isinstance(value, str):
        return repr(value[:60])
    if value is None:
        return "an empty value"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} {raw or ''}".rstrip()


def _quote_hint(key: str, doc: Document, path: Path, value: Any) -> str:
    raw = doc.raw.get(path)
    if raw is None or isinstance(value, list | dict) or value is None or '"' in raw:
        return ""
    label = f"{key}: " if key and not key.isdigit() else ""
    return f' (quote it: {label}"{raw[:60]}")'


def _suggest(given: str, known: list[str]) -> str:
    close = difflib.get_close_matches(given, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if known:
        return f" (known keys: {', '.join(known)})"
    return ""


def _type_at(root: type[BaseModel], path: Path) -> Any:
    """The annotated type the model expects at ``path``, found by walking the annotations."""
    current: Any = root
    for part in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            current = _field_by_key(current, str(part))
        elif typing.get_origin(current) in (tuple, list):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) in (dict, Mapping):
            current = typing.get_args(current)[1]
        else:
            return None
    return _unwrap(current)


def _known_keys(root: type[BaseModel], path: Path) -> list[str]:
    model = _type_at(root, path)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [info.alias or name for name, info in model.model_fields.items()]
    return []


def _field_by_key(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return info.annotation
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional so the walk sees the real type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            annotation = rest[0] if len(rest) == 1 else annotation
            if len(rest) != 1:
                return annotation
        else:
            return annotation
