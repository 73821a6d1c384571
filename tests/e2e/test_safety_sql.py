"""Table names are data: a refresh copies a table named like SQL and never runs its name.

On production the site's own user could create ``x`;DROP DATABASE mysql;#``; the
refresh counts and drops staging's tables as MariaDB's root, so a name spliced
into SQL or a shell line would drop staging's ``mysql`` database. Two refreshes
in a row: the first counts the odd tables on staging (verify), the second also
drops them there before loading (the import's first step). Afterwards the test
drops them again on both sides.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator

import pytest

from upkeep.cli.main import main
from upkeep.inventory import load_project
from upkeep.sqlnames import quote_identifier
from upkeep.ssh import check_root

from .conftest import RunningLab

ODD_TABLES = {
    "x`;DROP DATABASE mysql;#": 3,
    # No space, so even a shell loop's word splitting keeps it whole: the SQL it carries.
    "y`;DROP/**/DATABASE/**/mysql;#": 4,
    'it\'s a "table" $(id) \\ é': 2,
}


def _root(lab: RunningLab, environment: str, script: str) -> str:
    host = load_project(lab.workspace, "demo").environment(environment).hosts[0]
    return check_root(host, script, "test step").strip()


def _sql(lab: RunningLab, environment: str, sql: str) -> str:
    return _root(lab, environment, f"mariadb -N -B -e {shlex.quote(sql)} demo")


def _rows(lab: RunningLab, environment: str, table: str) -> int:
    return int(_sql(lab, environment, f"SELECT COUNT(*) FROM {quote_identifier(table)}"))


def _has_mysql_database(lab: RunningLab, environment: str) -> bool:
    found = _root(lab, environment, "mariadb -N -B -e \"SHOW DATABASES LIKE 'mysql'\"")
    return found == "mysql"


@pytest.fixture
def odd_tables(provisioned: RunningLab) -> Iterator[RunningLab]:
    for table, rows in ODD_TABLES.items():
        name = quote_identifier(table)
        values = ", ".join(f"({n})" for n in range(rows))
        _sql(provisioned, "production", f"CREATE TABLE {name} (id INT PRIMARY KEY)")
        _sql(provisioned, "production", f"INSERT INTO {name} VALUES {values}")
    yield provisioned
    for environment in ("production", "staging"):
        for table in ODD_TABLES:
            _sql(provisioned, environment, f"DROP TABLE IF EXISTS {quote_identifier(table)}")


def test_a_refresh_copies_tables_named_like_sql_and_runs_none_of_it(
    odd_tables: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    root = ["--root", str(odd_tables.workspace.root)]
    for attempt in ("first", "second"):
        code = main([*root, "refresh", "demo", "--yes", "--json"])
        out, err = capsys.readouterr()
        # First what a name spliced into SQL would have done, then the refresh's own word.
        assert _has_mysql_database(odd_tables, "staging"), f"after the {attempt} refresh"
        assert code == 0, f"{attempt} refresh: {err[-800:]}"
        verify = next(s for s in json.loads(out)["data"]["steps"] if s["name"] == "verify")
        assert "counts match" in json.dumps(verify), verify
        for table, rows in ODD_TABLES.items():
            assert _rows(odd_tables, "staging", table) == rows, (attempt, table)
    assert _has_mysql_database(odd_tables, "production")
