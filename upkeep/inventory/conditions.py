"""Gatus-style conditions on an HTTP response: parsed once, evaluated on every run.

A condition is ``LEFT OPERATOR RIGHT``. LEFT is a placeholder, optionally
inside ``len(...)`` or ``has(...)``:

- ``[STATUS]``: the HTTP status code;
- ``[BODY]``: the body as text; ``[BODY].a.b[0]`` a value in its JSON;
- ``[RESPONSE_TIME]``: milliseconds until the response was read;
- ``[CERTIFICATE_EXPIRATION]``: time left on the certificate (https only).

The operators are ``== != < <= > >=``. RIGHT is a literal (text, a number, or
a duration such as ``800ms``, ``72h``, ``30d``; a bare number next to a time
placeholder is milliseconds), ``pat(glob)`` (``*`` and ``?`` only) or
``any(a, b, ...)``; ``pat`` and ``any`` go with ``==`` and ``!=``.

A value that is not there (no such JSON key, no certificate) fails every
comparison; ask ``has([BODY].error) == false`` to require an absence. There
are no placeholders on the right: what the pin says about PHP is the
``php_build`` check's business, which knows how Debian spells a build.

    >>> condition = parse("[BODY].status == ok")
    >>> outcome = condition.evaluate(Response(status=200, body=b'{"status": "down"}'))
    >>> outcome.ok, str(outcome)
    (False, "[BODY].status == ok (got 'down')")
    >>> parse("[RESPONSE_TIME] < 1s").evaluate(Response(response_time_ms=230)).ok
    True
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any, Literal

from upkeep.errors import UsageError
from upkeep.inventory.durations import parse_duration


class ConditionError(UsageError):
    """A condition that cannot be read; the message quotes it."""


class Placeholder(StrEnum):
    STATUS = "STATUS"
    BODY = "BODY"
    RESPONSE_TIME = "RESPONSE_TIME"
    CERTIFICATE_EXPIRATION = "CERTIFICATE_EXPIRATION"


class Op(StrEnum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


PathPart = str | int


@dataclass(frozen=True)
class Response:
    """What a request brought back, as the conditions see it.

    ``error`` says why there is no response at all (refused, timed out, TLS
    handshake failed); every condition then fails with it.
    """

    status: int | None = None
    body: bytes | str = b""
    response_time_ms: float | None = None
    certificate_expires_in: dt.timedelta | None = None
    error: str | None = None

    @cached_property
    def text(self) -> str:
        if isinstance(self.body, str):
            return self.body
        return self.body.decode("utf-8", errors="replace")

    @cached_property
    def json(self) -> Any:
        """The body's JSON, or ``_NOT_JSON`` (parsed once, however many conditions ask)."""
        try:
            return json.loads(self.text)
        except ValueError:
            return _NOT_JSON


@dataclass(frozen=True)
class Missing:
    """A value that is not there, and why (shown as the actual value)."""

    reason: str


_NOT_JSON = Missing("the body is not JSON")


@dataclass(frozen=True)
class Ref:
    """The left side: a placeholder, a JSON path under [BODY], maybe in len() or has()."""

    placeholder: Placeholder
    path: tuple[PathPart, ...] = ()
    function: Literal["len", "has"] | None = None

    def __str__(self) -> str:
        text = f"[{self.placeholder}]{format_path(self.path)}"
        return f"{self.function}({text})" if self.function else text

    def resolve(self, response: Response) -> Any:
        value = self._value(response)
        if self.function == "has":
            return not isinstance(value, Missing)
        if self.function == "len" and not isinstance(value, Missing):
            return len(value) if isinstance(value, str | list | dict) else len(_text(value))
        return value

    def _value(self, response: Response) -> Any:
        if self.placeholder is Placeholder.STATUS:
            return Missing("no status") if response.status is None else response.status
        if self.placeholder is Placeholder.RESPONSE_TIME:
            if response.response_time_ms is None:
                return Missing("no response time")
            return response.response_time_ms
        if self.placeholder is Placeholder.CERTIFICATE_EXPIRATION:
            left = response.certificate_expires_in
            if left is None:
                return Missing("no certificate (plain HTTP?)")
            return left / dt.timedelta(milliseconds=1)
        if not self.path:
            return response.text
        return lookup(response.json, self.path)


