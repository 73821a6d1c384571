"""The journal of a run: its steps, where it stands, and what later steps (and undo) need.

Every job that runs on the pipeline keeps one. A job that can be resumed or
aborted after a kill (an update) saves it after every step, in a
``JournalStore`` (the state store, shared by every machine that points at
it); the others keep it in memory and report from it. A finished run stays in
the store until the next run starts; an unfinished one must be resumed or
aborted first.

    >>> journal = Journal.start("update", "demo", ("lock", "bump"))
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

from upkeep.errors import UpkeepError
from upkeep.state import Location, Store, locate, open_store
from upkeep.state.journals import Saved
from upkeep.workspace import state_home


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"  # if the journal says so and no process runs it, the run died here
    DONE = "done"
    FAILED = "failed"


class RunState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    NOTHING_TO_DO = "nothing to do"
    ROLLED_BACK = "rolled back"  # failed; what it had done was undone
    ABORTED = "aborted"  # stopped by an operator; what it had done was undone
    FAILED = "failed"  # failed and could not be put back: needs a person

    @property
    def finished(self) -> bool:
        return self is not RunState.RUNNING


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


@dataclass
class StepRecord:
    """One step of a run: its state, when it ran, how long (from its stamps), and what it said."""

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
        # From the stamps, so a journal written before times were kept has them too.
        if self.started is None or self.finished is None:
            return None
        return round((parse_time(self.finished) - parse_time(self.started)).total_seconds(), 2)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": self.seconds}


@dataclass
class Journal:
    run_id: str
    job: str  # what ran: "update", "refresh", ...
    project: str
    steps: list[StepRecord]
    state: RunState = RunState.RUNNING
    started: str = field(default_factory=_now)
    finished: str | None = None
    error: str | None = None
    control: str = field(default_factory=lambda: control_here())
    facts: dict[str, Any] = field(default_factory=dict)  # what later steps (and undo) need
    undo: list[str] = field(default_factory=list)  # what was done to put things back

    @classmethod
    def start(cls, job: str, project: str, steps: Sequence[str]) -> Journal:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return cls(
            run_id=f"{stamp}-{secrets.token_hex(3)}",
            job=job,
            project=project,
            steps=[StepRecord(name) for name in steps],
        )

    def step(self, name: str) -> StepRecord:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def add_step(self, name: str) -> StepRecord:
        self.steps.append(StepRecord(name))
        return self.steps[-1]

    def next_step(self) -> str | None:
        """The first step not done (a step left running counts: it is run again)."""
        return next((s.name for s in self.steps if s.state is not StepState.DONE), None)

    def done(self, name: str) -> bool:
        return self.step(name).state is StepState.DONE

    def started_step(self, name: str) -> bool:
        return self.step(name).state is not StepState.PENDING

    def running_step(self) -> StepRecord | None:
        return next((s for s in self.steps if s.state is StepState.RUNNING), None)

    def end(self, state: RunState, error: str | None = None) -> None:
        self.state, self.finished, self.error = state, _now(), error

    def where(self) -> str:
        """Where the run is, in words, for a status command."""
        if self.state.finished:
            return f"{self.state} at {self.finished}" + (f": {self.error}" if self.error else "")
        step = next((s for s in self.steps if s.state is not StepState.DONE), None)
        if step is None:
            return "all steps done; not marked finished"
        verb = {StepState.RUNNING: "stopped during", StepState.FAILED: "failed at"}
        return f"{verb.get(step.state, 'next step:')} {step.name}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "steps": [step.to_dict() for step in self.steps]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Journal:
        data = _named_job(data)
        steps = [
            StepRecord(s["name"], StepState(s["state"]), s["started"], s["finished"], s["detail"])
            for s in data["steps"]
        ]
        return cls(**{**data, "steps": steps, "state": RunState(data["state"])})


def _named_job(data: dict[str, Any]) -> dict[str, Any]:
    """A journal from before jobs were named (updates only, builds at the top level)."""
    if "job" in data:
        return data
    old = dict(data)
    builds = {key: old.pop(key) for key in ("from_build", "to_build") if key in old}
    return {**old, "job": "update", "facts": {**builds, **old.get("facts", {})}}


def control_here() -> str:
    """Who is running a run: this machine and process (shown by status commands)."""
    return f"{socket.gethostname()} pid {os.getpid()}"


class JournalStore:
    """One job's journals in the state store, one per key (a project, or a target).

    Every machine that shares the store (UPKEEP_DATABASE_URL) sees the same
    journals: a run killed on one is resumed or aborted from another. Each save
    records this machine and state home. ``old_files`` is where this job kept
    ``<key>.json`` files before the store: they are imported on first use (a
    key the store has already keeps the store's) and renamed ``.json.imported``.

        >>> import tempfile
        >>> from upkeep.state import Location
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder) / "upkeep.db"
        ...     journals = JournalStore("update", location=Location(f"sqlite:///{path}", path))
        ...     journals.save(Journal.start("update", "shop", ("lock",)))
        ...     journals.load("shop").next_step()
        'lock'
    """

    def __init__(
        self, job: str, *, old_files: Path | None = None, location: Location | None = None
    ) -> None:
        self.job = job
        self.old_files = old_files
        self.location = location

    def _open(self) -> Store:
        store = open_store(self.location)
        if self.old_files is not None:
            try:
                _import(store, self.job, self.old_files)  # once: an imported file is renamed
            except BaseException:
                store.close()
                raise
            self.old_files = None  # looked at: a run's every save need not look again
        return store

    def saved(self, key: str) -> Saved | None:
        """The key's journal as the store keeps it (who saved it, from where), or None."""
        with self._open() as store:
            return store.journal(self.job, key)

    def load(self, key: str) -> Journal | None:
        saved = self.saved(key)
        if saved is None:
            return None
        return _journal(saved.body, self.source(key), "start a new run to replace it")

    def save(self, journal: Journal, key: str | None = None) -> None:
        with self._open() as store:
            store.save_journal(_saved(self.job, key or journal.project, journal))

    def source(self, key: str) -> str:
        """Where the key's journal is, for people (a report's footnote)."""
        url = (self.location or locate()).url
        return f"{url} journal {self.job}/{key}"


def _saved(job: str, key: str, journal: Journal) -> Saved:
    return Saved(
        job,
        key,
        journal.run_id,
        str(journal.state),
        socket.gethostname(),
        str(state_home()),
        _now(),
        json.dumps(journal.to_dict()),
    )


def _journal(text: str, where: str, remedy: str) -> Journal:
    try:
        return Journal.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError) as error:
        raise UpkeepError(f"the run journal {where} cannot be read ({error}); {remedy}") from None


def _import(store: Store, job: str, directory: Path) -> None:
    """The ``<key>.json`` journals in ``directory`` into the store, each file then renamed."""
    files = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not files:
        return
    readable = "move it away to import the others"
    found = [_saved(job, p.stem, _journal(p.read_text(), str(p), readable)) for p in files]
    store.import_journals(found)  # a key the store has already keeps the store's journal
    for path in files:
        path.rename(path.with_name(path.name + ".imported"))
