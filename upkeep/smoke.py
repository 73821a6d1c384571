"""Smoke checks: is the site serving after a change, and on the PHP build we expect?

Run on each host of the environment with curl against its own nginx (by the
domain, resolved to 127.0.0.1), so they need nothing but the SSH access every
workflow has: the health page answers 200 with ``"status": "ok"`` (and, when
asked, the expected PHP version), and the home page answers 200 without a
raw PHP error in it. Refresh and the minor update run them after each change.

    >>> parse_curl("{\\"status\\":\\"ok\\",\\"php_version\\":\\"8.2.36\\"}\\n200 0.012")
    (200, 0.012, '{"status":"ok","php_version":"8.2.36"}')
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from upkeep.inventory import Environment, Host, Project
from upkeep.ssh import check_root
from upkeep.versions import PhpBuild

RAW_PHP_ERRORS = ("Fatal error", "Parse error", "Stack trace:", "<b>Warning</b>")


@dataclass(frozen=True)
class SmokeCheck:
    host: str
    name: str  # health, home
    url: str
    ok: bool
    status: int
    seconds: float
    detail: str


@dataclass(frozen=True)
class SmokeResult:
    environment: str
    checks: tuple[SmokeCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def summary(self) -> str:
        failed = [f"{c.host} {c.name}: {c.detail}" for c in self.checks if not c.ok]
        if failed:
            return "; ".join(failed)
        return f"{len(self.checks)} checks passed on {self.environment}"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


def smoke(
    project: Project,
    environment: Environment,
    expect_php: str | None = None,
    *,
    base_url: str | None = None,
) -> SmokeResult:
    """The smoke checks on every host of ``environment``; ``expect_php`` a build such as
    ``8.2.36-1~deb12u1`` (the health page reports its upstream version, 8.2.36).
    ``base_url``: the address visitors use when the domain alone does not say it (a
    developer environment's published port); its host is the one the site is asked for."""
    expected = str(PhpBuild.parse(expect_php).upstream) if expect_php else None
    host_header = urlsplit(base_url).netloc if base_url else None
    checks: list[Callable[[], SmokeCheck]] = []
    for host in environment.hosts:
        checks.append(
            partial(_health, host, environment, project.app.health_path, expected, host_header)
        )
        checks.append(partial(_home, host, environment, host_header))
    # All at once: after an update they end production's window, so their round trips overlap.
    with ThreadPoolExecutor(max_workers=len(checks) or 1) as pool:
        done = [pool.submit(check) for check in checks]
        return SmokeResult(str(environment.name), tuple(d.result() for d in done))


def _health(
    host: Host,
    environment: Environment,
    path: str,
    expected: str | None,
    host_header: str | None,
) -> SmokeCheck:
    url, status, seconds, body = _get(host, environment, path, host_header)
    try:
        health = json.loads(body)
    except ValueError:
        health = None
    if status != 200:
        detail = f"answered {status}"
    elif not isinstance(health, dict) or health.get("status") != "ok":
        detail = "did not say status ok"
    elif expected and health.get("php_version") != expected:
        detail = f"runs PHP {health.get('php_version')}, expected {expected}"
    else:
        served = f"PHP {health.get('php_version')}, " if health.get("php_version") else ""
        return SmokeCheck(host.name, "health", url, True, status, seconds, f"{served}ok")
    return SmokeCheck(host.name, "health", url, False, status, seconds, detail)


def _home(host: Host, environment: Environment, host_header: str | None) -> SmokeCheck:
    url, status, seconds, body = _get(host, environment, "/", host_header)
    raw = next((marker for marker in RAW_PHP_ERRORS if marker in body), None)
    ok = status == 200 and raw is None
    detail = "ok" if ok else f"answered {status}" + (f" with a raw PHP '{raw}'" if raw else "")
    return SmokeCheck(host.name, "home", url, ok, status, seconds, detail)


def _get(
    host: Host, environment: Environment, path: str, host_header: str | None = None
) -> tuple[str, int, float, str]:
    """GET ``path`` on the host itself, as a visitor's request for the site would arrive
    (an application that redirects to its canonical address, as WordPress does, sees the
    host it expects: ``host_header`` where the domain alone is not it)."""
    domain = environment.domain
    scheme, port = ("http", 80) if environment.tls == "none" else ("https", 443)
    url = f"{scheme}://{domain}{path}"
    asked_for = f"-H {shlex.quote(f'Host: {host_header}')} " if host_header else ""
    script = (
        f"curl -sk --max-time 20 --resolve {domain}:{port}:127.0.0.1 {asked_for}"
        f"-o /dev/stdout -w '\\n%{{http_code}} %{{time_total}}' {shlex.quote(url)}"
    )
    status, seconds, body = parse_curl(check_root(host, script, f"the smoke check of {url}"))
    return url, status, seconds, body


def parse_curl(output: str) -> tuple[int, float, str]:
    """curl's body and its ``-w '\\n%{http_code} %{time_total}'`` line."""
    body, _, last = output.rstrip("\n").rpartition("\n")
    code, _, seconds = last.partition(" ")
    try:
        return int(code), float(seconds), body
    except ValueError:
        return 0, 0.0, output
