"""The refresh's database copy: the commands on each side, in one stream or in several.

One stream is one ``mariadb-dump`` of the whole database, in one
transaction, imported by one session (``upkeep.refresh.stream``). Several
(``upkeep.refresh.parallel``) share the base tables out, largest first
(``upkeep.refresh.partition``), each dumped from the same moment of the
source and imported by its own session; then the routines and events, then
the views. Either way each stream goes through its own transformer, and the
target's tables are dropped first. The wire is zstd where both hosts have it
(``upkeep.refresh.wire``).

    >>> print(table_dump_command("dump.cnf", "demo", ["users"]))
    mariadb-dump --defaults-extra-file=dump.cnf -v --single-transaction --quick --skip-add-locks --triggers -- demo users
    >>> hosts = ask_hosts(ends.source, ends.target)  # doctest: +SKIP
    >>> stats = copy(replace(ends, wire=hosts.wire), facts, streams(facts, None, hosts.cores)[0], Passthrough)  # doctest: +SKIP
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from upkeep.inventory import Host
from upkeep.refresh import parallel, stream, wire
from upkeep.refresh.backup import BackupPlan, drop_all_tables
from upkeep.refresh.partition import default_streams, partition
from upkeep.refresh.preflight import SourceFacts
from upkeep.refresh.wire import GZIP, Wire
from upkeep.ssh import check_root, root_command, ssh_argv

# --skip-add-locks: no LOCK TABLES … WRITE around a table's rows. A parent table loaded
# under that lock fails at its next INSERT once another stream creates a child of it (a
# foreign key to it): MariaDB's ERROR 1100, the child "was not locked with LOCK TABLES".
TABLE_DUMP_OPTIONS = (
    "--single-transaction --quick --skip-add-locks --triggers"  # routines and events: below
)
# The routines and events are read by root over the source's socket, not by the dump
# user: MariaDB shows a stored function's or procedure's body only to its definer or to
# whoever may SELECT from mysql.proc, and that grant would show the dump user every
# database's routines on a shared server. Root's dump reads this database's alone.
ROUTINES_DUMP_OPTIONS = (
    "--single-transaction --no-create-info --no-data --skip-triggers --routines --events"
)
# What a row costs the import beside its bytes, in bytes: measured on bench_refresh's
# data, a table of many small rows (orders) loads at a third of the bytes per second of
# one of few big rows (products); about 200 bytes a row makes both cost what they take.
# A table whose rows the transformer drops (truncated) is read and carried, never loaded:
# its bytes alone.
ROW_COST = 200
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Ends:
    """Where the database comes from (read as the dump user) and where it goes."""

    source: Host
    dump_defaults: str  # the source's read-only dump user's client settings
    source_database: str
    target: Host
    plan: BackupPlan  # the target's database (and how it is emptied)
    wire: Wire = GZIP  # how the dump is packed between the hosts (``ask_hosts``)


@dataclass(frozen=True)
class HostTraits:
    """What the copy asks of both hosts before it starts."""

    cores: tuple[int, int]  # the source's, the target's
    wire: Wire  # zstd when both have it, else gzip


def ask_hosts(source: Host, target: Host) -> HostTraits:
    """Both hosts' cores and whether they have zstd: one command each, both at once."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        (source_cores, source_zstd), (target_cores, target_zstd) = pool.map(_ask, (source, target))
    return HostTraits((source_cores, target_cores), wire.chosen([source_zstd, target_zstd]))


def _ask(host: Host) -> tuple[int, str]:
    words = check_root(host, f"nproc; {wire.PROBE}", "asking for cores and zstd").split()
    cores = int(words[0]) if words and words[0].isdigit() else 1
    return max(cores, 1), " ".join(words[1:])


def streams(
    facts: SourceFacts | None, wanted: int | None, cores: tuple[int, int]
) -> tuple[int, str]:
    """How many streams (``wanted``, or the smaller end's ``cores`` when None), and why
    only one where more were possible."""
    sizes = facts.sizes if facts else {}
    if wanted == 1 or len(sizes) < 2 or facts is None:
        return 1, ""
    odd = [name for name in facts.columns if not _plain(name)]
    if odd:
        return 1, f" (a table's name holds a control character or a backslash: {odd[0]!r})"
    if wanted is not None:
        return min(wanted, len(sizes)), ""
    source, target = cores
    return default_streams(source_cores=source, target_cores=target, tables=len(sizes)), ""


def _plain(name: str) -> bool:
    """A name the information_schema's batch output carries as it is, fit for argv."""
    return "\\" not in name and all(ord(c) >= 32 and c != "\x7f" for c in name)


