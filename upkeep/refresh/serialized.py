"""PHP's serialize() format on bytes: read it, write it, rewrite the strings inside it.

Search-and-replace on a serialized value breaks it as soon as a replacement
changes a string's length: ``s:20:"https://www.demo.lab"`` must become
``s:24:"https://staging.demo.lab"``. ``rewrite`` walks the value, applies the
replacement to every string and writes each length again, in bytes (PHP's
``strlen``), so multibyte text is counted right. A string that is itself a
serialized value (WordPress serializes some values twice) is rewritten the
same way, from the inside out. Input that is not valid serialized data comes
back unchanged: ``try_rewrite`` says so with ``None``.

The grammar is PHP 8's: ``N;`` ``b:0;`` ``i:-5;`` ``d:0.5;`` ``s:3:"abc";``
``S:3:"\\61bc";`` ``a:1:{i:0;N;}`` ``O:8:"stdClass":1:{s:1:"a";N;}``
``C:3:"Foo":2:{..}`` ``E:11:"Suit:Hearts";`` and the references ``r:2;``
``R:2;``. The parser is a loop with its own stack, never Python recursion, so
no input can make it crash.

    >>> rewrite(b'a:1:{s:3:"url";s:20:"https://www.demo.lab";}',
    ...         lambda s: s.replace(b"www.demo.lab", b"staging.demo.lab"))
    b'a:1:{s:3:"url";s:24:"https://staging.demo.lab";}'
    >>> try_rewrite(b's:99:"truncated', lambda s: s) is None
    True
    >>> loads(dumps(PhpArray(((0, b"Zo\\xc3\\xab"), (b"k", None)))))
    PhpArray(items=((0, b'Zo\\xc3\\xab'), (b'k', None)))
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

Replace = Callable[[bytes], bytes]

# A serialized value starts like one of these; anything else is plain text and
# is never handed to the parser (most strings in a dump are not serialized).
_LOOKS = re.compile(rb"(?:[aOC]:[0-9]+:|[sSE]:[0-9]+:\"|[ib]:[-+0-9]|d:[-+0-9.NI]|N;|[rR]:[0-9])")

_INT = re.compile(rb"i:([-+]?[0-9]+);")
_BOOL = re.compile(rb"b:([01]);")
_DOUBLE = re.compile(rb"d:([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NAN|-?INF);")
_SIZED = re.compile(rb'([sSE]):([0-9]+):"')
_ARRAY = re.compile(rb"a:([0-9]+):\{")
_CLASS = re.compile(rb'([OC]):([0-9]+):"')
_COUNT = re.compile(rb'":([0-9]+):\{')
_REF = re.compile(rb"([rR]):([0-9]+);")
_HEX = re.compile(rb"[0-9A-Fa-f]{2}")


class SerializedError(ValueError):
    """The bytes are not one complete serialized value; the message says where."""


@dataclass(frozen=True)
class PhpArray:
    """``a:N:{...}``: ordered (key, value) pairs; keys are ints or byte strings."""

    items: tuple[tuple[int | bytes, Value], ...] = ()


@dataclass(frozen=True)
class PhpObject:
    """``O:N:"Class":N:{...}``; private/protected names keep their NUL bytes (``\\0*\\0x``)."""

    class_name: bytes
    properties: tuple[tuple[int | bytes, Value], ...] = ()


@dataclass(frozen=True)
class PhpCustom:
    """``C:N:"Class":M:{payload}``: a Serializable object; the payload is the class's own."""

    class_name: bytes
    payload: bytes


@dataclass(frozen=True)
class PhpEnum:
    """``E:N:"Enum:Case";`` (PHP 8.1)."""

    name: bytes


@dataclass(frozen=True)
class PhpRef:
    """``r:N;`` (the same object) or ``R:N;`` (a PHP reference, ``&``) to the Nth value."""

    kind: Literal["r", "R"]
    index: int


Value: TypeAlias = (
    bool | int | float | bytes | PhpArray | PhpObject | PhpCustom | PhpEnum | PhpRef | None
)


def looks_serialized(data: bytes) -> bool:
    """Whether ``data`` starts and ends like a serialized value (cheap; ``loads`` decides).

    >>> looks_serialized(b'a:0:{}'), looks_serialized(b'a: note'), looks_serialized(b'i:5 cats')
    (True, False, False)
    """
    if _LOOKS.match(data) is None:
        return False
    first = data[:1]
    if first in b"aOC":
        return data[-1:] == b"}"
    if first in b"sSE":
        return data[-2:] == b'";'
    return data[-1:] == b";"


