"""HTTP(S) from the control machine against real local servers: certificates from a real CA
(upkeep.tls), SNI and Host by name while connecting to an address, expiry read from the
handshake, refusals as values."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.unit.local_servers import free_port
from upkeep.monitor import web
from upkeep.tls import CertificateAuthority, IssuedCertificate

NAME = "www.demo.test"


class Site:
    """An HTTP(S) server on 127.0.0.1 answering by path; it records the Host and SNI seen."""

    def __init__(self, certificate: IssuedCertificate | None, tmp: Path) -> None:
        self.hosts: list[str] = []
        self.server_names: list[str | None] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site.hosts.append(self.headers.get("Host", ""))
                if self.path == "/health.php":
                    self._send(200, b'{"status": "ok", "php_version": "8.2.36"}')
                elif self.path == "/moved":
                    self._send(301, b"", [("Location", "https://elsewhere.test/")])
                elif self.path == "/chunked":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for part in (b"hello ", b"world"):
                        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self._send(502, b"<html>bad gateway</html>")

            def _send(self, status: int, body: bytes, headers: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if certificate is not None:
            (tmp / "site.crt").write_bytes(certificate.certificate_pem)
            (tmp / "site.key").write_bytes(certificate.key_pem)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tmp / "site.crt", tmp / "site.key")

            def seen(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
                site.server_names.append(name)

            context.sni_callback = seen
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str, scheme: str = "https") -> str:
        return f"{scheme}://{NAME}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[CertificateAuthority, Path]:
    authority = CertificateAuthority.create("test CA")
    path = tmp_path_factory.mktemp("ca") / "ca.crt"
    path.write_bytes(authority.certificate_pem)
    return authority, path


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Callable[..., Site]]:
    sites: list[Site] = []

    def start(certificate: IssuedCertificate | None) -> Site:
        sites.append(Site(certificate, tmp_path))
        return sites[-1]

    yield start
    for one in sites:
        one.close()


def test_a_page_by_name_from_an_address_with_the_certificates_expiry(
    ca: tuple[CertificateAuthority, Path], site: Callable[..., Site]
) -> None:
    authority, ca_file = ca
    server = site(authority.issue(NAME, days=5))
    got = web.fetch(server.url("/health.php"), address="127.0.0.1", ca_file=ca_file)
    assert got.response.error is None and got.untrusted is None
    assert got.response.status == 200
    assert got.response.json == {"status": "ok", "php_version": "8.2.36"}
    assert server.hosts == [f"{NAME}:{server.port}"] and server.server_names == [NAME]
    assert got.not_after is not None
    left = got.not_after - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=4, hours=23) < left <= dt.timedelta(days=5)
    assert got.response.certificate_expires_in is not None
    assert got.response.response_time_ms is not None and got.response.response_time_ms > 0


def test_an_untrusted_certificate_fails_the_request_but_its_expiry_is_still_read(
    ca: tuple[CertificateAuthority, Path], site: Callable[..., Site]
) -> None:
    authority, _ = ca
    server = site(authority.issue(NAME, days=30))
    got = web.fetch(server.url("/health.php"), address="127.0.0.1", ca_file=None)
    assert got.response.status is None
    assert got.response.error is not None and "not trusted" in got.response.error
    assert got.untrusted is not None and got.not_after is not None
    assert server.hosts == []  # no request was sent over a connection we do not trust


def test_a_certificate_for_another_name_is_not_trusted(
    ca: tuple[CertificateAuthority, Path], site: Callable[..., Site]
) -> None:
    authority, ca_file = ca
    server = site(authority.issue("other.demo.test", days=30))
    seen = web.certificate("127.0.0.1", server.port, NAME, ca_file=ca_file)
    assert seen.untrusted is not None and "mismatch" in seen.untrusted.lower()
    assert seen.not_after is not None


def test_the_certificate_alone(
    ca: tuple[CertificateAuthority, Path], site: Callable[..., Site]
) -> None:
    authority, ca_file = ca
    issued = authority.issue(NAME, days=9)
    server = site(issued)
    seen = web.certificate("127.0.0.1", server.port, NAME, ca_file=ca_file)
    assert (seen.untrusted, seen.tls_error, seen.not_after) == (None, None, issued.not_after)


def test_statuses_are_as_given_redirects_not_followed_and_chunks_joined(
    ca: tuple[CertificateAuthority, Path], site: Callable[..., Site]
) -> None:
    authority, ca_file = ca
    server = site(authority.issue(NAME))
    moved = web.fetch(server.url("/moved"), address="127.0.0.1", ca_file=ca_file)
    assert moved.response.status == 301
    failing = web.fetch(server.url("/anything"), address="127.0.0.1", ca_file=ca_file)
    assert (failing.response.status, failing.response.text) == (502, "<html>bad gateway</html>")
    chunked = web.fetch(server.url("/chunked"), address="127.0.0.1", ca_file=ca_file)
    assert chunked.response.text == "hello world"


def test_plain_http_has_no_certificate(site: Callable[..., Site]) -> None:
    server = site(None)
    got = web.fetch(server.url("/health.php", scheme="http"), address="127.0.0.1")
    assert got.response.status == 200 and got.not_after is None
    assert got.response.certificate_expires_in is None


def test_nothing_listening_is_a_value_not_an_exception() -> None:
    port = free_port()
    got = web.fetch(f"https://{NAME}:{port}/", address="127.0.0.1", timeout=3)
    assert got.response.status is None and got.response.error == "connection refused"
    seen = web.certificate("127.0.0.1", port, NAME, timeout=3)
    assert seen.not_after is None and seen.tls_error == "connection refused"


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        got = web.fetch(f"https://{NAME}:{port}/", address="127.0.0.1", timeout=0.5)
    assert got.response.status is None
    assert got.response.error is not None and "0.5s" in got.response.error


def test_the_url_is_split_for_the_request() -> None:
    assert web.parse_target("http://a.test/x?y=1") == ("http", "a.test", 80, "/x?y=1")
    assert web.parse_target("https://a.test") == ("https", "a.test", 443, "/")
    with pytest.raises(ValueError, match="not an http"):
        web.parse_target("ftp://a.test/")


def test_the_lab_ca_is_trusted_only_when_given(ca: tuple[CertificateAuthority, Path]) -> None:
    _, ca_file = ca
    with_ca = web.tls_context(ca_file)
    without = web.tls_context(None)
    subjects = [c.get("subject") for c in with_ca.get_ca_certs()]
    assert any(("commonName", "test CA") in part for s in subjects for part in s or ())
    assert not any(
        ("commonName", "test CA") in part for c in without.get_ca_certs() for part in c["subject"]
    )
    assert web.tls_context(None, verify=False).verify_mode is ssl.CERT_NONE
