"""A fleet run against servers that refuse SSH (127.0.0.1, nothing listening: real failures):
the halting rule, the waits for maintenance windows on an injected clock, the journal, the
report, and the refusals of the command line (exit 2, one line, nothing changed)."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import pytest

from tests.unit.local_servers import free_port
from tests.unit.run_cli import run_cli as run
from upkeep.inventory import Project, load_project
from upkeep.inventory.pins import Pins, load_pins, write_all_pins, write_pins
from upkeep.inventory.servers import load_fleet
from upkeep.pipeline import RunState
from upkeep.reports.update import write_fleet
from upkeep.update import fleet, waves
from upkeep.update.windows import FakeClock
from upkeep.workspace import Workspace

OLD, NEW = "8.2.32-1~deb12u1", "8.2.36-1~deb12u1"
SATURDAY_NIGHT = dt.datetime(2026, 12, 5, 23, 0, tzinfo=dt.UTC)  # a Saturday, 23:00 UTC

PROJECT = """\
project: {name}
app: {{kind: generic, repository: /srv/git/{name}}}
php: {{line: "8.2"}}
database: {{name: {name}, user: {name}, password: {{secret: db}}, dump_user: {name}_dump,
           dump_password: {{secret: dump}}}}
maintenance:
  - {{every: sun, from: "02:00", to: "04:00", timezone: UTC, environments: [production]}}
environments:
  production:
    domain: www.{name}.test
    tls: manual
    hosts: [{server}]
"""


@pytest.fixture
def fleet_repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Three projects, each production on its own server; every server refuses SSH."""
    import git

    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    git.Repo.init(workspace, initial_branch="main")
    servers = "servers:\n" + "".join(
        f"  web-{n}: {{address: 127.0.0.1, port: {free_port()}}}\n" for n in (1, 2, 3)
    )
    (workspace / "inventories" / "servers.yml").write_text(servers)
    root = Workspace(workspace)
    for n in (1, 2, 3):
        name = f"site{n}"
        (workspace / "inventories" / f"{name}.yml").write_text(
            PROJECT.format(name=name, server=f"web-{n}")
        )
        write_pins(root, Pins(project=name).with_env("production", php_build=OLD), "test pins")
    return root


def _model(root: Workspace) -> tuple[list[Project], dict[str, Pins], waves.FleetPlan]:
    projects = [load_project(root, f"site{n}") for n in (1, 2, 3)]
    pins = {p.name: load_pins(root, p.name) for p in projects}
    sites = waves.sites_of(projects, pins, load_fleet(root.inventories))
    return projects, pins, waves.plan(sites, {"8.2": NEW})


def test_the_run_halts_after_max_failed_servers_and_later_servers_stay_untouched(
    fleet_repo: Workspace,
) -> None:
    projects, pins, plan = _model(fleet_repo)
    assert [w.name for w in plan.waves] == ["canary", "wave 2"]  # web-1, then web-2 and web-3
    said: list[str] = []

    report = fleet.minor_fleet(
        fleet_repo, projects, pins, plan, say=said.append, clock=FakeClock(SATURDAY_NIGHT)
    )

    assert report.state is RunState.ROLLED_BACK and not report.ok
    assert (report.error or "").startswith("halted after 1 failed server(s) (web-1): ")
    assert [(s.server, s.state) for s in report.servers] == [
        ("web-1", "failed, rolled back"),
        ("web-2", "not reached"),
        ("web-3", "not reached"),
    ]
    assert [w.outcome for w in report.waves] == ["1 of 1 server(s) failed (web-1)", "not started"]
    assert all(load_pins(fleet_repo, p.name).get("production").php_build == OLD for p in projects)


