"""Which tables each of a parallel refresh's streams carries, and how many streams.

Tables go to streams the largest first, each to the stream with the least
work so far (a table's work is its bytes and a cost per row, estimated by the
caller) (the longest-processing-time rule, as mydumper balances its
threads): the biggest table starts at once and the streams end close
together. Within a stream the largest comes first too. Ties go by name (and
to the stream with fewer tables), so the same sizes always give the same plan.

    >>> [share.tables for share in partition({"posts": 900, "users": 500, "options": 400}, 2)]
    [('posts',), ('users', 'options')]
    >>> default_streams(source_cores=4, target_cores=2, tables=10)
    2
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# More streams than this buys nothing on the servers we see (and holds as many
# connections and snapshots open on production).
MAX_STREAMS = 8


@dataclass(frozen=True)
class Share:
    """One stream's tables, in the order it dumps them, and their work summed."""

    tables: tuple[str, ...]
    work: int


def partition(sizes: Mapping[str, int], streams: int) -> tuple[Share, ...]:
    """``sizes`` (table → its work, e.g. bytes) split into at most ``streams`` shares,
    none empty."""
    if streams < 1:
        raise ValueError(f"streams must be at least 1, not {streams}")
    shares: list[list[str]] = [[] for _ in range(min(streams, len(sizes)))]
    loads = [0] * len(shares)
    for table in sorted(sizes, key=lambda name: (-sizes[name], name)):
        lightest = min(range(len(shares)), key=lambda i: (loads[i], len(shares[i])))
        shares[lightest].append(table)
        loads[lightest] += sizes[table]
    return tuple(Share(tuple(tables), load) for tables, load in zip(shares, loads, strict=True))


def default_streams(*, source_cores: int, target_cores: int, tables: int) -> int:
    """As many streams as the smaller end has cores, never more tables than there are."""
    return max(1, min(source_cores, target_cores, tables, MAX_STREAMS))
