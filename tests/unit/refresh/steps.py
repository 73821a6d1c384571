"""Step records as a refresh's report holds them, built for report tests."""

from __future__ import annotations

import datetime as dt

from upkeep.pipeline import StepRecord, StepState

START = dt.datetime(2026, 11, 23, 11, 59, tzinfo=dt.UTC)


def took(name: str, seconds: float, detail: str) -> StepRecord:
    """A step done in ``seconds`` (a record's time comes from its stamps)."""
    end = START + dt.timedelta(seconds=seconds)
    stamp = "%Y-%m-%dT%H:%M:%S.%fZ"
    return StepRecord(name, StepState.DONE, f"{START:{stamp}}", f"{end:{stamp}}", detail)
