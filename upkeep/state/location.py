"""Where the state store lives: ``UPKEEP_DATABASE_URL``, else SQLite in the state home.

``sqlite:///PATH`` names another SQLite file (``sqlite:////srv/upkeep.db``:
absolute, as SQLAlchemy reads it). PostgreSQL is where the store goes for a
team, but it is not built yet: its URL is refused rather than half served.

    >>> locate({"UPKEEP_DATABASE_URL": "sqlite:////srv/upkeep/state.db"}).path
    PosixPath('/srv/upkeep/state.db')
    >>> redacted("postgresql://ops:s3cret@db.example/upkeep")
    'postgresql://ops:***@db.example/upkeep'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from upkeep.errors import UsageError
from upkeep.workspace import state_home

VARIABLE = "UPKEEP_DATABASE_URL"
SQLITE = "sqlite://"


@dataclass(frozen=True)
class Location:
    """A store's place: its URL as shown to people (no password) and its SQLite file."""

    url: str
    path: Path


def default_path() -> Path:
    return state_home() / "upkeep.db"


def locate(environ: Mapping[str, str] = os.environ) -> Location:
    """The store ``environ`` chooses (UPKEEP_DATABASE_URL), or a UsageError in one line."""
    url = environ.get(VARIABLE, "").strip()
    if not url:
        path = default_path()
        return Location(f"{SQLITE}/{path}", path)
    if url.startswith(f"{SQLITE}/") and len(url) > len(SQLITE) + 1:
        return Location(url, Path(url[len(SQLITE) + 1 :]).expanduser())
    shown = redacted(url)
    if url.startswith(("postgres://", "postgresql://", "postgresql+")):
        raise UsageError(
            f"{VARIABLE}={shown}: PostgreSQL support is not built yet; "
            "unset it (SQLite in the state home) or use sqlite:///PATH"
        )
    raise UsageError(f"{VARIABLE}={shown}: not a store upkeep knows; use sqlite:///PATH")


def redacted(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()
