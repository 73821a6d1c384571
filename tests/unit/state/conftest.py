"""The store's tests run on both engines: SQLite in a temporary file, and a real
PostgreSQL database of their own (see tests/postgresql.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from upkeep.state import Location, locate


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    """An empty store's place on each engine in turn."""
    if request.param == "sqlite":
        path = tmp_path / "upkeep.db"
        return Location(f"sqlite:///{path}", path)
    url: str = request.getfixturevalue("postgresql_url")
    return locate({"UPKEEP_DATABASE_URL": url})
