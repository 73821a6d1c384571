"""How a parallel refresh shares the tables among its streams."""

from __future__ import annotations

import pytest

from upkeep.refresh.partition import MAX_STREAMS, Share, default_streams, partition


def test_the_largest_table_goes_first_each_to_the_least_loaded_stream() -> None:
    sizes = {"a": 10, "b": 70, "c": 30, "d": 40, "e": 20}
    assert partition(sizes, 2) == (Share(("b", "e"), 90), Share(("d", "c", "a"), 80))


def test_every_table_is_carried_exactly_once() -> None:
    sizes = {f"t{i}": (i * 7919) % 1000 for i in range(200)}
    shares = partition(sizes, 3)
    carried = [table for share in shares for table in share.tables]
    assert sorted(carried) == sorted(sizes)
    assert [share.work for share in shares] == [
        sum(sizes[table] for table in share.tables) for share in shares
    ]


def test_the_streams_end_close_together() -> None:
    sizes = {f"t{i}": 1 + (i * 7919) % 1000 for i in range(200)}
    loads = [share.work for share in partition(sizes, 4)]
    assert max(loads) - min(loads) <= max(sizes.values())


def test_one_huge_table_has_a_stream_to_itself() -> None:
    sizes = {"log": 10_000, "users": 30, "posts": 20, "options": 10}
    assert partition(sizes, 2) == (
        Share(("log",), 10_000),
        Share(("users", "posts", "options"), 60),
    )


def test_one_stream_carries_everything_largest_first() -> None:
    assert partition({"a": 1, "b": 3, "c": 2}, 1) == (Share(("b", "c", "a"), 6),)


def test_never_an_empty_stream() -> None:
    assert partition({"a": 5, "b": 5}, 4) == (Share(("a",), 5), Share(("b",), 5))
    assert partition({}, 3) == ()


def test_ties_go_by_name_so_the_plan_is_always_the_same() -> None:
    sizes = {"c": 0, "a": 0, "b": 0}
    assert partition(sizes, 2) == (Share(("a", "c"), 0), Share(("b",), 0))


def test_zero_streams_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        partition({"a": 1}, 0)


@pytest.mark.parametrize(
    ("source", "target", "tables", "expected"),
    [(4, 2, 10, 2), (2, 8, 10, 2), (16, 16, 3, 3), (64, 64, 500, MAX_STREAMS), (1, 1, 0, 1)],
)
def test_the_default_is_the_smaller_end_s_cores(
    source: int, target: int, tables: int, expected: int
) -> None:
    assert default_streams(source_cores=source, target_cores=target, tables=tables) == expected
