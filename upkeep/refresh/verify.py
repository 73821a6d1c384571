"""After the import: does the target hold what a refresh promises?

- every table has the rows the dump carried, but the truncated ones, which are empty;
- no e-mail address the sanitizer replaced is anywhere in the target
  (``upkeep.refresh.leaks``, by keyed fingerprints: the addresses are not kept);
- every PHP-serialized value that names the target's host parses, lengths and all.

The last two read one dump of the target, streamed through ``TargetScan``.

    >>> compare_counts({"users": 3, "log": 9}, {"users": 3, "log": 0}, {"log"})
    []
    >>> compare_counts({"users": 3}, {"users": 2}, set())
    ['users: 3 in the dump, 2 on the target']
    >>> compare_counts({"users": 3}, {"users": 3, "links": 0}, set())
    []
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Set
from dataclasses import dataclass, field

from upkeep.refresh import serialized
from upkeep.refresh.leaks import LeakReport, LeakScanner
from upkeep.refresh.sqldump import DumpRewriter, TablePlan, unquote


def compare_counts(
    dumped: Mapping[str, int], target: Mapping[str, int], truncated: Set[str]
) -> list[str]:
    """One line per table whose rows on the target are not what they should be."""
    wrong = []
    for table in sorted(set(dumped) | set(target)):
        want = 0 if table in truncated else dumped.get(table)
        have = target.get(table)
        # The dump's counts come from its rows: a table it created empty (WordPress's
        # wp_links) has none, and is right to be empty on the target.
        if want != have and not (want is None and have == 0):
            shown_want = "none (truncated)" if table in truncated else want
            wrong.append(f"{table}: {shown_want} in the dump, {have} on the target")
    return wrong


@dataclass(frozen=True)
class ScanReport:
    leaks: LeakReport
    serialized_checked: int
    serialized_broken: Mapping[str, int] = field(default_factory=dict)  # table → values


class TargetScan:
    """Feed it a dump of the target; ``close`` gives the leak and serialized findings."""

    def __init__(self, salt: bytes, fingerprints: Container[int], target_host: str) -> None:
        self._leaks = LeakScanner(salt, fingerprints)
        self._needle = target_host.encode()
        self._checked = 0
        self._broken: dict[str, int] = {}
        self._dump = DumpRewriter(self._plan)

    def feed(self, chunk: bytes) -> None:
        self._leaks.feed(chunk)
        self._dump.feed(chunk)

    def close(self) -> ScanReport:
        self._dump.close()
        return ScanReport(self._leaks.close(), self._checked, dict(self._broken))

    def _plan(self, table: str, columns: tuple[str, ...] | None) -> TablePlan:
        def check(literal: bytes) -> None:
            if literal[:1] == b"_":  # _binary '...'
                literal = literal[literal.index(b"'") :]
            raw = unquote(literal) or b""
            if not serialized.looks_serialized(raw):
                return None
            self._checked += 1
            try:
                serialized.loads(raw)
            except serialized.SerializedError:
                self._broken[table] = self._broken.get(table, 0) + 1
            return None

        def line(row: bytes) -> bytes | None:
            # A row that cannot hold a serialized value needs no look at each value.
            return None if serialized.may_be_in(row) else row

        return TablePlan(string=check, needles=(self._needle,), line=line)
