"""A real PostgreSQL for the tests: Debian's ``postgresql`` package, set up when absent.

As CI runs it on a fresh Debian machine as root: install the package if
``pg_ctlcluster`` is missing, create a cluster if there is none, start it,
and make a login role (``upkeep_test``, a fresh password each session) that
may create databases. Each test then gets its own database, dropped after.
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

ROLE = "upkeep_test"


@dataclass(frozen=True)
class Server:
    """A running cluster on localhost and the test role's password."""

    port: int
    password: str

    def url(self, database: str) -> str:
        return f"postgresql://{ROLE}:{self.password}@127.0.0.1:{self.port}/{database}"


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
    password = secrets.token_hex(12)
    # The password goes in on stdin, never on a command line.
    script = f"""
        SELECT 'CREATE ROLE {ROLE} LOGIN CREATEDB'
        WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') \\gexec
        ALTER ROLE {ROLE} LOGIN CREATEDB PASSWORD '{password}';
    """
    psql = ("psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-p", str(port), "-d", "postgres")
    _run("runuser", "-u", "postgres", "--", *psql, stdin=script)
    return Server(port, password)


@pytest.fixture(scope="session")
def postgresql_server() -> Server:
    return start_server()


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
