"""Reading real mariadb-dump output: byte for byte, row by row, value by value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.refresh.conftest import FIXTURES, REAL_DUMPS, feed_in_pieces
from upkeep.refresh.sqldump import (
    DumpFormatError,
    DumpRewriter,
    TablePlan,
    count_rows,
    quote,
    split_row,
    unquote,
)

# The seed of the demo fixtures (see tests/fixtures/refresh/README.md).
DEMO_ROWS = {"activity_log": 30, "orders": 60, "settings": 6, "users": 30}


def identity(table: str, columns: tuple[str, ...] | None) -> TablePlan:
    return TablePlan()


def rewrite_every_row(table: str, columns: tuple[str, ...] | None) -> TablePlan:
    """Every row re-encoded from its values, every string looked at: still the same bytes."""
    return TablePlan(row=lambda values: True, string=lambda literal: None, needles=(b"'",))


def run(
    data: bytes, plan_for=identity, size: int = 1 << 20, **kwargs
) -> tuple[bytes, DumpRewriter]:  # type: ignore[no-untyped-def]
    rewriter = DumpRewriter(plan_for, **kwargs)
    return feed_in_pieces(rewriter, data, size), rewriter


@pytest.mark.parametrize("dump", REAL_DUMPS, ids=lambda p: p.name)
@pytest.mark.parametrize("size", [1, 3, 64, 4096, 1 << 20])
@pytest.mark.parametrize("plan_for", [identity, rewrite_every_row])
def test_an_untouched_dump_comes_out_byte_for_byte(dump: Path, size: int, plan_for) -> None:  # type: ignore[no-untyped-def]
    data = dump.read_bytes()
    out, rewriter = run(data, plan_for, size)
    assert out == data
    assert rewriter.bytes_in == rewriter.bytes_out == len(data)
    assert rewriter.completed


@pytest.mark.parametrize("name", ["demo.sql", "demo-one-row-per-insert.sql"])
def test_rows_are_counted_per_table(name: str) -> None:
    _, rewriter = run((FIXTURES / name).read_bytes(), rewrite_every_row)
    counts = rewriter.counts()
    assert {table: c.rows_in for table, c in counts.items()} == DEMO_ROWS
    assert all(c.rows_out == c.rows_in for c in counts.values())


def _one_line_per_insert(data: bytes) -> bytes:
    """MySQL's (and older MariaDB's) layout: all rows of a statement on the INSERT's line."""
    return re.sub(
        rb" VALUES\n((?:.*,\n)*.*;\n)",
        lambda m: b" VALUES " + m.group(1).replace(b",\n(", b",("),
        data,
    )


def test_many_rows_on_one_line_are_read_too() -> None:
    data = _one_line_per_insert((FIXTURES / "demo.sql").read_bytes())
    assert b"INSERT INTO `users` VALUES (1," in data
    for plan_for in (identity, rewrite_every_row):
        out, rewriter = run(data, plan_for, 97)
        assert out == data
        assert {t: c.rows_in for t, c in rewriter.counts().items()} == DEMO_ROWS


def test_columns_come_from_create_table_or_the_column_list() -> None:
    seen: dict[str, tuple[str, ...] | None] = {}

    def record(table: str, columns: tuple[str, ...] | None) -> TablePlan:
        seen[table] = columns
        return TablePlan()

    run((FIXTURES / "edge.sql").read_bytes(), record)
    run((FIXTURES / "edge-complete-insert.sql").read_bytes(), record)
    assert seen["odd table"] == (
        "id",
        "select",
        "we`ird",
        "b",
        "vb",
        "bits",
        "f",
        "d",
        "dt",
        "j",
        "n",
        "e",
        "s",
        "g",
    )
    assert seen["wp_options"] == ("option_id", "option_name", "option_value", "autoload")


