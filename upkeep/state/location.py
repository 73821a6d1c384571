"""Where the state store lives: ``UPKEEP_DATABASE_URL``, else SQLite in the state home.

``sqlite:///PATH`` names another SQLite file (``sqlite:////srv/upkeep.db``:
absolute, as SQLAlchemy reads it); ``postgresql://USER:PASSWORD@HOST/DB``
(or ``postgres://``) puts the store on PostgreSQL, for a team. A location
shows its URL without the password; only ``dsn`` (never printed) carries it.

    >>> locate({"UPKEEP_DATABASE_URL": "sqlite:////srv/upkeep/state.db"}).path
    PosixPath('/srv/upkeep/state.db')
    >>> team = locate({"UPKEEP_DATABASE_URL": "postgresql://ops:s3cret@db.example/upkeep"})
    >>> team.backend, team.url, "s3cret" in repr(team)
    ('postgresql', 'postgresql://ops:***@db.example/upkeep', False)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from upkeep.errors import UsageError
from upkeep.workspace import state_home

VARIABLE = "UPKEEP_DATABASE_URL"
SQLITE = "sqlite://"
POSTGRESQL = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class Location:
    """A store's place: its URL as shown to people (no password) and its SQLite file,
    or, for PostgreSQL, no file and the URL to connect with (``dsn``, kept out of repr)."""

    url: str
    path: Path | None = None
    dsn: str = field(default="", repr=False, compare=False)

    @property
    def backend(self) -> str:
        return "sqlite" if self.path is not None else "postgresql"


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
    if url.startswith(POSTGRESQL):
        if not urlsplit(url).path.strip("/"):
            raise UsageError(
                f"{VARIABLE}={shown}: name the database (postgresql://USER:PASSWORD@HOST/DATABASE)"
            )
        return Location(shown, None, url)
    raise UsageError(
        f"{VARIABLE}={shown}: not a store upkeep knows; use sqlite:///PATH or "
        "postgresql://USER:PASSWORD@HOST/DATABASE"
    )


def redacted(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``.

    >>> redacted("postgresql://ops:s3cret@db.example/upkeep?sslmode=require")
    'postgresql://ops:***@db.example/upkeep?sslmode=require'
    """
    parts = urlsplit(url)
    # libpq also takes the password as a query parameter (?password=...)
    query = re.sub(r"(^|&)password=[^&]*", r"\1password=***", parts.query)
    if query == parts.query and not parts.password:
        return url  # untouched (geturl would also tidy the slashes of sqlite:////x)
    parts = parts._replace(query=query)
    if parts.password:
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{user}:***@{host}")
    return parts.geturl()
