"""``upkeep state check [--json]``: where the state store is, its schema, and whether it is sound.

Exit 0 when the store opens, is migrated to this upkeep's schema and SQLite's
integrity check says ``ok``; exit 1 otherwise, saying why.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field

from upkeep.cli.output import print_json, table
from upkeep.errors import UpkeepError
from upkeep.exitcodes import ExitCode
from upkeep.state import Applied, Location, locate, open_store


@dataclass(frozen=True)
class Health:
    """What ``state check`` found; ``problem`` is empty when the store is healthy."""

    url: str
    schema_version: int | None = None
    migrations: tuple[Applied, ...] = ()
    integrity: tuple[str, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)
    problem: str = ""

    @property
    def healthy(self) -> bool:
        return not self.problem


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "state", help="the state store (runs; see the README's State section)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="the store's location, schema version, integrity and rows; exit 1 unless healthy",
        description="Opens the state store (UPKEEP_DATABASE_URL, default SQLite in the state "
        "home), migrating it forward if needed, and reports its health.",
    )
    check.add_argument("--json", action="store_true", help="print the health as JSON")
    check.set_defaults(handler=_check)


def examine(location: Location) -> Health:
    try:
        with open_store(location) as store:
            integrity = tuple(store.integrity())
            health = Health(
                location.url,
                store.schema_version,
                tuple(store.migrations()),
                integrity,
                store.rows(),
            )
    except UpkeepError as error:
        return Health(location.url, problem=str(error))
    except Exception as error:  # a damaged file fails in SQLite's own words; say them
        return Health(location.url, problem=f"{location.url}: {error}")
    if integrity != ("ok",):
        return Health(**{**asdict(health), "problem": "integrity check: " + "; ".join(integrity)})
    return health


def _check(args: argparse.Namespace) -> int:
    health = examine(locate())  # a refused URL (PostgreSQL, for now) is a usage error
    code = ExitCode.OK if health.healthy else ExitCode.FAILED
    if args.json:
        data = {**asdict(health), "healthy": health.healthy}
        return print_json(args, data, code, errors=[health.problem] if health.problem else [])
    rows = [
        ("store", health.url),
        ("schema version", "-" if health.schema_version is None else health.schema_version),
        ("migrations", ", ".join(f"{m.version} ({m.applied_at})" for m in health.migrations)),
        ("integrity", "; ".join(health.integrity) or "-"),
        *((f"rows in {name}", count) for name, count in health.rows.items()),
        ("health", "healthy" if health.healthy else f"NOT healthy: {health.problem}"),
    ]
    print(table(("state store", "found"), rows))
    return int(code)