def test_without_create_table_the_schema_names_the_columns() -> None:
    seen = {}
    data = b"INSERT INTO `t` VALUES (1,'a');\n"
    run(data, lambda t, c: seen.setdefault(t, c) and TablePlan(), schema={"t": ["id", "name"]})
    run(data, lambda t, c: seen.setdefault("none", c) or TablePlan())
    assert seen == {"t": ("id", "name"), "none": None}


def test_every_string_in_the_dumps_is_escaped_exactly_as_mariadb_dump_escapes() -> None:
    literals = 0
    for dump in REAL_DUMPS:
        for line in dump.read_bytes().split(b"\n"):
            if not line.startswith(b"("):
                continue
            values, _ = split_row(line)
            for literal in values:
                if literal.startswith(b"'"):
                    assert quote(unquote(literal)) == literal
                    literals += 1
    assert literals > 500


def test_hex_blobs_and_escaped_strings_hold_the_same_bytes() -> None:
    """The same rows dumped with and without --hex-blob decode to the same values."""

    def rows(name: str) -> list[list[bytes | None]]:
        data = (FIXTURES / name).read_bytes()
        start = data.index(b"INSERT", data.index(b"Dumping data for table `odd table`"))
        found = []
        for line in data[start:].split(b"\n"):
            if line.endswith(b" VALUES"):
                continue  # MariaDB's layout: the rows follow, one per line
            pos = line.find(b"(", line.find(b"VALUES")) if line.startswith(b"INSERT") else 0
            if not line[pos:].startswith(b"("):
                break
            values, _ = split_row(line, pos)
            found.append([unquote(v) for v in values])
        return found

    plain, hexed = rows("edge.sql"), rows("edge-complete-insert.sql")
    assert len(plain) == 3
    assert plain == hexed
    assert plain[0][3] == b"\x00\x01\x02\x03\xff'\"\\\n\r\x1a"  # the BLOB as inserted


@given(st.binary(max_size=80))
def test_quote_then_unquote_is_the_identity(raw: bytes) -> None:
    literal = quote(raw)
    assert unquote(literal) == raw
    assert b"\n" not in literal and b"\x00" not in literal


@pytest.mark.parametrize(
    ("literal", "raw"),
    [
        (b"'it''s'", b"it's"),  # valid SQL, though mysqldump writes \'
        (b"'50\\%_\\_'", b"50\\%_\\_"),  # \% and \_ keep their backslash
        (b"'\\a\\b\\t'", b"a\x08\t"),  # an unknown escape is the byte itself
        (b"_binary 'x\\0'", b"x\x00"),
        (b"X'4142'", b"AB"),
        (b"0x", b""),
        (b"1e300", b"1e300"),
        (b"NULL", None),
    ],
)
def test_unquote(literal: bytes, raw: bytes | None) -> None:
    assert unquote(literal) == raw


def test_split_row_and_count_rows_see_through_quoted_text() -> None:
    line = b"(1,'a),(b','it\\'s',NULL,-1.5e3,0x00FF),(2,'',X'41',_binary 'z',b'0101');"
    first, stop = split_row(line)
    assert first == [b"1", b"'a),(b'", b"'it\\'s'", b"NULL", b"-1.5e3", b"0x00FF"]
    second, _ = split_row(line, stop + 1)
    assert second == [b"2", b"''", b"X'41'", b"_binary 'z'", b"b'0101'"]
    assert count_rows(line) == 2


def test_truncating_drops_the_rows_and_keeps_everything_else() -> None:
    data = (FIXTURES / "demo.sql").read_bytes()
    out, rewriter = run(data, lambda t, c: TablePlan(truncate=t == "activity_log"), 500)
    assert b"INSERT INTO `activity_log`" not in out
    assert b"signed up" not in out
    assert b"CREATE TABLE `activity_log`" in out and b"LOCK TABLES `activity_log` WRITE" in out
    assert len(out.splitlines()) == len(data.splitlines()) - 31  # the INSERT line and 30 rows
    assert rewriter.counts()["activity_log"].rows_in == 30
    assert rewriter.counts()["activity_log"].rows_out == 0
    assert rewriter.counts()["users"].rows_out == 30