# A quoted SQL literal that starts as one of _LOOKS does (a looser test: never misses one).
_STARTS_IN_SQL = re.compile(rb"'(?:[aOCsSEibdrR]:|N;)")


def may_be_in(literals: bytes) -> bool:
    """Whether SQL literals as a dump writes them (a row, say) may hold a serialized value.

    >>> may_be_in(b"(1,'a:1:{i:0;i:5;}')"), may_be_in(b"(1,'<p>note: a</p>')")
    (True, False)
    """
    return _STARTS_IN_SQL.search(literals) is not None


# ---- the walk ----------------------------------------------------------------
# One parser serves loads (which builds values) and rewrite (which only needs
# where each string is). It records events; containers are tracked on a stack
# of [remaining items, keys or values next, kind].

_Event = tuple  # (kind, ...) as produced by _walk, consumed by loads/_rewrite


def _walk(data: bytes) -> list[_Event]:
    """The events of one complete value spanning all of ``data``, or SerializedError."""
    events: list[_Event] = []
    stack: list[list[int]] = []  # [items left (keys and values), kind: 0 array / 1 object]
    pos = 0
    end = len(data)
    # Values numbered as PHP's unserializer does for r:/R:: every value but keys and R:
    # references; an r: (object) reference takes a number once it has pointed back.
    slots = 0
    while True:
        is_key = bool(stack) and stack[-1][0] % 2 == 0
        if pos >= end:
            raise SerializedError(f"ends early at byte {pos}")
        kind = data[pos : pos + 1]
        if is_key and kind not in (b"i", b"s", b"S"):
            raise SerializedError(f"a key must be an int or a string (byte {pos})")
        if not is_key and kind not in (b"r", b"R"):
            slots += 1
        role = (b"k" if stack[-1][1] == 0 else b"p") if is_key else b"v"
        depth = len(stack)
        if kind == b"s" or kind == b"S" or kind == b"E":
            pos = _sized(data, pos, events, role)
        elif kind == b"i":
            m = _INT.match(data, pos)
            if m is None:
                raise SerializedError(f"bad int at byte {pos}")
            events.append(("i", int(m.group(1))))
            pos = m.end()
        elif kind == b"N":
            if data[pos : pos + 2] != b"N;":
                raise SerializedError(f"bad null at byte {pos}")
            events.append(("N",))
            pos += 2
        elif kind == b"b":
            m = _BOOL.match(data, pos)
            if m is None:
                raise SerializedError(f"bad bool at byte {pos}")
            events.append(("b", m.group(1) == b"1"))
            pos = m.end()
        elif kind == b"d":
            m = _DOUBLE.match(data, pos)
            if m is None:
                raise SerializedError(f"bad float at byte {pos}")
            events.append(("d", m.group(1)))
            pos = m.end()
        elif kind == b"a":
            m = _ARRAY.match(data, pos)
            if m is None:
                raise SerializedError(f"bad array at byte {pos}")
            events.append(("a", int(m.group(1))))
            stack.append([2 * int(m.group(1)), 0])
            pos = m.end()
        elif kind == b"O" or kind == b"C":
            pos = _class(data, pos, events, stack)
        elif kind == b"r" or kind == b"R":
            m = _REF.match(data, pos)
            if m is None or not stack:
                raise SerializedError(f"bad reference at byte {pos}")
            index = int(m.group(2))
            if not 1 <= index <= slots:
                raise SerializedError(f"reference to value {index}, which is not there yet")
            if kind == b"r":
                slots += 1
            events.append(("r", m.group(1).decode(), index))
            pos = m.end()
        else:
            raise SerializedError(f"unexpected {data[pos : pos + 1]!r} at byte {pos}")
        if len(stack) > depth:
            if stack[-1][0]:
                continue  # a container opened: read its items
            stack[-1][0] = 1  # empty: it is closed right below, as if one item were left
        # A value is complete: count it, and close every container it completes.
        while stack:
            stack[-1][0] -= 1
            if stack[-1][0]:
                break
            if data[pos : pos + 1] != b"}":
                raise SerializedError(f"expected '}}' at byte {pos}")
            events.append(("}",))
            pos += 1
            stack.pop()
        if not stack:
            break
    if pos != end:
        raise SerializedError(f"extra bytes after the value at byte {pos}")
    return events


