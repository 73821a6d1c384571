"""``upkeep check``'s pipeline: plan → collect → record (incidents) → alert.

Results are kept in the history (every one; incidents open and close from
them with the project's thresholds), and the transitions are sent to the
project's webhooks and mail unless a maintenance window mutes them. Without a
history (``record=False``) nothing is written: log cursors are still read from
an existing history, so an ad-hoc run reports what is new since the last
recorded one without swallowing it.

An incident's priority follows the default rule (upkeep.monitor.incidents:
P1 production down, P2 another production CRITICAL or UNKNOWN, P3 warnings
and other environments), never more urgent than its check's own priority (its
kind's default, or the inventory's ``priority:``): a raw PHP error on the
error page is a P4 however critical its status.

A check that fails only because a more basic one did in the same run (the
site down takes its certificate check with it) is that one's consequence
(upkeep.monitor.causes): it opens no incident of its own.

    >>> import datetime as dt
    >>> from upkeep.monitor.result import CheckResult, Status
    >>> rule = priority_rule({("production", "error_page"): "P4"})
    >>> at = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    >>> rule(CheckResult("demo", "production", "error_page", Status.CRITICAL, "raw", at))
    <Priority.P4: 'P4'>
    >>> rule(CheckResult("demo", "production", "health", Status.CRITICAL, "502", at))
    <Priority.P1: 'P1'>
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from upkeep.inventory import Project, load_project, maintenance
from upkeep.inventory.pins import load_pins
from upkeep.inventory.priority import Priority
from upkeep.monitor import alerts as alerting
from upkeep.monitor import collect
from upkeep.monitor.causes import attribute
from upkeep.monitor.history import History, one_recorder
from upkeep.monitor.incidents import IncidentPolicy, Transition, priority_of
from upkeep.monitor.result import CheckResult
from upkeep.notify import Delivery
from upkeep.workspace import Workspace

Say = Callable[[str], None]


@dataclass(frozen=True)
class CheckRun:
    project: str
    environments: tuple[str, ...]
    results: tuple[CheckResult, ...]
    transitions: tuple[Transition, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    history: str | None = None  # where the results were kept (History.where); None: not kept


def priority_rule(
    declared: Mapping[tuple[str, str], str],
) -> Callable[[CheckResult], Priority | None]:
    """The default rule, capped by each check's priority ((environment, check) -> "P1".."P4")."""

    def rule(result: CheckResult) -> Priority | None:
        default = priority_of(result)
        cap = declared.get((result.environment, result.check))
        if default is None or cap is None:
            return default
        ceiling = Priority(str(cap))
        return ceiling if default.above(ceiling) else default

    return rule


def policy_for(project: Project, plans: Sequence[collect.EnvPlan]) -> IncidentPolicy:
    declared = {
        (env.environment, check.name): str(check.priority) for env in plans for check in env.checks
    }
    return replace(alerting.incident_policy(project.alerts), priority=priority_rule(declared))


def run_checks(
    workspace: Workspace,
    project_name: str,
    environments: Sequence[str] = (),
    *,
    history_path: Path | None = None,
    record: bool = True,
    alerts: bool = True,
    location: str = "",
    say: Say = lambda _: None,
) -> CheckRun:
    """Every check of the environments (all by default), recorded and alerted; each result
    stamped with the ``location`` it was taken from ("": one unnamed place)."""
    project = load_project(workspace, project_name)
    names = list(environments) or [str(name) for name in project.environments]
    for name in names:
        project.environment(name)  # a UsageError naming the ones there are
    plans = collect.plan(project, load_pins(workspace, project.name), names)
    if not record:
        with History(history_path) as kept:  # None: the state store (upkeep.monitor.history)
            found = collect.collect(plans, kept, say=say)
        return CheckRun(project.name, tuple(names), _stamped(found.results, location))
    with one_recorder(history_path, say=say), History(history_path) as history:
        found = collect.collect(plans, history, say=say)
        results = _stamped(found.results, location)  # the history marks causes the same way
        transitions = history.record(
            results,
            policy=policy_for(project, plans),
            in_maintenance=maintenance.checker(project.maintenance),
        )
        for key, value in found.cursors.items():
            history.set_state(key, value)
        deliveries: list[Delivery] = []
        if alerts and transitions:  # in the run's turn, noted: no runner sends it twice
            deliveries = alerting.send(transitions, project.alerts, project.notify, history)
    return CheckRun(
        project.name,
        tuple(names),
        results,
        tuple(transitions),
        tuple(deliveries),
        history=history.where,
    )


def _stamped(results: Sequence[CheckResult], location: str) -> tuple[CheckResult, ...]:
    """The results with their location, consequences marked (upkeep.monitor.causes)."""
    return attribute(replace(r, location=location) if location else r for r in results)
