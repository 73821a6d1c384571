"""How many streams a refresh's database takes, and what each side runs (no host needed)."""

from __future__ import annotations

import shlex

import pytest

from upkeep.refresh.database import (
    after_tables_command,
    dump_command,
    streams,
    table_dump_command,
    table_work,
)
from upkeep.refresh.partition import partition
from upkeep.refresh.preflight import SourceFacts, TableSize


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
    assert streams(facts, wanted, (4, 4)) == (expected, "")


def test_a_name_batch_output_would_mangle_keeps_the_single_stream() -> None:
    count, why = streams(_facts("a", "b", "odd\\name"), 2, (4, 4))
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


def test_a_table_whose_rows_are_dropped_weighs_its_bytes_alone() -> None:
    """As measured on the bench: products+activity_log ended 8 s before orders+users."""
    facts = SourceFacts(
        {},
        {
            "products": TableSize(456_032_256, 192_500),
            "orders": TableSize(209_453_056, 1_442_112),
            "users": TableSize(32_604_160, 197_324),
            "activity_log": TableSize(33_095_680, 307_101),
        },
    )
    assert [share.tables for share in partition(table_work(facts), 2)] == [
        ("orders", "users"),
        ("products", "activity_log"),
    ]
    assert [
        share.tables for share in partition(table_work(facts, dropped={"activity_log"}), 2)
    ] == [("orders", "activity_log"), ("products", "users")]


def test_by_default_as_many_streams_as_the_smaller_host_has_cores() -> None:
    assert streams(_facts("a", "b", "c"), None, (4, 2)) == (2, "")
    assert streams(_facts("a", "b", "c"), None, (8, 8)) == (3, "")
