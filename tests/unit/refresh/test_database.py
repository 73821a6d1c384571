"""How many streams a refresh's database takes, and what each side runs (no host needed)."""

from __future__ import annotations

import shlex

import pytest

from upkeep.inventory import Host
from upkeep.layout import SiteLayout
from upkeep.refresh.backup import BackupPlan
from upkeep.refresh.database import (
    Ends,
    after_tables_command,
    dump_command,
    streams,
    table_dump_command,
    table_work,
)
from upkeep.refresh.partition import partition
from upkeep.refresh.preflight import SourceFacts, TableSize

ENDS = Ends(
    Host(name="prod", address="10.0.0.1"),
    "dump.cnf",
    "demo",
    Host(name="stage", address="10.0.0.2"),
    BackupPlan.of(SiteLayout.of("demo", "staging"), "demo", (), keep=1),
)


def _facts(*tables: str, views: tuple[str, ...] = ()) -> SourceFacts:
    return SourceFacts(
        {name: ("id",) for name in (*tables, *views)},
        {name: TableSize(1000, 10) for name in tables},
    )


@pytest.mark.parametrize(
    ("facts", "wanted", "expected"),
    [
        (_facts("a", "b", "c"), 2, 2),
        (_facts("a", "b", "c"), 8, 3),  # never more streams than tables
        (_facts("a", "b", "c"), 1, 1),
        (_facts("a", views=("v",)), 4, 1),  # one table: nothing to share
    ],
)
def test_the_streams_asked_for_as_far_as_the_tables_go(
    facts: SourceFacts, wanted: int, expected: int
) -> None:
    assert streams(ENDS, facts, wanted) == (expected, "")


def test_a_name_batch_output_would_mangle_keeps_the_single_stream() -> None:
    count, why = streams(ENDS, _facts("a", "b", "odd\\name"), 2)
    assert count == 1 and "backslash" in why and "odd" in why


def test_each_stream_dumps_its_tables_with_names_after_the_end_of_the_options() -> None:
    command = table_dump_command("dump.cnf", "demo", ["users", "--where=1", "it's"])
    words = shlex.split(command)
    assert words[words.index("--") :] == ["--", "demo", "users", "--where=1", "it's"]
    assert "-v" in words and "--single-transaction" in words and "--routines" not in words


def test_routines_and_events_come_before_the_views_after_the_tables() -> None:
    command = after_tables_command("dump.cnf", "demo", ["v1", "v2"])
    words = shlex.split(command)
    routines = words.index("--routines")
    assert words.index("v1") > routines and "--no-data" in words[:routines]
    assert command.endswith(" -- demo v1 v2; }")
    assert "v1" not in shlex.split(after_tables_command("dump.cnf", "demo", []))


def test_routines_are_read_by_root_and_tables_by_the_dump_user_routines_first() -> None:
    # The dump user may not read a stored function's body (MariaDB shows it to its
    # definer, or to whoever may read mysql.proc: every database's routines).
    for command in (
        dump_command("dump.cnf", "demo"),
        after_tables_command("dump.cnf", "demo", ["v"]),
    ):
        parts = [shlex.split(part) for part in command.strip("{} ;").split(" && ")]
        routines, tables = parts
        assert "--routines" in routines and not any(w.startswith("--defaults") for w in routines)
        assert "--defaults-extra-file=dump.cnf" in tables and "--routines" not in tables


def test_many_small_rows_weigh_more_than_their_bytes_alone() -> None:
    facts = SourceFacts(
        {},
        {
            "products": TableSize(400_000_000, 220_000),  # few big rows
            "orders": TableSize(150_000_000, 1_450_000),  # many small ones
            "users": TableSize(25_000_000, 198_000),
            "activity_log": TableSize(40_000_000, 308_000),
        },
    )
    shares = partition(table_work(facts), 2)
    # By bytes alone orders, users and the log would share a stream, which took longest.
    assert [share.tables for share in shares] == [("products", "users"), ("orders", "activity_log")]
