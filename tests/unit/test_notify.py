"""Notifications against real local servers: an HTTP(S) server in a thread and aiosmtpd."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import logging
import os
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tests.unit.local_servers import (
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpServer,
    WebhookServer,
    authenticator,
    free_port,
)
from upkeep.inventory import yamldoc
from upkeep.inventory.model import Model
from upkeep.inventory.notify import Mail, Notify, Webhook, safe_url
from upkeep.inventory.problems import from_validation
from upkeep.monitor.result import Status
from upkeep.notify import post, post_webhook, send, send_mail
from upkeep.tls import CertificateAuthority


@dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext  # presents a certificate for "localhost" from a private CA
    client: ssl.SSLContext  # trusts that CA


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    folder = tmp_path_factory.mktemp("tls")
    ca = CertificateAuthority.create("upkeep test CA")
    leaf = ca.issue("localhost")
    (folder / "cert.pem").write_bytes(leaf.certificate_pem)
    (folder / "key.pem").write_bytes(leaf.key_pem)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=ca.certificate_pem.decode())
    return Tls(server, client)


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets only from this test's environment variables and files."""
    for name in list(os.environ):
        if name.startswith("UPKEEP_SECRET"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("UPKEEP_SECRETS_FILE", str(tmp_path / "no-secrets.yml"))
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))


def mail_settings(port: int, **overrides: Any) -> Mail:
    settings: dict[str, Any] = {
        "host": "localhost",
        "port": port,
        "security": "none",
        "from": "upkeep <upkeep@agency.example>",
        "to": ["ops@agency.example"],
    }
    settings.update(overrides)
    return Mail.model_validate(settings)


# ---- webhooks -----------------------------------------------------------------------


def test_a_webhook_gets_the_payload_as_json_with_our_headers(
    webhook_server: Callable[..., WebhookServer],
) -> None:
    server = webhook_server(status=204)
    payload = {
        "event": "update.done",
        "when": dt.datetime(2026, 11, 23, 9, 5, tzinfo=dt.UTC),
        "status": Status.WARNING,
        "note": "zażółć gęślą jaźń",
        "hosts": ["web1", "web2"],
    }
    url = server.url("/hooks/upkeep?token=query-token-123")
    delivery = post_webhook(url, payload, timeout=5, headers={"X-Upkeep-Token": "header-tok"})
    (request,) = server.received
    assert request.method == "POST" and request.path == "/hooks/upkeep?token=query-token-123"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["user-agent"].startswith("upkeep/")
    assert request.headers["x-upkeep-token"] == "header-tok"
    assert request.json() == {
        "event": "update.done",
        "when": "2026-11-23T09:05:00+00:00",
        "status": 1,
        "note": "zażółć gęślą jaźń",
        "hosts": ["web1", "web2"],
    }
    assert delivery.ok and delivery.detail == "HTTP 204" and delivery.channel == "webhook"
    assert delivery.target == f"http://127.0.0.1:{server.port}/…"
    for secret in ("query-token-123", "header-tok", "/hooks"):
        assert secret not in str(delivery)


