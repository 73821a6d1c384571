"""Alerts: which incident transitions tell whom, in what words, and whether it arrived.

The inventory's ``alerts:`` section (every key optional)::

    alerts:
      failure_threshold: 2          # problem results in a row before an incident opens
      success_threshold: 2          # OK results in a row before it is resolved
      min_priority: P2              # alert on P1 and P2 incidents (default P4: all)
      environments: [production]    # default: every environment
      webhooks:                     # default: notify.webhook
        - url: {secret: slack_alerts_url}
      mail: [oncall@example.com]    # default: notify.mail.to, sent through notify.mail

An incident alerts when it opens, when its priority rises, and when it is
resolved (with how long it lasted), if its priority reaches ``min_priority``
and its environment is listed. Transitions inside a maintenance window send
nothing. A failed delivery is a ``Delivery`` value (and a log line), never an
exception: the check run that caused the alert goes on.

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
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from upkeep.monitor.incidents import Change, IncidentPolicy, Priority, Transition
from upkeep.notify import Address, Delivery, Notify, Webhook, send_mail

log = logging.getLogger(__name__)

KeyPath = tuple[str | int, ...]  # a place in the YAML, as upkeep.inventory.yamldoc.Path
# The inventory's environment names (pinned to upkeep.inventory.model.EnvName by a test).
EnvName = Literal["dev", "staging", "production"]


class _Model(BaseModel):
    # upkeep.inventory.model.Model's config (a test keeps them equal); not
    # imported, because the inventory model imports this module.
    model_config = ConfigDict(frozen=True, extra="forbid")


def _priority(value: Any) -> Any:
    names = ", ".join(p.value for p in Priority)
    if isinstance(value, str) and value.strip().upper() in {p.value for p in Priority}:
        return value.strip().upper()
    if isinstance(value, Priority):
        return value
    raise ValueError(f"{str(value)[:20]!r} is not a priority (use one of {names})")


Threshold = Annotated[int, Strict(), Field(ge=1, le=100)]


class Alerts(_Model):
    """The ``alerts:`` section; its thresholds also decide when incidents open and close."""

    failure_threshold: Threshold = 2
    success_threshold: Threshold = 2
    min_priority: Annotated[Priority, BeforeValidator(_priority)] = Priority.P4  # all
    environments: tuple[EnvName, ...] = ()  # empty: all
    webhooks: tuple[Webhook, ...] | None = None  # None: notify.webhook
    mail: tuple[Address, ...] | None = None  # None: notify.mail.to

    @property
    def policy(self) -> IncidentPolicy:
        return IncidentPolicy(self.failure_threshold, self.success_threshold)

    def wants(self, transition: Transition) -> bool:
        """Whether this transition is worth an alert here."""
        incident = transition.incident
        if transition.in_maintenance:
            return False
        if self.environments and incident.environment not in self.environments:
            return False
        return not self.min_priority.above(incident.priority)

    def webhooks_with(self, notify: Notify | None) -> tuple[Webhook, ...]:
        if self.webhooks is not None:
            return self.webhooks
        return (notify.webhook,) if notify is not None and notify.webhook is not None else ()

    def recipients_with(self, notify: Notify | None) -> tuple[str, ...]:
        if self.mail is not None:
            return self.mail
        return notify.mail.to if notify is not None and notify.mail is not None else ()


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
        "text": subject.removeprefix("[upkeep] "),  # what Slack-style receivers show
    }
    return Alert(transition, subject, text, payload)


def send(
    transitions: Iterable[Transition], alerts: Alerts, notify: Notify | None
) -> list[Delivery]:
    """Send every wanted transition to its webhooks and recipients; one Delivery each."""
    deliveries: list[Delivery] = []
    webhooks = alerts.webhooks_with(notify)
    recipients = alerts.recipients_with(notify)
    for transition in transitions:
        if not alerts.wants(transition):
            continue
        alert = compose(transition)
        deliveries += [webhook.post(alert.payload) for webhook in webhooks]
        if not recipients:
            continue
        if notify is None or notify.mail is None:
            unsent = Delivery(
                "mail",
                ", ".join(recipients),
                False,
                "no SMTP server to send through (add notify.mail to the inventory)",
            )
            log.warning("%s", unsent)
            deliveries.append(unsent)
            continue
        deliveries.append(send_mail(notify.mail, recipients, alert.subject, alert.text))
    return deliveries


def crosscheck(data: Any) -> list[tuple[KeyPath, str]]:
    """Problems across the monitoring sections, from the raw YAML (as the inventory's
    crosscheck does): mail with no server to send it, environments the project lacks."""
    if not isinstance(data, dict):
        return []
    problems: list[tuple[KeyPath, str]] = []
    alerts, notify = data.get("alerts"), data.get("notify")
    if isinstance(alerts, dict):
        has_server = isinstance(notify, dict) and isinstance(notify.get("mail"), dict)
        if isinstance(alerts.get("mail"), list) and alerts["mail"] and not has_server:
            problems.append(
                (
                    ("alerts", "mail"),
                    "mail recipients but no SMTP server to send through "
                    "(add notify.mail with host and from)",
                )
            )
        problems += _unknown_environments(data, ("alerts", "environments"), alerts)
    windows = data.get("maintenance")
    for index, window in enumerate(windows if isinstance(windows, list) else []):
        if isinstance(window, dict):
            problems += _unknown_environments(data, ("maintenance", index, "environments"), window)
    return problems


def _unknown_environments(
    data: dict[str, Any], path: KeyPath, section: dict[str, Any]
) -> list[tuple[KeyPath, str]]:
    listed, existing = section.get("environments"), data.get("environments")
    if not isinstance(listed, list) or not isinstance(existing, dict):
        return []
    names = ", ".join(map(str, existing))
    return [
        ((*path, index), f"the project has no {name!r} environment (it has: {names})")
        for index, name in enumerate(listed)
        # A name that is no environment at all is the model's to report.
        if name in typing.get_args(EnvName) and name not in existing
    ]
