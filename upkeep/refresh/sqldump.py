"""Reading and rewriting mysqldump / mariadb-dump output as it streams past.

What the dump looks like (MariaDB 10.11, ``--single-transaction --quick``,
extended inserts): each ``CREATE TABLE `t` (`` is followed by one line per
column; each table's rows come as ``INSERT INTO `t` VALUES`` and then one row
per line, ``(1,'a',NULL),`` up to the last ``(9,'z',NULL);``. Older dumps (and
MySQL's) put many rows on one line after ``VALUES ``; both are read here, as
are ``INSERT IGNORE``/``REPLACE`` and a column list (``--complete-insert``,
or a table with generated columns). Inside a quoted value mysqldump escapes
every newline, so a line never ends inside a value.

``DumpRewriter`` leaves every line byte for byte as it came unless a table's
``TablePlan`` changes something: its rows dropped (``truncate``), a row
function called on every row's values (sanitizing), or a string function
called on each quoted value that holds one of the plan's needles (URLs).
Values are handed over as their SQL literals (``'it\\'s'``, ``NULL``, ``12``);
``unquote`` and ``quote`` turn them into bytes and back. A changed row is
written back with only the changed values re-encoded.

    >>> rewriter = DumpRewriter(lambda table, columns: TablePlan(truncate=table == "log"))
    >>> rewriter.feed(b"INSERT INTO `log` VALUES\\n(1,'x'),\\n(2,'y');\\nSELECT 1;\\n")
    b'SELECT 1;\\n'
    >>> rewriter.close(), rewriter.counts()["log"]
    (b'', RowCounts(rows_in=2, rows_out=0))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

from upkeep.errors import UpkeepError

# One SQL value as mysqldump writes it. A quoted string may also hold a
# doubled quote (valid SQL, though mysqldump writes \' instead).
_STRING = rb"'[^'\\]*(?:(?:\\.|'')[^'\\]*)*'"
_VALUE = (
    rb"(?:" + _STRING + rb"|NULL|0x[0-9A-Fa-f]*|-?[0-9.][0-9.eE+-]*"
    rb"|_[A-Za-z0-9]+ ?" + _STRING + rb"|[bBxX]'[0-9A-Fa-f]*')"
)
_STRINGS = re.compile(_STRING, re.DOTALL)
_ONE_VALUE = re.compile(rb"(" + _VALUE + rb")([,)])", re.DOTALL)
_NAME = rb"`((?:[^`]|``)+)`"
_INSERT = re.compile(
    rb"(?:INSERT(?: IGNORE)?|REPLACE) INTO " + _NAME + rb"(?: \(((?:`(?:[^`]|``)+`(?:, ?)?)+)\))?"
    rb" VALUES ?"
)
_CREATE = re.compile(rb"CREATE TABLE (?:IF NOT EXISTS )?" + _NAME + rb" \(")
_COLUMN = re.compile(rb"  " + _NAME + rb" ")
_LISTED = re.compile(_NAME)
_UNESCAPE = re.compile(rb"\\(.)|''", re.DOTALL)
_NEEDS_ESCAPE = re.compile(rb"[\x00\n\r\\'\"\x1a]")

# MySQL's escapes; any other escaped byte is itself, except \% and \_, which
# keep their backslash (they are LIKE wildcards).
_UNESCAPED = {
    b"0": b"\x00",
    b"'": b"'",
    b'"': b'"',
    b"b": b"\x08",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"Z": b"\x1a",
    b"\\": b"\\",
    b"%": b"\\%",
    b"_": b"\\_",
}
# What mysql_real_escape_string (and so mysqldump) escapes.
_ESCAPED = {
    b"\x00": b"\\0",
    b"\n": b"\\n",
    b"\r": b"\\r",
    b"\\": b"\\\\",
    b"'": b"\\'",
    b'"': b'\\"',
    b"\x1a": b"\\Z",
}


class DumpFormatError(UpkeepError):
    """The dump is not shaped as expected; rewriting it blind could leak or corrupt data."""


RowFunction = Callable[[list[bytes]], bool]  # edits the literals in place; True when changed
StringFunction = Callable[[bytes], bytes | None]  # a quoted literal's new literal, or None


@dataclass(frozen=True)
class TablePlan:
    """What to do with one table's rows; the default leaves them alone."""

    truncate: bool = False
    row: RowFunction | None = None
    string: StringFunction | None = None
    needles: tuple[bytes, ...] = ()  # ``string`` sees only values that contain one


