"""`upkeep dashboard serve`'s token rule: nothing asked on loopback; anywhere else every
request carries the token (query once, then the cookie it sets, or a Bearer header) or
gets 403, and the token never reaches the log. Requests go to a real http.server."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.run_cli import run_cli as run
from upkeep.dashboard.serve import COOKIE, allowed, needs_token, server, token_for

TOKEN = "k9-Tq_s3cret"


@pytest.mark.parametrize(
    ("bind", "asked"),
    [
        ("127.0.0.1", False),
        ("127.8.0.1", False),
        ("::1", False),
        ("localhost", False),
        ("0.0.0.0", True),
        ("::", True),
        ("10.89.87.1", True),
        ("dashboard.example", True),
    ],
)
def test_a_token_is_asked_for_on_anything_but_loopback(bind: str, asked: bool) -> None:
    assert needs_token(bind) is asked
    token, generated = token_for(bind, {})
    assert (token is not None, generated) == (asked, asked)


def test_the_token_from_the_environment_is_used_and_not_generated() -> None:
    assert token_for("0.0.0.0", {"UPKEEP_DASHBOARD_TOKEN": TOKEN}) == (TOKEN, False)
    assert token_for("127.0.0.1", {"UPKEEP_DASHBOARD_TOKEN": TOKEN}) == (None, False)
    first, _ = token_for("0.0.0.0", {})
    second, _ = token_for("0.0.0.0", {})
    assert first != second and len(first or "") >= 32


@pytest.mark.parametrize(
    ("path", "headers", "ok"),
    [
        ("/index.html", {}, False),
        (f"/index.html?token={TOKEN}", {}, True),
        ("/index.html?token=guess", {}, False),
        ("/", {"Authorization": f"Bearer {TOKEN}"}, True),
        ("/", {"Authorization": f"Basic {TOKEN}"}, False),
        ("/", {"Cookie": f"{COOKIE}={TOKEN}"}, True),
        ("/", {"Cookie": f"{COOKIE}={TOKEN}x"}, False),
        ("/", {"Cookie": 'this is; not = a cookie\\"; '}, False),
    ],
)
def test_a_request_passes_only_with_the_token(path: str, headers: dict[str, str], ok: bool) -> None:
    assert allowed(TOKEN, path, headers) is ok
    assert allowed(None, path, headers) is True  # loopback: nothing asked


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<p>the fleet</p>")
    (tmp_path / "projects").mkdir()
    (tmp_path / "projects" / "shop.html").write_text("<p>shop</p>")
    return tmp_path


def serving(site: Path, token: str | None) -> Iterator[str]:
    httpd = server(site, "127.0.0.1", 0, token)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def with_token(site: Path) -> Iterator[str]:
    yield from serving(site, TOKEN)


@pytest.fixture
def without_token(site: Path) -> Iterator[str]:
    yield from serving(site, None)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), response.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as error:
        error.close()  # its response stays open otherwise
        return error.code, "", ""


def test_on_loopback_the_pages_are_served_as_they_are(without_token: str) -> None:
    assert get(f"{without_token}/index.html") == (200, "<p>the fleet</p>", "")


def test_with_a_token_a_request_without_it_is_forbidden_and_the_cookie_carries_it(
    with_token: str, capfd: pytest.CaptureFixture[str]
) -> None:
    assert get(f"{with_token}/index.html")[0] == 403
    assert get(f"{with_token}/projects/shop.html?token=guess")[0] == 403
    status, body, cookie = get(f"{with_token}/index.html?token={TOKEN}")
    assert (status, body) == (200, "<p>the fleet</p>")
    assert cookie.startswith(f"{COOKIE}={TOKEN};") and "HttpOnly" in cookie
    # A relative link clicked from there carries no token, only the cookie.
    assert get(f"{with_token}/projects/shop.html", {"Cookie": cookie.split(";")[0]})[:2] == (
        200,
        "<p>shop</p>",
    )
    logged = capfd.readouterr()
    assert "/projects/shop.html" in logged.out and TOKEN not in logged.out + logged.err


def test_serving_a_directory_that_is_no_dashboard_or_on_a_taken_port_is_refused(
    workspace: Path, site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run(capsys, "dashboard", "serve", "--dir", str(empty), "--port", "0")
    assert (code, out) == (2, "")
    assert err == f"upkeep: {empty}: no index.html here (build it: upkeep dashboard build)\n"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "dashboard", "serve", "--dir", str(site), "--port", str(port))
    assert (code, out) == (2, "")
    assert (
        err.startswith(f"upkeep: 127.0.0.1:{port}: cannot serve there (") and err.count("\n") == 1
    )
