"""The MariaDB task: accounts whose password never reaches argv and follows the secret,
and the password written into the .env and the dump user's .cnf, quoted for each reader.

The operation is tested pyinfra style (facts in, commands out). The .env is read back
by the demo site's own PHP (bootstrap.php, run by the local ``php``) and by the
monitoring's shell reader (run by ``sh``, as pyinfra runs facts).
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import stat
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from pyinfra.api import FileUploadCommand
from pyinfra.context import ctx_host

from tasks.mariadb import dump_defaults_text, option_value
from tasks.mariadb_users import Account, AccountFact, database_user, native_password_hash
from tests.unit.pyinfra_style import FakeHost
from upkeep import envfile
from upkeep.desired import SiteState
from upkeep.monitor.facts import DatabaseProbe, SiteDatabase
from upkeep.templating import REPOSITORY_DIR, render

# Everything a careless quoting breaks: both quotes, a comment sign, shell expansions,
# backslashes (one at the very end), spaces at both ends, non-ASCII, a leading '"'.
TRICKY = ' "a"b\'c #d $(id) `id` ${HOME} \\e é ü\\'
WRAPPED = '"looks quoted"'  # a value a naive reader would unwrap


def _commands(host: FakeHost, **kwargs: Any) -> list[Any]:
    """What the operation yields, as objects (an upload keeps its file here)."""
    with ctx_host.use(host):
        return list(database_user._inner(**kwargs))


def _uploaded(command: Any) -> str:
    assert isinstance(command, FileUploadCommand) and isinstance(command.src, StringIO)
    return command.src.getvalue()


def test_native_password_hash_is_what_mariadb_stores() -> None:
    # MariaDB's own PASSWORD('password'), as documented for mysql_native_password.
    assert native_password_hash("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"


def test_a_new_account_is_created_from_the_hash_and_the_password_is_in_no_command() -> None:
    host = FakeHost({"AccountFact": None})
    upload, run = _commands(host, user="demo", password=TRICKY)
    sql = _uploaded(upload)
    wanted = native_password_hash(TRICKY)
    assert f"CREATE USER IF NOT EXISTS `demo`@`localhost` IDENTIFIED BY PASSWORD '{wanted}'" in sql
    assert f"ALTER USER `demo`@`localhost` IDENTIFIED BY PASSWORD '{wanted}'" in sql
    assert upload.dest.startswith("/root/")  # root-only: no other user reads it meanwhile
    assert isinstance(run, str) and f"mariadb < {upload.dest}" in run and "rm -f" in run
    # Neither the password nor any piece of it is on a command line or in the SQL.
    for text in (sql, run, upload.dest):
        assert TRICKY not in text and "#d $(id)" not in text
    assert host.asked == [("AccountFact", {"user": "demo", "hostname": "localhost"})]


def test_an_unchanged_password_changes_nothing() -> None:
    stored = Account("mysql_native_password", native_password_hash(TRICKY))
    host = FakeHost({"AccountFact": stored})
    assert _commands(host, user="demo", password=TRICKY) == []
    assert host.noops == ["demo@localhost already has its password"]


@pytest.mark.parametrize(
    "stored",
    [
        Account("mysql_native_password", native_password_hash("the old secret")),  # rotated
        Account("unix_socket", ""),  # an account that takes no password at all
    ],
)
def test_a_rotated_secret_or_another_plugin_is_altered(stored: Account) -> None:
    upload, _run = _commands(FakeHost({"AccountFact": stored}), user="demo", password=TRICKY)
    assert f"IDENTIFIED BY PASSWORD '{native_password_hash(TRICKY)}'" in _uploaded(upload)


def test_account_names_are_quoted_as_identifiers_and_strings() -> None:
    upload, _run = _commands(FakeHost({"AccountFact": None}), user="o`dd", password="x")
    assert "`o``dd`@`localhost`" in _uploaded(upload)
    assert "WHERE User = 'o`dd' AND Host = 'localhost'" in _fact_sql(user="o`dd")
    assert "WHERE User = 'it''s'" in _fact_sql(user="it's")


def _fact_sql(**kwargs: str) -> str:
    """The SQL the fact's one ``mariadb -e`` argument carries, as the shell hands it over."""
    argv = shlex.split(AccountFact().command(**kwargs))
    assert argv[:4] == ["mariadb", "-N", "-B", "-e"] and len(argv) == 5
    return argv[4]


def test_the_account_fact_reads_the_plugin_and_hash_only() -> None:
    line = "mysql_native_password\t*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
    assert AccountFact().process([line]) == Account(
        "mysql_native_password", "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
    )
    assert AccountFact().process([]) is None


# ---- the dump user's .cnf ----------------------------------------------------------------


def test_the_cnf_quotes_the_password_as_option_files_read_it() -> None:
    site = dataclasses.replace(SiteState.example(), dump_password='p"w #not a comment\\')
    assert dump_defaults_text(site) == (
        '[client]\nuser="demo_dump"\npassword="p\\"w #not a comment\\\\"\n'
    )
    assert option_value("plain") == '"plain"'


# ---- the site's .env, read back by its two readers ---------------------------------------


def _env_file(tmp_path: Path, password: str) -> Path:
    site = dataclasses.replace(SiteState.example(), db_password=password)
    path = tmp_path / "shared" / ".env"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render("app/env.j2", site=site, site_url="https://staging.demo.lab"))
    return path


def _php_reads(env_file: Path) -> str:
    bootstrap = REPOSITORY_DIR / "examples" / "demo-site" / "src" / "bootstrap.php"
    code = f"require {str(bootstrap)!r}; echo load_env_file($argv[1])['DB_PASSWORD'];"
    done = subprocess.run(["php", "-r", code, "--", str(env_file)], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def _monitor_logs_in_with(env_file: Path, tmp_path: Path, password: str) -> DatabaseProbe:
    """The monitoring's database check, its `mariadb` a stand-in that accepts ``password``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    client = bin_dir / "mariadb"
    client.write_text(
        '#!/bin/sh\nif [ "$MYSQL_PWD" = "$WANT" ]; then echo 1; '
        "else echo 'ERROR 1045 (28000): Access denied' >&2; exit 1; fi\n"
    )
    client.chmod(client.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "WANT": password}
    done = subprocess.run(
        ["sh", "-c", SiteDatabase().command(env_file=str(env_file))],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert password not in done.stdout
    return SiteDatabase().process(done.stdout.splitlines())


@pytest.mark.parametrize("password", [TRICKY, WRAPPED])
def test_the_env_password_reads_back_exactly_in_php_and_in_the_monitors_shell(
    password: str, tmp_path: Path
) -> None:
    env_file = _env_file(tmp_path, password)
    assert _php_reads(env_file) == password
    assert _monitor_logs_in_with(env_file, tmp_path, password) == DatabaseProbe(True)


@pytest.mark.parametrize("password", [TRICKY, WRAPPED])
def test_the_env_template_and_upkeeps_own_reader_agree(password: str, tmp_path: Path) -> None:
    line = next(
        line
        for line in _env_file(tmp_path, password).read_text().splitlines()
        if line.startswith("DB_PASSWORD=")
    )
    assert line == f"DB_PASSWORD={envfile.quote(password)}"
    assert envfile.unquote(line.partition("=")[2]) == password