def _sized(data: bytes, pos: int, events: list[_Event], role: bytes) -> int:
    m = _SIZED.match(data, pos)
    if m is None:
        raise SerializedError(f"bad string at byte {pos}")
    kind, size, start = m.group(1), int(m.group(2)), m.end()
    if kind == b"S":  # the old escaped form: \xx counts as one byte
        content, stop = _unescape_S(data, start, size)
        events.append(("S", content, pos, stop + 2, role))
    else:
        stop = start + size
        if stop > len(data):
            raise SerializedError(f"string of {size} bytes at byte {pos} runs past the end")
        if kind == b"E":
            events.append(("E", data[start:stop]))
        else:
            events.append(("s", start, stop, pos, role))
    terminator = b'";'
    if data[stop : stop + 2] != terminator:
        raise SerializedError(f"string at byte {pos} is not {size} bytes long")
    return stop + 2


def _unescape_S(data: bytes, pos: int, size: int) -> tuple[bytes, int]:
    out = bytearray()
    while len(out) < size:
        if pos >= len(data):
            raise SerializedError("S: string runs past the end")
        if data[pos] == 0x5C:  # backslash
            m = _HEX.match(data, pos + 1)
            if m is None:
                raise SerializedError(f"bad escape in S: string at byte {pos}")
            out.append(int(m.group(0), 16))
            pos += 3
        else:
            out.append(data[pos])
            pos += 1
    return bytes(out), pos


def _class(data: bytes, pos: int, events: list[_Event], stack: list[list[int]]) -> int:
    m = _CLASS.match(data, pos)
    if m is None:
        raise SerializedError(f"bad object at byte {pos}")
    kind, start = m.group(1), m.end()
    stop = start + int(m.group(2))
    name = data[start:stop]
    counted = _COUNT.match(data, stop)
    if counted is None or not name:
        raise SerializedError(f"bad class name or count at byte {pos}")
    count = int(counted.group(1))
    if kind == b"C":  # the count is the payload's length in bytes
        body = counted.end()
        if data[body + count : body + count + 1] != b"}":
            raise SerializedError(f"custom payload at byte {pos} is not {count} bytes long")
        events.append(("C", name, body, body + count, pos))
        return body + count + 1
    events.append(("O", name, count))
    stack.append([2 * count, 1])
    return counted.end()


# ---- reading and writing -------------------------------------------------------


def loads(data: bytes) -> Value:
    """The value ``data`` holds, or SerializedError.

    >>> loads(b'O:8:"stdClass":1:{s:1:"a";d:0.5;}')
    PhpObject(class_name=b'stdClass', properties=((b'a', 0.5),))
    """
    events = _walk(data)
    # Containers are built bottom-up: each frame collects its flat items.
    frames: list[tuple[_Event, list[Value]]] = []
    result: Value = None
    for event in events:
        kind = event[0]
        value: Value
        if kind == "a" or kind == "O":
            frames.append((event, []))
            continue
        if kind == "}":
            opened, items = frames.pop()
            pairs = tuple(zip(items[::2], items[1::2], strict=True))
            is_array = opened[0] == "a"
            value = PhpArray(pairs) if is_array else PhpObject(opened[1], pairs)  # type: ignore[arg-type]
        elif kind == "s":
            value = data[event[1] : event[2]]
        elif kind == "S" or kind == "i" or kind == "b":
            value = event[1]
        elif kind == "d":
            value = _float(event[1])
        elif kind == "N":
            value = None
        elif kind == "E":
            value = PhpEnum(event[1])
        elif kind == "C":
            value = PhpCustom(event[1], data[event[2] : event[3]])
        else:  # "r"
            value = PhpRef(event[1], event[2])
        if frames:
            frames[-1][1].append(value)
        else:
            result = value
    return result


def _float(text: bytes) -> float:
    if text == b"NAN":
        return math.nan
    if text.endswith(b"INF"):
        return -math.inf if text.startswith(b"-") else math.inf
    return float(text)


def dumps(value: Value) -> bytes:
    """``value`` as PHP's serialize() writes it (floats in Python's shortest form).

    >>> dumps(PhpObject(b"DemoSite\\\\Banner", ((b"title", b"Caf\\xc3\\xa9"),)))
    b'O:15:"DemoSite\\\\Banner":1:{s:5:"title";s:5:"Caf\\xc3\\xa9";}'
    """
    out: list[bytes] = []
    _dump(value, out)
    return b"".join(out)


