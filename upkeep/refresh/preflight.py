"""Read-only looks at a refresh's two ends, before anything changes.

From the source, with the read-only dump user: the tables, their columns in
order (the sanitize rules are checked against them) and their sizes (for the
ETA and the space check). From the target: the free space where the database
and the shared files live, and what the database takes now.

    >>> parse_columns("users\\tid\\nusers\\temail\\norders\\tid\\n")
    {'users': ('id', 'email'), 'orders': ('id',)}
    >>> parse_sizes("users\\t16384\\t200\\norders\\t98304\\t1000\\n")["orders"]
    TableSize(bytes=98304, rows=1000)
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from upkeep import sqlnames
from upkeep.errors import RunFailed
from upkeep.inventory import Host
from upkeep.ssh import check_root

DATADIR = "/var/lib/mysql"
# Room kept free beyond what the import needs: InnoDB grows files in extents,
# and the logs and the backup want some too.
SPACE_MARGIN = 64 * 1024 * 1024


@dataclass(frozen=True)
class TableSize:
    bytes: int  # data and indexes, as InnoDB's statistics say (an estimate)
    rows: int  # an estimate too, for InnoDB


@dataclass(frozen=True)
class SourceFacts:
    columns: Mapping[str, tuple[str, ...]]  # table → columns, in order
    sizes: Mapping[str, TableSize]

    @property
    def bytes(self) -> int:
        return sum(size.bytes for size in self.sizes.values())

    @property
    def rows(self) -> int:
        return sum(size.rows for size in self.sizes.values())


@dataclass(frozen=True)
class TargetSpace:
    database_free: int  # bytes free where the database's files are
    database_used: int  # bytes the target database takes now (freed when its tables go)

    def shortfall(self, source: SourceFacts) -> int:
        """Bytes missing for the import (0: it fits)."""
        need = source.bytes + SPACE_MARGIN
        have = self.database_free + self.database_used
        return max(need - have, 0)


def source_facts(host: Host, database: str, defaults_file: str) -> SourceFacts:
    """Tables, columns and sizes of ``database``, read as the dump user (read-only)."""
    columns = check_root(
        host,
        _query(
            defaults_file,
            database,
            "SELECT table_name, column_name FROM information_schema.columns "
            # DATABASE(): the name is the client's argument, never spliced into SQL.
            "WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position",
        ),
        f"reading the tables of {database}",
    )
    sizes = check_root(
        host,
        _query(
            defaults_file,
            database,
            "SELECT table_name, data_length + index_length, COALESCE(table_rows, 0) "
            "FROM information_schema.tables WHERE table_schema = DATABASE() "
            "AND table_type = 'BASE TABLE'",
        ),
        f"reading the sizes of {database}",
    )
    return SourceFacts(parse_columns(columns), parse_sizes(sizes))


def target_space(host: Host, database: str) -> TargetSpace:
    directory = shlex.quote(f"{DATADIR}/{database}")
    script = (
        f"mkdir -p {directory} 2>/dev/null; df -B1 --output=avail {directory} | tail -n 1; "
        f"du -sB1 {directory} | cut -f1"
    )
    out = check_root(host, script, "reading the free space").split()
    if len(out) != 2 or not all(part.isdigit() for part in out):
        raise RunFailed(f"could not read the free space on {host.name}: {' '.join(out)[:200]}")
    return TargetSpace(int(out[0]), int(out[1]))


def table_counts(host: Host, database: str, defaults: str | None = None) -> dict[str, int]:
    """Exact rows per base table; as ``defaults``' user (the read-only one on a source).

    The names are read hex-encoded and the counting SQL is built here with each name
    quoted (``upkeep.sqlnames``): a table's name is data, never SQL or shell.
    """
    listed = check_root(
        host,
        sqlnames.mariadb_command(database, sqlnames.BASE_TABLES_SQL, defaults),
        f"listing the tables of {database}",
    )
    tables = sqlnames.parse_hex_names(listed)
    counts: dict[str, int] = {}
    for start in range(0, len(tables), sqlnames.COUNT_BATCH):
        batch = tables[start : start + sqlnames.COUNT_BATCH]
        out = check_root(
            host,
            sqlnames.mariadb_command(database, sqlnames.count_rows_sql(batch), defaults),
            f"counting rows in {database}",
        )
        try:
            counts.update(sqlnames.parse_counts(out, batch))
        except ValueError as error:
            raise RunFailed(f"counting rows in {database} on {host.name}: {error}") from None
    return counts


def parse_columns(text: str) -> dict[str, tuple[str, ...]]:
    columns: dict[str, list[str]] = {}
    for line in text.splitlines():
        table, _, column = line.partition("\t")
        if column:
            columns.setdefault(table, []).append(column)
    return {table: tuple(names) for table, names in columns.items()}


def parse_sizes(text: str) -> dict[str, TableSize]:
    sizes = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            sizes[parts[0]] = TableSize(int(parts[1]), int(parts[2]))
    return sizes


def _query(defaults_file: str, database: str, sql: str) -> str:
    return (
        f"mariadb --defaults-extra-file={shlex.quote(defaults_file)} -N -B "
        f"-e {shlex.quote(sql)} {shlex.quote(database)}"
    )
