"""Rendering at the edge: JSON for machines, plain lines for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from upkeep.progress import muted, wanted


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


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