def copy(
    ends: Ends,
    facts: SourceFacts | None,
    count: int,
    transform: Callable[[], stream.Transform],
    progress: Progress = lambda _in, _out: None,
    *,
    dropped: Collection[str] = (),
) -> stream.StreamStats:
    """The source's database into the target's, in ``count`` streams (see ``streams``);
    ``dropped``: tables whose rows the transformer drops (they weigh less)."""
    if count == 1 or facts is None:
        return stream.pipe(
            _source(ends, dump_command(ends.dump_defaults, ends.source_database)),
            ssh_argv(ends.target, root_command(load_command(ends.plan, ends.wire))),
            transform(),
            progress,
            wire=ends.wire,
        )
    check_root(ends.target, drop_all_tables(ends.plan), "emptying the target's database")
    load = ssh_argv(ends.target, root_command(import_command(ends.plan, ends.wire)))
    tables = table_work(facts, dropped)
    routes = [
        parallel.Route(
            _source(
                ends, table_dump_command(ends.dump_defaults, ends.source_database, share.tables)
            ),
            load,
        )
        for share in partition(tables, count)
    ]
    others = sorted(set(facts.columns) - set(tables))
    after = [
        parallel.Route(
            _source(ends, after_tables_command(ends.dump_defaults, ends.source_database, others)),
            load,
        )
    ]
    lock = ssh_argv(
        ends.source,
        root_command(
            f"mariadb --defaults-extra-file={shlex.quote(ends.dump_defaults)} -N -B --unbuffered "
            f"{shlex.quote(ends.source_database)}"
        ),
    )
    stats, _ = parallel.run(
        lock, sorted(tables), routes, after, transform, progress, wire=ends.wire
    )
    return stats


def table_work(facts: SourceFacts, dropped: Collection[str] = ()) -> dict[str, int]:
    """What each base table costs to carry and load: its bytes and ``ROW_COST`` a row
    (its bytes alone when its rows are ``dropped``, not loaded)."""
    return {
        name: size.bytes + (0 if name in dropped else ROW_COST * size.rows)
        for name, size in facts.sizes.items()
    }


def _source(ends: Ends, dump: str) -> list[str]:
    return ssh_argv(ends.source, root_command(f"{dump} | {ends.wire.pack}"))


def dump_command(defaults_file: str, database: str) -> str:
    """The source's side in one stream: ``database``'s routines and events
    (``routines_command``), then one consistent snapshot of its tables and views, as the
    read-only user. The routines come first so that a view calling one finds it.

    >>> print(dump_command("dump.cnf", "demo"))  # doctest: +NORMALIZE_WHITESPACE
    { mariadb-dump --single-transaction --no-create-info --no-data --skip-triggers --routines
      --events -- demo && mariadb-dump --defaults-extra-file=dump.cnf --single-transaction
      --quick --skip-add-locks --triggers -- demo; }
    """
    tables = (
        f"mariadb-dump --defaults-extra-file={shlex.quote(defaults_file)} {TABLE_DUMP_OPTIONS} "
        f"-- {shlex.quote(database)}"
    )
    return f"{{ {routines_command(database)} && {tables}; }}"


def routines_command(database: str) -> str:
    """``database``'s stored routines and events, as root (see ``ROUTINES_DUMP_OPTIONS``)."""
    return f"mariadb-dump {ROUTINES_DUMP_OPTIONS} -- {shlex.quote(database)}"


def load_command(plan: BackupPlan, packed: Wire) -> str:
    """The target's side: its tables dropped, then the packed dump on stdin imported."""
    return f"{drop_all_tables(plan)} && {import_command(plan, packed)}"


def import_command(plan: BackupPlan, packed: Wire) -> str:
    """One stream's side on the target: the packed dump on stdin imported."""
    return f"{packed.unpack} | mariadb {shlex.quote(plan.database)}"


def table_dump_command(defaults_file: str, database: str, tables: Sequence[str]) -> str:
    """One stream's side on the source: ``tables``, each's rows then its triggers, from a
    snapshot of its own (``-v`` says on stderr when it is open; ``--`` ends the options,
    so no name is read as one)."""
    names = " ".join(shlex.quote(table) for table in tables)
    return (
        f"mariadb-dump --defaults-extra-file={shlex.quote(defaults_file)} -v "
        f"{TABLE_DUMP_OPTIONS} -- {shlex.quote(database)} {names}"
    )


def after_tables_command(defaults_file: str, database: str, others: Sequence[str]) -> str:
    """What depends on the tables, dumped once they are in: the routines and events (as
    root, see ``ROUTINES_DUMP_OPTIONS``), then the views (and any other object that is not
    a base table), one dump after the other on one stream."""
    routines = routines_command(database)
    if not others:
        return routines
    dump = f"mariadb-dump --defaults-extra-file={shlex.quote(defaults_file)} --single-transaction"
    names = " ".join(shlex.quote(name) for name in others)
    return f"{{ {routines} && {dump} --quick --skip-triggers -- {shlex.quote(database)} {names}; }}"
