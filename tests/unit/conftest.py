"""Fixtures the unit tests share."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# A real PostgreSQL (Debian's package, set up when absent), for the store's tests.
from tests.postgresql import postgresql_server, postgresql_url  # noqa: F401

# Real local HTTP and SMTP servers, for whatever sends webhooks or mail.
from tests.unit.local_servers import smtp_server, webhook_server  # noqa: F401
from upkeep.state import Location, locate

# Properties are about what holds, not how fast: a loaded machine (CI's two cores
# running the lab) must not turn a slow example into a failure.
settings.register_profile("upkeep", deadline=None)
settings.load_profile("upkeep")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty operator repository (inventories/ only), the current directory."""
    (tmp_path / "inventories").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UPKEEP_ROOT", raising=False)
    return tmp_path


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    """An empty state store's place on each engine in turn: SQLite in a temporary file,
    then a real PostgreSQL database of its own (tests/postgresql.py)."""
    if request.param == "sqlite":
        path = tmp_path / "upkeep.db"
        return Location(f"sqlite:///{path}", path)
    url: str = request.getfixturevalue("postgresql_url")
    return locate({"UPKEEP_DATABASE_URL": url})


@pytest.fixture(autouse=True)
def state_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own state store: the CLI records every run, never in the user's home."""
    path = tmp_path_factory.mktemp("store") / "upkeep.db"
    monkeypatch.setenv("UPKEEP_DATABASE_URL", f"sqlite:///{path}")
    return path
