"""Alerts: who hears of which transition, in what words, delivered to real local servers."""

from __future__ import annotations

import datetime as dt
import json
import logging
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tests.unit import test_notify
from tests.unit.local_servers import SmtpServer, WebhookServer, free_port
from tests.unit.test_notify import mail_settings
from upkeep.inventory import yamldoc
from upkeep.inventory.alerts import Alerts, crosscheck
from upkeep.inventory.base import EnvironmentName
from upkeep.inventory.model import EnvName, Model
from upkeep.inventory.notify import Notify
from upkeep.inventory.priority import Priority
from upkeep.inventory.problems import from_validation
from upkeep.monitor.alerts import compose, human_duration, incident_policy, send, wants
from upkeep.monitor.history import History
from upkeep.monitor.incidents import Change, Incident, Transition
from upkeep.monitor.result import CheckResult, Status
from upkeep.state import Location

# The notify tests' private secrets (the servers' fixtures are in tests/unit/conftest.py).
private_secrets = test_notify.private_secrets

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def at(minute: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def check_result(minute: int, status: Status, env: str = "production", **kw: Any) -> CheckResult:
    summary = {Status.OK: "200 OK", Status.WARNING: "slow: 2.4 s"}.get(status, "502 Bad Gateway")
    return CheckResult("demo", env, "health", status, summary, at=at(minute), **kw)


def incident(**changes: Any) -> Incident:
    fields: dict[str, Any] = {
        "project": "demo",
        "environment": "production",
        "check": "health",
        "opened": at(0),
        "priority": Priority.P1,
        "worst": Status.CRITICAL,
        "summary": "502 Bad Gateway",
        "down_since": at(0),
        "id": 7,
    }
    fields.update(changes)
    return Incident(**fields)


def test_an_opened_incident_in_words() -> None:
    alert = compose(
        Transition(
            Change.OPENED,
            incident(),
            check_result(5, Status.CRITICAL, details=("upstream: php-fpm socket refused",)),
        )
    )
    assert alert.subject == (
        "[upkeep] P1 opened: demo production health — CRITICAL: 502 Bad Gateway"
    )
    assert alert.text.splitlines()[0] == "Incident #7 opened."
    assert "Priority: P1 (the site is down)" in alert.text
    assert "Since:    2026-11-23 09:00 UTC (the first failed check)" in alert.text
    assert "Down:     since 2026-11-23 09:00 UTC" in alert.text
    assert "upstream: php-fpm socket refused" in alert.text
    assert alert.payload == {
        "event": "incident.opened",
        "incident": 7,
        "project": "demo",
        "environment": "production",
        "check": "health",
        "priority": "P1",
        "status": "CRITICAL",
        "worst": "CRITICAL",
        "summary": "502 Bad Gateway",
        "opened": "2026-11-23T09:00:00+00:00",
        "resolved": None,
        "duration_seconds": None,
        "affects_availability": True,
        "locations": [],
        "text": "P1 opened: demo production health — CRITICAL: 502 Bad Gateway",
    }
    assert json.loads(json.dumps(alert.payload)) == alert.payload


def test_an_escalation_in_words() -> None:
    alert = compose(Transition(Change.ESCALATED, incident(), check_result(20, Status.CRITICAL)))
    assert alert.subject.startswith("[upkeep] P1 escalated: demo production health")
    assert alert.payload["event"] == "incident.escalated"


def test_a_resolution_in_words_with_its_duration() -> None:
    resolved = incident(
        resolved=at(95), priority=Priority.P3, worst=Status.WARNING, down_since=None
    )
    alert = compose(Transition(Change.RESOLVED, resolved, check_result(95, Status.OK)))
    assert alert.subject == "[upkeep] resolved after 1h 35m: demo production health (P3)"
    assert "From:     2026-11-23 09:00 UTC (the first failed check)" in alert.text
    assert "To:       2026-11-23 10:35 UTC (the first passed check)" in alert.text
    assert "Was:      WARNING: 502 Bad Gateway" in alert.text
    assert "Now:      OK: 200 OK" in alert.text
    assert alert.payload["duration_seconds"] == 95 * 60
    assert alert.payload["resolved"] == "2026-11-23T10:35:00+00:00"
    assert alert.payload["status"] == "OK" and alert.payload["affects_availability"] is False


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (dt.timedelta(0), "0s"),
        (dt.timedelta(seconds=45), "45s"),
        (dt.timedelta(minutes=12, seconds=30), "12m 30s"),
        (dt.timedelta(minutes=20), "20m"),
        (dt.timedelta(hours=1, seconds=5), "1h"),
        (dt.timedelta(hours=1, minutes=5), "1h 5m"),
        (dt.timedelta(days=2, hours=3, minutes=59), "2d 3h"),
        (dt.timedelta(days=3), "3d"),
        (dt.timedelta(seconds=-5), "0s"),
    ],
)
def test_human_duration(duration: dt.timedelta, text: str) -> None:
    assert human_duration(duration) == text


