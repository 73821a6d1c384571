"""One exception hierarchy: every message says what went wrong and what to do.

The CLI turns an ``UpkeepError`` into its message on stderr and its exit code;
anything else escaping a command is a bug and is reported as one.
"""

from __future__ import annotations

from upkeep.exitcodes import ExitCode


class UpkeepError(Exception):
    """Base of every error upkeep reports to a user."""

    exit_code: ExitCode = ExitCode.FAILED

    def lines(self) -> list[str]:
        """The message as the lines the CLI prints."""
        return [str(self)]


class UsageError(UpkeepError):
    """Bad input or usage: nothing was changed."""

    exit_code = ExitCode.USAGE


class InventoryError(UsageError):
    """One or more problems in inventory files, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))

    def lines(self) -> list[str]:
        return self.problems


class ConnectionFailed(UpkeepError):
    """A host could not be reached."""


class LabError(UpkeepError):
    """The container lab could not be built, started or inspected."""


class RunFailed(UpkeepError):
    """A job ran and failed."""
