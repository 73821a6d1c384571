"""The inventory's ``alerts:`` section: which incident transitions tell whom.

Every key is optional::

    alerts:
      failure_threshold: 2          # problem results in a row before an incident opens
      success_threshold: 2          # OK results in a row before it is resolved
      quorum: all                   # checks from several locations: how many must agree
      quorum_window: 10m            # a location's newest result counts for this long
      min_priority: P2              # alert on P1 and P2 incidents (default P4: all)
      environments: [production]    # default: every environment
      webhooks:                     # default: notify.webhook
        - url: {secret: slack_alerts_url}
      mail: [oncall@example.com]    # default: notify.mail.to, sent through notify.mail

Composing and sending the alerts is upkeep.monitor.alerts' business; how the
locations' results agree is upkeep.monitor.quorum's (``quorum``: ``all`` the
locations that reported within ``quorum_window``, or a number of them).

    >>> Alerts.model_validate({"min_priority": "p2"}).min_priority
    <Priority.P2: 'P2'>
    >>> Alerts.model_validate({"quorum": 2, "quorum_window": "15m"}).quorum_window
    900
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainValidator, Strict

from upkeep.inventory.base import EnvironmentName, Model
from upkeep.inventory.checks import Interval
from upkeep.inventory.notify import Address, Notify, Webhook
from upkeep.inventory.priority import Priority, read_priority

KeyPath = tuple[str | int, ...]  # a place in the YAML, as upkeep.inventory.yamldoc.Path


Threshold = Annotated[int, Strict(), Field(ge=1, le=100)]


def _quorum(value: Any) -> Any:
    """``all`` or a whole number of locations, 1 to 100."""
    if value == "all" or (type(value) is int and 1 <= value <= 100):
        return value
    raise ValueError(f"expected 'all' or a number of locations from 1 to 100, got {value!r:.60}")


QuorumSize = Annotated[Literal["all"] | int, PlainValidator(_quorum)]


class Alerts(Model):
    """The ``alerts:`` section; its thresholds also decide when incidents open and close."""

    failure_threshold: Threshold = 2
    success_threshold: Threshold = 2
    quorum: QuorumSize = "all"
    quorum_window: Interval = 600  # seconds; None (written as null): the default
    min_priority: Annotated[Priority, BeforeValidator(read_priority)] = Priority.P4  # all
    environments: tuple[EnvironmentName, ...] = ()  # empty: all
    webhooks: tuple[Webhook, ...] | None = None  # None: notify.webhook
    mail: tuple[Address, ...] | None = None  # None: notify.mail.to

    def webhooks_with(self, notify: Notify | None) -> tuple[Webhook, ...]:
        if self.webhooks is not None:
            return self.webhooks
        return (notify.webhook,) if notify is not None and notify.webhook is not None else ()

    def recipients_with(self, notify: Notify | None) -> tuple[str, ...]:
        if self.mail is not None:
            return self.mail
        return notify.mail.to if notify is not None and notify.mail is not None else ()


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
        if name in typing.get_args(EnvironmentName) and name not in existing
    ]
