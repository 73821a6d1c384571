"""Exit codes shared by every command (documented in the README)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # success, or nothing to do
    FAILED = 1  # the job ran and failed (or rolled back), or found drift/problems
    USAGE = 2  # bad input or usage; nothing was changed
    UNKNOWN = 3  # Nagios UNKNOWN, only where the Nagios format is asked for
