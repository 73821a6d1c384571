"""``upkeep check PROJECT... [ENV...]`` (or --all, --where) and ``upkeep incident list|ack PROJECT``: monitoring.

``check`` exits as a Nagios plugin does in every format (0 OK, 1 WARNING, 2
CRITICAL, 3 UNKNOWN; docs/scheduling.md), so timers, cron and CI read it the
same way. Bad input is one line and exit 2, or with ``--nagios`` the plugin's
own ``UPKEEP UNKNOWN - ...`` line and exit 3, as the plugin guidelines ask.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import print_json, table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.errors import UpkeepError, UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project, load_project
from upkeep.monitor import nagios, output, prometheus
from upkeep.monitor.history import History
from upkeep.monitor.incidents import Consequence, Incident, Transition
from upkeep.monitor.quorum import location_name
from upkeep.monitor.result import CheckResult, Status
from upkeep.monitor.workflow import CheckRun, run_checks
from upkeep.progress import Console
from upkeep.state import Location, locate
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check",
        help="run the monitoring checks of a project's environments; record, alert, report",
        description="Runs each environment's checks (the defaults and the inventory's checks: "
        "list): HTTP(S) from here, the certificate's expiry, the PHP build serving the site, "
        "services, disk, the database as the site user, new fatal errors in the PHP and nginx "
        "logs and the branded error page, read over SSH. Every result is kept in the history; "
        "state changes open and close incidents (after the inventory's alerts: thresholds) "
        "and alert its webhooks and mail, muted in maintenance windows.",
        epilog="Exit codes, as a Nagios plugin (every format): 0 OK, 1 WARNING, 2 CRITICAL, "
        "3 UNKNOWN; bad input: 2 (with --nagios: 3 and an UPKEEP UNKNOWN line).",
    )
    _nagios_aware(check)
    add_selection_arguments(check, environments=True)  # default: every environment
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.add_argument(
        "--nagios",
        action="store_true",
        help="print as a Nagios plugin: one status line with perfdata, a line per check",
    )
    check.add_argument(
        "--prometheus",
        metavar="FILE",
        type=Path,
        help="also write the results as a Prometheus textfile (*.prom, replaced atomically)",
    )
    history_option(check)
    check.add_argument(
        "--no-history",
        action="store_true",
        help="keep nothing: no results, incidents or alerts (logs are read from where the "
        "last kept run stopped, without moving on)",
    )
    check.add_argument("--no-alerts", action="store_true", help="record, but send no alerts")
    check.add_argument(
        "--location",
        metavar="NAME",
        help=f"where the checks run from (a runner's or an office's name; default: "
        f"{LOCATION_VARIABLE}, else one unnamed place): with results from several locations "
        "an incident opens only when the inventory's alerts: quorum of them agree",
    )
    check.set_defaults(handler=_check)

    incident = commands.add_parser(
        "incident",
        help="list a project's incidents, or acknowledge one (the SLA's response)",
        description="Incidents are opened and resolved by `upkeep check`; acknowledging one "
        "records that someone responded, which the SLA report judges against the "
        "priority's response deadline.",
    )
    verbs = incident.add_subparsers(dest="verb", metavar="VERB", required=True)
    listing = verbs.add_parser(
        "list", help="open incidents (--all: this month's too)", description="Open incidents."
    )
    listing.add_argument("project", help="project name (inventories/PROJECT.yml)")
    listing.add_argument(
        "--all", action="store_true", help="also the resolved ones of the last 31 days"
    )
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    history_option(listing)
    listing.set_defaults(handler=_list)
    ack = verbs.add_parser(
        "ack",
        help="record that someone responded to an incident",
        description="Record the first response to an incident (now); a second ack keeps the "
        "first time.",
    )
    ack.add_argument("project", help="project name (inventories/PROJECT.yml)")
    ack.add_argument("id", type=int, help="the incident's number (see `upkeep incident list`)")
    ack.add_argument("--json", action="store_true", help="print the incident as JSON")
    history_option(ack)
    ack.set_defaults(handler=_ack)


LOCATION_VARIABLE = "UPKEEP_LOCATION"


def location_of(args: argparse.Namespace) -> str:
    """``--location``, else ``UPKEEP_LOCATION`` (unset or empty: "", one unnamed place)."""
    if args.location is not None:
        return location_name(args.location, "--location")
    named = os.environ.get(LOCATION_VARIABLE, "")
    return location_name(named, LOCATION_VARIABLE) if named else ""


def history_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--history",
        metavar="PATH",
        type=Path,
        help="keep or read the monitoring history in this SQLite store file instead of the "
        "state store (default: the state store, UPKEEP_DATABASE_URL or "
        "~/.local/state/upkeep/upkeep.db, shared by every machine that uses it); an old "
        "monitor.db given here is imported into it once and kept as PATH.imported",
    )


def history_file(args: argparse.Namespace) -> Path | Location:
    """The history ``--history`` names (it must exist), else the state store's."""
    if args.history is None:
        return locate()
    if not args.history.exists():
        raise UsageError(f"{args.history}: no such monitoring history (check the path)")
    return Path(args.history)


