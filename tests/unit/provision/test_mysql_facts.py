"""MariaDB facts read in one client call: each fact gets the lines its own call prints.

The lines below are what ``mariadb -B`` prints (a result set's column names, then its
rows, tab-separated; nothing at all for an empty one); the lab's e2e check
(tests/e2e/test_provision_insync.py) runs the real client."""

from __future__ import annotations

from pyinfra.facts.mysql import MysqlDatabases, MysqlUserGrants

from tasks.mariadb_users import Account, AccountFact
from upkeep.provision.mysql_facts import MysqlRead, statement_of

HASH = "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"


def asked() -> list[tuple[object, dict[str, object]]]:
    grants = MysqlUserGrants()
    grants.command(user="demo")  # pyinfra's command() is what sets the statement
    return [
        (MysqlDatabases(), {}),
        (AccountFact(), {"user": "demo", "hostname": "localhost"}),
        (AccountFact(), {"user": "gone", "hostname": "localhost"}),
        (grants, {"user": "demo"}),
    ]


def test_each_fact_gets_what_its_own_call_prints() -> None:
    facts = asked()
    statements = [statement_of(fact, kwargs) for fact, kwargs in facts]  # type: ignore[arg-type]
    assert all(statements)
    read = MysqlRead([s for s in statements if s], mark="m")
    lines = [
        "CATALOG_NAME\tSCHEMA_NAME\tDEFAULT_CHARACTER_SET_NAME\tDEFAULT_COLLATION_NAME\tSQL_PATH\tSCHEMA_COMMENT",
        "def\tdemo\tutf8mb4\tutf8mb4_unicode_ci\tNULL\t",
        "m 0",
        "m 0",
        "plugin\tauthentication_string",
        f"mysql_native_password\t{HASH}",
        "m 1",
        "m 1",
        "m 2",  # no such account: an empty result set prints nothing
        "m 2",
        "Grants for demo@localhost",
        "GRANT USAGE ON *.* TO `demo`@`localhost`",
        "GRANT SELECT, INSERT ON `demo`.* TO `demo`@`localhost`",
        "m 3",
        "m 3",
    ]
    answers = read.split(0, lines)
    assert answers is not None
    values = [
        fact.process(out) if out else fact.default()
        for (fact, _), (_, out) in zip(facts, answers, strict=True)
    ]  # type: ignore[attr-defined]
    assert values[0]["demo"]["character_set"] == "utf8mb4"
    assert values[1] == Account("mysql_native_password", HASH)
    assert values[2] is None
    assert values[3]["`demo`.*"] == {"SELECT", "INSERT"}


def test_a_failed_statement_or_a_stray_marker_sends_every_fact_to_its_own_call() -> None:
    read = MysqlRead([("SELECT 1", True), ("SELECT 2", True)], mark="m")
    whole = ["1", "1", "m 0", "m 0", "2", "2", "m 1", "m 1"]
    assert read.split(0, whole) is not None
    assert read.split(1, whole) is None  # --force went on past an error: whose is unknown
    assert read.split(0, whole[:-2]) is None  # the last marker missing
    assert read.split(0, ["1", "m 0", "2", "m 1", "m 1"]) is None  # a marker not doubled
    assert read.split(0, ["##UPKEEP_NO_CLIENT##"]) is None


def test_facts_of_another_server_or_user_keep_their_own_call() -> None:
    grants = MysqlUserGrants()
    grants.command(user="demo", mysql_host="db.example")
    assert statement_of(grants, {"user": "demo", "mysql_host": "db.example"}) is None
