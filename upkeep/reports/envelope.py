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

from collections.abc import Sequence
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
