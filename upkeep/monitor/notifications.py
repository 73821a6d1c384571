"""The ``notifications`` table: every alert delivery, so it is sent once and people see who was told.

A row per delivery of an incident's event (opened, escalated to a priority,
resolved) to one channel and address, as ``upkeep.notify`` shows it (a
webhook's scheme and host, the mail's recipients: never a secret), with its
outcome and the machine that sent it. An event already delivered there is
not sent again, whichever runner comes next.

    >>> told = Told(12, "opened", "P1", "mail", "ops@agency.example", True, "accepted",
    ...             "2026-11-23T09:00:00.000000Z", "ci-7")
    >>> str(told)
    'opened (P1): mail to ops@agency.example sent by ci-7 at 2026-11-23T09:00:00.000000Z (accepted)'
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from upkeep.notify import Delivery

if TYPE_CHECKING:
    from upkeep.state.database import Database

_COLUMNS = "incident_id, event, priority, channel, target, ok, detail, at, machine"


@dataclass(frozen=True)
class Told:
    """One delivery as the store keeps it."""

    incident: int
    event: str  # the transition's change: opened, escalated, resolved
    priority: str
    channel: str
    target: str
    ok: bool
    detail: str
    at: str  # UTC text
    machine: str

    def __str__(self) -> str:
        outcome = "sent" if self.ok else "NOT sent"
        return (
            f"{self.event} ({self.priority}): {self.channel} to {self.target} {outcome} by "
            f"{self.machine} at {self.at} ({self.detail})"
        )


def note(db: Database, incident: int, event: str, priority: str, sent: Sequence[Delivery]) -> None:
    """``sent`` (deliveries of one incident's event), inside the caller's transaction."""
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    machine = socket.gethostname()
    db.executemany(
        f"INSERT INTO notifications ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (incident, event, priority, d.channel, d.target, int(d.ok), d.detail, at, machine)
            for d in sent
        ],
    )


def told(db: Database, incident: int) -> list[Told]:
    """Every delivery of ``incident``'s events, oldest first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM notifications WHERE incident_id = ? ORDER BY at", (incident,)
    )
    return [
        Told(int(i), event, priority, channel, target, bool(ok), detail, at, machine)
        for i, event, priority, channel, target, ok, detail, at, machine in rows
    ]
