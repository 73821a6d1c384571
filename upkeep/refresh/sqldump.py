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
function called on every row's values (sanitizing; when that is one
function per column, called instead once per block of rows on each column),
or a string function called on each quoted value that holds one of the plan's
needles (URLs).
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
from upkeep.refresh import keys

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
_ENABLE_KEYS = re.compile(rb"/\*!40000 ALTER TABLE " + _NAME + rb" ENABLE KEYS \*/;")
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
# What mysql_real_escape_string (and so mysqldump) escapes; the backslash first (see quote).
_ESCAPED = {
    b"\\": b"\\\\",
    b"\x00": b"\\0",
    b"\n": b"\\n",
    b"\r": b"\\r",
    b"'": b"\\'",
    b'"': b'\\"',
    b"\x1a": b"\\Z",
}


class DumpFormatError(UpkeepError):
    """The dump is not shaped as expected; rewriting it blind could leak or corrupt data."""


RowFunction = Callable[[list[bytes]], bool]  # edits the literals in place; True when changed
# One column's literals in a block of rows → their new literals, or None when none changed.
ColumnFunction = Callable[[list[bytes]], list[bytes] | None]
StringFunction = Callable[[bytes], bytes | None]  # a quoted literal's new literal, or None
# Row lines rewritten whole, or None to have ``string`` called value by value. It is
# given a block of lines first, then (on None) each line with a needle: it must give
# for the block what it gives line by line.
LineFunction = Callable[[bytes], bytes | None]


@dataclass(frozen=True)
class TablePlan:
    """What to do with one table's rows; the default leaves them alone."""

    truncate: bool = False
    row: RowFunction | None = None
    string: StringFunction | None = None
    needles: tuple[bytes, ...] = ()  # ``string`` sees only values that contain one
    line: LineFunction | None = None  # tried first on lines with a needle (no row function)
    # The row function by column, when it is one function per column (no row rules): used on
    # blocks without needles, with one regex split and one call per column for all their rows.
    columns: tuple[tuple[int, ColumnFunction], ...] = ()


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
        common = _unescape_common(inner)
        return common if common is not None else _UNESCAPE.sub(_unescape_one, inner)
    if literal == b"NULL":
        return None
    if literal[:2] == b"0x":
        return bytes.fromhex(literal[2:].decode())
    if first in (b"x", b"X") and literal[1:2] == b"'":
        return bytes.fromhex(literal[2:-1].decode())
    if first == b"_":  # _binary '...'
        return unquote(literal[literal.index(b"'") :])
    return literal


def _unescape_common(inner: bytes) -> bytes | None:
    """``inner`` unescaped when its only escapes are those of plain text (\\' \\" \\n \\r),
    by four C-speed replaces instead of a call per escape; else None.

    When no backslash is left after them, none escaped a backslash (the first
    of ``\\\\`` is never replaced), so each began one of those escapes.
    """
    if b"''" in inner:
        return None
    text = inner.replace(b'\\"', b'"').replace(b"\\'", b"'")
    text = text.replace(b"\\n", b"\n").replace(b"\\r", b"\r")
    return None if b"\\" in text else text


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
    # The backslash first: the other replaces add backslashes that must stay single.
    for raw, escaped in _ESCAPED.items():
        value = value.replace(raw, escaped)
    return b"'" + value + b"'"


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
_COLUMN_PATTERNS: dict[tuple[int, tuple[int, ...]], re.Pattern[bytes]] = {}


def _row_pattern(width: int) -> re.Pattern[bytes]:
    """A regex for a tuple of exactly ``width`` values, each a group: one C-speed match per row."""
    pattern = _ROW_PATTERNS.get(width)
    if pattern is None:
        body = rb",".join([rb"(" + _VALUE + rb")"] * width)
        pattern = _ROW_PATTERNS[width] = re.compile(rb"\(" + body + rb"\)", re.DOTALL)
    return pattern


