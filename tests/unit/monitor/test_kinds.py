"""Check kinds are a registry: a kind added in one place goes through collect's plumbing.

The throwaway kinds here are registered for one test each (monkeypatch), and
neither upkeep.monitor.collect nor upkeep.monitor.evaluate knows of them.
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any, Literal

import pytest
from pyinfra.api import FactBase

from upkeep.inventory.checks import KIND_CLASSES, Check
from upkeep.inventory.model import Host
from upkeep.layout import SiteLayout
from upkeep.monitor import collect, web
from upkeep.monitor.collect import EnvPlan, FactRound, Memory
from upkeep.monitor.evaluate import Run, could_not_check
from upkeep.monitor.kinds import REGISTRY, HostFact, Kind, Reads, Request, per_host
from upkeep.monitor.result import CheckResult, Status

AT = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


class TeapotCheck(Check):
    """Throwaway: the page at ``path`` answers 418."""

    kind: Literal["teapot"] = "teapot"
    path: str = "/"


class UptimeCheck(Check):
    """Throwaway: each host has been up at least ``minimum`` seconds."""

    kind: Literal["uptime"] = "uptime"
    minimum: float = 60.0


class Uptime(FactBase[float | None]):
    def command(self, limit: int = 0) -> str:
        return "cut -d' ' -f1 /proc/uptime"

    def process(self, output: Iterable[str]) -> float:
        return float(next(iter(output)))


def _judge_teapot(check: TeapotCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    answer, _ = reads.fetched[("teapot", "", env.url(check.path))]
    status = Status.OK if answer.response.status == 418 else Status.CRITICAL
    return CheckResult(
        run.project, run.environment, check.name, status, f"{answer.response.status}", at=run.at
    )


def _teapot_requests(check: TeapotCheck, env: EnvPlan) -> Sequence[Request]:
    url = env.url(check.path)
    return [Request(("teapot", "", url), partial(web.fetch, url, timeout=5.0))]


def _uptime_arguments(
    env: EnvPlan, checks: Sequence[UptimeCheck], host: str, memory: Memory
) -> dict[str, Any]:
    return {"limit": int(max(check.minimum for check in checks))}


def _judge_uptime(check: UptimeCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    def verdict(host: Host, seconds: Any) -> CheckResult | str:
        if seconds is None:
            return "the uptime"
        if seconds < check.minimum:
            return could_not_check(check, f"{host.name} just booted", run)
        return CheckResult(
            run.project, run.environment, check.name, Status.OK, f"up {seconds:g}s", at=run.at
        )

    return per_host(check, env, run, reads, verdict)


class Teapot(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(418)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def teapot() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Teapot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _env(*checks: Check, domain: str = "staging.demo.test") -> EnvPlan:
    return EnvPlan(
        project="demo",
        environment="staging",
        domain=domain,
        https=False,
        hosts=(Host(name="web1", address="10.0.0.1"), Host(name="web2", address="10.0.0.2")),
        checks=checks,
        pin=None,
        php_line="8.2",
        paths=SiteLayout.of("demo", "staging"),
        ca_file=None,
    )


def test_a_kind_read_from_here_runs_through_collect(
    teapot: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = TeapotCheck(name="tea", path="/brew")
    env = _env(check, domain=f"127.0.0.1:{teapot}")
    found = collect.collect([env], collect.NoMemory(), now=lambda: AT)
    assert found.results[0].summary == "could not check: upkeep cannot collect teapot checks yet"

    monkeypatch.setitem(REGISTRY, "teapot", Kind(TeapotCheck, _judge_teapot, _teapot_requests))
    (result,) = collect.collect([env], collect.NoMemory(), now=lambda: AT).results
    assert (result.check, result.status, result.summary) == ("tea", Status.OK, "418")


def test_a_kind_read_on_the_hosts_gets_its_fact_round_and_its_judge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = (UptimeCheck(name="booted", minimum=30), UptimeCheck(name="settled", minimum=600))
    env = _env(*checks)
    assert collect.fact_rounds([env], collect.NoMemory()) == []

    monkeypatch.setitem(
        REGISTRY,
        "uptime",
        Kind(UptimeCheck, _judge_uptime, fact=HostFact(Uptime, _uptime_arguments)),
    )
    # One round for the kind, each host asked once for all its environment's checks.
    assert collect.fact_rounds([env], collect.NoMemory()) == [
        FactRound("uptime", "uptime", Uptime, {"web1": {"limit": 600}, "web2": {"limit": 600}})
    ]
    reads = Reads(
        {}, {"web2": "connection refused"}, {"uptime": {"web1": 120.0}}, {"uptime": 1.5}, {}
    )
    run = Run("demo", "staging", at=AT)
    booted, settled = (collect.judge(check, env, run, reads) for check in checks)
    assert booted.status is Status.UNKNOWN  # web2 could not be reached
    assert booted.details == (
        "web1: up 120s",
        "web2: could not check: web2 cannot be reached over SSH (connection refused)",
    )
    assert settled.summary.startswith("web1: could not check: web1 just booted")
    assert booted.seconds == 1.5  # the round's time, as for every host kind


def test_every_schema_kind_has_its_entry() -> None:
    assert {name: kind.check for name, kind in REGISTRY.items()} == KIND_CLASSES
