"""Names in MariaDB SQL: quoted, never trusted, never handed to a shell.

A table name read from a host is data written by whoever can create tables
(the site's own user, so a vulnerable plugin): ``x`;DROP DATABASE mysql;#`` is a
valid name. Wherever SQL is built from a name it goes through
``quote_identifier`` (backticks doubled), and a name is carried between host
and controller hex-encoded, so no shell word splitting, no batch-mode escaping
and no newline in a name can change what runs.

    >>> quote_identifier("a`b")
    '`a``b`'
    >>> quote_string("it's")
    "'it''s'"
    >>> count_rows_sql(["users", "x`;DROP DATABASE mysql;#"])
    'SELECT 0, COUNT(*) FROM `users` UNION ALL SELECT 1, COUNT(*) FROM `x``;DROP DATABASE mysql;#`'
    >>> parse_hex_names("7573657273\\n\\n")
    ['users']
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

# The base tables of the client's current database, each name hex-encoded: one line a
# table whatever the name holds (tabs, newlines, backslashes, backticks).
BASE_TABLES_SQL = (
    "SELECT HEX(table_name) FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name"
)
# One "DROP TABLE IF EXISTS `name`;" line per table of the current database, the name
# quoted by MariaDB itself (backticks doubled), views and all, as the dump recreates them.
DROP_STATEMENTS_SQL = (
    "SELECT CONCAT('DROP TABLE IF EXISTS `', REPLACE(table_name, '`', '``'), '`;') "
    "FROM information_schema.tables WHERE table_schema = DATABASE()"
)
# Tables counted per statement: keeps one statement well under the 128 KiB a single
# command-line argument may take, whatever the table count.
COUNT_BATCH = 500


def quote_identifier(name: str) -> str:
    """``name`` as a MariaDB identifier: in backticks, each backtick doubled."""
    if "\x00" in name:
        raise ValueError("an identifier cannot contain a NUL character")
    return "`" + name.replace("`", "``") + "`"


def quote_string(value: str) -> str:
    """``value`` as a MariaDB string literal (works whatever the SQL mode says of ``\\``)."""
    if "\x00" in value:
        raise ValueError("a string literal here cannot contain a NUL character")
    # Doubling ' is valid in every mode; a backslash is escaped only outside
    # NO_BACKSLASH_ESCAPES, so a literal must not hold one unescaped: it is spelled
    # through CHAR() when present.
    if "\\" not in value:
        return "'" + value.replace("'", "''") + "'"
    parts = value.split("\\")
    quoted = ", CHAR(92), ".join("'" + part.replace("'", "''") + "'" for part in parts)
    return f"CONCAT({quoted})"


def count_rows_sql(tables: Sequence[str]) -> str:
    """One statement counting each table's rows, answered as ``index<TAB>count`` lines."""
    return " UNION ALL ".join(
        f"SELECT {index}, COUNT(*) FROM {quote_identifier(table)}"
        for index, table in enumerate(tables)
    )


def parse_hex_names(text: str) -> list[str]:
    """Names sent hex-encoded, one a line (as ``BASE_TABLES_SQL`` answers)."""
    return [
        bytes.fromhex(line.strip()).decode("utf-8") for line in text.splitlines() if line.strip()
    ]


def parse_counts(text: str, tables: Sequence[str]) -> dict[str, int]:
    """``index<TAB>count`` lines back to table → rows; an answer for no asked table is an error."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        index, _, count = line.strip().partition("\t")
        if not (index.isdigit() and count.isdigit() and int(index) < len(tables)):
            raise ValueError(f"unexpected line in the row counts: {line[:80]!r}")
        counts[tables[int(index)]] = int(count)
    return counts


def mariadb_command(database: str, sql: str, defaults_file: str | None = None) -> str:
    """A shell line running ``sql`` on ``database``, in batch mode without headers.

    Everything is shell-quoted: what reaches the host is one ``mariadb`` run, whatever
    ``sql`` holds.
    """
    client = "mariadb"
    if defaults_file:
        client += f" --defaults-extra-file={shlex.quote(defaults_file)}"
    return f"{client} -N -B -e {shlex.quote(sql)} {shlex.quote(database)}"


def drop_all_tables(database: str, client: str = "mariadb") -> str:
    """A shell line dropping every table and view of ``database``, names quoted by MariaDB.

    ``-r`` (raw) keeps MariaDB's batch output from escaping backslashes, tabs and
    newlines in a name: the statements are read back exactly as they were built.

        >>> print(drop_all_tables("demo"))  # doctest: +ELLIPSIS
        { echo 'SET FOREIGN_KEY_CHECKS=0;'; mariadb -N -B -r -e 'SELECT ... REPLACE(...
    """
    db = shlex.quote(database)
    return (
        f"{{ echo 'SET FOREIGN_KEY_CHECKS=0;'; "
        f"{client} -N -B -r -e {shlex.quote(DROP_STATEMENTS_SQL)} {db}; }} "
        f"| {client} {db}"
    )