def _nagios_aware(parser: argparse.ArgumentParser) -> None:
    """Make usage errors under --nagios the plugin's UNKNOWN line (stdout, exit 3)."""
    base = type(parser)

    class NagiosAware(base):  # type: ignore[valid-type, misc]
        nagios_asked = False

        def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
            self.nagios_asked = args is not None and "--nagios" in list(args)
            found, extras = super().parse_known_args(args, namespace)
            if extras and self.nagios_asked:
                self.error(f"unrecognized arguments: {' '.join(extras)}")
            return found, extras

        def error(self, message: str) -> NoReturn:
            if self.nagios_asked:
                sys.stdout.write(nagios.usage_error(f"{message} (see {self.prog} --help)").text)
                raise SystemExit(int(ExitCode.UNKNOWN))
            super().error(message)
            raise SystemExit(int(ExitCode.USAGE))  # never reached: error() exits

    parser.__class__ = NagiosAware


def _check(args: argparse.Namespace) -> int:
    try:
        return _run_check(args)
    except UpkeepError as error:
        if not args.nagios:
            raise
        sys.stdout.write(nagios.usage_error("; ".join(error.lines())).text)
        return int(ExitCode.UNKNOWN)


def _run_check(args: argparse.Namespace) -> int:
    if args.json and args.nagios:
        raise UsageError("--json and --nagios are two formats; choose one")
    if args.no_history and args.history is not None:
        raise UsageError("--no-history and --history contradict each other; choose one")
    if args.prometheus is not None:
        prometheus.check_path(args.prometheus)
    location = location_of(args)
    workspace = find_workspace(args.root)
    selection = select(workspace, args)
    if args.nagios and not selection.single:
        raise UsageError("--nagios checks one project (a plugin reports one service)")
    if args.prometheus is not None and args.parallel and not selection.single:
        raise UsageError(
            "--prometheus with --parallel: each project runs in its own process and the "
            "textfile needs every result; drop one of them"
        )
    found: list[CheckResult] = []

    def one(project: Project) -> Outcome:
        console = Console()  # made where the project runs: a child's progress goes to its parent
        done = run_checks(
            workspace,
            project.name,
            list(selection.environments),
            history_path=args.history,
            record=not args.no_history,
            alerts=not args.no_alerts,
            location=location,
            say=console.say,
        )
        found.extend(done.results)
        return _shown_run(args, done)

    code = run_across(args, selection, one, read_only=True)
    if args.prometheus is not None:
        prometheus.write_textfile(args.prometheus, prometheus.render(found))
    return code


def _shown_run(args: argparse.Namespace, done: CheckRun) -> Outcome:
    """One project's run as its format shows it (the plugin's lines, JSON or the table)."""
    if args.nagios:
        plugin = nagios.render(done.results)
        sys.stdout.write(plugin.text)
        return Outcome(done.project, plugin.exit_code)
    # What was sent is a result, not progress: said without a terminal too (not under --nagios).
    for delivery in done.deliveries:
        print(f"  … alert {delivery}", file=sys.stderr)
    code = output.exit_code(done.results)
    data = output.check_run_dict(done)
    status = str(data["status"]).lower()
    failing = [f"{r.environment} {r.check}" for r in done.results if r.status is not Status.OK]
    why = f"{status}: {', '.join(failing)}" if code else ""
    if not args.json:
        print(output.table(done.results))
        for line in _transition_lines(done.transitions):
            print(line)
        if done.history is None:
            print("(not recorded: --no-history)")
    return Outcome(done.project, code, data, why=why, status=status)


