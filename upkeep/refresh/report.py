"""A refresh's row counts, the values its report shows (upkeep.reports.refresh writes it).

They add up: one table of, per table, the rows in the source's dump, the rows
a truncate rule emptied and the rows on the target after the refresh, a totals
row, and a sentence that checks copied + emptied = dumped and counted after =
copied (``row_counts``).

    >>> counts = RowCounts((TableRows("users", 200, False, 200),), dumped=200)
    >>> counts.adds_up, counts.to_dict("production", "staging")["totals"]["copied"]
    (True, 200)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from upkeep.refresh.workflow import RefreshReport


@dataclass(frozen=True)
class TableRows:
    """One table's rows on the way."""

    table: str
    dumped: int | None  # rows in the source's dump; None: not known for this table alone
    truncated: bool  # a truncate rule emptied it
    after: int  # rows on the target after the refresh, as the verify step counted them

    @property
    def emptied(self) -> int | None:
        return self.dumped if self.truncated else 0

    @property
    def copied(self) -> int | None:
        return 0 if self.truncated else self.dumped


@dataclass(frozen=True)
class RowCounts:
    """The per-table rows, their totals, and whether they agree."""

    tables: tuple[TableRows, ...]
    dumped: int  # the dump's rows, as the transformer counted them

    @property
    def copied(self) -> int:
        return sum(t.copied or 0 for t in self.tables)

    @property
    def emptied(self) -> int:
        """Rows emptied by truncate rules: the truncated tables' rows in the dump."""
        each = [t.emptied for t in self.tables]
        if None in each:  # several truncated tables, not counted one by one: the dump's rest
            return self.dumped - self.copied
        return sum(e or 0 for e in each)

    @property
    def after(self) -> int:
        return sum(t.after for t in self.tables)

    @property
    def adds_up(self) -> bool:
        return self.copied + self.emptied == self.dumped and self.after == self.copied

    def sentence(self, source: str, target: str) -> str:
        """The sums, said: copied + emptied = dumped; counted after = copied (≠ where not)."""
        dump_sum = "=" if self.copied + self.emptied == self.dumped else "≠"
        verified = "=" if self.after == self.copied else "≠"
        said = (
            f"{self.copied} rows copied + {self.emptied} emptied by truncate rules {dump_sum} "
            f"{self.dumped} rows in {source}'s dump; {self.after} rows counted on {target} "
            f"after the refresh {verified} the {self.copied} copied."
        )
        return said if self.adds_up else f"These counts do not add up: {said}"

    def to_dict(self, source: str, target: str) -> dict[str, Any]:
        return {
            "tables": [
                {**asdict(t), "emptied": t.emptied, "copied": t.copied} for t in self.tables
            ],
            "totals": {
                "dumped": self.dumped,
                "emptied": self.emptied,
                "copied": self.copied,
                "after": self.after,
            },
            "adds_up": self.adds_up,
            "sentence": self.sentence(source, target),
        }


def row_counts(report: RefreshReport) -> RowCounts | None:
    """The counts of a refresh whose rows were verified (None: nothing was counted).

    Per table, the dump's rows are the transformer's (``report.dumped``) when the
    report carries them. Otherwise they are read back from what was verified: a
    table no rule truncates holds on the target exactly its rows in the dump (the
    verify step fails the refresh if not), and the truncated tables hold the rest
    of the dump's total (``data.rows``), known per table when only one was truncated.
    """
    if not report.rows:
        return None
    emptied = set(report.data.truncated)
    carried: Mapping[str, int] = getattr(report, "dumped", None) or {}
    names = sorted(set(report.rows) | set(carried) | emptied)
    if carried:
        dumped = {t: carried.get(t, 0) for t in names}
    else:
        dumped = {t: report.rows.get(t, 0) for t in names if t not in emptied}
    total = report.data.rows if report.data.tables else sum(dumped.values())
    unknown = [t for t in names if t not in dumped]
    if len(unknown) == 1:
        dumped[unknown[0]] = total - sum(dumped.values())
    tables = tuple(TableRows(t, dumped.get(t), t in emptied, report.rows.get(t, 0)) for t in names)
    return RowCounts(tables, total)