@pytest.mark.parametrize(
    ("settings", "env", "priority", "in_maintenance", "wanted"),
    [
        ({}, "production", Priority.P1, False, True),
        ({}, "staging", Priority.P3, False, True),
        ({}, "production", Priority.P4, False, True),
        ({"min_priority": "P3"}, "production", Priority.P4, False, False),
        ({}, "production", Priority.P1, True, False),
        ({"min_priority": "P2"}, "production", Priority.P2, False, True),
        ({"min_priority": "P2"}, "production", Priority.P3, False, False),
        ({"min_priority": "p1"}, "production", Priority.P2, False, False),
        ({"environments": ["production"]}, "staging", Priority.P3, False, False),
        ({"environments": ["production", "staging"]}, "staging", Priority.P3, False, True),
    ],
)
def test_which_transitions_alert(
    settings: dict[str, Any], env: str, priority: Priority, in_maintenance: bool, wanted: bool
) -> None:
    transition = Transition(
        Change.OPENED,
        incident(environment=env, priority=priority),
        check_result(5, Status.CRITICAL, env),
        in_maintenance,
    )
    assert wants(Alerts.model_validate(settings), transition) is wanted


def both(
    webhook_server: Callable[..., WebhookServer], smtp_server: Callable[..., SmtpServer]
) -> tuple[WebhookServer, SmtpServer, Notify]:
    hook, mail = webhook_server(), smtp_server()
    settings = Notify.model_validate(
        {"webhook": {"url": hook.url()}, "mail": mail_settings(mail.port).model_dump(by_alias=True)}
    )
    return hook, mail, settings


def test_an_incident_from_the_history_reaches_the_webhook_and_the_mailbox(
    tmp_path: Path,
    webhook_server: Callable[..., WebhookServer],
    smtp_server: Callable[..., SmtpServer],
) -> None:
    hook, mail, notify = both(webhook_server, smtp_server)
    settings = Alerts()
    deliveries = []
    with History(tmp_path / "monitor.db") as history:
        for minute, status in [(0, Status.CRITICAL), (5, Status.CRITICAL), (10, Status.OK)]:
            transitions = history.record(
                [check_result(minute, status)], policy=incident_policy(settings)
            )
            deliveries += send(transitions, settings, notify)
        transitions = history.record(
            [check_result(15, Status.OK)], policy=incident_policy(settings)
        )
        deliveries += send(transitions, settings, notify)
    assert [(d.channel, d.ok) for d in deliveries] == [
        ("webhook", True),
        ("mail", True),
        ("webhook", True),
        ("mail", True),
    ]
    events = [r.json() for r in hook.received]
    assert [(e["event"], e["incident"], e["opened"]) for e in events] == [
        ("incident.opened", 1, "2026-11-23T09:00:00+00:00"),
        ("incident.resolved", 1, "2026-11-23T09:00:00+00:00"),
    ]
    assert events[1]["duration_seconds"] == 600
    assert [m.message["Subject"] for m in mail.inbox.mails] == [
        "[upkeep] P1 opened: demo production health — CRITICAL: 502 Bad Gateway",
        "[upkeep] resolved after 10m: demo production health (P1)",
    ]
    assert mail.inbox.mails[0].rcpt_tos == ["ops@agency.example"]


