"""Names in SQL: quoted so a table named like SQL is only ever a name.

SQLite reads MariaDB's backtick quoting (doubled backticks included), so the SQL
built here is run for real on an in-memory database with the hostile names; the
lab proves the same against MariaDB (tests/e2e/test_safety_sql.py).
"""

from __future__ import annotations

import shlex
import sqlite3

import pytest

from upkeep.sqlnames import (
    DROP_STATEMENTS_SQL,
    count_rows_sql,
    drop_all_tables,
    parse_counts,
    parse_hex_names,
    quote_identifier,
)

HOSTILE = [
    "x`;DROP DATABASE mysql;#",
    "x`; DROP TABLE `victim",
    'it\'s a "table" $(id) é',
    "tab\there",
    "new\nline",
    "back\\slash",
]


@pytest.fixture
def database() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE victim (id INTEGER)")
    for rows, name in enumerate(HOSTILE, start=1):
        connection.execute(f"CREATE TABLE {quote_identifier(name)} (id INTEGER)")
        connection.executemany(
            f"INSERT INTO {quote_identifier(name)} VALUES (?)", [(n,) for n in range(rows)]
        )
    return connection


def test_quoting_doubles_backticks() -> None:
    assert quote_identifier("a`b") == "`a``b`"
    assert quote_identifier("``") == "``````"
    with pytest.raises(ValueError):
        quote_identifier("nul\x00")


def test_counting_hostile_names_counts_them_and_runs_nothing_else(
    database: sqlite3.Connection,
) -> None:
    answer = database.execute(count_rows_sql(HOSTILE)).fetchall()
    text = "".join(f"{index}\t{count}\n" for index, count in answer)
    assert parse_counts(text, HOSTILE) == {name: n for n, name in enumerate(HOSTILE, start=1)}
    tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
    assert tables == {"victim", *HOSTILE}


def test_hex_encoded_names_come_back_whatever_they_hold() -> None:
    text = "".join(name.encode().hex().upper() + "\n" for name in HOSTILE)
    assert parse_hex_names(text) == HOSTILE


def test_a_count_for_no_table_asked_is_refused() -> None:
    with pytest.raises(ValueError, match="unexpected line"):
        parse_counts("0\t1\n7\t9\n", ["only"])
    with pytest.raises(ValueError, match="unexpected line"):
        parse_counts("ERROR 1146 (42S02): Table doesn't exist\n", ["only"])


def test_the_drop_statements_quote_every_name_and_drop_exactly_the_tables(
    database: sqlite3.Connection,
) -> None:
    # The same SELECT, over SQLite's catalogue instead of information_schema.
    database.create_function("CONCAT", -1, lambda *parts: "".join(parts))
    select = DROP_STATEMENTS_SQL.replace("table_name", "name").replace(
        "information_schema.tables WHERE table_schema = DATABASE()",
        "sqlite_master WHERE type = 'table'",
    )
    statements = [row[0] for row in database.execute(select)]
    assert "DROP TABLE IF EXISTS `x``;DROP DATABASE mysql;#`;" in statements
    database.executescript("\n".join(statements))
    assert database.execute("SELECT COUNT(*) FROM sqlite_master").fetchone() == (0,)


def test_dropping_all_tables_is_one_shell_pipeline_with_everything_quoted() -> None:
    line = drop_all_tables("shop db")
    assert (
        f" -N -B -r -e {shlex.quote(DROP_STATEMENTS_SQL)} 'shop db'; }} | mariadb 'shop db'" in line
    )
    assert "table_schema = DATABASE()" in DROP_STATEMENTS_SQL  # the name is never spliced in
