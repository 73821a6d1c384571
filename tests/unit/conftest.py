"""Fixtures the unit tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

# Real local HTTP and SMTP servers, for whatever sends webhooks or mail.
from tests.unit.local_servers import smtp_server, webhook_server  # noqa: F401


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty operator repository (inventories/ only), the current directory."""
    (tmp_path / "inventories").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UPKEEP_ROOT", raising=False)
    return tmp_path
