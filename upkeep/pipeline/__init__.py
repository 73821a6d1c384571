"""The step pipeline every job runs on: named steps, one driver, a journal, undo in reverse."""

from upkeep.pipeline.driver import LOCK, Pipeline, Step, describe_locks, records
from upkeep.pipeline.journal import Journal, JournalStore, RunState, StepRecord, StepState

__all__ = [
    "LOCK",
    "Journal",
    "JournalStore",
    "Pipeline",
    "RunState",
    "Step",
    "StepRecord",
    "StepState",
    "describe_locks",
    "records",
]
