"""The run journal of an update: on disk after every step, so a run can be resumed or undone.

One file per project (``<state>/updates/<project>.json``), written atomically.
It says which steps are done, which one was running when the run stopped,
and the facts later steps need (the builds, the pins commits, where the
backup and the kept packages are). A finished run stays in the file until
the next run starts; an unfinished one must be resumed or aborted first.

    >>> journal = Journal.start("demo", "8.2.32-1~deb12u1", "8.2.36-1~deb12u1", ("lock", "bump"))
    >>> journal.next_step(), journal.state
    ('lock', <RunState.RUNNING: 'running'>)
    >>> journal.step("lock").finish("locked"); journal.next_step()
    'bump'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from upkeep.atomic import write_atomic
from upkeep.errors import UpkeepError


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"  # if the journal says so and no process runs it, the run died here
    DONE = "done"
    FAILED = "failed"


class RunState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # updated everywhere
    NOTHING_TO_DO = "nothing to do"
    ROLLED_BACK = "rolled back"  # failed; the environments were put back
    ABORTED = "aborted"  # stopped by `update abort`; the environments were put back
    FAILED = "failed"  # failed and could not be put back: needs a person

    @property
    def finished(self) -> bool:
        return self is not RunState.RUNNING


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


@dataclass
class JournalStep:
    name: str
    state: StepState = StepState.PENDING
    started: str | None = None
    finished: str | None = None
    detail: str = ""

    def begin(self) -> None:
        self.state, self.started, self.finished, self.detail = StepState.RUNNING, _now(), None, ""

    def finish(self, detail: str) -> None:
        self.state, self.finished, self.detail = StepState.DONE, _now(), detail

    def fail(self, detail: str) -> None:
        self.state, self.finished, self.detail = StepState.FAILED, _now(), detail

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return (parse_time(self.finished) - parse_time(self.started)).total_seconds()


@dataclass
class Journal:
    run_id: str
    project: str
    from_build: str
    to_build: str
    steps: list[JournalStep]
    state: RunState = RunState.RUNNING
    started: str = field(default_factory=_now)
    finished: str | None = None
    error: str | None = None
    control: str = field(default_factory=lambda: f"{socket.gethostname()} pid {os.getpid()}")
    facts: dict[str, Any] = field(default_factory=dict)  # what later steps (and undo) need
    undo: list[str] = field(default_factory=list)  # what was done to put things back

    @classmethod
    def start(cls, project: str, from_build: str, to_build: str, steps: Sequence[str]) -> Journal:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return cls(
            run_id=f"{stamp}-{secrets.token_hex(3)}",
            project=project,
            from_build=from_build,
            to_build=to_build,
            steps=[JournalStep(name) for name in steps],
        )

    def step(self, name: str) -> JournalStep:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def next_step(self) -> str | None:
        """The first step not done (a step left running counts: it is run again)."""
        return next((s.name for s in self.steps if s.state is not StepState.DONE), None)

    def done(self, name: str) -> bool:
        return self.step(name).state is StepState.DONE

    def started_step(self, name: str) -> bool:
        return self.step(name).state is not StepState.PENDING

    def end(self, state: RunState, error: str | None = None) -> None:
        self.state, self.finished, self.error = state, _now(), error

    def where(self) -> str:
        """Where the run is, in words, for ``update status``."""
        if self.state.finished:
            return f"{self.state} at {self.finished}" + (f": {self.error}" if self.error else "")
        step = next((s for s in self.steps if s.state is not StepState.DONE), None)
        if step is None:
            return "all steps done; not marked finished"
        verb = {StepState.RUNNING: "stopped during", StepState.FAILED: "failed at"}
        return f"{verb.get(step.state, 'next step:')} {step.name}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Journal:
        steps = [
            JournalStep(s["name"], StepState(s["state"]), s["started"], s["finished"], s["detail"])
            for s in data["steps"]
        ]
        return cls(**{**data, "steps": steps, "state": RunState(data["state"])})


class JournalStore:
    """Where journals live: ``<state>/updates/<project>.json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, project: str) -> Path:
        return self.directory / f"{project}.json"

    def load(self, project: str) -> Journal | None:
        path = self.path(project)
        if not path.exists():
            return None
        try:
            return Journal.from_dict(json.loads(path.read_text()))
        except (ValueError, KeyError, TypeError) as error:
            raise UpkeepError(
                f"the update journal {path} cannot be read ({error}); move it away to start over"
            ) from None

    def save(self, journal: Journal) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps(journal.to_dict(), indent=2) + "\n"
        write_atomic(self.path(journal.project), text, mode=0o600)
