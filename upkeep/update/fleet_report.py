"""The report of a fleet's minor update: the plan, and what each wave and server did.

A value made from the fleet run's journal (and the plan it kept), rendered as
text by the CLI and as Markdown and JSON by ``upkeep.reports.update``.

    >>> WaveResult("canary", "production", (), None).outcome
    'not started'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from upkeep.pipeline import Journal, RunState, StepState
from upkeep.update.report import when
from upkeep.update.waves import FleetPlan, ServerMove

# A server's run state in the report's words.
SERVER_WORDS = {
    str(RunState.SUCCEEDED): "updated",
    str(RunState.ROLLED_BACK): "failed, rolled back",
    str(RunState.ABORTED): "aborted, put back",
    str(RunState.FAILED): "FAILED, NOT put back: a person must check it",
    str(RunState.RUNNING): "interrupted",
}


@dataclass(frozen=True)
class ServerResult:
    server: str
    sites: tuple[str, ...]  # project/environment
    from_build: str
    to_build: str
    state: str  # SERVER_WORDS, or "not reached"
    error: str | None = None
    undo: tuple[str, ...] = ()
    smoke: tuple[dict[str, Any], ...] = ()

    @property
    def updated(self) -> bool:
        return self.state == SERVER_WORDS[str(RunState.SUCCEEDED)]

    @property
    def reached(self) -> bool:
        return self.state != "not reached"

    def line(self) -> str:
        why = f": {self.error}" if self.error and not self.updated else ""
        return (
            f"{self.server} ({', '.join(self.sites)}): {self.state}, "
            f"PHP {self.from_build} → {self.to_build}{why}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "sites": list(self.sites),
            "from_build": self.from_build,
            "to_build": self.to_build,
            "state": self.state,
            "updated": self.updated,
            "error": self.error,
            "undo": list(self.undo),
            "smoke": list(self.smoke),
        }


@dataclass(frozen=True)
class WaveResult:
    name: str
    stage: str
    servers: tuple[ServerResult, ...]
    waited: str | None  # the wait step's detail (production waves)

    @property
    def outcome(self) -> str:
        reached = [s for s in self.servers if s.reached]
        if not reached:
            return "not started"
        failed = [s.server for s in reached if not s.updated]
        if failed:
            return f"{len(failed)} of {len(self.servers)} server(s) failed ({', '.join(failed)})"
        if len(reached) < len(self.servers):
            return f"{len(reached)} of {len(self.servers)} server(s) reached"
        return f"all {len(self.servers)} server(s) updated"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stage": self.stage,
            "outcome": self.outcome,
            "waited": self.waited,
            "servers": [s.to_dict() for s in self.servers],
        }


@dataclass(frozen=True)
class FleetReport:
    run_id: str
    state: RunState
    started: str
    finished: str | None
    error: str | None
    plan: FleetPlan
    waves: tuple[WaveResult, ...]
    security: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.state in (RunState.SUCCEEDED, RunState.NOTHING_TO_DO)

    @property
    def servers(self) -> tuple[ServerResult, ...]:
        return tuple(server for wave in self.waves for server in wave.servers)

    @property
    def headline(self) -> str:
        updated = sum(s.updated for s in self.servers)
        total = len(self.servers)
        if self.state is RunState.NOTHING_TO_DO:
            return "Nothing to do: every server runs the newest build of its line."
        if self.state is RunState.SUCCEEDED and updated == total:
            return f"Done: {total} server(s) updated in {len(self.waves)} wave(s)."
        why = f": {self.error}" if self.error else ""
        return f"{str(self.state).capitalize()}: {updated} of {total} server(s) updated{why}"

    @property
    def run_line(self) -> str:
        finished = f", finished {when(self.finished)}" if self.finished else ""
        return f"Fleet run {self.run_id}, started {when(self.started)}{finished}."

    def lines(self) -> list[str]:
        """The outcome as the CLI prints it: a line per wave, then one per server."""
        lines = [f"fleet: {self.state}: {self.headline}"]
        for wave in self.waves:
            lines.append(f"{wave.name} ({wave.stage}): {wave.outcome}")
            if wave.waited:
                lines.append(f"  {wave.waited}")
            lines.extend(f"  {server.line()}" for server in wave.servers)
        lines.extend(f"left out: {out.server}: {out.why}" for out in self.plan.left_out)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "state": str(self.state),
            "ok": self.ok,
            "headline": self.headline,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "plan": self.plan.to_dict(),
            "waves": [wave.to_dict() for wave in self.waves],
            "security": list(self.security),
        }


def planned(plan: FleetPlan, state: RunState = RunState.NOTHING_TO_DO) -> FleetReport:
    """The report of a run that had nothing to move (or was only planned)."""
    waves = tuple(
        WaveResult(w.name, w.stage, tuple(_result(m, None) for m in w.servers), None)
        for w in plan.waves
    )
    return FleetReport("", state, "", None, None, plan, waves)


def report_of(journal: Journal, plan: FleetPlan) -> FleetReport:
    seen: Mapping[str, Mapping[str, Any]] = journal.facts.get("servers", {})
    waves = []
    for wave in plan.waves:
        waited = next(
            (
                s.detail
                for s in journal.steps
                if s.name == f"wait-{wave.number}" and s.state is StepState.DONE
            ),
            None,
        )
        servers = tuple(_result(move, seen.get(move.server)) for move in wave.servers)
        waves.append(WaveResult(wave.name, wave.stage, servers, waited))
    return FleetReport(
        run_id=journal.run_id,
        state=journal.state,
        started=journal.started,
        finished=journal.finished,
        error=journal.error,
        plan=plan,
        waves=tuple(waves),
        security=tuple(journal.facts.get("security", ())),
    )


def _result(move: ServerMove, seen: Mapping[str, Any] | None) -> ServerResult:
    sites = tuple(site.label for site in move.sites)
    if seen is None:
        return ServerResult(move.server, sites, move.from_build, move.to_build, "not reached")
    return ServerResult(
        move.server,
        sites,
        move.from_build,
        move.to_build,
        SERVER_WORDS.get(seen["state"], seen["state"]),
        seen.get("error"),
        tuple(seen.get("undo", ())),
        tuple(seen.get("smoke", ())),
    )
