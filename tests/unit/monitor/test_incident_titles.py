"""An incident's title says what is wrong in words; a tool's own output goes to its details.

Through collection's own judging (upkeep.monitor.collect) into a real history: a host
that does not answer over SSH, and an error page curl could not fetch on one of two
hosts, open incidents whose titles carry none of the clients' text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from upkeep.inventory.checks import DiskCheck, ErrorPageCheck, HttpCheck, ServicesCheck
from upkeep.inventory.conditions import Response, parse
from upkeep.inventory.model import Host
from upkeep.layout import SiteLayout
from upkeep.monitor import collect
from upkeep.monitor.evaluate import DiskSpace, Run, combine, evaluate_http
from upkeep.monitor.facts import LocalResponse
from upkeep.monitor.history import History
from upkeep.monitor.incidents import Incident
from upkeep.monitor.kinds import Reads
from upkeep.monitor.result import CheckResult

SSH_ERROR = "[Errno None] Unable to connect to port 22 on 10.0.0.1"
CURL = "curl: (7) Failed to connect to 127.0.0.1 port 443 after 0 ms: Couldn't connect to server"
HEALTH = HttpCheck(name="health", path="/health.php", conditions=(parse("[STATUS] == 200"),))
SERVICES = ServicesCheck(name="services", units=("nginx",))
DISK = DiskCheck(name="disk")
PAGE = ErrorPageCheck(name="error_page")
HEALTHY = Response(status=200, body="ok")


def env(*hosts: str) -> collect.EnvPlan:
    return collect.EnvPlan(
        project="demo",
        environment="production",
        domain="www.demo.test",
        https=True,
        hosts=tuple(Host(name=name, address=f"10.0.0.{n}") for n, name in enumerate(hosts, 1)),
        checks=(HEALTH, SERVICES, DISK, PAGE),
        pin="8.2.36-1~deb12u1",
        php_line="8.2",
        paths=SiteLayout.of("demo", "production"),
        ca_file=None,
    )


def reads(**changes: object) -> Reads:
    found = Reads({}, {}, {}, {}, {})
    for key, value in changes.items():
        setattr(found, key, value)
    return found


def at(minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, 20, 10, minute, tzinfo=dt.UTC)


def open_after_two_runs(path: Path, run: Callable[[int], list[CheckResult]]) -> list[Incident]:
    with History(path) as history:
        history.record(run(0))
        history.record(run(5))
        return history.open_incidents()


def test_a_host_that_does_not_answer_over_ssh_is_one_incident_in_words(tmp_path: Path) -> None:
    """The site answers; SSH does not: services is the root, the other host checks its
    consequences, and the title names the host without the SSH client's text."""
    plan = env("web1")

    def ssh_down(minute: int) -> list[CheckResult]:
        run = Run("demo", "production", at=at(minute))
        down = reads(unreachable={"web1": SSH_ERROR})
        return [
            evaluate_http(HEALTH, HEALTHY, run),
            *(collect.judge(check, plan, run, down) for check in (SERVICES, DISK, PAGE)),
        ]

    [incident] = open_after_two_runs(tmp_path / "h.db", ssh_down)
    assert (incident.check, incident.priority.value) == ("services", "P2")
    assert incident.summary == "web1 cannot be reached over SSH"
    assert incident.details == (f"could not check: web1 cannot be reached over SSH ({SSH_ERROR})",)
    with History(tmp_path / "h.db") as history:
        assert [c.check for c in history.consequences(incident)] == ["disk", "error_page"]


def test_curl_output_on_one_of_two_hosts_stays_in_the_details(tmp_path: Path) -> None:
    plan = env("web1", "web2")

    def page_broken_on_web2(minute: int) -> list[CheckResult]:
        run = Run("demo", "production", at=at(minute))
        branded = LocalResponse(status=503, body='<div class="code">503</div>', seconds=0.01)
        failed = LocalResponse(status=None, body="", seconds=0.01, error=CURL)
        pages = reads(
            facts={
                "services": {"web1": {"nginx": "active"}, "web2": {"nginx": "active"}},
                "disk": {h: {"/": DiskSpace(60, 100)} for h in ("web1", "web2")},
                "error_page:error_page": {"web1": branded, "web2": failed},
            },
        )
        return [
            combine(
                HEALTH, run, [(h, evaluate_http(HEALTH, HEALTHY, run)) for h in ("web1", "web2")]
            ),
            *(collect.judge(check, plan, run, pages) for check in (SERVICES, DISK, PAGE)),
        ]

    [incident] = open_after_two_runs(tmp_path / "h.db", page_broken_on_web2)
    assert incident.check == "error_page"  # one incident, in words
    assert incident.summary == "web2: the error page could not be fetched on the host"
    assert "curl" not in incident.summary
    assert f"web2: could not check: no response: {CURL}" in incident.details
