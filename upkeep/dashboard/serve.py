"""``upkeep dashboard serve``: a built site over HTTP, with the standard library's http.server.

Bound to loopback, only this machine's users can reach it, so it asks for
nothing. Bound anywhere else, every request needs the token: ``?token=`` on
the first one (the URL printed when the server starts), which sets a cookie
for the rest, or ``Authorization: Bearer``. Without it: 403. The token is
never logged (request lines are logged without their query).

    >>> needs_token("127.0.0.1"), needs_token("::1"), needs_token("localhost"), needs_token("0.0.0.0")
    (False, False, False, True)
    >>> allowed("s3cret", "/index.html?token=s3cret", {}), allowed("s3cret", "/", {})
    (True, False)
    >>> allowed(None, "/", {})
    True
"""

from __future__ import annotations

import functools
import hmac
import io
import ipaddress
import os
import secrets
from collections.abc import Mapping
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import parse_qs, urlsplit


class Headers(Protocol):
    """A request's headers: a mapping, or http.server's message (case-insensitive)."""

    def get(self, name: str, default: str, /) -> str: ...


TOKEN_VARIABLE = "UPKEEP_DASHBOARD_TOKEN"
COOKIE = "upkeep_dashboard_token"


def needs_token(bind: str) -> bool:
    """Whether a server bound to ``bind`` must ask for the token: anything but loopback."""
    if bind == "localhost":
        return False
    try:
        return not ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return True  # a host name: it may resolve to anything


def token_for(bind: str, environ: Mapping[str, str] = os.environ) -> tuple[str | None, bool]:
    """The token a server bound to ``bind`` asks for (None: none) and whether it was generated
    here (then it is printed once); UPKEEP_DASHBOARD_TOKEN gives one that is never printed."""
    if not needs_token(bind):
        return None, False
    given = environ.get(TOKEN_VARIABLE, "").strip()
    return (given, False) if given else (secrets.token_urlsafe(24), True)


def offered(path: str, headers: Headers) -> list[str]:
    """The tokens a request carries: in its query, its Authorization header, its cookie."""
    found = parse_qs(urlsplit(path).query).get("token", [])
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        found.append(value.strip())
    try:
        cookie = SimpleCookie(headers.get("Cookie", ""))
    except CookieError:
        cookie = SimpleCookie()
    if COOKIE in cookie:
        found.append(cookie[COOKIE].value)
    return found


def allowed(token: str | None, path: str, headers: Headers) -> bool:
    """Whether a request for ``path`` with ``headers`` may be served (``token`` None: any)."""
    if token is None:
        return True
    return any(
        hmac.compare_digest(token.encode(), given.encode()) for given in offered(path, headers)
    )


class _Handler(SimpleHTTPRequestHandler):
    token: str | None = None

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        if not allowed(self.token, self.path, self.headers):
            self.send_error(HTTPStatus.FORBIDDEN, "a token is needed (see upkeep dashboard serve)")
            return None
        return super().send_head()

    def end_headers(self) -> None:
        if self.token is not None and self.token in offered(self.path, {}):
            # The site's links are relative and carry no token: the cookie does, from now on.
            self.send_header(
                "Set-Cookie", f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            )
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        # The request line may carry the token in its query: log the path alone.
        path = urlsplit(self.path).path
        print(f"  … {self.address_string()} {self.command} {path}", flush=True)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log_message("%s", code)


def server(directory: Path, bind: str, port: int, token: str | None) -> ThreadingHTTPServer:
    """A server of ``directory`` on ``bind``:``port`` (0: any free port), not started yet."""
    handler = type("DashboardHandler", (_Handler,), {"token": token})
    return ThreadingHTTPServer((bind, port), functools.partial(handler, directory=str(directory)))