def test_with_max_failed_two_the_next_wave_starts_and_halts_at_the_second_failure(
    fleet_repo: Workspace,
) -> None:
    projects, pins, plan = _model(fleet_repo)
    clock = FakeClock(SATURDAY_NIGHT)
    said: list[str] = []

    report = fleet.minor_fleet(
        fleet_repo, projects, pins, plan, say=said.append, clock=clock, max_failed=2
    )

    assert (report.error or "").startswith("halted after 2 failed server(s) (web-1, web-2): ")
    assert [s.state for s in report.servers] == [
        "failed, rolled back",
        "failed, rolled back",
        "not reached",  # web-3, in the same wave: halted means no further server starts
    ]
    # The canary waited three hours for the windows of its project; wave 2 started inside them.
    assert "waiting for the maintenance window of site1 until 02:00 UTC (2026-12-06)" in said
    assert clock.now() == SATURDAY_NIGHT + dt.timedelta(hours=3)
    assert [w.waited for w in report.waves] == [
        "waited 180 min for the maintenance window of site1",
        "inside the maintenance window of site2 and site3: starting now",
    ]
    journal = fleet.status()
    assert journal is not None and journal.state is RunState.ROLLED_BACK
    markdown = write_fleet(report, fleet_repo.reports / "update")[1].read_text()
    assert "1. **canary** (production):" in markdown
    assert "| wave 2 | web-3 | site3/production |" in markdown and "not reached" in markdown


def test_no_wait_starts_the_waves_at_once(fleet_repo: Workspace) -> None:
    projects, pins, plan = _model(fleet_repo)
    clock = FakeClock(SATURDAY_NIGHT)
    report = fleet.minor_fleet(fleet_repo, projects, pins, plan, clock=clock, wait=False)
    assert clock.now() == SATURDAY_NIGHT
    assert report.waves[0].waited == "not waiting for maintenance windows (--no-wait)"


