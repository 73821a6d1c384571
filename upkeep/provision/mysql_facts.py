"""MariaDB facts of one host in one client call, not a client each.

A no-op check reads five MariaDB facts per host (the databases, and each site
user's account and grants), each by starting the client, connecting and
querying: a third of the host's CPU for the check once the file facts were
shared. Here their statements go to one ``mariadb -B --force`` call, each
followed by a marker statement, and each fact gets the lines its own call
prints (without the column names where its own call had ``-N``), for its own
``process()``.

Anything unusual and the facts are read alone, as pyinfra does: a statement
that failed (the client exits non-zero; which one is not known), a client
missing, a marker out of place.

    >>> read = MysqlRead([("SELECT 1", True), ("SELECT 2", False)], mark="m")
    >>> read.split(0, ["1", "1", "m 0", "m 0", "2", "2", "m 1", "m 1"])
    [(0, ['1', '1']), (0, ['2'])]
    >>> read.split(1, ["m 0", "m 0", "m 1", "m 1"]) is None
    True
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyinfra.api import FactBase
from pyinfra.facts.mysql import MysqlDatabases, MysqlUserGrants

from tasks.mariadb_users import AccountFact

MYSQL = "mariadb"
_CONNECTION = ("mysql_user", "mysql_password", "mysql_host", "mysql_port")
_MISSING = "##UPKEEP_NO_CLIENT##"


def statement_of(fact: FactBase, fact_kwargs: dict[str, Any]) -> tuple[str, bool] | None:
    """The fact's SQL and whether its own call prints column names; None: read it alone."""
    if type(fact) in (MysqlDatabases, MysqlUserGrants):
        if any(fact_kwargs.get(name) for name in _CONNECTION):
            return None  # another server or user: its own connection
        return str(fact.mysql_command), True  # type: ignore[attr-defined]
    if type(fact) is AccountFact:
        return AccountFact.statement(**fact_kwargs), False
    return None


@dataclass(frozen=True)
class MysqlRead:
    """One client call answering each of ``statements`` (SQL, column names printed)."""

    statements: Sequence[tuple[str, bool]]
    mark: str = field(default_factory=lambda: f"upkeep-{secrets.token_hex(8)}")

    @property
    def command(self) -> str:
        sql = " ".join(
            f"{statement}; SELECT '{self.mark} {i}';"
            for i, (statement, _) in enumerate(self.statements)
        )
        return (
            f"if command -v mysql >/dev/null 2>&1 && command -v {MYSQL} >/dev/null 2>&1; "
            f"then {MYSQL} -B --force -e {shlex.quote(sql)}; else echo '{_MISSING}'; fi"
        )

    def split(self, code: int, lines: list[str]) -> list[tuple[int, list[str]]] | None:
        """Each statement's lines as its own call prints them; None if unsure."""
        if code != 0:
            return None
        outputs: list[list[str]] = []
        current: list[str] = []
        rest = iter(lines)
        for line in rest:
            if line == f"{self.mark} {len(outputs)}":
                if next(rest, None) != line:  # the marker's column name, then its value
                    return None
                outputs.append(current)
                current = []
            else:
                current.append(line)
        if current or len(outputs) != len(self.statements):
            return None
        return [
            (0, out if headers or not out else out[1:])
            for (_, headers), out in zip(self.statements, outputs, strict=True)
        ]