def _columns_pattern(width: int, columns: tuple[int, ...]) -> re.Pattern[bytes]:
    """A regex for a tuple of ``width`` values whose groups are the given columns and the
    text around them, each in turn: ``(1,'a',2)`` with column 1 is ``(1,``, ``'a'``, ``,2)``."""
    key = (width, columns)
    pattern = _COLUMN_PATTERNS.get(key)
    if pattern is None:
        body = [rb"(\("]
        for index in range(width):
            body.append(rb")(" + _VALUE + rb")(" if index in columns else _VALUE)
            body.append(rb"," if index < width - 1 else rb"\))")
        pattern = _COLUMN_PATTERNS[key] = re.compile(b"".join(body), re.DOTALL)
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
    list), else from ``schema``, else they are None. ``defer_keys``: each
    table's secondary keys are added after its rows (``upkeep.refresh.keys``).
    """

    plan_for: PlanFor
    schema: Mapping[str, Sequence[str]] = field(default_factory=dict)
    defer_keys: bool = False
    bytes_in: int = 0
    bytes_out: int = 0
    completed: bool = False  # the dump's closing "-- Dump completed" line was seen

    def __post_init__(self) -> None:
        self._rest = b""
        self._lines_before = 0  # lines before the region being read, for messages
        self._columns: dict[str, tuple[str, ...]] = {}
        self._tables: dict[str, _Table] = {}
        self._creating: tuple[str, list[str]] | None = None
        self._held: list[bytes] = []  # the CREATE TABLE's lines so far, when keys are deferred
        self._deferred: dict[str, list[bytes]] = {}  # table → key clauses not added yet
        self._inserting: _Table | None = None

    def feed(self, chunk: bytes) -> bytes:
        self.bytes_in += len(chunk)
        data = self._rest + chunk if self._rest else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            self._rest = data
            return b""
        self._rest = data[cut:]
        out = self._region(data if cut == len(data) else data[:cut])
        self.bytes_out += len(out)
        return out

    def close(self) -> bytes:
        """The rest of the dump (its last line has no newline, if any is left).

        A dump cut short inside a row (the source failed) ends with the last
        whole line: half a row must not reach the target, it may be personal
        data the rules never saw whole. ``completed`` stays False.
        """
        rest, self._rest = self._rest, b""
        if self._inserting is not None and not rest.endswith(b";"):
            rest = b""
        out = self._region(rest + b"\n")[:-1] if rest else b""
        out += self._add_keys()
        self.bytes_out += len(out)
        return out

    def counts(self) -> dict[str, RowCounts]:
        """Rows read and written per table, in the order the tables came."""
        return {name: RowCounts(t.rows_in, t.rows_out) for name, t in self._tables.items()}

    # ---- statements ------------------------------------------------------------

    def _region(self, data: bytes) -> bytes:
        """Whole lines (``data`` ends with a newline): statements line by line, rows in blocks."""
        out: list[bytes] = []
        pos, end = 0, len(data)
        self._data = data
        while pos < end:
            table = self._inserting
            if table is not None:
                # Rows up to the end of the statement (a line ending in ';': a raw
                # newline is never inside a value) or of what has arrived so far.
                stop = data.find(b";\n", pos)
                stop = end if stop < 0 else stop + 2
                out.append(self._block(table, data[pos:stop], pos))
                pos = stop
                continue
            newline = data.index(b"\n", pos)
            first = data[pos : pos + 1]
            if self._creating is not None:
                creating = self._creating[0]
                self._create_line(data[pos:newline])
                if self.defer_keys:
                    out.append(self._hold(creating, data[pos : newline + 1]))
                    pos = newline + 1
                    continue
            elif first == b"I" or first == b"R":
                header = _INSERT.match(data, pos, newline)
                if header is not None:
                    table = self._start_insert(header)
                    if not table.plan.truncate:
                        out.append(data[pos : header.end()])
                    pos = header.end()
                    if pos == newline:
                        if not table.plan.truncate:
                            out.append(b"\n")
                        pos += 1
                    continue
            elif first == b"C":
                created = _CREATE.match(data, pos, newline)
                if created is not None:
                    out.append(self._add_keys())  # a table before had no rows to follow
                    self._creating = (_name(created.group(1)), [])
            elif first == b"-" and data.startswith(b"-- Dump completed", pos):
                out.append(self._add_keys())
                self.completed = True
            out.append(data[pos : newline + 1])
            if first == b"/" and self._deferred:
                enabled = _ENABLE_KEYS.match(data, pos, newline)
                if enabled is not None:  # the table's rows are in
                    out.append(self._add_keys(_name(enabled.group(1))))
            pos = newline + 1
        self._lines_before += data.count(b"\n")
        return b"".join(out)

    def _create_line(self, line: bytes) -> None:
        assert self._creating is not None
        name, columns = self._creating
        column = _COLUMN.match(line)
        if column is not None:
            columns.append(_name(column.group(1)))
        elif line.startswith(b")"):
            self._columns[name] = tuple(columns)
            self._creating = None

    def _hold(self, table: str, line: bytes) -> bytes:
        """A line of ``table``'s CREATE TABLE kept back until its last, then the statement
        without the keys to add after the rows."""
        self._held.append(line)
        if self._creating is not None:
            return b""
        body, closing = [held[:-1] for held in self._held[:-1]], self._held[-1]
        self._held = []
        kept, later = keys.deferred(body)
        if later:
            self._deferred[table] = later
        return b"".join(line + b"\n" for line in kept) + closing

    def _add_keys(self, table: str | None = None) -> bytes:
        """The deferred keys of ``table`` (or of every table) added."""
        names = [table] if table is not None else list(self._deferred)
        return b"".join(
            keys.alter(name, self._deferred.pop(name)) for name in names if name in self._deferred
        )

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

    def _block(self, table: _Table, block: bytes, offset: int) -> bytes:
        """Whole row lines of one INSERT, the plan applied; the rows counted."""
        if block[-2:] == b";\n":
            self._inserting = None
        elif block[-2:] != b",\n":
            self._fail(table, offset + len(block) - 1, "a row line must end in ',' or ';'")
        plan = table.plan
        if plan.row is None:
            rows = _count(block)
            table.rows_in += rows
            if plan.truncate:
                return b""
            table.rows_out += rows
            if plan.string is not None and any(n in block for n in plan.needles):
                return self._strings(block, plan)
            return block
        return self._rows(table, block, offset)

    def _rows(self, table: _Table, block: bytes, offset: int) -> bytes:
        """Each row through the plan's row function; only changed rows are written anew."""
        plan = table.plan
        row = plan.row
        assert row is not None
        string = plan.string
        needles = plan.needles if string is not None else ()
        # Where the next needle is: only rows that reach it can have a URL to rewrite.
        ahead = _find(block, needles, 0)
        if plan.columns and table.width and ahead == len(block):
            by_column = self._by_column(table, block)
            if by_column is not None:
                return by_column
        pattern = _row_pattern(table.width) if table.width else None
        pieces: list[bytes] = []
        copied = pos = rows = 0
        end = len(block)
        while pos < end:
            read: Sequence[bytes]
            if pattern is not None:
                match = pattern.match(block, pos)
                if match is None:
                    self._fail(table, offset + pos, self._why(table, block, pos))
                read, stop = match.groups(), match.end()
            else:
                try:
                    read, stop = split_row(block, pos)
                except ValueError as error:
                    self._fail(table, offset + pos, str(error))
            values = list(read)
            changed = row(values)
            if ahead < stop:
                assert string is not None
                for index, literal in enumerate(values):
                    # A value the row function replaced is new data, not production's.
                    if (
                        literal is read[index]
                        and is_string(literal)
                        and any(n in literal for n in needles)
                    ):
                        new = string(literal)
                        if new is not None:
                            values[index] = new
                            changed = True
                ahead = _find(block, needles, stop)
            if changed:
                pieces += (block[copied:pos], b"(" + b",".join(values) + b")")
                copied = stop
            rows += 1
            separator = block[stop : stop + 1]
            if separator == b",":
                pos = stop + 2 if block[stop + 1 : stop + 2] == b"\n" else stop + 1
            elif separator == b";" and stop + 2 == end:
                pos = end
            else:
                self._fail(table, offset + stop, "expected ',' between rows or ';' at the end")
        table.rows_in += rows
        table.rows_out += rows
        if not pieces:
            return block
        pieces.append(block[copied:])
        return b"".join(pieces)

    def _by_column(self, table: _Table, block: bytes) -> bytes | None:
        """The rows of a block without needles, the plan's column functions applied; None
        when a row or what follows it is not as ``_rows`` requires (it says what is wrong).

        One split finds every row (C speed, no Python call per row): when the text
        between them is only the separators, each row was matched where ``_rows``
        would have matched it, so the columns are the values it would have read.
        """
        assert table.width is not None
        columns = sorted(table.plan.columns, key=lambda column: column[0])
        pattern = _columns_pattern(table.width, tuple(index for index, _ in columns))
        parts = pattern.split(block)
        step = 2 * len(columns) + 2  # what split gives per row: its groups and the text after
        between = parts[::step]
        if between[0] or between[-1] not in _LAST_SEPARATORS:
            return None
        if not _SEPARATORS.issuperset(between[1:-1]):
            return None
        rows = len(between) - 1
        changed = False
        for place, (_, column) in enumerate(columns):
            start = 2 + 2 * place
            new = column(parts[start::step])
            if new is not None:
                parts[start::step] = new
                changed = True
        table.rows_in += rows
        table.rows_out += rows
        return b"".join(parts) if changed else block

    def _strings(self, block: bytes, plan: TablePlan) -> bytes:
        """Rows of a table without row rules: the quoted values with needles change.

        The line function is tried on the whole block first: one call instead
        of one per line. Else only the lines that hold a needle are read
        (quotes are only paired right from the start of a line).
        """
        assert plan.string is not None
        if plan.line is not None:
            whole = plan.line(block)
            if whole is not None:
                return whole
        string = plan.string
        needles = plan.needles

        def one(match: re.Match[bytes]) -> bytes:
            literal = match.group(0)
            if any(n in literal for n in needles):
                new = string(literal)
                if new is not None:
                    return new
            return literal

        pieces: list[bytes] = []
        copied = 0
        found = _find(block, needles, 0)
        while found < len(block):
            start = block.rfind(b"\n", 0, found) + 1
            stop = block.index(b"\n", found)
            line = block[start:stop]
            new = plan.line(line) if plan.line is not None else None
            if new is None:
                new = _STRINGS.sub(one, line)
            if new != line:
                pieces += (block[copied:start], new)
                copied = stop
            found = _find(block, needles, stop)
        if not pieces:
            return block
        pieces.append(block[copied:])
        return b"".join(pieces)

    def _why(self, table: _Table, data: bytes, pos: int) -> str:
        try:
            values, _ = split_row(data, pos)
        except ValueError as error:
            return str(error)
        return f"a row has {len(values)} values, the table has {table.width} columns"

    def _fail(self, table: _Table, pos: int, why: str) -> NoReturn:
        line = self._lines_before + self._data.count(b"\n", 0, pos) + 1
        raise DumpFormatError(
            f"cannot read the dump at line {line} (table {table.name}): {why}; stopped before "
            "writing that row (upkeep reads mariadb-dump's own output: check the dump options)"
        )


_SEPARATORS = frozenset((b",", b",\n"))  # between rows
_LAST_SEPARATORS = (b",\n", b";\n")  # after a block's last row


def _find(data: bytes, needles: tuple[bytes, ...], start: int) -> int:
    """Where the first of ``needles`` is from ``start`` on; ``len(data)`` if nowhere."""
    end = len(data)
    for needle in needles:
        found = data.find(needle, start, end)
        if found >= 0:
            end = found
    return end


def _count(block: bytes) -> int:
    """Rows in whole row lines: one per line, more where a line holds several."""
    rows = block.count(b"\n")
    if b"),(" in block:
        rows += _STRINGS.sub(b"", block).count(b"),(")
    return rows


def _name(quoted: bytes) -> str:
    return quoted.replace(b"``", b"`").decode("utf-8", "replace")