def test_the_command_line_refuses_bad_input_in_one_line_and_changes_nothing(
    fleet_repo: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, message in (
        (["--all", "--wave-size", "0"], "upkeep: --wave-size 0: give 1 or more\n"),
        (
            ["--all", "--max-failed-servers", "0"],
            "upkeep: --max-failed-servers 0: give 1 or more\n",
        ),
        (
            ["--all", "--shared-host"],
            "upkeep: --shared-host is for one project's update; a fleet update moves every "
            "site on a server together already (drop --shared-host)\n",
        ),
        (
            ["--all", "--check"],
            "upkeep: --check reads one project's offer: over several projects, --plan shows "
            "the waves\n",
        ),
        (["site1", "--all"], "upkeep: give project names or --all, not both (site1 and --all)\n"),
        (
            [],
            "upkeep: the following arguments are required: project (see upkeep update minor --help)\n",
        ),
    ):
        code, _, err = run(capsys, "update", "minor", *args)
        assert (code, err) == (2, message), args
        assert "Traceback" not in err
    for verb in ("status", "resume", "abort"):
        code, _, err = run(capsys, "update", verb, "site1", "--fleet")
        assert (code, err) == (
            2,
            "upkeep: give a project or --fleet, not both (site1 and --fleet)\n",
        )
    code, _, err = run(capsys, "update", "resume", "--fleet", "--yes")
    assert (code, err) == (2, "upkeep: no unfinished fleet update to resume\n")
    assert fleet.status() is None  # nothing ran


def test_an_unfinished_fleet_run_refuses_a_new_one_until_it_is_settled(
    fleet_repo: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _model(fleet_repo)[2]
    journal = fleet.fleet_pipeline(plan).start("fleet")
    journal.facts["plan"] = plan.to_dict()
    fleet.store().save(journal, fleet.RUN_KEY)  # a run killed before its first step ended
    code, _, err = run(capsys, "update", "minor", "--all", "--yes", "--no-wait")
    assert code == 2 and err.startswith("upkeep: a fleet update is unfinished (next step: wait-1)")
    code, out, _ = run(capsys, "update", "status", "--fleet", "--json")
    assert code == 0 and json.loads(out)["data"]["state"] == "running"
    code, out, err = run(capsys, "update", "abort", "--fleet", "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["data"]["state"] == "aborted"


def test_a_fleet_run_killed_on_one_runner_is_seen_and_aborted_from_another(
    fleet_repo: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = _model(fleet_repo)[2]
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "runner-a"))
    journal = fleet.fleet_pipeline(plan).start("fleet")
    journal.facts["plan"] = plan.to_dict()
    fleet.store().save(journal, fleet.RUN_KEY)  # runner A dies here; the store is shared
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "runner-b"))
    code, out, _ = run(capsys, "update", "status", "--fleet")
    assert code == 0 and f"run {journal.run_id}: next step: wait-1" in out
    assert f"saved by {socket.gethostname()} (state home {tmp_path / 'runner-a'}) at " in out
    code, out, _ = run(capsys, "update", "status", "--fleet", "--json")
    assert json.loads(out)["data"]["saved_by"]["state_home"] == str(tmp_path / "runner-a")
    code, out, err = run(capsys, "update", "abort", "--fleet", "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["data"]["state"] == "aborted"
    saved = fleet.store().saved(fleet.RUN_KEY)
    assert saved is not None and saved.state_home == str(tmp_path / "runner-b")


def test_a_servers_pins_move_in_one_commit_across_projects(fleet_repo: Workspace) -> None:
    import git

    repo = git.Repo(fleet_repo.root)
    before = repo.head.commit.hexsha
    moved = [
        load_pins(fleet_repo, f"site{n}").with_env("production", php_build=NEW) for n in (1, 2)
    ]

    commit = write_all_pins(fleet_repo, moved, "one server")

    assert commit is not None and repo.git.rev_list("--count", f"{before}..HEAD") == "1"
    assert sorted(repo.commit(commit).stats.files) == [
        "inventories/site1.pins.yml",
        "inventories/site2.pins.yml",
    ]
    assert repo.commit(commit).summary == (
        f"pins(site1): production php {OLD} -> {NEW}; pins(site2): production php {OLD} -> {NEW}"
    )
    assert write_all_pins(fleet_repo, moved, "again") is None  # nothing changed: no commit


def test_one_projects_update_on_a_server_another_projects_site_is_on_is_refused(
    fleet_repo: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    # site2 moves onto site1's server: one PHP build for both.
    second = fleet_repo.inventories / "site2.yml"
    second.write_text(second.read_text().replace("hosts: [web-2]", "hosts: [web-1]"))
    before = git_head(fleet_repo)
    code, out, err = run(capsys, "update", "minor", "site1", "--yes")
    assert (code, out) == (2, "")
    assert err == (
        "upkeep: site1 shares servers with site2/production on web-1, and a server runs one "
        "PHP build: update them together, planned by server (upkeep update minor site1 site2)\n"
    )
    assert git_head(fleet_repo) == before and fleet.status() is None
    # Not yet provisioned (no pin), site2 has no build to be moved behind its back.
    write_pins(fleet_repo, Pins(project="site2"), "site2 not provisioned")
    code, _, err = run(capsys, "update", "minor", "site1", "--yes")
    assert "shares servers" not in err and code == 1  # it ran, and web-1 refused SSH


def git_head(root: Workspace) -> str:
    import git

    return git.Repo(root.root).head.commit.hexsha


def test_fleet_status_shows_the_fleet_updates_outcome_for_each_site_it_planned(
    fleet_repo: Workspace,
) -> None:
    from functools import partial

    from upkeep.fleet.status import Sources, fleet_status
    from upkeep.update import runs

    projects, pins, plan = _model(fleet_repo)
    fleet.minor_fleet(fleet_repo, projects, pins, plan, clock=FakeClock(SATURDAY_NIGHT))
    run = fleet.store().load(fleet.RUN_KEY)
    assert run is not None
    where = fleet.store().source(fleet.RUN_KEY)
    sources = Sources(
        pins=partial(load_pins, fleet_repo),
        updates=runs.store(),
        refreshes=fleet_repo.reports / "refresh",
        history=None,
        fleet_update=(run, where),
    )
    status = fleet_status(projects, sources, SATURDAY_NIGHT)
    cells = {row.project: row.last_update for row in status.rows}
    assert cells["site1"].text == f"rolled back on web-1, {OLD} → {NEW}"
    assert cells["site2"].text == cells["site3"].text == f"not reached: fleet update {run.where()}"
    assert all(run.run_id in c.source and where in c.source for c in cells.values())
    assert status.attention == (f"fleet update {run.where()} ({where})",)
