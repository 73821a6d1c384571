"""Database passwords full of shell and SQL characters work, rotate, and stay off argv.

The demo's database passwords are set (in the lab's secrets file, as an operator
would) to values holding ``"``, ``'``, ``#``, ``$(id)``, a backslash, spaces and a
non-ASCII letter. Provisioning production must give a site that answers its
health page (which queries the database through the .env's password), a
monitoring database check that passes (it reads the .env in shell), a dump user
whose .cnf works; rotating the secret must keep all of that (MariaDB stores the
new password's hash, not the old one's), and a third run must change nothing.
The password never reaching argv is proved by the unit tests of the operation
(tests/unit/tasks/test_mariadb_users.py); here no leftover SQL file may stay behind.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest
import yaml

from tasks.mariadb_users import native_password_hash
from upkeep.credentials import lab_secrets_file
from upkeep.inventory import load_project
from upkeep.monitor.facts import SiteDatabase
from upkeep.provision.workflow import provision
from upkeep.sqlnames import quote_string
from upkeep.ssh import check_root

from .conftest import RunningLab, model
from .hosts import get

FIRST = "a\"b'c #d $(id) `id` \\e ${HOME} é"
SECOND = 'rotated "x" #y $(touch /tmp/owned) \\z ünï'
ENV_FILE = "/srv/www/demo-production/shared/.env"
DUMP_CNF = "/etc/upkeep/demo-production-dump.cnf"


def _root(lab: RunningLab, script: str) -> str:
    host = load_project(lab.workspace, "demo").environment("production").hosts[0]
    return check_root(host, script, "test step").strip()


def _stored_hash(lab: RunningLab, user: str) -> str:
    sql = (
        "SELECT authentication_string FROM mysql.user "
        f"WHERE User = {quote_string(user)} AND Host = 'localhost'"
    )
    return _root(lab, f"mariadb -N -B -e {shlex.quote(sql)}")


def _set_secrets(password: str) -> None:
    path = lab_secrets_file()
    values = yaml.safe_load(path.read_text(encoding="utf-8"))
    values["demo_db_password"] = password
    values["demo_db_dump_password"] = password + " (dump)"
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def lab_secrets(provisioned: RunningLab, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The lab's secrets file is where these values come from; put back afterwards."""
    for name in ("UPKEEP_SECRET_DEMO_DB_PASSWORD", "UPKEEP_SECRET_DEMO_DB_DUMP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    path = lab_secrets_file()
    saved = path.read_bytes()
    yield
    path.write_bytes(saved)


def _provision_production(lab: RunningLab) -> list[str]:
    """The operations that changed something."""
    result = provision(lab.workspace, *model(lab.workspace), ["production"])
    assert result.ok, result.run.failed
    return [op.operation for op in result.run.ops if op.status.value == "changed"]


def _names(operations: list[str]) -> set[str]:
    """Operation names without their deploy's prefix ("MariaDB | ...")."""
    return {operation.rsplit(" | ", 1)[-1] for operation in operations}


def _works_with(lab: RunningLab, password: str) -> None:
    assert get(lab, "production", "/health.php").status == 200
    probe = SiteDatabase().process(_root(lab, SiteDatabase().command(ENV_FILE)).splitlines())
    assert probe.reachable, probe.error
    assert _stored_hash(lab, "demo") == native_password_hash(password)
    assert _stored_hash(lab, "demo_dump") == native_password_hash(password + " (dump)")
    # The dump user logs in with its .cnf (the refresh's and backups' way in).
    tables = _root(lab, f"mariadb --defaults-extra-file={DUMP_CNF} -N -B -e 'SHOW TABLES' demo")
    assert "users" in tables.split()
    assert _root(lab, "ls -A /root | grep -c '^.upkeep-account' || true") == "0"
    assert _root(lab, "test -e /tmp/owned && echo yes || echo no") == "no"


def test_a_password_full_of_quotes_and_shell_works_and_rotates(
    provisioned: RunningLab, lab_secrets: None
) -> None:
    _set_secrets(FIRST)
    assert _names(_provision_production(provisioned)) >= {"Database user demo"}
    _works_with(provisioned, FIRST)

    _set_secrets(SECOND)
    changed = _provision_production(provisioned)
    assert _names(changed) >= {"Database user demo", "Database user demo_dump"}
    _works_with(provisioned, SECOND)
    assert _stored_hash(provisioned, "demo") != native_password_hash(FIRST)

    assert _provision_production(provisioned) == []  # the third run changes nothing