@dataclass(frozen=True)
class Expected:
    """The right side: a literal (with its number, if it reads as one), pat() or any()."""

    form: Literal["value", "pat", "any"]
    values: tuple[str, ...]
    numbers: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Outcome:
    condition: Condition
    ok: bool
    actual: str  # shortened, one line, secrets masked

    def __str__(self) -> str:
        return f"{self.condition} (got {self.actual})"


@dataclass(frozen=True)
class Condition:
    text: str
    left: Ref
    op: Op
    right: Expected = field(repr=False)

    def __str__(self) -> str:
        return self.text

    def evaluate(self, response: Response) -> Outcome:
        if response.error is not None:
            return Outcome(self, False, f"no response: {_one_line(response.error, 120)}")
        value = self.left.resolve(response)
        return Outcome(self, self._holds(value), _show(self.left, value))

    def _holds(self, value: Any) -> bool:
        if isinstance(value, Missing):
            return False
        if self.op in (Op.EQ, Op.NE):
            equal = self._matches(value)
            return equal if self.op is Op.EQ else not equal
        number = _number(value)
        limit = self.right.numbers[0]
        if number is None or limit is None:
            return False
        if self.op is Op.LT:
            return number < limit
        if self.op is Op.LE:
            return number <= limit
        if self.op is Op.GT:
            return number > limit
        return number >= limit

    def _matches(self, value: Any) -> bool:
        text = _text(value)
        if self.right.form == "pat":
            return glob(self.right.values[0]).fullmatch(text) is not None
        number = _number(value)
        for expected, expected_number in zip(self.right.values, self.right.numbers, strict=True):
            if number is not None and expected_number is not None:
                if number == expected_number:
                    return True
            elif text == expected:
                return True
        return False


def evaluate_all(conditions: Sequence[Condition], response: Response) -> list[Outcome]:
    return [condition.evaluate(response) for condition in conditions]


# ---- parsing -----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\[([A-Za-z_]+)\]")
_KEY = re.compile(r"\.([A-Za-z0-9_$@-]+)")
_INDEX = re.compile(r"\[([0-9]+)\]")
_RIGHT_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*\]")
_FUNCTION = re.compile(r"([A-Za-z_]+)\(")
_OPERATOR = re.compile(r"==|!=|<=|>=|<|>")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_TIMES = (Placeholder.RESPONSE_TIME, Placeholder.CERTIFICATE_EXPIRATION)
_OPERATORS = "==, !=, <, <=, >, >="


def parse(text: str) -> Condition:
    """``text`` as a Condition, or a ConditionError quoting it and saying what is wrong.

    >>> parse("len([BODY].items) > 0").left
    Ref(placeholder=<Placeholder.BODY: 'BODY'>, path=('items',), function='len')
    >>> parse("[STATUS] = 200")
    Traceback (most recent call last):
    ...
    upkeep.inventory.conditions.ConditionError: condition '[STATUS] = 200': '=' is not an operator (use ==)
    """
    if not isinstance(text, str):
        raise ConditionError(f"a condition must be text, got {type(text).__name__}")
    source = text.strip()
    try:
        return _parse(source)
    except ValueError as error:
        shown = source if len(source) <= 80 else source[:77] + "..."
        raise ConditionError(f"condition {shown!r}: {error}") from None


def _parse(text: str) -> Condition:
    if not text:
        raise ValueError("empty (write e.g. [STATUS] == 200)")
    if "\n" in text:
        raise ValueError("more than one line (write one condition per list item)")
    left, pos = _parse_left(text)
    rest = text[pos:].lstrip()
    match = _OPERATOR.match(rest)
    if match is None:
        if rest.startswith("="):
            raise ValueError("'=' is not an operator (use ==)")
        found = f"found {rest[:20]!r}" if rest else "found nothing"
        raise ValueError(f"expected an operator ({_OPERATORS}) after {left}, {found}")
    op = Op(match.group())
    right_text = rest[match.end() :].strip()
    if not right_text:
        raise ValueError(f"nothing to compare with after {op.value}")
    right = _parse_right(right_text, times=left.placeholder in _TIMES and left.function is None)
    _check_types(left, op, right)
    return Condition(text, left, op, right)


