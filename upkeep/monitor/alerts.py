"""Alerts: which incident transitions tell whom, in what words, and whether it arrived.

Who hears of what is the inventory's ``alerts:`` section (upkeep.inventory.alerts).
An incident alerts when it opens, when its priority rises, and when it is
resolved (with how long it lasted), if its priority reaches ``min_priority``
and its environment is listed. Transitions inside a maintenance window send
nothing. A failed delivery is a ``Delivery`` value (and a log line), never an
exception: the check run that caused the alert goes on. Given a ``Ledger`` (the
history), each event's deliveries are noted there, and an event noted already
(by this machine or another runner) is not sent again.

    >>> from upkeep.monitor.incidents import Incident
    >>> from upkeep.monitor.result import CheckResult, Status
    >>> opened = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    >>> incident = Incident("demo", "production", "health", opened, Priority.P1,
    ...                     Status.CRITICAL, "502 Bad Gateway", down_since=opened,
    ...                     resolved=opened + dt.timedelta(minutes=65), id=12)
    >>> ok = CheckResult("demo", "production", "health", Status.OK, "200 OK", at=incident.resolved)
    >>> alert = compose(Transition(Change.RESOLVED, incident, ok))
    >>> alert.subject
    '[upkeep] resolved after 1h 5m: demo production health (P1)'
    >>> alert.payload["event"], alert.payload["duration_seconds"]
    ('incident.resolved', 3900)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from upkeep.inventory.alerts import Alerts
from upkeep.inventory.notify import Notify
from upkeep.inventory.priority import Priority
from upkeep.monitor.incidents import Change, IncidentPolicy, Transition
from upkeep.monitor.notifications import Told
from upkeep.monitor.quorum import DEFAULT_WINDOW, Quorum
from upkeep.notify import Delivery, post, send_mail

log = logging.getLogger(__name__)


def incident_policy(alerts: Alerts) -> IncidentPolicy:
    """The section's thresholds and quorum, as the incidents' state machine takes them."""
    needed = None if alerts.quorum == "all" else int(alerts.quorum)
    window = (
        DEFAULT_WINDOW
        if alerts.quorum_window is None
        else dt.timedelta(seconds=alerts.quorum_window)
    )
    return IncidentPolicy(
        alerts.failure_threshold, alerts.success_threshold, quorum=Quorum(needed, window)
    )


def wants(alerts: Alerts, transition: Transition) -> bool:
    """Whether this transition is worth an alert by the ``alerts:`` section."""
    incident = transition.incident
    if transition.in_maintenance:
        return False
    if alerts.environments and incident.environment not in alerts.environments:
        return False
    return not alerts.min_priority.above(incident.priority)


@dataclass(frozen=True)
class Alert:
    """One transition in words: a mail's subject and text, a webhook's JSON."""

    transition: Transition
    subject: str
    text: str
    payload: dict[str, Any]


def human_duration(duration: dt.timedelta) -> str:
    """``45s``, ``12m 30s``, ``1h 5m``, ``2d 3h``: two units at most.

    >>> human_duration(dt.timedelta(hours=26, minutes=5))
    '1d 2h'
    """
    seconds = max(0, int(duration.total_seconds()))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count or (parts and len(parts) < 2):
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    while len(parts) > 1 and parts[-1].startswith("0"):
        parts.pop()
    return " ".join(parts) or "0s"


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


_WHAT = {
    Priority.P1: "the site is down",
    Priority.P2: "production needs attention",
    Priority.P3: "worth a look",
    Priority.P4: "when there is time",
}


def compose(transition: Transition) -> Alert:
    """The alert's subject, text and webhook payload."""
    incident, result = transition.incident, transition.result
    where = f"{incident.project} {incident.environment} {incident.check}"
    number = f"#{incident.id}" if incident.id is not None else "(not stored)"
    status = f"{incident.worst.name}: {incident.summary}"
    lines = [
        f"Project:  {incident.project}",
        f"Env:      {incident.environment}",
        f"Check:    {incident.check}",
        f"Priority: {incident.priority.value} ({_WHAT[incident.priority]})",
        *(
            [f"Where:    {', '.join(incident.locations)} (the check locations that agreed)"]
            if incident.locations
            else []
        ),
    ]
    duration = None
    if transition.change is Change.RESOLVED:
        assert incident.resolved is not None
        duration = incident.resolved - incident.opened
        subject = (
            f"[upkeep] resolved after {human_duration(duration)}: {where} "
            f"({incident.priority.value})"
        )
        head = f"Incident {number} resolved after {human_duration(duration)}."
        lines += [
            f"From:     {_when(incident.opened)} (the first failed check)",
            f"To:       {_when(incident.resolved)} (the first passed check)",
            f"Was:      {status}",
            f"Now:      {result.status.name}: {result.summary}",
        ]
    else:
        verb = "opened" if transition.change is Change.OPENED else "escalated"
        subject = f"[upkeep] {incident.priority.value} {verb}: {where} — {status}"
        head = f"Incident {number} {verb}."
        lines += [
            f"Status:   {status}",
            f"Since:    {_when(incident.opened)} (the first failed check)",
        ]
        if incident.down_since is not None:
            lines.append(f"Down:     since {_when(incident.down_since)}")
        lines += [f"          {detail}" for detail in result.details[:10]]
    text = "\n".join([head, "", *lines, ""])
    payload: dict[str, Any] = {
        "event": f"incident.{transition.change.value}",
        "incident": incident.id,
        "project": incident.project,
        "environment": incident.environment,
        "check": incident.check,
        "priority": incident.priority.value,
        "status": result.status.name,
        "worst": incident.worst.name,
        "summary": incident.summary,
        "opened": incident.opened.astimezone(dt.UTC).isoformat(),
        "resolved": incident.resolved.astimezone(dt.UTC).isoformat() if incident.resolved else None,
        "duration_seconds": int(duration.total_seconds()) if duration is not None else None,
        "affects_availability": incident.affects_availability,
        "locations": list(incident.locations),  # those that agreed (upkeep.monitor.quorum)
        "text": subject.removeprefix("[upkeep] "),  # what Slack-style receivers show
    }
    return Alert(transition, subject, text, payload)