def test_deliveries_are_noted_in_the_store_and_a_second_runner_does_not_send_them_again(
    store_location: Location,
    webhook_server: Callable[..., WebhookServer],
    smtp_server: Callable[..., SmtpServer],
) -> None:
    hook, mail, notify = both(webhook_server, smtp_server)
    settings = Alerts()
    with History(store_location) as history:
        (opened,) = history.record(
            [check_result(m, Status.CRITICAL) for m in (0, 5)], policy=incident_policy(settings)
        )
        first = send([opened], settings, notify, history)
    # A second runner comes by with the same event (its run crashed after recording, say).
    with History(store_location) as again:
        second = send([opened], settings, notify, again)
        told = again.told(1)
    assert [(d.channel, d.ok) for d in first] == [("webhook", True), ("mail", True)]
    assert second == []
    assert len(hook.received) == len(mail.inbox.mails) == 1
    assert [(t.event, t.priority, t.channel, t.target, t.ok) for t in told] == [
        ("opened", "P1", "webhook", first[0].target, True),
        ("opened", "P1", "mail", "ops@agency.example", True),
    ]
    assert all(t.machine and t.at.startswith("20") for t in told)


def test_maintenance_mutes_the_resolution(
    tmp_path: Path,
    webhook_server: Callable[..., WebhookServer],
    smtp_server: Callable[..., SmtpServer],
) -> None:
    hook, mail, notify = both(webhook_server, smtp_server)
    with History(tmp_path / "monitor.db") as history:
        transitions = history.record(
            [check_result(m, s) for m, s in [(0, Status.CRITICAL), (5, Status.CRITICAL)]]
            + [check_result(m, Status.OK) for m in (10, 15)],
            in_maintenance=lambda r: r.at >= at(10),
        )
    assert [t.change for t in transitions] == [Change.OPENED, Change.RESOLVED]
    send(transitions, Alerts(), notify)
    assert [r.json()["event"] for r in hook.received] == ["incident.opened"]
    assert len(mail.inbox.mails) == 1


def test_a_failed_delivery_is_a_value_and_the_rest_still_goes(
    smtp_server: Callable[..., SmtpServer],
) -> None:
    mail = smtp_server()
    notify = Notify.model_validate(
        {
            "webhook": {"url": f"http://127.0.0.1:{free_port()}/hook", "timeout": 2},
            "mail": mail_settings(mail.port).model_dump(by_alias=True),
        }
    )
    transition = Transition(Change.OPENED, incident(), check_result(5, Status.CRITICAL))
    webhook, sent = send([transition], Alerts(), notify)
    assert not webhook.ok and webhook.detail.startswith("cannot connect")
    assert sent.ok and len(mail.inbox.mails) == 1


def test_the_alerts_section_overrides_where_notify_points(
    webhook_server: Callable[..., WebhookServer],
    smtp_server: Callable[..., SmtpServer],
) -> None:
    default_hook, mail, notify = both(webhook_server, smtp_server)
    pager = webhook_server()
    settings = Alerts.model_validate(
        {"webhooks": [{"url": pager.url("/pager")}], "mail": ["oncall@agency.example"]}
    )
    transition = Transition(Change.OPENED, incident(), check_result(5, Status.CRITICAL))
    send([transition], settings, notify)
    assert default_hook.received == [] and [r.path for r in pager.received] == ["/pager"]
    assert [m.rcpt_tos for m in mail.inbox.mails] == [["oncall@agency.example"]]
    silent = Alerts.model_validate({"webhooks": [], "mail": []})
    assert send([transition], silent, notify) == []


def test_recipients_without_a_server_are_a_failed_delivery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Alerts.model_validate({"mail": ["oncall@agency.example"]})
    transition = Transition(Change.OPENED, incident(), check_result(5, Status.CRITICAL))
    with caplog.at_level(logging.WARNING, logger="upkeep.monitor.alerts"):
        (delivery,) = send([transition], settings, None)
    assert [r.getMessage() for r in caplog.records] == [str(delivery)]
    assert not delivery.ok and delivery.target == "oncall@agency.example"
    assert "no SMTP server to send through (add notify.mail" in delivery.detail


