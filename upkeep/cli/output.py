"""Rendering at the edge: JSON for machines, plain lines for people."""

from __future__ import annotations

import json
import sys
from typing import Any

from upkeep.progress import muted, wanted
from upkeep.reports.text import table

__all__ = ["notice", "print_json", "progress", "table"]


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


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
