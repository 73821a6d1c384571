"""The inventory's ``notify:`` section: where upkeep's webhook posts and mails go.

::

    notify:
      webhook:
        url: https://hooks.example.com/upkeep   # or {secret: NAME} when the URL is the token
        header: X-Upkeep-Token                  # optional: sent with the secret's value
        token: {secret: upkeep_hook_token}
      mail:
        host: smtp.example.com
        security: starttls                      # starttls (port 587), ssl (465) or none (25)
        user: upkeep@example.com
        password: {secret: smtp_password}
        from: "upkeep <upkeep@example.com>"
        to: [ops@example.com]

Sending is upkeep.notify's business; this module only says what is allowed.
What is shown of a webhook never holds a secret (``safe_url``).

    >>> safe_url("https://hooks.example.com/services/T0/B0/XyZ?token=abc")
    'https://hooks.example.com/…'
    >>> Notify.model_validate({"webhook": {"url": "ftp://example.com/"}})
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Notify
    webhook.url
      Value error, 'ftp://example.com/' is not an http:// or https:// URL (check the address) ...
"""

from __future__ import annotations

import email.utils
import re
import urllib.parse
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    Strict,
    ValidationError,
    model_validator,
)

from upkeep.credentials import SecretRef
from upkeep.inventory.base import Model

_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")
# One address, no display name: what an SMTP envelope takes.
ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def safe_url(url: str) -> str:
    """The URL as it may be shown: scheme, host and port; path and query as ``…``.

    >>> safe_url("https://user:pw@example.com:8443/")
    'https://example.com:8443/'
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unreadable URL)"
    if ":" in host:
        host = f"[{host}]"
    rest = "…" if parts.path.strip("/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{port}/{rest}"


def _http_url(value: str) -> str:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value[:60]!r} is not an http:// or https:// URL (check the address)")
    if any(c.isspace() for c in value):
        raise ValueError("a URL cannot contain spaces or line breaks")
    return value


def _url_or_secret(value: Any) -> Any:
    """A URL, or ``{secret: NAME}`` for a URL that is itself the token (one error, not two)."""
    if isinstance(value, str):
        return _http_url(value)
    if isinstance(value, dict):
        try:
            return SecretRef.model_validate(value)
        except ValidationError as error:
            raise ValueError(error.errors()[0]["msg"].removeprefix("Value error, ")) from None
    if isinstance(value, SecretRef):
        return value
    raise ValueError(f"expected a URL or {{secret: NAME}}, got {type(value).__name__}")


def _header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value):
        raise ValueError(f"{value[:60]!r} is not an HTTP header name (e.g. X-Upkeep-Token)")
    return value


def address(value: str) -> str:
    """A plain mail address (``ops@example.com``), as an SMTP envelope takes it."""
    if not ADDRESS.fullmatch(value):
        raise ValueError(f"{value[:60]!r} is not a mail address (write e.g. ops@example.com)")
    return value


def _sender(value: str) -> str:
    """``upkeep@example.com`` or ``upkeep <upkeep@example.com>``."""
    if "\n" in value or "\r" in value:
        raise ValueError("a sender cannot contain line breaks")
    mailbox = email.utils.parseaddr(value)[1]
    if not mailbox or not ADDRESS.fullmatch(mailbox):
        raise ValueError(
            f"{value[:60]!r} is not a sender (write upkeep@example.com or "
            '"upkeep <upkeep@example.com>")'
        )
    return value


HeaderName = Annotated[str, AfterValidator(_header_name)]
Address = Annotated[str, AfterValidator(address)]
Sender = Annotated[str, AfterValidator(_sender)]
Seconds = Annotated[float, Field(gt=0, le=300)]
Port = Annotated[int, Strict(), Field(ge=1, le=65535)]


class Webhook(Model):
    """Where to POST: a URL (or a secret holding it), optionally with a secret header."""

    url: Annotated[str | SecretRef, BeforeValidator(_url_or_secret)]
    header: HeaderName | None = None
    token: SecretRef | None = None
    timeout: Seconds = 10.0

    @model_validator(mode="after")
    def _header_and_token(self) -> Webhook:
        if (self.header is None) != (self.token is None):
            given, missing = ("header", "token") if self.token is None else ("token", "header")
            raise ValueError(
                f"{given} without {missing} (give both: header: X-Upkeep-Token and "
                "token: {secret: NAME}, or neither)"
            )
        return self

    @property
    def shown(self) -> str:
        """The URL as it may be shown (a secret URL only by its secret's name)."""
        if isinstance(self.url, SecretRef):
            return f"the URL in {self.url}"
        return safe_url(self.url)


Security = Literal["starttls", "ssl", "none"]
_DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


class Mail(Model):
    """An SMTP server, the sender, and the default recipients."""

    host: Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.:_-]+$")]
    port: Port | None = None  # default by security: 587, 465 or 25
    security: Security = "starttls"
    user: Annotated[str, Field(min_length=1, max_length=254)] | None = None
    password: SecretRef | None = None
    sender: Sender = Field(alias="from")
    to: tuple[Address, ...] = ()
    timeout: Seconds = 30.0

    @model_validator(mode="after")
    def _credentials(self) -> Mail:
        if (self.user is None) != (self.password is None):
            given, missing = ("user", "password") if self.password is None else ("password", "user")
            raise ValueError(f"{given} without {missing} (give both, or neither for no login)")
        if self.password is not None and self.security == "none":
            raise ValueError(
                "a password with security: none would cross the network unencrypted "
                "(use starttls or ssl)"
            )
        return self

    @property
    def effective_port(self) -> int:
        return self.port or _DEFAULT_PORTS[self.security]


class Notify(Model):
    """The ``notify:`` section: how upkeep reaches people (alerts, update reports)."""

    webhook: Webhook | None = None
    mail: Mail | None = None