def test_the_thresholds_become_the_incident_policy() -> None:
    settings = Alerts.model_validate({"failure_threshold": 1, "success_threshold": 3})
    assert (
        incident_policy(settings).failure_threshold,
        incident_policy(settings).success_threshold,
    ) == (1, 3)
    assert (
        incident_policy(Alerts()).failure_threshold,
        incident_policy(Alerts()).success_threshold,
    ) == (2, 2)


class Section(Model):
    """The shape the Project model will give the section."""

    alerts: Alerts = Alerts()


GOOD = """\
alerts:
  failure_threshold: 2
  success_threshold: 3
  min_priority: P2
  environments: [production]
  webhooks:
    - url: {secret: slack_alerts_url}
  mail: [oncall@example.com]
"""


def test_the_yaml_example_loads() -> None:
    section = Section.model_validate(yamldoc.parse(GOOD).data)
    assert section.alerts.min_priority is Priority.P2
    assert section.alerts.environments == ("production",)
    assert section.alerts.mail == ("oncall@example.com",)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "failure_threshold: 2",
            "failure_threshold: 0",
            "demo.yml:2: alerts.failure_threshold: the number 0 is too small (use at least 1)",
        ),
        (
            "success_threshold: 3",
            'success_threshold: "3"',
            "demo.yml:3: alerts.success_threshold: expected a whole number, got '3' "
            "(remove the quotes)",
        ),
        (
            "min_priority: P2",
            "min_priority: P5",
            "demo.yml:4: alerts.min_priority: 'P5' is not a priority (use one of P1, P2, P3, P4)",
        ),
        ("environments: [production]", "environments: [prod]", "alerts.environments[0]"),
        (
            "mail: [oncall@example.com]",
            "mail: [oncall]",
            "demo.yml:8: alerts.mail[0]: 'oncall' is not a mail address",
        ),
        ("  mail:", "  mails:", "demo.yml:8: alerts.mails: unknown key (did you mean 'mail'?)"),
    ],
)
def test_a_broken_section_gets_one_clear_line(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    doc = yamldoc.parse(GOOD.replace(old, new, 1))
    with pytest.raises(ValidationError) as caught:
        Section.model_validate(doc.data)
    lines = [str(p) for p in from_validation("demo.yml", doc, caught.value, Section)]
    assert len(lines) == 1, lines
    assert expected in lines[0]


PROJECT = {
    "environments": {"staging": {}, "production": {}},
    "alerts": {"mail": ["oncall@example.com"], "environments": ["production", "dev", "prod"]},
    "maintenance": [
        {"every": "sun", "environments": ["staging"]},
        {"every": "sat", "environments": ["dev"]},
    ],
}


def test_crosscheck_finds_what_spans_sections() -> None:
    assert crosscheck(PROJECT) == [
        (
            ("alerts", "mail"),
            "mail recipients but no SMTP server to send through (add notify.mail with host and from)",
        ),
        (
            ("alerts", "environments", 1),
            "the project has no 'dev' environment (it has: staging, production)",
        ),
        (
            ("maintenance", 1, "environments", 0),
            "the project has no 'dev' environment (it has: staging, production)",
        ),
    ]
    fixed = {**PROJECT, "notify": {"mail": {"host": "mx"}}}
    fixed["alerts"] = {"mail": ["oncall@example.com"], "environments": ["production"]}
    fixed["maintenance"] = [{"environments": ["staging"]}]
    assert crosscheck(fixed) == []
    assert crosscheck(["not", "a", "mapping"]) == []
    assert crosscheck({"alerts": "nonsense", "maintenance": "x"}) == []


def test_the_model_follows_the_inventory_model() -> None:
    assert Alerts.model_config == Model.model_config
    assert issubclass(Alerts, Model)
    assert list(typing.get_args(EnvironmentName)) == [name.value for name in EnvName]


def test_an_alert_names_the_locations_that_agreed() -> None:
    agreed = incident(locations=("ci", "office"))
    alert = compose(Transition(Change.OPENED, agreed, check_result(0, Status.CRITICAL)))
    assert "Where:    ci, office (the check locations that agreed)" in alert.text.splitlines()
    assert alert.payload["locations"] == ["ci", "office"]
    alone = compose(Transition(Change.OPENED, incident(), check_result(0, Status.CRITICAL)))
    assert "Where:" not in alone.text
