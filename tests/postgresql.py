"""A real PostgreSQL for the tests: Debian's ``postgresql`` package, set up when absent.

As CI runs it on a fresh Debian machine as root: install the package if
``pg_ctlcluster`` is missing, create a cluster if there is none, start it,
and make a login role of the session's own (``upkeep_test_<random>``, a fresh
password; test runs side by side on one machine never reset each other's) that
may create databases, dropped when the session ends. Each test then gets its
own database, dropped after.
Nothing is skipped: a server that cannot be set up fails the test, saying why.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.system_packages import ensure_packages

ROLE_PREFIX = "upkeep_test_"


@dataclass(frozen=True)
class Server:
    """A running cluster on localhost and the session's test role with its password."""

    port: int
    role: str
    password: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.role}:{self.password}@127.0.0.1:{self.port}/{database}"


def _run(*command: str, stdin: str | None = None) -> str:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        pytest.fail(f"PostgreSQL set-up: {' '.join(command)} failed: {' / '.join(said[-3:])}")
    return done.stdout


def _installed() -> None:
    if not (shutil.which("pg_ctlcluster") and shutil.which("pg_lsclusters")):
        ensure_packages("postgresql")


def _cluster() -> tuple[str, str, int]:
    """The first cluster (version, name, port), created when there is none, started."""
    lines = [line.split() for line in _run("pg_lsclusters", "-h").splitlines() if line.strip()]
    if not lines:
        version = sorted(p.name for p in Path("/usr/lib/postgresql").iterdir())[-1]
        _run("pg_createcluster", version, "main")
        lines = [line.split() for line in _run("pg_lsclusters", "-h").splitlines() if line.strip()]
    version, name, port, status = lines[0][:4]
    if status != "online":
        _run("pg_ctlcluster", version, name, "start")
    return version, name, int(port)


def start_server() -> Server:
    """A running PostgreSQL with the test role, set up as far as it is missing."""
    _installed()
    _, _, port = _cluster()
    role, password = f"{ROLE_PREFIX}{secrets.token_hex(4)}", secrets.token_hex(12)
    # The password goes in on stdin, never on a command line.
    _as_postgres(port, f"CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{password}';")
    return Server(port, role, password)


def stop_using(server: Server) -> None:
    """The session's role dropped (its databases were dropped test by test)."""
    _as_postgres(server.port, f"DROP ROLE IF EXISTS {server.role};")


def _as_postgres(port: int, script: str) -> None:
    psql = ("psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-p", str(port), "-d", "postgres")
    _run("runuser", "-u", "postgres", "--", *psql, stdin=script)


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[Server]:
    server = start_server()
    yield server
    stop_using(server)


@pytest.fixture
def postgresql_url(postgresql_server: Server) -> Iterator[str]:
    """A fresh, empty database of its own for one test; its URL (with the password)."""
    import psycopg

    name = f"upkeep_test_{secrets.token_hex(4)}"
    admin = postgresql_server.url("postgres")
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    yield postgresql_server.url(name)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"DROP DATABASE {name} WITH (FORCE)")
