"""Rendering at the edge: JSON for machines, plain lines for people."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from upkeep.errors import UpkeepError
from upkeep.exitcodes import ExitCode
from upkeep.progress import muted, wanted
from upkeep.reports.envelope import envelope
from upkeep.reports.jsontext import dump
from upkeep.reports.text import table

__all__ = ["command_of", "notice", "print_error", "print_json", "progress", "table"]


def print_json(
    args: argparse.Namespace,
    data: Any,
    exit_code: int = ExitCode.OK,
    *,
    status: str | None = None,
    errors: Sequence[str] = (),
) -> int:
    """``data`` in the ``--json`` envelope (upkeep.reports.envelope) on stdout; ``exit_code``.

    Every ``--json`` output goes through here, so each carries the same envelope.
    """
    wrapped = envelope(command_of(args), exit_code, data, status=status, errors=errors)
    dump(wrapped, sys.stdout)
    return int(exit_code)


def print_error(error: UpkeepError) -> None:
    """An error's lines on stderr, each after ``upkeep:``, as every command says them."""
    for line in error.lines():
        print(f"upkeep: {line}", file=sys.stderr)


def command_of(args: argparse.Namespace) -> str:
    """The command as typed after ``upkeep`` (``update minor``), as ``main`` names it."""
    return str(getattr(args, "command_name", None) or getattr(args, "command", "") or "")


def progress(message: str) -> None:
    """A progress line for long steps, on stderr so stdout stays parseable.

    Only where someone reads it: a terminal, or ``--progress`` (``upkeep.progress.wanted``).
    """
    if wanted(sys.stderr):
        print(f"  … {message}", file=sys.stderr, flush=True)


def notice(message: str) -> None:
    """A line about what the command did beside its output (a report sent or not), on stderr.

    Not progress: a log keeps it without a terminal; only a muted run (``check --nagios``)
    drops it, its output being the plugin's alone.
    """
    if not muted():
        print(f"  … {message}", file=sys.stderr, flush=True)