def _parse_left(text: str) -> tuple[Ref, int]:
    function: Literal["len", "has"] | None = None
    pos = 0
    call = _FUNCTION.match(text)
    if call is not None:
        name = call.group(1)
        if name not in ("len", "has"):
            raise ValueError(f"unknown function {name}() on the left (use len() or has())")
        function = "len" if name == "len" else "has"
        pos = call.end()
    match = _PLACEHOLDER.match(text, pos)
    if match is None:
        raise ValueError(
            "the left side must be a placeholder: [STATUS], [BODY], [BODY].path, "
            "[RESPONSE_TIME] or [CERTIFICATE_EXPIRATION]"
        )
    placeholder = _placeholder(match.group(1))
    path, pos = _parse_path(text, match.end())
    if path and placeholder is not Placeholder.BODY:
        raise ValueError(f"only [BODY] takes a path, not [{placeholder}]")
    if function is not None:
        if not text.startswith(")", pos):
            raise ValueError(f"{function}( is not closed with ')'")
        pos += 1
        if placeholder is not Placeholder.BODY:
            raise ValueError(f"{function}() takes [BODY] or a [BODY] path, not [{placeholder}]")
        if function == "has" and not path:
            raise ValueError("has() takes a [BODY] path such as [BODY].data.id")
    return Ref(placeholder, path, function), pos


def _placeholder(name: str) -> Placeholder:
    try:
        return Placeholder(name)
    except ValueError:
        names = [p.value for p in Placeholder]
        close = difflib.get_close_matches(name.upper(), names, n=1, cutoff=0.6)
        hint = (
            f"did you mean [{close[0]}]?" if close else "use " + ", ".join(f"[{n}]" for n in names)
        )
        raise ValueError(f"unknown placeholder [{name}] ({hint})") from None


def _parse_path(text: str, pos: int) -> tuple[tuple[PathPart, ...], int]:
    parts: list[PathPart] = []
    while True:
        key = _KEY.match(text, pos)
        if key is not None:
            parts.append(key.group(1))
            pos = key.end()
            continue
        index = _INDEX.match(text, pos)
        if index is not None:
            parts.append(int(index.group(1)))
            pos = index.end()
            continue
        if text.startswith(".", pos) or text.startswith("[", pos):
            raise ValueError(
                f"cannot read the path at {text[pos : pos + 20]!r} "
                "(use .key and [index], keys of letters, digits, _ $ @ -)"
            )
        return tuple(parts), pos


def parse_path(text: str) -> tuple[PathPart, ...]:
    """A JSON path such as ``data.items[0].id`` (the part after ``[BODY]``).

    >>> parse_path("data.items[0].id")
    ('data', 'items', 0, 'id')
    """
    source = text if text.startswith("[") else "." + text
    try:
        path, pos = _parse_path(source, 0)
    except ValueError:
        path, pos = (), 0
    if not text or pos != len(source):
        raise ValueError(f"{text[:60]!r} is not a JSON path (write e.g. data.items[0].id)")
    return path