def test_the_webhook_model_reveals_its_url_and_token_only_to_send(
    webhook_server: Callable[..., WebhookServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = webhook_server(status=200, answer=b"ok")
    monkeypatch.setenv("UPKEEP_SECRET_ALERTS_HOOK", server.url("/services/T0/B0/sEcReTpAtH"))
    monkeypatch.setenv("UPKEEP_SECRET_ALERTS_TOKEN", "bearer-xyz")
    hook = Webhook.model_validate(
        {
            "url": {"secret": "alerts_hook"},
            "header": "Authorization",
            "token": {"secret": "alerts_token"},
        }
    )
    assert "sEcReT" not in repr(hook) and "bearer" not in repr(hook)
    assert hook.shown == "the URL in <secret alerts_hook>"
    delivery = post(hook, {"text": "hello"})
    (request,) = server.received
    assert request.path == "/services/T0/B0/sEcReTpAtH"
    assert request.headers["authorization"] == "bearer-xyz"
    assert delivery.ok and delivery.detail == "HTTP 200"
    assert "sEcReT" not in str(delivery) and "bearer" not in str(delivery)


def test_an_http_error_is_a_failed_delivery_that_says_what_the_server_said(
    webhook_server: Callable[..., WebhookServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = webhook_server(status=500, answer=b"database\nis down")
    with caplog.at_level(logging.WARNING, logger="upkeep.notify"):
        delivery = post_webhook(server.url("/h?key=query-token-456"), {"a": 1}, timeout=5)
    assert not delivery.ok
    assert delivery.detail == "HTTP 500 Internal Server Error: database is down"
    (logged,) = [r.getMessage() for r in caplog.records]
    assert "NOT sent" in logged and "HTTP 500" in logged and "query-token-456" not in logged


def test_a_redirect_is_not_followed_so_the_secret_header_stays_home(
    webhook_server: Callable[..., WebhookServer],
) -> None:
    elsewhere = webhook_server(status=204)
    server = webhook_server(status=302, location=elsewhere.url("/stolen"))
    delivery = post_webhook(server.url(), {"a": 1}, headers={"X-Token": "t"}, timeout=5)
    assert not delivery.ok
    assert "HTTP 302" in delivery.detail and "redirects are not followed" in delivery.detail
    assert len(server.received) == 1 and elsewhere.received == []


def test_a_server_that_does_not_answer_in_time(
    webhook_server: Callable[..., WebhookServer],
) -> None:
    server = webhook_server(delay=3.0)
    started = time.monotonic()
    delivery = post_webhook(server.url(), {"a": 1}, timeout=0.3)
    assert time.monotonic() - started < 2.5
    assert not delivery.ok and delivery.detail == "no answer within 0.3s"


def test_nobody_listening() -> None:
    delivery = post_webhook(f"http://127.0.0.1:{free_port()}/hook", {"a": 1}, timeout=5)
    assert not delivery.ok and delivery.detail.startswith("cannot connect (")
    assert "refused" in delivery.detail.lower()


def test_https_certificates_are_verified(
    webhook_server: Callable[..., WebhookServer], tls: Tls
) -> None:
    server = webhook_server(status=201, tls=tls.server)
    url = server.url(scheme="https", host="localhost")
    untrusted = post_webhook(url, {"a": 1}, timeout=5)
    assert not untrusted.ok and "TLS certificate not trusted" in untrusted.detail
    assert server.received == []
    trusted = post_webhook(url, {"a": 1}, timeout=5, context=tls.client)
    assert trusted.ok and trusted.detail == "HTTP 201"
    assert [r.json() for r in server.received] == [{"a": 1}]


def test_a_missing_secret_is_a_failed_delivery_not_an_exception(
    webhook_server: Callable[..., WebhookServer],
) -> None:
    server = webhook_server()
    hook = Webhook.model_validate(
        {"url": server.url(), "header": "X-Token", "token": {"secret": "never_set"}}
    )
    delivery = post(hook, {"a": 1})
    assert not delivery.ok and "secret never_set is not set" in delivery.detail
    assert server.received == []


@pytest.mark.parametrize(
    ("url", "headers", "expected"),
    [
        ("file:///etc/passwd", {}, "not an http:// or https:// URL"),
        ("ftp://example.com/", {}, "not an http:// or https:// URL"),
    ],
)
def test_what_cannot_be_sent_is_refused_without_a_request(
    url: str, headers: dict[str, str], expected: str
) -> None:
    delivery = post_webhook(url, {}, headers=headers)
    assert not delivery.ok and delivery.detail == expected


def test_a_header_value_with_a_line_break_is_not_sent(
    webhook_server: Callable[..., WebhookServer],
) -> None:
    server = webhook_server()
    delivery = post_webhook(server.url(), {}, headers={"X-Token": "a\r\nX-Evil: 1"}, timeout=5)
    assert not delivery.ok and "ValueError" in delivery.detail
    assert all("x-evil" not in r.headers for r in server.received)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/XXX", "https://hooks.slack.com/…"),
        ("https://example.com/?token=abc", "https://example.com/…"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("http://user:pw@10.0.0.5:8080/hook#x", "http://10.0.0.5:8080/…"),
        ("https://[2001:db8::1]:8443/a", "https://[2001:db8::1]:8443/…"),
        ("https://example.com:99999/", "(an unreadable URL)"),
    ],
)
def test_safe_url_shows_scheme_host_and_port_only(url: str, shown: str) -> None:
    assert safe_url(url) == shown


# ---- mail ---------------------------------------------------------------------------


def test_a_plain_mail_arrives_with_its_headers_text_and_html(
    smtp_server: Callable[..., SmtpServer],
) -> None:
    server = smtp_server()
    settings = mail_settings(server.port)
    delivery = send_mail(
        settings,
        ["ops@agency.example", "boss@client.example"],
        "Update report: demo production",
        "PHP 8.2.32 → 8.2.36\nsmoke checks passed\n",
        html="<p>PHP 8.2.32 → 8.2.36</p>",
    )
    assert delivery.ok and delivery.channel == "mail"
    assert delivery.detail == f"accepted by localhost:{server.port} for 2 recipients"
    (mail,) = server.inbox.mails
    assert mail.mail_from == "upkeep@agency.example"
    assert mail.rcpt_tos == ["ops@agency.example", "boss@client.example"]
    message = mail.message
    assert message["From"] == "upkeep <upkeep@agency.example>"
    assert message["To"] == "ops@agency.example, boss@client.example"
    assert message["Subject"] == "Update report: demo production"
    assert message["Message-ID"].endswith("@agency.example>")
    assert message["User-Agent"].startswith("upkeep/")
    sent = email.utils.parsedate_to_datetime(message["Date"])
    assert abs((dt.datetime.now(dt.UTC) - sent).total_seconds()) < 60
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == "PHP 8.2.32 → 8.2.36\nsmoke checks passed\n"
    assert html.get_content().strip() == "<p>PHP 8.2.32 → 8.2.36</p>"
    assert not mail.tls and not mail.authenticated


def test_starttls_and_login(
    smtp_server: Callable[..., SmtpServer], tls: Tls, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server(tls_context=tls.server, require_starttls=True, authenticator=authenticator)
    monkeypatch.setenv("UPKEEP_SECRET_SMTP_TEST_PW", SMTP_PASSWORD)
    settings = mail_settings(
        server.port, security="starttls", user=SMTP_USER, password={"secret": "smtp_test_pw"}
    )
    delivery = send_mail(settings, settings.to, "hello", "body", context=tls.client)
    assert delivery.ok, delivery
    (mail,) = server.inbox.mails
    assert mail.tls and mail.authenticated
    assert SMTP_PASSWORD not in str(delivery)


def test_a_wrong_password_is_reported_without_the_password(
    smtp_server: Callable[..., SmtpServer], tls: Tls, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server(tls_context=tls.server, authenticator=authenticator)
    monkeypatch.setenv("UPKEEP_SECRET_SMTP_TEST_PW", "wrong-horse-battery")
    settings = mail_settings(
        server.port, security="starttls", user=SMTP_USER, password={"secret": "smtp_test_pw"}
    )
    delivery = send_mail(settings, settings.to, "hello", "body", context=tls.client)
    assert not delivery.ok
    assert f"localhost:{server.port} refused the login of upkeep: 535" in delivery.detail
    assert "wrong-horse" not in str(delivery)
    assert server.inbox.mails == []


def test_implicit_tls(smtp_server: Callable[..., SmtpServer], tls: Tls) -> None:
    server = smtp_server(ssl_context=tls.server)
    settings = mail_settings(server.port, security="ssl")
    delivery = send_mail(settings, settings.to, "over TLS", "body", context=tls.client)
    assert delivery.ok, delivery
    assert [m.message["Subject"] for m in server.inbox.mails] == ["over TLS"]


def test_an_untrusted_certificate_stops_the_mail(
    smtp_server: Callable[..., SmtpServer], tls: Tls
) -> None:
    server = smtp_server(tls_context=tls.server)
    settings = mail_settings(server.port, security="starttls")
    delivery = send_mail(settings, settings.to, "hello", "body")  # the system's trust store
    assert not delivery.ok and "TLS certificate not trusted" in delivery.detail
    assert server.inbox.mails == []


def test_a_server_without_starttls_is_not_spoken_to_in_clear(
    smtp_server: Callable[..., SmtpServer],
) -> None:
    server = smtp_server()
    settings = mail_settings(server.port, security="starttls")
    delivery = send_mail(settings, settings.to, "hello", "body")
    assert not delivery.ok
    assert delivery.detail == (
        f"localhost:{server.port} does not offer STARTTLS "
        "(use security: ssl, or none for a local relay)"
    )
    assert server.inbox.mails == []


def test_refused_recipients(smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server()
    settings = mail_settings(server.port)
    some = send_mail(settings, ["ops@agency.example", "nobody@agency.example"], "s", "t")
    assert not some.ok
    assert "refused some recipients (nobody@agency.example: 550 5.1.1 no such mailbox here)" in (
        some.detail
    )
    assert [m.rcpt_tos for m in server.inbox.mails] == [["ops@agency.example"]]
    every = send_mail(settings, ["nobody@agency.example"], "s", "t")
    assert not every.ok and "refused every recipient" in every.detail


def test_no_server_listening() -> None:
    port = free_port()
    delivery = send_mail(mail_settings(port), ["ops@agency.example"], "s", "t")
    assert not delivery.ok
    assert delivery.detail.startswith(f"cannot connect to localhost:{port} (")


def test_a_subject_with_line_breaks_cannot_add_headers(
    smtp_server: Callable[..., SmtpServer],
) -> None:
    server = smtp_server()
    delivery = send_mail(
        mail_settings(server.port), ["ops@agency.example"], "hi\r\nBcc: x@evil.example", "t"
    )
    assert delivery.ok
    (mail,) = server.inbox.mails
    assert mail.message["Subject"] == "hi Bcc: x@evil.example"
    assert mail.message["Bcc"] is None and mail.rcpt_tos == ["ops@agency.example"]


@pytest.mark.parametrize("to", [[], ["not an address"], ["a@b.example\r\nRCPT TO:<x@y>"]])
def test_bad_recipients_are_refused_before_connecting(to: list[str]) -> None:
    delivery = send_mail(mail_settings(free_port()), to, "s", "t")
    assert not delivery.ok
    assert delivery.detail.startswith(("no recipients", "not a mail address"))


def test_notify_sends_to_both(
    webhook_server: Callable[..., WebhookServer], smtp_server: Callable[..., SmtpServer]
) -> None:
    hook, mail = webhook_server(), smtp_server()
    settings = Notify.model_validate(
        {
            "webhook": {"url": hook.url()},
            "mail": mail_settings(mail.port).model_dump(by_alias=True),
        }
    )
    deliveries = send(settings, "Update report", "all fine", {"event": "update.done"})
    assert [(d.channel, d.ok) for d in deliveries] == [("webhook", True), ("mail", True)]
    assert [r.json() for r in hook.received] == [{"event": "update.done"}]
    assert [m.message["Subject"] for m in mail.inbox.mails] == ["Update report"]
    assert send(Notify(), "s", "t", {}) == []


# ---- the notify: section ------------------------------------------------------------


class Section(Model):
    """The shape the Project model will give the section."""

    notify: Notify = Notify()


GOOD = """\
notify:
  webhook:
    url: https://hooks.example.com/upkeep
    header: X-Upkeep-Token
    token: {secret: upkeep_hook_token}
  mail:
    host: smtp.example.com
    security: starttls
    user: upkeep@example.com
    password: {secret: smtp_password}
    from: "upkeep <upkeep@example.com>"
    to: [ops@example.com, boss@client.example]
"""


def test_the_yaml_example_loads() -> None:
    section = Section.model_validate(yamldoc.parse(GOOD).data)
    assert section.notify.webhook is not None and section.notify.mail is not None
    assert section.notify.webhook.shown == "https://hooks.example.com/…"
    assert section.notify.mail.effective_port == 587
    assert section.notify.mail.to == ("ops@example.com", "boss@client.example")


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_the_port_follows_the_security(security: str, port: int) -> None:
    mail = Mail.model_validate({"host": "mx", "security": security, "from": "a@b.example"})
    assert mail.effective_port == port
    assert mail.model_copy(update={"port": 2525}).effective_port == 2525


def problems(text: str) -> list[str]:
    doc = yamldoc.parse(text)
    with pytest.raises(ValidationError) as caught:
        Section.model_validate(doc.data)
    return [str(p) for p in from_validation("demo.yml", doc, caught.value, Section)]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "url: https://hooks.example.com/upkeep",
            "url: ftp://hooks.example.com/upkeep",
            "demo.yml:3: notify.webhook.url: 'ftp://hooks.example.com/upkeep' is not an "
            "http:// or https:// URL (check the address)",
        ),
        (
            "url: https://hooks.example.com/upkeep",
            "url: {secret: Hook URL}",
            "demo.yml:3: notify.webhook.url: not a valid secret name",
        ),
        ("header: X-Upkeep-Token", "header: X Upkeep", "'X Upkeep' is not an HTTP header name"),
        (
            "    token: {secret: upkeep_hook_token}\n",
            "",
            "demo.yml:2: notify.webhook: header without token (give both",
        ),
        ("security: starttls", "security: tls", "'tls' is not one of 'starttls', 'ssl' or 'none'"),
        (
            "    password: {secret: smtp_password}\n",
            "",
            "demo.yml:6: notify.mail: user without password (give both, or neither for no login)",
        ),
        (
            "security: starttls",
            "security: none",
            "a password with security: none would cross the network unencrypted",
        ),
        (
            "password: {secret: smtp_password}",
            "password: hunter2",
            "notify.mail.password: a secret's value must not be in the inventory",
        ),
        (
            "to: [ops@example.com, boss@client.example]",
            "to: [ops@example.com, boss]",
            "demo.yml:12: notify.mail.to[1]: 'boss' is not a mail address",
        ),
        ('from: "upkeep <upkeep@example.com>"', "from: upkeep", "'upkeep' is not a sender"),
        ('    from: "upkeep <upkeep@example.com>"\n', "", "notify.mail.from: missing"),
        ("host: smtp.example.com", "host: smtp.example.com;rm", "notify.mail.host"),
    ],
)
def test_a_broken_section_gets_one_clear_line(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    lines = problems(GOOD.replace(old, new, 1))
    assert len(lines) == 1, lines
    assert expected in lines[0]
    assert "hunter2" not in lines[0]


def test_the_models_follow_the_inventory_model() -> None:
    # One base for every section (upkeep.inventory.base).
    for model in (Notify, Webhook, Mail):
        assert issubclass(model, Model)
        assert model.model_config == Model.model_config
