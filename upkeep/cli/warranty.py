"""``upkeep warranty PROJECT... | --all | --where KEY=VALUE``: each project's warranty, from reality."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence

from upkeep.care.observed import warranties
from upkeep.care.warranty import Warranty, WarrantyStatus
from upkeep.cli.check import history_file
from upkeep.cli.fleet import recorded_view_options
from upkeep.cli.output import print_json
from upkeep.cli.selection import select
from upkeep.drift.workflow import drift
from upkeep.exitcodes import ExitCode
from upkeep.inventory.pins import load_pins
from upkeep.workspace import find_workspace

_MARKS = {True: "ok", False: "no", None: "?"}  # holds, fails, not looked at


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "warranty",
        help="each project's warranty, computed from what is observed",
        description="Each project's warranty (care.accepted + the plan's warranty_days, in the "
        "project's time zone): active, or void with the reasons: no check result in "
        "production in the last day (the monitoring history `upkeep check` keeps), dev or "
        "staging missing or drifted (--drift reads the hosts; otherwise not checked), no SLA; "
        "pending before the acceptance day, expired after the period. Prints the evidence and "
        "the date the status changes next. No host is reached unless --drift is given.",
        epilog="Exit codes: 0 no selected warranty is void; 1 one is; 2 bad input.",
    )
    recorded_view_options(parser, "the warranties")
    parser.set_defaults(handler=_warranty)


def _warranty(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    projects = list(select(workspace, args).projects)
    read_drift = (lambda p: drift(p, load_pins(workspace, p.name))) if args.drift else None
    found = warranties(projects, history_file(args), dt.datetime.now(dt.UTC), read_drift)
    void = [w for w in found if w.status is WarrantyStatus.VOID]
    code = ExitCode.FAILED if void else ExitCode.OK
    if args.json:
        errors = [f"{w.project}: {w.summary()}" for w in void]
        data = [w.to_dict() for w in found]
        return print_json(args, data, code, status="void" if void else "ok", errors=errors)
    print(render(found))
    return int(code)


def render(found: Sequence[Warranty]) -> str:
    """Per project: its status, the evidence with its sources, and the next change."""
    return "\n\n".join(_one(warranty) for warranty in found)


def _one(warranty: Warranty) -> str:
    plan = f" (plan {warranty.plan}, client {warranty.client})" if warranty.client else ""
    lines = [f"{warranty.project}: warranty {warranty.summary()}{plan}"]
    width = max((len(item.what) for item in warranty.evidence), default=0)
    for item in warranty.evidence:
        source = f" [{item.source}]" if item.source else ""
        lines.append(f"  {item.what:<{width}}  {_MARKS[item.holds]:<4}  {item.text}{source}")
    change = warranty.next_change
    if change is not None:
        local = change.at.astimezone(warranty.starts.tzinfo if warranty.starts else dt.UTC)
        lines.append(
            f"  next change: {local:%Y-%m-%d %H:%M %Z}, {change.status.value} ({change.why})"
        )
    return "\n".join(lines)
