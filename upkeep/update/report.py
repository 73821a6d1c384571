"""The client's report of an update, as a value made from the run's journal.

What changed where and when, what production runs now, the window in which
its PHP packages changed and what the smoke checks measured in it, the pins
commits, the security notes (applied, or what the update would have brought),
and — when it failed — why and how everything was put back.

Every sentence a client reads is made here, once, so the Markdown and the
HTML (upkeep.reports.update) say the same things and a template only lays
them out.

    >>> report = report_of(journal, "www.demo.lab", (), None)   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from upkeep.pipeline import Journal, RunState
from upkeep.pipeline.journal import parse_time
from upkeep.smoke import SmokeResult
from upkeep.update.proposal import UpdateCheck
from upkeep.update.runs import from_build, to_build

# The journal's step names in the report's own words: (done, not done).
STEP_WORDS = {
    "lock": ("Locked the environments", "Lock the environments"),
    "prefetch": (
        "Downloaded the new PHP packages ahead (nothing installed)",
        "Download the new PHP packages ahead (nothing installed)",
    ),
    "refresh_staging": ("Refreshed staging from production", "Refresh staging from production"),
    "bump_staging": ("Updated PHP on staging", "Update PHP on staging"),
    "smoke_staging": ("Smoke-checked staging", "Smoke-check staging"),
    "backup_production": ("Backed up production", "Back up production"),
    "bump_production": ("Updated PHP on production", "Update PHP on production"),
    "smoke_production": ("Smoke-checked production", "Smoke-check production"),
    "provision_production": ("Provisioned production", "Provision production"),
    "sync_dev": ("Brought the dev server along", "Bring the dev server along"),
    "unlock": ("Unlocked the environments", "Unlock the environments"),
}
STATE_WORDS = {"done": "done", "failed": "failed", "pending": "not run", "running": "interrupted"}
NOT_APPLIED = {
    RunState.ROLLED_BACK: "the update was rolled back",
    RunState.ABORTED: "the update was aborted and put back",
    RunState.FAILED: "the update failed",
    RunState.RUNNING: "the update has not finished",
}


def when(moment: str | float | None) -> str:
    """A journal time (ISO text or a Unix time) as a client reads it: to the second, in UTC.

    >>> when("2026-12-06T08:31:04.123456Z"), when(1796545864.9)
    ('2026-12-06 08:31:04 UTC', '2026-12-06 08:31:04 UTC')
    """
    if moment is None:
        return ""
    if isinstance(moment, str):
        instant = parse_time(moment)
    else:
        instant = dt.datetime.fromtimestamp(moment, dt.UTC)
    return f"{instant:%Y-%m-%d %H:%M:%S} UTC"


def duration(seconds: float) -> str:
    """A length in whole seconds, minutes from 60 s on.

    >>> duration(33.4), duration(125)
    ('33 s', '2 min 5 s')
    """
    whole = int(seconds + 0.5)
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


@dataclass(frozen=True)
class StepLine:
    name: str  # the journal's (internal) name
    state: str
    started: str | None
    seconds: float | None
    detail: str
    label: str = ""  # the report's words for it

    @property
    def state_words(self) -> str:
        return STATE_WORDS.get(self.state, self.state)


@dataclass(frozen=True)
class ProductionWindow:
    """The time production's PHP packages were being changed, and what was measured in it.

    From the start of production's update (``production_touched_at``) to its last smoke
    check (``production_affected_seconds`` later). The smoke checks are the only requests
    measured in it: visitors' requests were not counted.
    """

    start: float  # Unix time
    seconds: float | None  # None: the run ended without noting the end
    requests: int  # smoke-check requests to production in the window
    failed: int
    put_back: bool = False  # the run undid its change within the window

    @property
    def end(self) -> float | None:
        return None if self.seconds is None else self.start + self.seconds

    def sentences(self) -> list[str]:
        start = when(self.start)
        changed = "changed, and were put back," if self.put_back else "changed"
        if self.seconds is None:
            return [
                f"Production's PHP packages began to change at {start}; the run ended without "
                "recording when its last smoke check finished."
            ]
        end = when(self.end)
        if end[:10] == start[:10]:  # the same day: "between 08:31:04 and 08:31:37 UTC"
            start, end = start.removesuffix(" UTC"), end[11:]
        lines = [
            f"Production's PHP packages {changed} between {start} and {end} "
            f"({duration(self.seconds)}, from the start of its update to its last smoke check)."
        ]
        if self.requests:
            lines.append(
                f"{self.failed} of {self.requests} smoke-check requests to production in that "
                "window failed. Visitors' requests were not counted."
            )
        else:
            lines.append("No smoke-check request reached production in that window.")
        return lines

    def to_dict(self) -> dict[str, Any]:
        def iso(moment: float | None) -> str | None:
            if moment is None:
                return None
            return dt.datetime.fromtimestamp(moment, dt.UTC).isoformat(timespec="seconds")

        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "seconds": self.seconds,
            "smoke_requests": self.requests,
            "smoke_requests_failed": self.failed,
            "put_back": self.put_back,
            "measured": "the smoke checks' own requests to production; not visitors' requests",
        }


@dataclass(frozen=True)
class UpdateReport:
    project: str
    site: str  # the production domain, for the client
    run_id: str
    state: RunState
    from_build: str
    to_build: str
    started: str
    finished: str | None
    error: str | None
    steps: tuple[StepLine, ...]
    smoke: tuple[dict[str, Any], ...]
    production_affected_seconds: float | None
    staging_commit: str | None
    production_commit: str | None
    dev_commit: str | None = None
    undo: tuple[str, ...] = ()
    security: tuple[str, ...] = ()
    check: dict[str, Any] | None = field(default=None)
    production_touched_at: float | None = None  # Unix time its update began; None: untouched

    @property
    def ok(self) -> bool:
        return self.state in (RunState.SUCCEEDED, RunState.NOTHING_TO_DO)

    @property
    def headline(self) -> tuple[str, str]:
        """The outcome: its word (shown bold) and its sentence."""
        change = f"PHP {self.from_build} → {self.to_build}"
        if self.state is RunState.SUCCEEDED:
            return "Done.", f"{change} on staging, then production."
        if self.state is RunState.NOTHING_TO_DO:
            return "Nothing to do.", f"PHP {self.from_build} is the newest build of its line."
        return f"{str(self.state).capitalize()}.", f"{change} was not completed: {self.error}"

    @property
    def run_line(self) -> str:
        finished = f", finished {when(self.finished)}" if self.finished else ""
        return f"Run {self.run_id}, started {when(self.started)}{finished}."

    @property
    def pins_line(self) -> str | None:
        if not self.staging_commit:
            return None
        named = [
            ("staging", self.staging_commit),
            ("production", self.production_commit),
            ("dev", self.dev_commit),
        ]
        return "Pins: " + ", ".join(f"{env} {commit[:10]}" for env, commit in named if commit) + "."

    @property
    def window(self) -> ProductionWindow | None:
        """None when the run never touched production."""
        if self.production_touched_at is None:
            return None
        checks = [
            check
            for result in self.smoke
            if result.get("environment") == "production"
            for check in result.get("checks", ())
        ]
        failed = sum(not check.get("ok") for check in checks)
        put_back = any(line.startswith("production back on") for line in self.undo)
        return ProductionWindow(
            self.production_touched_at,
            self.production_affected_seconds,
            len(checks),
            failed,
            put_back,
        )

    @property
    def production_now(self) -> str:
        """What production runs now, as far as the run knows."""
        old = self.from_build
        if self.state is RunState.SUCCEEDED:
            return f"Production now runs PHP {self.to_build}."
        if self.state is RunState.NOTHING_TO_DO:
            return f"Production runs PHP {old}, unchanged."
        if self.production_touched_at is None:
            return f"Production runs PHP {old}, unchanged: the update stopped before reaching it."
        if self.state in (RunState.ROLLED_BACK, RunState.ABORTED) or any(
            line.startswith("production back on") for line in self.undo
        ):
            return f"Production runs PHP {old} again: the build it was put back on."
        if self.state is RunState.RUNNING:
            return "Production may be between builds: the update has not finished."
        return (
            f"Production could not be confirmed back on PHP {old}: a person must check it "
            "(see Put back)."
        )

    @property
    def production_lines(self) -> list[str]:
        window = self.window
        return [self.production_now, *(window.sentences() if window else [])]

    @property
    def security_applied(self) -> bool:
        return self.state is RunState.SUCCEEDED

    @property
    def security_heading(self) -> str:
        if self.security_applied:
            return "Security fixes in this update"
        return "Security fixes this update would have brought"

    @property
    def security_note(self) -> str | None:
        """Why the fixes listed are not on production (None when they are)."""
        if self.security_applied:
            return None
        why = NOT_APPLIED.get(self.state, f"the update {self.state}")
        return f"Not applied: {why}."

    def to_dict(self) -> dict[str, Any]:
        window = self.window
        return {
            **asdict(self),
            "state": str(self.state),
            "ok": self.ok,
            "production": {
                "runs": self._production_build(),
                "summary": self.production_now,
                "window": window.to_dict() if window else None,
            },
            "security_applied": self.security_applied,
        }

    def _production_build(self) -> str | None:
        if self.state is RunState.SUCCEEDED:
            return self.to_build
        if self.production_now.startswith("Production runs PHP"):
            return self.from_build
        return None  # not known: the run did not finish, or production was not put back


def report_of(
    journal: Journal,
    site: str,
    smoke_results: Sequence[SmokeResult],
    check: UpdateCheck | None,
) -> UpdateReport:
    facts = journal.facts
    smoke = tuple(facts.get("smoke", ())) or tuple(r.to_dict() for r in smoke_results)
    return UpdateReport(
        project=journal.project,
        site=site,
        run_id=journal.run_id,
        state=journal.state,
        from_build=from_build(journal),
        to_build=to_build(journal),
        started=journal.started,
        finished=journal.finished,
        error=journal.error,
        steps=tuple(
            _step_line(s.name, str(s.state), s.started, s.seconds, s.detail) for s in journal.steps
        ),
        smoke=smoke,
        production_affected_seconds=facts.get("production_affected_seconds"),
        staging_commit=facts.get("staging_commit"),
        production_commit=facts.get("production_commit"),
        dev_commit=facts.get("dev_commit"),
        undo=tuple(journal.undo),
        security=tuple(facts.get("security", ())),
        check=check.to_dict() if check else None,
        production_touched_at=facts.get("production_touched_at"),
    )


def _step_line(
    name: str, state: str, started: str | None, seconds: float | None, detail: str
) -> StepLine:
    done, to_do = STEP_WORDS.get(name, (name.replace("_", " ").capitalize(),) * 2)
    return StepLine(name, state, started, seconds, detail, done if state == "done" else to_do)
