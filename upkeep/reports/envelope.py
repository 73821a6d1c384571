"""The one shape of every ``--json`` output: a versioned envelope around the command's value.

``data`` is the command's own value (what ``--json`` printed before the
envelope); the rest says which command made it, with which upkeep, how it
ended and why. ``schema`` changes only when a field of the envelope is
removed or changes meaning; new fields may be added within a version.

    >>> wrapped = envelope("ping", 1, {"project": "demo"}, errors=["web1: refused"])
    >>> wrapped["schema"], wrapped["status"], wrapped["exit_code"], wrapped["errors"]
    ('upkeep/1', 'failed', 1, [{'message': 'web1: refused'}])
    >>> envelope("check", 2, None, status="critical")["status"]
    'critical'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from upkeep import __version__

SCHEMA = "upkeep/1"
FIELDS = ("schema", "command", "upkeep_version", "status", "exit_code", "data", "errors")
# The status an exit code says unless the command says better (check: warning, critical).
STATUS = {0: "ok", 1: "failed", 2: "error", 3: "unknown"}


def envelope(
    command: str,
    exit_code: int,
    data: Any,
    *,
    status: str | None = None,
    errors: Sequence[str] = (),
) -> dict[str, Any]:
    """``data`` wrapped: ``command`` as typed after ``upkeep`` (e.g. ``update minor``)."""
    return {
        "schema": SCHEMA,
        "command": command,
        "upkeep_version": __version__,
        "status": status or STATUS.get(int(exit_code), "failed"),
        "exit_code": int(exit_code),
        "data": data,
        "errors": [{"message": message} for message in errors],
    }


def chunks(wrapped: dict[str, Any]) -> Iterator[str]:
    """The envelope as indented JSON, piece by piece (an estimate's can be tens of MB).

    Values JSON has no type for (paths, times) are written as their text; text stays as
    written (UTF-8), as the JSON before the envelope was.

    >>> "".join(chunks({"data": [1]})).splitlines()
    ['{', '  "data": [', '    1', '  ]', '}']
    """
    encoder = json.JSONEncoder(indent=2, default=str, ensure_ascii=False)
    yield from in_blocks(encoder.iterencode(wrapped))
    yield "\n"


def in_blocks(pieces: Iterable[str], count: int = 4096) -> Iterator[str]:
    """``pieces`` joined ``count`` at a time: one write per block, not per piece.

    The indenting JSON encoder yields every bracket, key and value apart (1.7
    million pieces for a 10,000-file estimate); a write each cost more than
    the encoding itself, while blocks of a few thousand stay small in memory.

    >>> list(in_blocks(["{", "1", "}"], count=2))
    ['{1', '}']
    """
    block: list[str] = []
    for piece in pieces:
        block.append(piece)
        if len(block) == count:
            yield "".join(block)
            block.clear()
    if block:
        yield "".join(block)