def format_path(path: Sequence[PathPart]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def _parse_right(text: str, *, times: bool) -> Expected:
    for form in ("pat", "any"):
        if text.startswith(f"{form}("):
            if not text.endswith(")"):
                raise ValueError(f"{form}( is not closed with ')'")
            inner = text[len(form) + 1 : -1]
            if form == "pat":
                if not inner:
                    raise ValueError("pat() needs a pattern, e.g. pat(*welcome*)")
                return Expected("pat", (inner,), (None,))
            values = tuple(value.strip() for value in inner.split(","))
            if not all(values):
                raise ValueError("any() needs values separated by commas, e.g. any(200, 301)")
            return Expected("any", values, tuple(_literal_number(v, times) for v in values))
    if _RIGHT_PLACEHOLDER.fullmatch(text):
        # Not a literal: a placeholder here would silently never match.
        raise ValueError(
            f"{text} on the right reads as a placeholder, and none are filled in there "
            "(compare with a value; the served PHP build has its own check kind, php_build)"
        )
    return Expected("value", (text,), (_literal_number(text, times),))


def _literal_number(text: str, times: bool) -> float | None:
    """The literal as a number; durations (in ms) only next to a time placeholder."""
    if _NUMBER.fullmatch(text):
        return float(text)
    if not times:
        return None
    try:
        return parse_duration(text) / dt.timedelta(milliseconds=1)
    except ValueError:
        return None


def _check_types(left: Ref, op: Op, right: Expected) -> None:
    ordering = op not in (Op.EQ, Op.NE)
    if right.form != "value" and ordering:
        raise ValueError(f"{right.form}() works only with == and !=, not {op.value}")
    if left.function == "has":
        if op not in (Op.EQ, Op.NE) or right.form != "value" or right.values[0] not in _BOOLS:
            raise ValueError("has() is compared with == true or == false")
        return
    numeric = left.function == "len" or left.placeholder in (Placeholder.STATUS, *_TIMES)
    if left.placeholder in _TIMES and left.function is None and right.form == "pat":
        raise ValueError(f"pat() does not apply to [{left.placeholder}] (compare with a duration)")
    if ordering or (numeric and right.form != "pat"):
        for value, number in zip(right.values, right.numbers, strict=True):
            if number is None:
                times = left.placeholder in _TIMES and left.function is None
                what = "a duration like 800ms or 72h" if times else "a number"
                raise ValueError(f"{left} must be compared with {what}, not {value!r}")


_BOOLS = ("true", "false")


# ---- values --------------------------------------------------------------------


def lookup(document: Any, path: Sequence[PathPart]) -> Any:
    """The value at ``path`` in a parsed JSON document, or Missing saying where it stopped.

    >>> lookup({"a": [{"b": 1}]}, ("a", 0, "b"))
    1
    >>> lookup({"a": []}, ("a", 0)).reason
    'no [0] in a'
    """
    if isinstance(document, Missing):
        return document
    value = document
    for depth, part in enumerate(path):
        where = format_path(path[:depth]).lstrip(".") or "the body"
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return Missing(f"no [{part}] in {where}")
            value = value[part]
        else:
            if not isinstance(value, dict) or part not in value:
                return Missing(f"no key {part!r} in {where}")
            value = value[part]
    return value


def _text(value: Any) -> str:
    """A value as the literal a condition would write for it (true, 3, ok)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)
    return None


@lru_cache(maxsize=256)
def glob(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` only: a body full of brackets must not turn into character classes.

    >>> bool(glob("*[ok]*").fullmatch("status: [ok]")), bool(glob("*[ok]*").fullmatch("o"))
    (True, False)
    """
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL)


_SECRET_KEY = re.compile(r"pass(word|wd)?|pwd|secret|token|api[_-]?key|auth", re.IGNORECASE)
_SECRET_PAIR = re.compile(
    r"""(["']?(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|authorization)["']?\s*[:=]\s*)"""
    r"""("[^"]*"|'[^']*'|[^\s,;&}()\[\]"']+)""",
    re.IGNORECASE,
)


def mask_secrets(text: str) -> str:
    """``password=hunter2`` and ``"token": "abc"`` with the value replaced by ``***``.

    >>> mask_secrets('{"user": "demo", "password": "hunter2"}')
    '{"user": "demo", "password": ***}'
    """
    return _SECRET_PAIR.sub(lambda m: m.group(1) + "***", text)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(mask_secrets(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _show(left: Ref, value: Any) -> str:
    """The actual value for a message: short, one line, never a secret."""
    if isinstance(value, Missing):
        return value.reason
    if left.function is not None or left.placeholder is Placeholder.STATUS:
        return _text(value)
    if left.placeholder is Placeholder.RESPONSE_TIME:
        return f"{round(value)} ms"
    if left.placeholder is Placeholder.CERTIFICATE_EXPIRATION:
        return human_duration(dt.timedelta(milliseconds=value))
    if any(isinstance(part, str) and _SECRET_KEY.search(part) for part in left.path):
        return "*** (a secret-looking key)"
    shown = repr(_one_line(_text(value), 60))
    if left.placeholder is Placeholder.BODY and not left.path:
        return f"{shown}, {len(value)} characters" if len(value) > 60 else shown
    return shown


def human_duration(delta: dt.timedelta) -> str:
    """``3d 4h``, ``5h 12m``, ``40s``; negative as ``-2d 1h`` (already expired).

    >>> human_duration(dt.timedelta(days=3, hours=4, minutes=5))
    '3d 4h'
    """
    seconds = delta.total_seconds()
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes}m"
    if minutes:
        return f"{sign}{minutes}m {secs}s"
    return f"{sign}{seconds:.3g}s"