def _dump(value: Value, out: list[bytes]) -> None:
    # Recursion is fine here: the values were built in Python, not read from a dump.
    if value is None:
        out.append(b"N;")
    elif isinstance(value, bool):
        out.append(b"b:1;" if value else b"b:0;")
    elif isinstance(value, int):
        out.append(b"i:%d;" % value)
    elif isinstance(value, float):
        out.append(b"d:" + _float_text(value) + b";")
    elif isinstance(value, bytes):
        out.append(b's:%d:"%s";' % (len(value), value))
    elif isinstance(value, PhpArray):
        out.append(b"a:%d:{" % len(value.items))
        _dump_pairs(value.items, out)
    elif isinstance(value, PhpObject):
        name = value.class_name
        out.append(b'O:%d:"%s":%d:{' % (len(name), name, len(value.properties)))
        _dump_pairs(value.properties, out)
    elif isinstance(value, PhpCustom):
        name, payload = value.class_name, value.payload
        out.append(b'C:%d:"%s":%d:{%s}' % (len(name), name, len(payload), payload))
    elif isinstance(value, PhpEnum):
        out.append(b'E:%d:"%s";' % (len(value.name), value.name))
    elif isinstance(value, PhpRef):
        out.append(b"%s:%d;" % (value.kind.encode(), value.index))
    else:
        raise TypeError(f"cannot serialize {type(value).__name__}")


def _dump_pairs(pairs: tuple[tuple[int | bytes, Value], ...], out: list[bytes]) -> None:
    for key, item in pairs:
        _dump(key, out)
        _dump(item, out)
    out.append(b"}")


def _float_text(value: float) -> bytes:
    if math.isnan(value):
        return b"NAN"
    if math.isinf(value):
        return b"INF" if value > 0 else b"-INF"
    return repr(value).encode()


# ---- rewriting ---------------------------------------------------------------------


def try_rewrite(data: bytes, replace: Replace, *, keys: bool = True) -> bytes | None:
    """``data`` with ``replace`` applied to every string, or None if it is not serialized.

    Values and (with ``keys``) array keys are replaced; object property names,
    class names and enum cases never are. A string that is itself serialized
    is rewritten recursively; a ``C:`` payload is rewritten when it is one
    serialized value, else kept as it is.

    >>> try_rewrite(b's:5:"a.lab";', lambda s: s.replace(b"a.lab", b"stage.a.lab"))
    b's:11:"stage.a.lab";'
    """
    try:
        events = _walk(data)
    except SerializedError:
        return None
    out: list[bytes] = []
    copied = 0  # data[:copied] is already in out
    for event in events:
        kind = event[0]
        if kind == "s":
            _, start, stop, head, role = event
            if role == b"p" or (role == b"k" and not keys):
                continue
            content = data[start:stop]
            # A key is a name, never a nested value: it is only replaced.
            new = replace(content) if role == b"k" else rewrite_string(content, replace, keys=keys)
            if new != content:
                out += (data[copied:head], b's:%d:"' % len(new), new, b'";')
                copied = stop + 2
        elif kind == "C":
            _, name, start, stop, head = event
            payload = data[start:stop]
            inner = try_rewrite(payload, replace, keys=keys) if looks_serialized(payload) else None
            if inner is not None and inner != payload:
                out += (data[copied:head], b'C:%d:"%s":%d:{' % (len(name), name, len(inner)), inner)
                copied = stop
    if not out:
        return data
    out.append(data[copied:])
    return b"".join(out)


def rewrite_string(content: bytes, replace: Replace, *, keys: bool = True) -> bytes:
    """One string's new content: rewritten inside when it is serialized, else replaced.

    >>> rewrite_string(b"plain a.lab", lambda s: s.replace(b"a.lab", b"b.lab"))
    b'plain b.lab'
    """
    if looks_serialized(content):
        nested = try_rewrite(content, replace, keys=keys)
        if nested is not None:
            return nested
    return replace(content)


def rewrite(value: bytes, replace: Replace, *, keys: bool = True) -> bytes:
    """``try_rewrite``, with invalid input returned unchanged."""
    new = try_rewrite(value, replace, keys=keys)
    return value if new is None else new
