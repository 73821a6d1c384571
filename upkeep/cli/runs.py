"""``upkeep runs [--project P] [--since WHEN] [--limit N] [--json]``: past runs, newest first.

>>> since("7d", now=dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)).isoformat()
'2026-11-29T12:00:00+00:00'
>>> since("2026-12-01").isoformat()
'2026-12-01T00:00:00+00:00'
"""

from __future__ import annotations

import argparse
import datetime as dt
import re

from upkeep.cli.output import print_json, table
from upkeep.exitcodes import ExitCode
from upkeep.state import Run, open_store

_AGO = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "runs",
        help="the runs of upkeep recorded in the state store, from any machine, newest first",
        description="Every command that changes something or writes a report is recorded in "
        "the state store (see `upkeep state check`): when, who from which machine, the command, "
        "its projects, how it ended, how long it took and the reports it wrote.",
    )
    parser.add_argument("--project", metavar="P", help="only runs for this project")
    parser.add_argument(
        "--since",
        type=since,
        metavar="WHEN",
        help="only runs started since then: a UTC date (2026-12-01) or an age (7d, 24h, 30m)",
    )
    parser.add_argument(
        "--limit", type=_positive, default=50, metavar="N", help="at most N runs (default 50)"
    )
    parser.add_argument("--json", action="store_true", help="print the runs as JSON")
    parser.set_defaults(handler=_runs)


def since(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """``--since``'s moment: a date (midnight UTC) or an age before ``now``."""
    ago = _AGO.fullmatch(text)
    if ago:
        amount, unit = ago.groups()
        moment = now or dt.datetime.now(dt.UTC)
        return moment - dt.timedelta(**{_UNITS[unit]: int(amount)})
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a date (2026-12-01) nor an age (7d, 24h, 30m)"
        ) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of runs (1 or more)")
    return int(text)


def _runs(args: argparse.Namespace) -> int:
    with open_store() as store:
        found = store.runs(project=args.project, since=args.since, limit=args.limit)
    if args.json:
        return print_json(args, [run.to_dict() for run in found])
    print(_table(found) if found else "no runs recorded (with these filters)")
    return int(ExitCode.OK)


def _table(found: list[Run]) -> str:
    rows = [
        (
            run.started.strftime("%Y-%m-%d %H:%M:%S"),
            run.who,
            run.command,
            ", ".join(run.projects) or "-",
            f"{run.status} ({run.exit_code if run.exit_code >= 0 else 'no end recorded'})",
            f"{run.duration_seconds:.1f}s",
            ", ".join(run.reports) or "-",
            ", ".join(sha[:10] for sha in run.pins_commits) or "-",
        )
        for run in found
    ]
    return table(
        ("when (UTC)", "who", "command", "projects", "status", "duration", "reports", "pins"),
        rows,
    )