def _transition_lines(transitions: Sequence[Transition]) -> list[str]:
    lines = []
    for t in transitions:
        incident = t.incident
        muted = " (in a maintenance window: no alert)" if t.in_maintenance else ""
        lines.append(
            f"incident #{incident.id} {t.change.value}: {incident.environment} {incident.check} "
            f"({incident.priority.value}, {incident.worst.name}): {incident.summary}"
            f"{_seen_from(incident)}{muted}"
        )
    return lines


def _seen_from(incident: Incident) -> str:
    """`` (seen from ci, office)``: the locations that agreed; nothing from one unnamed place."""
    return f" (seen from {', '.join(incident.locations)})" if incident.locations else ""


def _open_history(args: argparse.Namespace) -> History:
    path = args.history
    if path is not None and not path.exists():
        raise UsageError(f"{path}: no monitoring history yet (run `upkeep check {args.project}`)")
    return History(path)  # None: the state store


def _list(args: argparse.Namespace) -> int:
    project = load_project(find_workspace(args.root), args.project)
    with _open_history(args) as history:
        if args.all:
            now = dt.datetime.now(dt.UTC)
            found = history.incidents(now - dt.timedelta(days=31), now, project.name)
        else:
            found = history.open_incidents(project.name)
        # Checks that failed only because of an incident's check are listed under it.
        under = {i.id: history.consequences(i) for i in found}
        told = {i.id: history.told(i.id) for i in found if i.id is not None}
    if args.json:
        return print_json(
            args,
            [
                output.incident_dict(i, under[i.id]) | {"told": [asdict(t) for t in told[i.id]]}
                for i in found
                if i.id is not None
            ],
        )
    if not found:
        print(f"{project.name}: no {'incidents' if args.all else 'open incidents'}")
        return int(ExitCode.OK)
    rows: list[tuple[str, ...]] = []
    for i in found:
        rows.append(
            (
                f"#{i.id}",
                i.environment,
                i.check,
                i.priority.value,
                i.worst.name,
                f"{i.opened:%Y-%m-%d %H:%M}",
                f"{i.acknowledged:%Y-%m-%d %H:%M}" if i.acknowledged else "-",
                f"{i.resolved:%Y-%m-%d %H:%M}" if i.resolved else "open",
                i.summary + _seen_from(i),
            )
        )
        rows += [_consequence_row(c) for c in under[i.id]]
    headers = (
        "ID",
        "ENVIRONMENT",
        "CHECK",
        "PRI",
        "WORST",
        "OPENED (UTC)",
        "ACKED",
        "RESOLVED",
        "SUMMARY",
    )
    print(table(headers, rows))
    for number, deliveries in told.items():  # who was told, from the store's notifications
        for t in deliveries:
            print(f"#{number} {t}")
    return int(ExitCode.OK)


def _consequence_row(c: Consequence) -> tuple[str, ...]:
    """A consequence as a row under its incident's: no incident of its own, so no id."""
    first = f"{c.first:%Y-%m-%d %H:%M}"
    return ("", "", f"└ {c.check}", "", c.worst.name, first, "", "", f"because of it: {c.summary}")


def _ack(args: argparse.Namespace) -> int:
    project = load_project(find_workspace(args.root), args.project)
    with _open_history(args) as history:
        incident = history.incident(args.id)
        if incident.project != project.name:
            raise UsageError(
                f"incident {args.id} belongs to {incident.project}, not {project.name}"
            )
        already = incident.acknowledged is not None
        incident = history.acknowledge(args.id, dt.datetime.now(dt.UTC))
    if args.json:
        return print_json(args, output.incident_dict(incident))
    assert incident.acknowledged is not None
    verb = "was already acknowledged" if already else "acknowledged"
    print(
        f"incident #{incident.id} ({incident.environment} {incident.check}) {verb} at "
        f"{incident.acknowledged:%Y-%m-%d %H:%M} UTC"
    )
    return int(ExitCode.OK)