@dataclass(frozen=True)
class RowCounts:
    rows_in: int
    rows_out: int


PlanFor = Callable[[str, "tuple[str, ...] | None"], TablePlan]


def unquote(literal: bytes) -> bytes | None:
    """The bytes a SQL literal stands for; None for NULL.

    >>> unquote(b"'it\\\\'s\\\\n\\\\%'"), unquote(b"NULL"), unquote(b"0x4142"), unquote(b"-1.5")
    (b"it's\\n\\\\%", None, b'AB', b'-1.5')
    """
    first = literal[:1]
    if first == b"'":
        inner = literal[1:-1]
        if b"\\" not in inner and b"''" not in inner:
            return inner
        return _UNESCAPE.sub(_unescape_one, inner)
    if literal == b"NULL":
        return None
    if literal[:2] == b"0x":
        return bytes.fromhex(literal[2:].decode())
    if first in (b"x", b"X") and literal[1:2] == b"'":
        return bytes.fromhex(literal[2:-1].decode())
    if first == b"_":  # _binary '...'
        return unquote(literal[literal.index(b"'") :])
    return literal


def _unescape_one(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if escaped is None:
        return b"'"
    return _UNESCAPED.get(escaped, escaped)


def quote(value: bytes | None) -> bytes:
    """``value`` as a SQL literal, escaped the way mysqldump escapes.

    >>> quote(b"it's\\n"), quote(None)
    (b"'it\\\\'s\\\\n'", b'NULL')
    """
    if value is None:
        return b"NULL"
    if _NEEDS_ESCAPE.search(value) is None:
        return b"'" + value + b"'"
    return b"'" + _NEEDS_ESCAPE.sub(lambda m: _ESCAPED[m.group(0)], value) + b"'"


def is_string(literal: bytes) -> bool:
    """Whether the literal is a quoted string (the only kind that can hold text to rewrite)."""
    return literal[:1] == b"'" or literal[:1] == b"_"


def split_row(data: bytes, pos: int = 0) -> tuple[list[bytes], int]:
    """The literals of the tuple starting at ``data[pos]`` and where it ends.

    >>> split_row(b"(1,'a,b)',NULL),(2")
    ([b'1', b"'a,b)'", b'NULL'], 15)
    """
    if data[pos : pos + 1] != b"(":
        raise ValueError(f"expected '(' at byte {pos}")
    values: list[bytes] = []
    pos += 1
    while True:
        match = _ONE_VALUE.match(data, pos)
        if match is None:
            raise ValueError(f"unreadable value at byte {pos}: {data[pos : pos + 40]!r}")
        values.append(match.group(1))
        pos = match.end()
        if match.group(2) == b")":
            return values, pos


def count_rows(data: bytes) -> int:
    """How many tuples a run of them holds (quoted text may contain '),(' too).

    >>> count_rows(b"(1,'),('),(2,'x');")
    2
    """
    if b"),(" not in data:
        return 1
    return _STRINGS.sub(b"", data).count(b"),(") + 1


_ROW_PATTERNS: dict[int, re.Pattern[bytes]] = {}


def _row_pattern(width: int) -> re.Pattern[bytes]:
    """A regex for a tuple of exactly ``width`` values, each a group: one C-speed match per row."""
    pattern = _ROW_PATTERNS.get(width)
    if pattern is None:
        body = rb",".join([rb"(" + _VALUE + rb")"] * width)
        pattern = _ROW_PATTERNS[width] = re.compile(rb"\(" + body + rb"\)", re.DOTALL)
    return pattern


@dataclass
class _Table:
    name: str
    plan: TablePlan
    width: int | None  # values per row, when known
    rows_in: int = 0
    rows_out: int = 0


@dataclass
class DumpRewriter:
    """Feed it the dump in chunks of any size; it returns the rewritten dump in pieces.

    ``plan_for(table, columns)`` is asked once per table, at its first rows;
    ``columns`` come from the table's CREATE TABLE (or the INSERT's column
    list), else from ``schema``, else they are None.
    """

    plan_for: PlanFor
    schema: Mapping[str, Sequence[str]] = field(default_factory=dict)
    bytes_in: int = 0
    bytes_out: int = 0
    completed: bool = False  # the dump's closing "-- Dump completed" line was seen

    def __post_init__(self) -> None:
        self._rest = b""
        self._line = 0  # lines read so far, for messages
        self._columns: dict[str, tuple[str, ...]] = {}
        self._tables: dict[str, _Table] = {}
        self._creating: tuple[str, list[str]] | None = None
        self._inserting: _Table | None = None

    def feed(self, chunk: bytes) -> bytes:
        self.bytes_in += len(chunk)
        data = self._rest + chunk if self._rest else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            self._rest = data
            return b""
        self._rest = data[cut + 1 :]
        out = self._lines(data[:cut].split(b"\n"))
        text = b"\n".join(out) + b"\n" if out else b""
        self.bytes_out += len(text)
        return text

    def close(self) -> bytes:
        """The rest of the dump (its last line has no newline, if any is left)."""
        rest, self._rest = self._rest, b""
        out = b"\n".join(self._lines([rest])) if rest else b""
        self.bytes_out += len(out)
        return out

    def counts(self) -> dict[str, RowCounts]:
        """Rows read and written per table, in the order the tables came."""
        return {name: RowCounts(t.rows_in, t.rows_out) for name, t in self._tables.items()}

    # ---- lines -----------------------------------------------------------------

    def _lines(self, lines: list[bytes]) -> list[bytes]:
        out: list[bytes] = []
        keep = out.append
        for line in lines:
            self._line += 1
            table = self._inserting
            if table is not None:
                # The hot path: one row (or many) of the current INSERT.
                if table.plan.row is None and not table.plan.truncate:
                    keep(self._pass(table, line))
                else:
                    line = self._rows(table, line, 0)
                    if not table.plan.truncate:
                        keep(line)
                continue
            if self._creating is not None:
                self._create_line(line)
                keep(line)
                continue
            first = line[:1]
            if first == b"I" or first == b"R":
                header = _INSERT.match(line)
                if header is not None:
                    table = self._start_insert(header)
                    rest = line[header.end() :]
                    if table.plan.truncate:
                        if rest:
                            self._rows(table, rest, header.end())
                        continue
                    if rest:
                        rest = (
                            self._pass(table, rest)
                            if table.plan.row is None
                            else self._rows(table, rest, header.end())
                        )
                        line = line[: header.end()] + rest
            elif first == b"C":
                created = _CREATE.match(line)
                if created is not None:
                    self._creating = (_name(created.group(1)), [])
            elif first == b"-" and line.startswith(b"-- Dump completed"):
                self.completed = True
            keep(line)
        return out

    def _create_line(self, line: bytes) -> None:
        assert self._creating is not None
        name, columns = self._creating
        column = _COLUMN.match(line)
        if column is not None:
            columns.append(_name(column.group(1)))
        elif line.startswith(b")"):
            self._columns[name] = tuple(columns)
            self._creating = None

    def _start_insert(self, header: re.Match[bytes]) -> _Table:
        name = _name(header.group(1))
        listed = header.group(2)
        if listed is not None:
            columns: tuple[str, ...] | None = tuple(
                _name(m.group(1)) for m in _LISTED.finditer(listed)
            )
        elif name in self._columns:
            columns = self._columns[name]
        elif name in self.schema:
            columns = tuple(self.schema[name])
        else:
            columns = None
        width = len(columns) if columns else None
        table = self._tables.get(name)
        if table is None or table.width != width:  # first rows, or another column list
            seen = table or _Table(name, TablePlan(), None)
            table = _Table(name, self.plan_for(name, columns), width, seen.rows_in, seen.rows_out)
            self._tables[name] = table
        self._inserting = table
        return table

    # ---- rows ------------------------------------------------------------------

    def _pass(self, table: _Table, data: bytes) -> bytes:
        """Rows of a table without row rules: counted; only quoted values with needles change."""
        if data[-1:] == b";":
            self._inserting = None
        rows = 1 if b"),(" not in data else count_rows(data)
        table.rows_in += rows
        table.rows_out += rows
        plan = table.plan
        if plan.string is not None and any(n in data for n in plan.needles):
            return self._strings(data, plan)
        return data

    def _rows(self, table: _Table, data: bytes, offset: int) -> bytes:
        """``data`` (tuples, then ',' or ';') with the plan applied; counts the rows."""
        plan = table.plan
        if data[-1:] == b";":
            self._inserting = None
        elif data[-1:] != b",":
            self._fail(table, offset + len(data), "a row line must end in ',' or ';'")
        if plan.truncate:
            table.rows_in += count_rows(data)
            return b""
        pattern = _row_pattern(table.width) if table.width else None
        needles = plan.needles
        touches = bool(needles) and any(n in data for n in needles)
        pieces: list[bytes] = []
        pos = 0
        end = len(data) - 1
        while pos < end:
            read: Sequence[bytes]
            if pattern is not None:
                match = pattern.match(data, pos)
                if match is None:
                    self._fail(table, offset + pos, self._why(table, data, pos))
                read, stop = match.groups(), match.end()
            else:
                try:
                    read, stop = split_row(data, pos)
                except ValueError as error:
                    self._fail(table, offset + pos, str(error))
            values = list(read)
            table.rows_in += 1
            changed = plan.row(values) if plan.row is not None else False
            if touches and plan.string is not None:
                for index, literal in enumerate(values):
                    # A value the row function replaced is new data, not production's.
                    if (
                        literal is read[index]
                        and is_string(literal)
                        and any(n in literal for n in needles)
                    ):
                        new = plan.string(literal)
                        if new is not None:
                            values[index] = new
                            changed = True
            pieces.append(b"(" + b",".join(values) + b")" if changed else data[pos:stop])
            table.rows_out += 1
            separator = data[stop : stop + 1]
            if separator != b"," and not (separator == b";" and stop == end):
                self._fail(table, offset + stop, "expected ',' between rows or ';' at the end")
            pos = stop + 1
        return b",".join(pieces) + data[-1:]

    def _strings(self, line: bytes, plan: TablePlan) -> bytes:
        """A row line of a table without row rules: only its quoted values with needles change."""
        assert plan.string is not None
        string = plan.string
        needles = plan.needles

        def one(match: re.Match[bytes]) -> bytes:
            literal = match.group(0)
            if any(n in literal for n in needles):
                new = string(literal)
                if new is not None:
                    return new
            return literal

        return _STRINGS.sub(one, line)

    def _why(self, table: _Table, data: bytes, pos: int) -> str:
        try:
            values, _ = split_row(data, pos)
        except ValueError as error:
            return str(error)
        return f"a row has {len(values)} values, the table has {table.width} columns"

    def _fail(self, table: _Table, column: int, why: str) -> NoReturn:
        raise DumpFormatError(
            f"cannot read the dump at line {self._line}, byte {column} (table {table.name}): "
            f"{why}; nothing after this point was imported"
        )


def _name(quoted: bytes) -> str:
    return quoted.replace(b"``", b"`").decode("utf-8", "replace")
