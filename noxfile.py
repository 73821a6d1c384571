"""nox sessions: tests (unit and end-to-end on the lab), lint, typecheck, e2e, exhaustive,
bench, demo.

scripts/bootstrap && .venv/bin/nox -s lint typecheck tests
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "tests"]

PYTHON = None  # the interpreter nox runs under (.venv, made by scripts/bootstrap)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Every test but the exhaustive ones: unit tests, then end-to-end tests on the lab."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "not exhaustive", *session.posargs)


@nox.session(python=PYTHON)
def exhaustive(session: nox.Session) -> None:
    """The slow, exhaustive end-to-end cases the tests session (and CI) leaves out, each
    a variation of a path CI covers; run before a release."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "exhaustive", *session.posargs)


@nox.session(python=PYTHON)
def unit(session: nox.Session) -> None:
    """Only the tests that need no server."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "not e2e", *session.posargs)


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """Only the end-to-end tests on the container lab."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "e2e", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", "upkeep", "tests", "benchmarks", "noxfile.py", "tasks", "deploys")
    session.run(
        "ruff",
        "format",
        "--check",
        "upkeep",
        "tests",
        "benchmarks",
        "noxfile.py",
        "tasks",
        "deploys",
    )


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[typecheck]")
    session.run("mypy")
    # The benchmarks call the workflows directly: checked too, so a changed signature
    # cannot leave them broken until the next time somebody measures.
    benchmarks = sorted(str(p) for p in __import__("pathlib").Path("benchmarks").glob("*.py"))
    session.run("mypy", *benchmarks, env={"MYPYPATH": "benchmarks"})


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Measured figures, printed as tables (never asserted)."""
    session.install("-e", ".[test]")
    for script in sorted(__import__("pathlib").Path("benchmarks").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job on the lab: the story of keeping a small fleet of sites, end to end.

    Four servers and two projects (the demo site and a real WordPress) up;
    the fleet's status; every site provisioned; drift; staging refreshed from
    production (sanitized); a minor PHP update planned by server, then run in
    waves (staging servers, a production canary, the next production server);
    every check and this month's SLA reports; each client's warranty; an estimate of the next major
    PHP; the fleet's status again; each client's care report; the fleet dashboard built; where
    the reports are.
    """
    session.install("-e", ".")
    # Progress lines even when the log is a file or a pipe (as `upkeep --progress` asks).
    session.env["UPKEEP_PROGRESS"] = "1"
    session.run("upkeep", "lab", "up")
    session.run("upkeep", "inventory", "check")
    session.run("upkeep", "inventory", "show", "--servers")
    session.run("upkeep", "ping", "--all", "--parallel", "2")
    # A first provision pins the oldest PHP 8.2 build Debian offers, so a minor
    # update has somewhere to go; later runs keep whatever is pinned.
    session.run("upkeep", "provision", "--all", "all", "--php-build", "oldest", "--parallel", "2")
    # 1: something needs attention (nothing checked yet, an update offered): still a demo.
    session.run("upkeep", "fleet", "status", success_codes=[0, 1])
    session.run("upkeep", "drift", "--all", "--parallel", "2")
    session.run("upkeep", "refresh", "--all", "--yes", "--parallel", "2")
    session.run("upkeep", "update", "minor", "--all", "--plan")
    # The lab's production sites keep a Sunday-night maintenance window; a demo does not wait.
    session.run("upkeep", "update", "minor", "--all", "--yes", "--no-wait")
    session.run("upkeep", "drift", "--all", "--parallel", "2")
    # Every sensor: 0 all OK, 1 a warning (e.g. a certificate due for renewal) is still a demo.
    session.run("upkeep", "check", "--all", "--parallel", "2", success_codes=[0, 1])
    session.run("upkeep", "sla", "report", "--all")
    # 1: a warranty is void (e.g. a plan without an SLA): the demo shows why.
    session.run("upkeep", "warranty", "--all", success_codes=[0, 1])
    session.run("upkeep", "estimate", "demo", "--to", "8.4", "--output", "reports/estimate")
    session.run("upkeep", "fleet", "status", success_codes=[0, 1])
    # This month's care report, so far, in each client's language (demo: en, wordpress: pl).
    session.run("upkeep", "care", "report", "--all", "--month", _this_month())
    session.run("upkeep", "dashboard", "build")
    session.log("reports:")
    session.log("  reports/refresh/   each staging refresh (Markdown and JSON)")
    session.log("  reports/update/    the fleet's minor PHP update, wave by wave (Markdown, JSON)")
    session.log(
        "  reports/sla/       this month's SLA reports (Markdown, HTML, JSON), from the checks' "
        "history"
    )
    session.log("  reports/estimate/  the PHP 8.4 estimate (Markdown, HTML and JSON)")
    session.log(
        "  reports/care/      each client's monthly care report (PDF, HTML, Markdown, JSON), "
        "in the client's language"
    )
    session.log(
        "  reports/dashboard/ the fleet dashboard: open reports/dashboard/index.html, or "
        "`upkeep dashboard serve` and http://127.0.0.1:8080/"
    )
    session.log("pins: inventories/*.pins.yml (committed); lab state: ~/.local/state/upkeep/lab")


def _this_month() -> str:
    """YYYY-MM now in Warsaw, the lab clients' zone (a care report's default is the last
    complete month, which a lab born today never watched)."""
    return dt.datetime.now(ZoneInfo("Europe/Warsaw")).strftime("%Y-%m")