class Ledger(Protocol):
    """Where deliveries are noted (upkeep.monitor.history.History)."""

    def told(self, incident_id: int) -> list[Told]: ...

    def note_told(
        self, incident_id: int, event: str, priority: str, sent: Sequence[Delivery]
    ) -> None: ...


def send(
    transitions: Iterable[Transition],
    alerts: Alerts,
    notify: Notify | None,
    ledger: Ledger | None = None,
) -> list[Delivery]:
    """Send every wanted transition to its webhooks and recipients; one Delivery each.

    With a ``ledger``, an event it holds already is skipped, and what is sent is noted."""
    deliveries: list[Delivery] = []
    for transition in transitions:
        if not wants(alerts, transition):
            continue
        incident = transition.incident
        event, priority = transition.change.value, incident.priority.value
        if ledger is not None and incident.id is not None:
            told = ledger.told(incident.id)
            if any((t.event, t.priority) == (event, priority) for t in told):
                continue  # another run sent it (or tried to) already
        sent = _deliver(compose(transition), alerts, notify)
        if ledger is not None and incident.id is not None:
            ledger.note_told(incident.id, event, priority, sent)
        deliveries += sent
    return deliveries


def _deliver(alert: Alert, alerts: Alerts, notify: Notify | None) -> list[Delivery]:
    """``alert`` to the webhooks and recipients; one Delivery each."""
    recipients = alerts.recipients_with(notify)
    deliveries = [post(webhook, alert.payload) for webhook in alerts.webhooks_with(notify)]
    if recipients:
        if notify is None or notify.mail is None:
            unsent = Delivery(
                "mail",
                ", ".join(recipients),
                False,
                "no SMTP server to send through (add notify.mail to the inventory)",
            )
            log.warning("%s", unsent)
            deliveries.append(unsent)
        else:
            deliveries.append(send_mail(notify.mail, recipients, alert.subject, alert.text))
    return deliveries
