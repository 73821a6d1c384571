"""HTTP(S) from the control machine, as a visitor's browser would see the site.

A request goes to one host's address with the environment's domain as the
TLS server name and the Host header, so each host behind a domain is checked
on its own and no DNS is needed (the lab has none). The certificate is
verified (the system's trust store, plus the lab CA for ``tls: lab``); its
expiry is read from the same handshake. A certificate that is not trusted
fails the request as a browser would, and a second handshake without
verification still reads its expiry for the TLS check. Redirects are not
followed: a check sees the status the server gave.

    >>> parse_target("https://www.demo.lab:8443/health.php?x=1")
    ('https', 'www.demo.lab', 8443, '/health.php?x=1')
"""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import ssl
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from upkeep import __version__
from upkeep.inventory.conditions import Response

USER_AGENT = f"upkeep-check/{__version__}"
BODY_LIMIT = 1024 * 1024  # conditions read the body; a check never downloads a file


@dataclass(frozen=True)
class Fetched:
    """A response (or why there is none) and what the TLS handshake showed."""

    response: Response
    not_after: dt.datetime | None = None  # the served certificate's expiry (https only)
    untrusted: str | None = None  # why the certificate is not trusted, when it is not
    tls_error: str | None = None  # why no certificate could be read at all


def parse_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url[:80]!r} is not an http:// or https:// URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def tls_context(ca_file: Path | None, *, verify: bool = True) -> ssl.SSLContext:
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context()
    if ca_file is not None and ca_file.is_file():
        context.load_verify_locations(cafile=str(ca_file))
    return context


class _Connection(http.client.HTTPSConnection):
    """HTTPS to ``address`` with ``server_name`` in SNI (http.client would send the address)."""

    def __init__(
        self,
        address: str,
        port: int,
        server_name: str,
        *,
        timeout: float,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(address, port, timeout=timeout, context=context)
        self.server_name = server_name
        self.tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.server_name)


def not_after_of(der: bytes | None) -> dt.datetime | None:
    if not der:
        return None
    return x509.load_der_x509_certificate(der).not_valid_after_utc


def fetch(
    url: str,
    *,
    address: str | None = None,
    timeout: float = 10.0,
    ca_file: Path | None = None,
) -> Fetched:
    """GET ``url``, from ``address`` when given (the URL's host is then only the name)."""
    scheme, name, port, path = parse_target(url)
    started = time.monotonic()
    try:
        return _get(scheme, name, port, path, address or name, timeout, ca_file, started)
    except ssl.SSLCertVerificationError as error:
        why = f"certificate not trusted ({error.verify_message or error.reason})"
        seen = handshake(address or name, port, name, timeout=timeout)
        return Fetched(
            Response(error=f"TLS: {why}", response_time_ms=_ms(started)),
            not_after=seen.not_after,
            untrusted=why,
            tls_error=seen.tls_error,
        )
    except ssl.SSLError as error:
        return Fetched(
            Response(error=f"TLS failed ({error.reason or error})", response_time_ms=_ms(started)),
            tls_error=f"TLS failed ({error.reason or error})",
        )
    except TimeoutError:
        return Fetched(Response(error=f"no answer within {timeout:g}s"), tls_error="timed out")
    except (OSError, http.client.HTTPException) as error:
        why = _reason(error)
        return Fetched(Response(error=why, response_time_ms=None), tls_error=why)


def _get(
    scheme: str,
    name: str,
    port: int,
    path: str,
    address: str,
    timeout: float,
    ca_file: Path | None,
    started: float,
) -> Fetched:
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = _Connection(address, port, name, timeout=timeout, context=tls_context(ca_file))
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        host_header = name if port in (80, 443) else f"{name}:{port}"
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host_header)
        connection.putheader("User-Agent", USER_AGENT)
        connection.putheader("Accept", "*/*")
        connection.putheader("Connection", "close")
        connection.endheaders()
        # Read now: with "Connection: close" the response takes the socket over.
        sock = connection.sock
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
        answer = connection.getresponse()
        body = answer.read(BODY_LIMIT)
        elapsed = _ms(started)
    finally:
        connection.close()
    not_after = not_after_of(der)
    left = not_after - dt.datetime.now(dt.UTC) if not_after is not None else None
    return Fetched(
        Response(
            status=answer.status, body=body, response_time_ms=elapsed, certificate_expires_in=left
        ),
        not_after=not_after,
    )


def certificate(
    address: str, port: int, name: str, *, timeout: float = 10.0, ca_file: Path | None = None
) -> Fetched:
    """The certificate ``address`` serves for ``name``: verified, and its expiry either way."""
    try:
        with (
            socket.create_connection((address, port), timeout) as raw,
            tls_context(ca_file).wrap_socket(raw, server_hostname=name) as conn,
        ):
            der = conn.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as error:
        seen = handshake(address, port, name, timeout=timeout)
        why = f"certificate not trusted ({error.verify_message or error.reason})"
        return replace(seen, untrusted=why)
    except TimeoutError:
        return Fetched(Response(error="timed out"), tls_error=f"no answer within {timeout:g}s")
    except ssl.SSLError as error:
        return Fetched(Response(error="TLS failed"), tls_error=f"TLS failed ({error.reason})")
    except OSError as error:
        why = _reason(error)
        return Fetched(Response(error=why), tls_error=why)
    return Fetched(Response(), not_after=not_after_of(der))


def handshake(address: str, port: int, name: str, *, timeout: float = 10.0) -> Fetched:
    """Only the TLS handshake, unverified: the certificate's expiry, whoever issued it."""
    try:
        with (
            socket.create_connection((address, port), timeout) as raw,
            tls_context(None, verify=False).wrap_socket(raw, server_hostname=name) as conn,
        ):
            der = conn.getpeercert(binary_form=True)
    except TimeoutError:
        return Fetched(Response(error="timed out"), tls_error=f"no answer within {timeout:g}s")
    except ssl.SSLError as error:
        return Fetched(Response(error="TLS failed"), tls_error=f"TLS failed ({error.reason})")
    except OSError as error:
        why = _reason(error)
        return Fetched(Response(error=why), tls_error=why)
    return Fetched(Response(), not_after=not_after_of(der))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"name not found ({error.strerror})"
    if isinstance(error, OSError) and error.strerror:
        return f"cannot connect ({error.strerror})"
    return f"{type(error).__name__}: {error}"
