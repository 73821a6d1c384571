"""Is the state store sound: where it is, on which engine, its schema, integrity, its rows.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "upkeep.db"
...     health = examine(Location(f"sqlite:///{path}", path))
>>> health.healthy, health.backend, health.integrity, health.rows["runs"]
(True, 'sqlite', ('ok',), 0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from upkeep.errors import UpkeepError
from upkeep.state.location import Location
from upkeep.state.store import Applied, open_store


@dataclass(frozen=True)
class Health:
    """What ``state check`` found; ``problem`` is empty when the store is healthy."""

    url: str
    backend: str = ""
    server: str = ""  # the engine and its version: "SQLite 3.40.1", "PostgreSQL 15.18 ..."
    schema_version: int | None = None
    migrations: tuple[Applied, ...] = ()
    integrity: tuple[str, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)
    problem: str = ""

    @property
    def healthy(self) -> bool:
        return not self.problem


def examine(location: Location) -> Health:
    """The store at ``location`` opened (and migrated) and checked; never raises for a bad one."""
    try:
        with open_store(location) as store:
            integrity = tuple(store.integrity())
            health = Health(
                location.url,
                store.backend,
                store.server_version(),
                store.schema_version,
                tuple(store.migrations()),
                integrity,
                store.rows(),
            )
    except UpkeepError as error:
        return Health(location.url, location.backend, problem=str(error))
    except Exception as error:  # a damaged file fails in SQLite's own words; say them
        return Health(location.url, location.backend, problem=f"{location.url}: {error}")
    if integrity != ("ok",):
        return Health(**{**asdict(health), "problem": "integrity check: " + "; ".join(integrity)})
    return health