def test_a_changed_value_rewrites_only_its_row() -> None:
    data = (FIXTURES / "demo.sql").read_bytes()

    def plan(table: str, columns: tuple[str, ...] | None) -> TablePlan:
        if table != "users":
            return TablePlan()
        assert columns is not None
        email = columns.index("email")

        def row(values: list[bytes]) -> bool:
            if values[0] != b"2":
                return False
            values[email] = quote(b"new'one@example.invalid")
            return True

        return TablePlan(row=row)

    out, _ = run(data, plan, 333)
    changed = [(a, b) for a, b in zip(data.split(b"\n"), out.split(b"\n"), strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][1].startswith(b"(2,'") and b"'new\\'one@example.invalid'" in changed[0][1]


def test_a_row_that_does_not_fit_the_table_stops_the_stream_with_its_line() -> None:
    data = (FIXTURES / "demo.sql").read_bytes()
    bad = data.replace(b"(3,'Anna Taylor'", b"(3,'Anna Taylor',42", 1)
    assert bad != data
    line = bad[: bad.index(b"(3,'Anna Taylor'")].count(b"\n") + 1
    with pytest.raises(DumpFormatError, match=rf"line {line} \(table users\): a row has 5 values"):
        run(bad, rewrite_every_row, 1000)
    unterminated = data.replace(
        b"'2024-01-05 09:10:11'),\n(2,'Quentin", b"'2024-01-05 09:10:11')\n(2,'Quentin"
    )
    assert unterminated != data
    line = unterminated[: unterminated.index(b"09:10:11')\n(2,")].count(b"\n") + 1
    with pytest.raises(DumpFormatError, match=rf"line {line} .*expected ',' between rows"):
        run(unterminated, rewrite_every_row)


@pytest.mark.parametrize("plan_for", [identity, rewrite_every_row])
def test_a_dump_cut_short_is_not_completed_and_its_half_row_is_held_back(plan_for) -> None:  # type: ignore[no-untyped-def]
    data = (FIXTURES / "demo.sql").read_bytes()
    cut = data.index(b"anna.taylor3@example.org','2024")
    out, rewriter = run(data[:cut], plan_for)
    assert not rewriter.completed
    assert out == data[: data.rindex(b"\n", 0, cut) + 1]  # whole lines only
    _, whole = run(data, plan_for)
    assert whole.completed


def mysql_unescape(inner: bytes) -> bytes:
    """How MySQL reads the inside of a quoted string, byte by byte (the test's own oracle)."""
    special = {b"0": b"\x00", b"b": b"\x08", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"Z": b"\x1a"}
    out, i = bytearray(), 0
    while i < len(inner):
        byte, following = inner[i : i + 1], inner[i + 1 : i + 2]
        if byte == b"\\":
            out += (
                b"\\" + following
                if following in (b"%", b"_")
                else special.get(following, following)
            )
            i += 2
        elif byte == b"'":  # the first of a doubled quote
            out += b"'"
            i += 2
        else:
            out += byte
            i += 1
    return bytes(out)


ESCAPED = [
    b"a",
    b"n",
    b"0",
    b"Z",
    b"\\\\",
    b"\\'",
    b'\\"',
    b"\\n",
    b"\\r",
    b"\\0",
    b"\\Z",
    b"\\%",
    b"\\_",
    b"\\t",
    b"\\a",
    b"''",
    b"\x00",
    b"\xc3\xa9",
]


@given(st.lists(st.sampled_from(ESCAPED), max_size=30))
def test_unquote_reads_every_escape_as_mysql_does(pieces: list[bytes]) -> None:
    """The quick way (only the escapes of plain text) and the general way agree with MySQL."""
    inner = b"".join(pieces)
    assert unquote(b"'" + inner + b"'") == mysql_unescape(inner)


# -- secondary keys after the rows ----------------------------------------------------
def test_a_table_s_keys_and_foreign_keys_are_added_after_its_rows() -> None:
    data = (FIXTURES / "demo.sql").read_bytes()
    out = DumpRewriter(identity, defer_keys=True).feed(data)
    keys = (
        b",\n  KEY `orders_created_at` (`created_at`),\n  KEY `orders_user_id_fk` (`user_id`),\n"
        b"  CONSTRAINT `orders_user_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`)\n"
    )
    added = (
        b"SET @upkeep_fk_checks = @@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS = 0;\n"
        b"ALTER TABLE `orders` ADD KEY `orders_created_at` (`created_at`), "
        b"ADD KEY `orders_user_id_fk` (`user_id`), ADD CONSTRAINT `orders_user_id_fk` "
        b"FOREIGN KEY (`user_id`) REFERENCES `users` (`id`);\n"
        b"SET FOREIGN_KEY_CHECKS = @upkeep_fk_checks;\n"
    )
    enabled = b"/*!40000 ALTER TABLE `orders` ENABLE KEYS */;\n"
    assert keys in data and out.count(added) == 1
    assert out.index(added) == out.index(enabled) + len(enabled)  # right after the rows
    # Nothing else changed: primary and unique keys (users' e-mail) stay where they were.
    assert out.replace(added, b"") == data.replace(keys, b"\n")


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_keys_are_deferred_alike_whatever_the_chunks(size: int) -> None:
    data = (FIXTURES / "demo.sql").read_bytes()
    whole = DumpRewriter(identity, defer_keys=True).feed(data)
    assert feed_in_pieces(DumpRewriter(identity, defer_keys=True), data, size) == whole


def test_keys_of_a_table_without_rows_are_added_before_the_next_table_or_the_end() -> None:
    dump = (
        b"CREATE TABLE `a` (\n  `id` int NOT NULL,\n  `b` int,\n  PRIMARY KEY (`id`),\n"
        b"  KEY `by_b` (`b`)\n) ENGINE=InnoDB;\n"
        b"CREATE TABLE `c` (\n  `id` int NOT NULL,\n  KEY `by_id` (`id`)\n) ENGINE=InnoDB;\n"
    )
    rewriter = DumpRewriter(identity, defer_keys=True)
    out = rewriter.feed(dump) + rewriter.close()
    assert out.index(b"ALTER TABLE `a` ADD KEY `by_b` (`b`);") < out.index(b"CREATE TABLE `c`")
    assert out.rstrip().endswith(b"SET FOREIGN_KEY_CHECKS = @upkeep_fk_checks;")
    assert b"ALTER TABLE `c` ADD KEY `by_id` (`id`);" in out
    assert b"  `b` int,\n  PRIMARY KEY (`id`)\n) ENGINE" in out


def test_a_table_with_a_fulltext_key_keeps_all_its_keys() -> None:
    create = (
        b"CREATE TABLE `posts` (\n  `id` int NOT NULL,\n  `body` text,\n  PRIMARY KEY (`id`),\n"
        b"  KEY `by_body` (`body`(10)),\n  FULLTEXT KEY `words` (`body`)\n) ENGINE=InnoDB;\n"
    )
    rewriter = DumpRewriter(identity, defer_keys=True)
    assert rewriter.feed(create) + rewriter.close() == create


# ---- by column: what row by row gives, or its error ------------------------------------------


def email_to_x(by_column: bool, row_too: bool = True):  # type: ignore[no-untyped-def]
    """users.email, but NULL, becomes 'x': by a row function, and maybe by column too."""

    def row(values: list[bytes]) -> bool:
        assert row_too, "the row function was called: the quick way was not taken"
        if values[2] == b"NULL":
            return False
        values[2] = b"'x'"
        return True

    def column(literals: list[bytes]) -> list[bytes]:
        return [literal if literal == b"NULL" else b"'x'" for literal in literals]

    def plan(table: str, columns: tuple[str, ...] | None) -> TablePlan:
        if table != "users":
            return TablePlan()
        assert columns is not None and columns.index("email") == 2
        return TablePlan(row=row, columns=((2, column),) if by_column else ())

    return plan


@pytest.mark.parametrize("name", ["demo.sql", "demo-one-row-per-insert.sql", "edge.sql"])
@pytest.mark.parametrize("size", [1, 333, 1 << 20])
def test_columns_rewritten_by_column_are_those_rewritten_row_by_row(name: str, size: int) -> None:
    data = (FIXTURES / name).read_bytes()
    quick, quick_rewriter = run(data, email_to_x(True, row_too=False), size)
    general, general_rewriter = run(data, email_to_x(False), size)
    assert quick == general and (quick != data or name == "edge.sql")
    assert quick_rewriter.counts() == general_rewriter.counts()


def test_many_rows_on_a_line_and_quoted_separators_are_read_by_column_too() -> None:
    data = (
        b"CREATE TABLE `users` (\n  `id` int,\n  `name` text,\n  `email` text\n);\n"
        b"INSERT INTO `users` VALUES (1,'a),(b','c\\'),(d'),(2,NULL,NULL),"
        b"(3,'\\\\','e@f.example'),\n(4,'),\\n(',''),(5,'z','y');\n"
    )
    quick, _ = run(data, email_to_x(True, row_too=False))
    assert quick == run(data, email_to_x(False))[0]
    assert quick.count(b"'x'") == 4 and b"(2,NULL,NULL)" in quick


ROW_1 = b"weber1@example.com','2024-01-05 09:10:11')"
BROKEN_ROWS = {
    "a value too many": (b"(3,'Anna Taylor'", b"(3,'Anna Taylor',42", "a row has 5 values"),
    "no comma": (ROW_1 + b",\n(", ROW_1 + b"\n(", "expected ',' between rows"),
    "a space": (ROW_1 + b",\n(", ROW_1 + b" ,\n(", "expected ',' between rows"),
    "a semicolon": (ROW_1 + b",\n(", ROW_1 + b";(", "expected ',' between rows"),
    "an empty line": (ROW_1 + b",\n(", ROW_1 + b",\n\n(", "expected '\\(' at byte"),
    "a quote": (b"(3,'Anna Taylor'", b"(3,'Anna Taylor", "unreadable value"),
    "a space first": (b"VALUES\n(1,'Paul", b"VALUES\n (1,'Paul", "expected '\\(' at byte"),
}


@pytest.mark.parametrize("broken", BROKEN_ROWS, ids=str)
def test_rows_that_do_not_read_by_column_get_the_row_by_row_error(broken: str) -> None:
    good, bad, why = BROKEN_ROWS[broken]
    data = (FIXTURES / "demo.sql").read_bytes()
    assert data.count(good) == 1
    data = data.replace(good, bad)
    errors = []
    for by_column in (True, False):
        with pytest.raises(DumpFormatError, match=why) as error:
            run(data, email_to_x(by_column))
        errors.append(str(error.value))
    assert errors[0] == errors[1]


def test_a_block_of_row_lines_goes_to_the_line_function_at_once() -> None:
    lines: list[bytes] = []

    def plan(table: str, columns: tuple[str, ...] | None) -> TablePlan:
        def line(text: bytes) -> bytes:
            lines.append(text)
            return text.replace(b"example", b"EXAMPLE")

        return TablePlan(string=lambda literal: None, needles=(b"example",), line=line)

    data = (FIXTURES / "demo.sql").read_bytes()
    out, _ = run(data, plan)
    assert out == data.replace(b"example", b"EXAMPLE")
    assert len(lines) == data.count(b"INSERT INTO `users`") + data.count(b"INSERT INTO `orders`")
