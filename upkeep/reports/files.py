"""Where reports go: the one ``--format/--output`` rule, file names, and whole-file writes.

Every command that writes reports decides the same way (``destinations``):

- ``--output -``: the one report on stdout; it needs one format, and not ``--json``
  too (both would print on stdout);
- ``--output FILE``: that one file, in the format ``--format`` names or, without
  it, its suffix says (``quote.html``);
- ``--output DIR`` (an existing directory, or a path ending in ``/``), or no
  ``--output``: each format as ``DIR/<stem>.<format>``, DIR being the command's
  place under ``reports/`` by default; no default place: nothing is written.

A file is written whole or not at all (``write_atomically``, through
upkeep.atomic: a temporary file beside it, then renamed over it).

    >>> [(d.format, str(d.path)) for d in destinations(FORMATS, None, None, Path("reports/sla"),
    ...                                                 "demo-2026-11")]
    [('md', 'reports/sla/demo-2026-11.md'), ('html', 'reports/sla/demo-2026-11.html'), ('json', 'reports/sla/demo-2026-11.json')]
    >>> [(d.format, d.to_stdout) for d in destinations(FORMATS, "md", "-", None, "x")]
    [('md', True)]
    >>> [(d.format, str(d.path)) for d in destinations(FORMATS, None, "quote.html", None, "x")]
    [('html', 'quote.html')]
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from upkeep.atomic import write_atomic
from upkeep.errors import UsageError
from upkeep.state.current import note_report

FORMATS = ("md", "html", "json")
STDOUT = "-"


@dataclass(frozen=True)
class Destination:
    """One report to write: its format, and its file (None: stdout)."""

    format: str
    path: Path | None

    @property
    def to_stdout(self) -> bool:
        return self.path is None


def names_one_place(formats: Sequence[str], chosen: str | None, output: str | None) -> bool:
    """Whether ``--output`` names one file (or stdout), not a directory of reports: several
    projects' reports would land on one another there."""
    if output is None:
        return False
    probe = [destinations(formats, chosen, output, None, stem) for stem in ("a", "b")]
    return probe[0] == probe[1]


def destinations(
    formats: Sequence[str],
    chosen: str | None,
    output: str | None,
    directory: Path | None,
    stem: str,
    *,
    json_asked: bool = False,
) -> list[Destination]:
    """Each report ``--format chosen`` (None: every one of ``formats``) and ``--output`` ask for.

    ``directory`` is the command's default place (None: write nothing unasked);
    ``stem`` names the files in a directory. Checked before any work: bad usage
    is refused (UsageError) with nothing done.
    """
    if output == STDOUT:
        if json_asked:
            raise UsageError("--output - and --json both print on stdout; choose one")
        if chosen is None:
            raise UsageError("--output - (stdout) takes one format: add --format md, html or json")
        return [Destination(chosen, None)]
    suffix = Path(output).suffix[1:] if output else ""
    one = chosen or (suffix if suffix in formats else None)
    if output is not None and one and not output.endswith("/") and not Path(output).is_dir():
        return [Destination(one, Path(output))]
    place = Path(output) if output is not None else directory
    if place is None:
        return []
    if place.exists() and not place.is_dir():
        raise UsageError(f"{place}: not a directory (with --format, --output is a file)")
    return [Destination(fmt, report_path(place, stem, fmt)) for fmt in ([one] if one else formats)]


def write_reports(
    wanted: Sequence[Destination], render: Callable[[str, TextIO], object], stdout: TextIO
) -> list[Path]:
    """Each report ``render(format, stream)`` writes: a file whole, or on ``stdout``.

    The files written, in ``wanted``'s order (what went to stdout is not one).
    """
    written = []
    for destination in wanted:
        if destination.path is None:
            render(destination.format, stdout)
        else:
            one = functools.partial(render, destination.format)
            written.append(write_atomically(destination.path, one))
    return written


def report_path(directory: Path, stem: str, fmt: str) -> Path:
    """A report's file in ``directory``: ``<stem>.<format>``.

    >>> report_path(Path("reports/update"), "demo-20261206T083104Z", "html")
    PosixPath('reports/update/demo-20261206T083104Z.html')
    """
    return directory / f"{stem}.{fmt}"


def write_atomically(path: Path, write: Callable[[TextIO], object] | str | bytes) -> Path:
    """``path`` replaced whole (upkeep.atomic) by that text (or bytes), or by what ``write`` writes;
    readable by all. A path that cannot be written is bad input, in one line (UsageError).
    """
    try:
        if isinstance(write, str | bytes):
            text: str | bytes = write
        else:  # rendered whole first: the file is replaced at once, never half written
            buffer = io.StringIO()
            write(buffer)
            text = buffer.getvalue()
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, mode=0o644)
    except OSError as error:
        raise UsageError(f"{path}: cannot write the report ({error.strerror})") from None
    note_report(path)  # the run's record lists the reports it wrote (upkeep runs)
    return path
