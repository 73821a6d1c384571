"""Notifications: a JSON POST to a webhook and a mail over SMTP, each a ``Delivery`` value.

Both never raise for a delivery problem (unreachable, refused, timed out, a
secret not set): they return a failed ``Delivery`` saying why, and log it, so
whoever sends (an alert, an update report) carries on. What they show never
holds a secret: a webhook is shown as its scheme and host only (Slack and
Discord put the token in the path, others in the query), and every detail is
passed through ``upkeep.credentials.redact``. Where to send is the
inventory's ``notify:`` section (upkeep.inventory.notify).

    >>> from upkeep.inventory.notify import Notify
    >>> send(Notify(), "subject", "text", {})
    []
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from enum import Enum
from typing import Any, Literal

from upkeep import __version__
from upkeep.credentials import SecretRef, redact, reveal
from upkeep.errors import UpkeepError
from upkeep.inventory.notify import ADDRESS, Mail, Notify, Webhook, safe_url

log = logging.getLogger(__name__)

USER_AGENT = f"upkeep/{__version__}"
_DETAIL_CHARS = 200  # of a server's answer, in a failed delivery's detail


@dataclass(frozen=True)
class Delivery:
    """What became of one notification: where it went (safe to show), and how it went."""

    channel: Literal["webhook", "mail"]
    target: str  # the webhook as scheme://host/…, or the recipients
    ok: bool
    detail: str  # "HTTP 204", "accepted for 2 recipients", or what went wrong; one line
    seconds: float = 0.0

    def __str__(self) -> str:
        outcome = "sent" if self.ok else "NOT sent"
        return f"{self.channel} to {self.target}: {outcome} ({self.detail})"


def _one_line(text: str, limit: int = _DETAIL_CHARS) -> str:
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would resend the secret header to wherever it points.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_webhook(
    url: str,
    payload: Mapping[str, Any],
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    *,
    context: ssl.SSLContext | None = None,
) -> Delivery:
    """POST ``payload`` as JSON to ``url``; any 2xx answer is a success.

    HTTPS certificates are verified (``context`` defaults to the system's
    trust store); redirects are not followed. ``headers`` may carry a secret:
    it is sent, never shown.
    """
    target = safe_url(url)
    started = time.monotonic()

    def result(ok: bool, detail: str) -> Delivery:
        delivery = Delivery("webhook", target, ok, _one_line(detail), time.monotonic() - started)
        if not ok:
            log.warning("%s", delivery)
        return delivery

    scheme = urllib.parse.urlsplit(url).scheme if isinstance(url, str) else ""
    if scheme not in ("http", "https"):
        return result(False, "not an http:// or https:// URL")
    body = json.dumps(payload, ensure_ascii=False, default=_json_default).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    opener = urllib.request.build_opener(
        _NoRedirects(),
        urllib.request.HTTPSHandler(context=context or ssl.create_default_context()),
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read(65536)
            return result(True, f"HTTP {response.status}")
    except urllib.error.HTTPError as error:
        answer = error.read(4096).decode("utf-8", "replace") if error.fp else ""
        hint = " (redirects are not followed: use the final URL)" if 300 <= error.code < 400 else ""
        said = f": {answer}" if answer.strip() else ""
        return result(False, f"HTTP {error.code} {error.reason}{hint}{said}")
    except urllib.error.URLError as error:
        return result(False, _reason(error.reason, timeout))
    except TimeoutError:
        return result(False, f"no answer within {timeout:g}s")
    except (OSError, ValueError, http.client.HTTPException) as error:
        # ValueError: http.client refuses a header value with a line break.
        return result(False, f"{type(error).__name__}: {error}")


def _reason(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g}s"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({reason.verify_message})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({reason.reason or reason})"
    if isinstance(reason, OSError):
        return f"cannot connect ({reason.strerror or reason})"
    return f"cannot connect ({reason})"


def post(
    webhook: Webhook, payload: Mapping[str, Any], *, context: ssl.SSLContext | None = None
) -> Delivery:
    """POST ``payload`` to ``webhook``, revealing the URL and token only now."""
    try:
        url = reveal(webhook.url) if isinstance(webhook.url, SecretRef) else webhook.url
        token = webhook.token
        headers = {webhook.header: reveal(token)} if webhook.header and token else {}
    except UpkeepError as error:
        delivery = Delivery("webhook", webhook.shown, False, _one_line(str(error)))
        log.warning("%s", delivery)
        return delivery
    return post_webhook(url, payload, webhook.timeout, headers, context=context)


def send(
    notify: Notify,
    subject: str,
    text: str,
    payload: Mapping[str, Any],
    html: str | None = None,
) -> list[Delivery]:
    """``payload`` to the webhook, and a mail to ``mail.to``; one Delivery each."""
    deliveries = []
    if notify.webhook is not None:
        deliveries.append(post(notify.webhook, payload))
    if notify.mail is not None and notify.mail.to:
        deliveries.append(send_mail(notify.mail, notify.mail.to, subject, text, html))
    return deliveries


# ---- mail ---------------------------------------------------------------------


def compose(
    settings: Mail, to: Sequence[str], subject: str, text: str, html: str | None = None
) -> EmailMessage:
    """The mail as it is sent: text, and an HTML alternative when given."""
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = ", ".join(to)
    # Header values may not hold line breaks; a subject is one line anyway.
    mail["Subject"] = " ".join(subject.split())
    mail["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    domain = email.utils.parseaddr(settings.sender)[1].rpartition("@")[2]
    mail["Message-ID"] = email.utils.make_msgid("upkeep", domain=domain)
    mail["User-Agent"] = USER_AGENT
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    return mail


def send_mail(
    settings: Mail,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    *,
    context: ssl.SSLContext | None = None,
) -> Delivery:
    """Send one mail to ``to`` through ``settings``' server; success only if all accepted.

    ``context`` defaults to the system's trust store (certificates verified).
    """
    target = ", ".join(to) or "(nobody)"
    started = time.monotonic()

    def result(ok: bool, detail: str) -> Delivery:
        delivery = Delivery("mail", target, ok, _one_line(detail), time.monotonic() - started)
        if not ok:
            log.warning("%s", delivery)
        return delivery

    bad = [a for a in to if not ADDRESS.fullmatch(a)]
    if not to or bad:
        return result(False, f"not a mail address: {bad[0]!r}" if bad else "no recipients")
    try:
        password = reveal(settings.password) if settings.password is not None else None
    except UpkeepError as error:
        return result(False, str(error))
    mail = compose(settings, to, subject, text, html)
    envelope_from = email.utils.parseaddr(settings.sender)[1]
    host, port, timeout = settings.host, settings.effective_port, settings.timeout
    tls = context or ssl.create_default_context()
    where = f"{host}:{port}"
    try:
        smtp: smtplib.SMTP
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    return result(
                        False,
                        f"{where} does not offer STARTTLS "
                        "(use security: ssl, or none for a local relay)",
                    )
                smtp.starttls(context=tls)
            if settings.user is not None and password is not None:
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("auth"):
                    return result(False, f"{where} offers no login (AUTH); remove user/password")
                smtp.login(settings.user, password)
            refused = smtp.send_message(mail, from_addr=envelope_from, to_addrs=list(to))
    except smtplib.SMTPAuthenticationError as error:
        return result(False, f"{where} refused the login of {settings.user}: {_smtp_said(error)}")
    except smtplib.SMTPRecipientsRefused as error:
        said = "; ".join(f"{a}: {_code_text(*answer)}" for a, answer in error.recipients.items())
        return result(False, f"{where} refused every recipient ({said})")
    except smtplib.SMTPResponseException as error:
        return result(False, f"{where} answered {_smtp_said(error)}")
    except smtplib.SMTPException as error:
        return result(False, f"{where}: {error}")
    except ssl.SSLCertVerificationError as error:
        return result(False, f"{where}: TLS certificate not trusted ({error.verify_message})")
    except ssl.SSLError as error:
        return result(False, f"{where}: TLS failed ({error.reason or error})")
    except TimeoutError:
        return result(False, f"{where}: no answer within {timeout:g}s")
    except OSError as error:
        return result(False, f"cannot connect to {where} ({error.strerror or error})")
    if refused:
        said = "; ".join(f"{a}: {_code_text(*answer)}" for a, answer in refused.items())
        return result(False, f"{where} refused some recipients ({said}); the others got it")
    count = len(to)
    return result(True, f"accepted by {where} for {count} recipient{'s' if count > 1 else ''}")


def _smtp_said(error: smtplib.SMTPResponseException) -> str:
    return _code_text(error.smtp_code, error.smtp_error)


def _code_text(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {said}".strip()
