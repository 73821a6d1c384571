"""``upkeep state check [--json]``: where the state store is, its schema, and whether it is sound.

Exit 0 when the store opens, is migrated to this upkeep's schema and its
integrity check says ``ok`` (SQLite's own; on PostgreSQL: the tables are there
and the server takes writes); exit 1 otherwise, saying why; exit 2 when the
URL is not one upkeep can use or the server cannot be reached.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from upkeep.cli.output import print_json, table
from upkeep.exitcodes import ExitCode
from upkeep.state import examine, locate


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


def _check(args: argparse.Namespace) -> int:
    health = examine(locate())  # a URL upkeep cannot use is a usage error
    code = ExitCode.OK if health.healthy else ExitCode.FAILED
    if args.json:
        data = {**asdict(health), "healthy": health.healthy}
        return print_json(args, data, code, errors=[health.problem] if health.problem else [])
    rows = [
        ("store", health.url),
        ("backend", health.server or health.backend),
        ("schema version", "-" if health.schema_version is None else health.schema_version),
        ("migrations", ", ".join(f"{m.version} ({m.applied_at})" for m in health.migrations)),
        ("integrity", "; ".join(health.integrity) or "-"),
        *((f"rows in {name}", count) for name, count in health.rows.items()),
        ("health", "healthy" if health.healthy else f"NOT healthy: {health.problem}"),
    ]
    print(table(("state store", "found"), rows))
    return int(code)
