"""A fleet's minor update in waves, on the lab: two production servers, a site on each.

The lab's WordPress project has its dev and staging beside the demo's and its
production on the second production server (lab-production-2). ``update minor --all`` then plans: the
staging stage (lab-dev, lab-staging), the canary (lab-production), a second
wave (lab-production-2). A smoke failure on the canary halts the run before
the second wave, puts the canary back and leaves lab-production-2 untouched;
then the run goes through with a request loop on each production site
counting failures: none.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import git
import pytest

from upkeep.cli.main import main
from upkeep.inventory import Environment, Host, Project, load_project
from upkeep.inventory.pins import load_pins, write_all_pins
from upkeep.inventory.servers import load_fleet
from upkeep.pipeline import RunState
from upkeep.provision.workflow import provision
from upkeep.smoke import SmokeResult, smoke
from upkeep.ssh import check_root
from upkeep.update import fleet, waves
from upkeep.update.proposal import check_for_update
from upkeep.versions import PhpBuild
from upkeep.workspace import state_home

from .conftest import ENVIRONMENTS, RunningLab, model
from .hosts import console
from .web import fetch

SECOND = "wordpress"  # the lab's second project: production on lab-production-2
PACKAGES = "dpkg-query -W -f='${Package} ${Version}\\n' 'php8.2*' | sort"


@pytest.fixture(scope="module")
def two_productions(provisioned: RunningLab, wordpress: RunningLab) -> tuple[RunningLab, str, str]:
    """The demo and WordPress provisioned at one (old) build; it and the newest offered.

    Earlier modules may have moved the demo on (tests/e2e/test_update.py ends on the
    newest build): every site goes back to WordPress's production build, the one
    nothing but a fleet update moves, so there is an update to take."""
    workspace = provisioned.workspace
    old = load_pins(workspace, SECOND).get("production").php_build
    assert old is not None
    pins = {name: load_pins(workspace, name) for name in ("demo", SECOND)}
    if any(p.get(env).php_build != old for p in pins.values() for env in ENVIRONMENTS):
        for name in list(pins):
            for env in ENVIRONMENTS:
                pins[name] = pins[name].with_env(env, php_build=old)
        write_all_pins(workspace, list(pins.values()), "e2e: every site back on one old build")
        for name in ("demo", SECOND):  # the demo first: it moves the shared servers
            assert provision(workspace, *model(workspace, name), ENVIRONMENTS).ok
    found = check_for_update(*model(provisioned.workspace))
    assert found.proposal.available and found.proposal.offered
    return provisioned, old, found.proposal.offered


def _host(lab: RunningLab, project: str) -> Host:
    return load_project(lab.workspace, project).environment("production").hosts[0]


def _served(lab: RunningLab, project: str) -> str:
    environment = load_project(lab.workspace, project).environment("production")
    path = load_project(lab.workspace, project).app.health_path
    page = fetch(environment.hosts[0].address, environment.domain, path, _ca())
    return str(page.json()["php_version"])


def _ca() -> Path:
    return state_home() / "lab" / "ca.crt"


def _upstream(build: str) -> str:
    return str(PhpBuild.parse(build).upstream)


def _pinned(lab: RunningLab, project: str, environment: str = "production") -> str | None:
    return load_pins(lab.workspace, project).get(environment).php_build


def _projects(lab: RunningLab) -> list[Project]:
    return [load_project(lab.workspace, name) for name in ("demo", SECOND)]


def test_a_smoke_failure_on_the_canary_halts_the_run_before_the_second_wave(
    two_productions: tuple[RunningLab, str, str],
) -> None:
    lab, old, new = two_productions
    workspace = lab.workspace
    projects = _projects(lab)
    pins = {p.name: load_pins(workspace, p.name) for p in projects}
    plan = waves.plan(
        waves.sites_of(projects, pins, load_fleet(workspace.inventories)), {"8.2": new}
    )
    assert [(w.name, [s.server for s in w.servers]) for w in plan.waves] == [
        ("staging", ["lab-dev", "lab-staging"]),
        ("canary", ["lab-production"]),
        ("wave 2", ["lab-production-2"]),
    ]
    untouched = check_root(_host(lab, SECOND), PACKAGES, "reading the packages")

    def breaks_the_canary(project: Project, environment: Environment, build: str) -> SmokeResult:
        if project.name == "demo" and environment.name == "production" and build == new:
            console(lab, "production", "systemctl stop php8.2-fpm")  # the bump "broke" it
        return smoke(project, environment, expect_php=build)

    report = fleet.minor_fleet(
        workspace, projects, pins, plan, smoke_check=breaks_the_canary, wait=False
    )

    assert report.state is RunState.ROLLED_BACK and not report.ok
    assert "halted after 1 failed server(s) (lab-production)" in (report.error or "")
    states = {s.server: s.state for s in report.servers}
    assert states == {
        "lab-dev": "updated",
        "lab-staging": "updated",
        "lab-production": "failed, rolled back",
        "lab-production-2": "not reached",
    }
    assert _served(lab, "demo") == _upstream(old) and _pinned(lab, "demo") == old
    assert _served(lab, SECOND) == _upstream(old) and _pinned(lab, SECOND) == old
    assert check_root(_host(lab, SECOND), PACKAGES, "reading the packages") == untouched
    log = [c.summary for c in git.Repo(workspace.root).iter_commits(max_count=3)]
    assert log[0].startswith("Revert ") and "pins(demo): production" in log[0]
    # Staging and dev passed their smoke checks and stay on the new build; back for the next test.
    back = []
    for project in ("demo", SECOND):
        pins = load_pins(workspace, project)
        assert pins.get("staging").php_build == pins.get("dev").php_build == new
        for environment in ("dev", "staging"):
            pins = pins.with_env(environment, php_build=old)
        back.append(pins)
    write_all_pins(workspace, back, "e2e: dev and staging back on the old build")
    for project in ("demo", SECOND):
        assert provision(workspace, *model(workspace, project), ["dev", "staging"]).ok


def test_update_minor_all_moves_staging_then_both_productions_in_two_waves_serving_all_along(
    two_productions: tuple[RunningLab, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    lab, old, new = two_productions
    counts = {"demo": [0, 0], SECOND: [0, 0]}  # requests, failures
    failures: list[str] = []
    stop = threading.Event()

    def hammer(project: str) -> None:
        inventory = load_project(lab.workspace, project)
        environment, path = inventory.environment("production"), inventory.app.health_path
        address = environment.hosts[0].address
        while not stop.is_set():
            counts[project][0] += 1
            try:
                page = fetch(address, environment.domain, path, _ca())
                if page.status != 200:
                    failures.append(f"{project}: {page.status} {page.body[:80]!r}")
                    counts[project][1] += 1
            except OSError as error:
                failures.append(f"{project}: {error!r}")
                counts[project][1] += 1
            time.sleep(0.05)

    loops = [threading.Thread(target=hammer, args=(p,), daemon=True) for p in counts]
    for loop in loops:
        loop.start()
    try:
        code = main(
            [
                "--root",
                str(lab.workspace.root),
                "update",
                "minor",
                "--all",
                "--yes",
                "--no-wait",
                "--json",
            ]
        )
    finally:
        stop.set()
        for loop in loops:
            loop.join()
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)["data"]
    assert report["state"] == "succeeded"
    assert [(w["name"], [s["server"] for s in w["servers"]]) for w in report["waves"]] == [
        ("staging", ["lab-dev", "lab-staging"]),
        ("canary", ["lab-production"]),
        ("wave 2", ["lab-production-2"]),
    ]
    assert all(
        s["updated"] and (s["from_build"], s["to_build"]) == (old, new)
        for w in report["waves"]
        for s in w["servers"]
    )
    assert all(requests > 50 for requests, _ in counts.values()) and failures == [], failures[:5]
    assert _served(lab, "demo") == _served(lab, SECOND) == _upstream(new)
    assert _pinned(lab, "demo") == _pinned(lab, SECOND) == new
    markdown = next(p for p in report["report_files"] if p.endswith(".md"))
    text = Path(markdown).read_text()
    assert "**canary** (production)" in text and "| wave 2 | lab-production-2 |" in text
    code = main(["--root", str(lab.workspace.root), "update", "minor", "--all", "--plan", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["data"]["waves"] == []  # nothing left to move
    print(  # the figures for the closing note
        "\nfleet update: "
        + ", ".join(f"{p} {n} requests, {f} failed" for p, (n, f) in counts.items())
    )
