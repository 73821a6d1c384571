"""The minor PHP update on the lab: 8.2.32 → 8.2.36, staging first, then production.

The lab's environments were first provisioned at the oldest build Debian
offers, so there is a minor update to take. The tests take it four ways: a
smoke failure on production after the bump (rolled back), a run killed during
promotion and aborted (old build), one killed on "runner A" and resumed from
"runner B" (two state homes, one store on PostgreSQL: new build), and a
clean run with a request loop against production the whole time (no failed
request), after which a second run finds nothing to do.

The lab's WordPress shares the demo's dev and staging servers, and a
one-project update refuses servers another project's site is pinned on (it
would move their PHP build behind their pins' back; the fleet's update moves
them together, tests/e2e/test_waves.py). These tests are about the
one-project pipeline, so WordPress's pins step aside while they run and come
back after, at the builds its servers then run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import git
import pytest

from upkeep.cli.main import main
from upkeep.inventory import Environment, Project
from upkeep.inventory.pins import Pins, load_pins, write_pins
from upkeep.pipeline import RunState, StepState
from upkeep.provision.workflow import provision
from upkeep.smoke import SmokeResult, smoke
from upkeep.ssh import check_root
from upkeep.update import packages, workflow
from upkeep.update.proposal import check_for_update
from upkeep.versions import PhpBuild

from .conftest import ENVIRONMENTS, RunningLab, model
from .hosts import console, get, shell

DATA = "mariadb-dump --skip-dump-date --single-transaction --skip-comments demo | sha256sum | cut -c1-64"


@pytest.fixture(scope="module", autouse=True)
def wordpress_steps_aside(provisioned: RunningLab) -> Iterator[None]:
    """WordPress's pins out of the way of the demo's one-project update (see the module)."""
    workspace = provisioned.workspace
    saved = load_pins(workspace, "wordpress")
    if not saved.environments:  # never provisioned in this session: nothing to step aside
        yield
        return
    write_pins(workspace, Pins(project="wordpress"), "e2e: wordpress steps aside")
    yield
    demo, pins = load_pins(workspace, "demo"), saved
    for shared in ("dev", "staging"):  # the servers WordPress shares with the demo
        pins = pins.with_env(shared, php_build=demo.get(shared).php_build)
    write_pins(workspace, pins, "e2e: wordpress back, at the builds its servers run")


@pytest.fixture(scope="module")
def builds(provisioned: RunningLab) -> tuple[str, str]:
    """The pinned (old) build and the newest one Debian offers, read from the lab."""
    pins = load_pins(provisioned.workspace, "demo")
    old = pins.get("production").php_build
    assert old is not None and pins.get("staging").php_build == old
    found = check_for_update(*model(provisioned.workspace))
    assert found.proposal.available and found.proposal.offered
    return old, found.proposal.offered


def _served(lab: RunningLab, environment: str) -> str:
    return str(get(lab, environment, "/health.php").json()["php_version"])


def _upstream(build: str) -> str:
    return str(PhpBuild.parse(build).upstream)


def _pinned(lab: RunningLab, environment: str) -> str | None:
    return load_pins(lab.workspace, "demo").get(environment).php_build


def _log(lab: RunningLab) -> list[str]:
    return [c.summary for c in git.Repo(lab.workspace.root).iter_commits(max_count=30)]


def _cli(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(lab.workspace.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _rearm(lab: RunningLab, old: str) -> None:
    """Every environment back on the old build, as a fresh subscription would find them."""
    pins = load_pins(lab.workspace, "demo")
    for environment in ENVIRONMENTS:
        pins = pins.with_env(environment, php_build=old)
    write_pins(lab.workspace, pins, "e2e: back to the old build for the next update test")
    assert provision(lab.workspace, *model(lab.workspace), ENVIRONMENTS).ok
    assert _served(lab, "production") == _upstream(old)


def test_check_proposes_the_newer_build_with_its_security_notes(
    provisioned: RunningLab, builds: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = builds
    code, out, _ = _cli(provisioned, capsys, "update", "minor", "demo", "--check", "--json")
    found = json.loads(out)["data"]
    assert code == 100 and found["available"] and found["kind"] == "minor"
    assert (found["pinned"], found["offered"]) == (old, new)
    assert found["security"], "the changelog between the two builds has entries"


def test_a_smoke_failure_on_production_rolls_it_back(
    provisioned: RunningLab, builds: tuple[str, str]
) -> None:
    old, new = builds
    data_before = console(provisioned, "production", DATA)

    def breaks_production(project: Project, environment: Environment, build: str) -> SmokeResult:
        if environment.name == "production" and build == new:
            console(provisioned, "production", "systemctl stop php8.2-fpm")  # the bump "broke" it
        return smoke(project, environment, expect_php=build)

    report = workflow.minor(
        provisioned.workspace, *model(provisioned.workspace), smoke_check=breaks_production
    )

    assert report.state is RunState.ROLLED_BACK and not report.ok
    assert "production fails its smoke checks" in (report.error or "")
    assert _served(provisioned, "production") == _upstream(old)  # serving, on the old build
    assert _pinned(provisioned, "production") == old and _pinned(provisioned, "staging") == old
    assert console(provisioned, "production", DATA) == data_before  # database intact
    log = _log(provisioned)
    assert sum(line.startswith("Revert ") for line in log[:3]) == 2  # production's, then staging's
    assert any(line.startswith("Revert ") and "production" in line for line in log[:3])


@pytest.mark.exhaustive  # CI: production's rollback and kill-then-resume cover the path
def test_a_staging_failure_stops_the_run_before_production_is_touched(
    provisioned: RunningLab, builds: tuple[str, str]
) -> None:
    old, new = builds
    repo = git.Repo(provisioned.workspace.root)
    before = repo.head.commit.hexsha

    def breaks_staging(project: Project, environment: Environment, build: str) -> SmokeResult:
        if environment.name == "staging" and build == new:
            console(provisioned, "staging", "systemctl stop php8.2-fpm")
        return smoke(project, environment, expect_php=build)

    report = workflow.minor(
        provisioned.workspace, *model(provisioned.workspace), smoke_check=breaks_staging
    )

    assert report.state is RunState.ROLLED_BACK and "staging fails its smoke checks" in (
        report.error or ""
    )
    states = {step.name: step.state for step in report.steps}
    assert states["backup_production"] == states["bump_production"] == str(StepState.PENDING)
    assert (
        _served(provisioned, "production") == _upstream(old)
        and _pinned(provisioned, "production") == old
    )
    assert (
        _served(provisioned, "staging") == _upstream(old) and _pinned(provisioned, "staging") == old
    )
    made = [c.summary for c in repo.iter_commits(f"{before}..HEAD")]
    assert (
        len(made) == 2
        and made[1].startswith("pins(demo): staging php")
        and made[0].startswith("Revert ")
    )


@contextlib.contextmanager
def _killed_during_promotion(lab: RunningLab, env: dict[str, str] | None = None) -> Iterator[None]:
    """`upkeep update minor demo --yes` in a process of its own (with ``env`` added to its
    environment), killed (SIGKILL) a few seconds into production's bump: the control
    machine dying at the worst moment."""
    with _killed_during(lab, "bump_production", _four_seconds_on, env):
        yield


def _four_seconds_on() -> bool:
    time.sleep(4)
    return True


@contextlib.contextmanager
def _killed_during(
    lab: RunningLab, step: str, ready: Callable[[], bool], env: dict[str, str] | None = None
) -> Iterator[None]:
    """`upkeep update minor demo --yes` in a process of its own (with ``env`` added to its
    environment), killed (SIGKILL) once its journal says ``step`` is running and
    ``ready()`` says so too (polled)."""
    store = workflow.store()
    earlier = store.load("demo")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "upkeep.cli.main",
            "--root",
            str(lab.workspace.root),
            "update",
            "minor",
            "demo",
            "--yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 900
    try:
        while time.monotonic() < deadline and process.poll() is None:
            journal = store.load("demo")
            if (
                journal is not None
                and (
                    earlier is None or journal.run_id != earlier.run_id
                )  # this run's, not the last
                and any(s.name == step and s.state is StepState.RUNNING for s in journal.steps)
                and ready()
            ):
                break
            time.sleep(0.2)
        assert process.poll() is None, f"the run ended before {step} (exit {process.returncode})"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.exhaustive  # CI: production's rollback and kill-then-resume cover the path
def test_a_run_killed_during_promotion_then_aborted_ends_on_the_old_build(
    provisioned: RunningLab, builds: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old, _ = builds
    with _killed_during_promotion(provisioned):
        code, out, _ = _cli(provisioned, capsys, "update", "status", "demo")
        assert code == 0 and "stopped during bump_production" in out and "update resume demo" in out
        code, out, err = _cli(provisioned, capsys, "update", "minor", "demo", "--yes")
        assert code == 2 and "unfinished" in err  # a new run is refused until this one is settled
        code, out, err = _cli(provisioned, capsys, "update", "abort", "demo", "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["data"]["state"] == "aborted"
    assert _served(provisioned, "production") == _upstream(old)
    assert _pinned(provisioned, "production") == old and _pinned(provisioned, "staging") == old


def _runner(lab_env: dict[str, str], home: Path) -> str:
    """A CI runner's own state home; it reaches the lab with the lab's keys, as a runner
    would with the deploy keys from its CI variables."""
    home.mkdir()
    (home / "lab").symlink_to(Path(lab_env["UPKEEP_STATE_DIR"]) / "lab")
    return str(home)


def test_a_run_killed_during_promotion_on_one_runner_is_resumed_from_another_and_ends_updated(
    provisioned: RunningLab,
    builds: tuple[str, str],
    lab_env: dict[str, str],
    postgresql_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Runner A and runner B: two processes, two state homes, one store on PostgreSQL."""
    old, new = builds
    runner_a = _runner(lab_env, tmp_path / "runner-a")
    runner_b = _runner(lab_env, tmp_path / "runner-b")
    monkeypatch.setenv("UPKEEP_DATABASE_URL", postgresql_url)
    monkeypatch.setenv("UPKEEP_STATE_DIR", runner_b)
    with _killed_during_promotion(provisioned, {"UPKEEP_STATE_DIR": runner_a}):
        code, out, _ = _cli(provisioned, capsys, "update", "status", "demo")
        assert code == 0 and "stopped during bump_production" in out
        assert f"(state home {runner_a})" in out  # the journal says who saved it
        assert f"on {socket.gethostname()}" in out  # and the lock names its machine
        code, out, err = _cli(provisioned, capsys, "update", "resume", "demo", "--yes", "--json")
    assert code == 0, err
    report = json.loads(out)["data"]
    assert report["state"] == "succeeded"
    assert [s["state"] for s in report["steps"]] == [str(StepState.DONE)] * len(workflow.STEPS)
    assert _served(provisioned, "production") == _upstream(new)
    assert _pinned(provisioned, "production") == new
    code, out, _ = _cli(provisioned, capsys, "runs", "--project", "demo", "--json")
    runs = json.loads(out)["data"]
    assert [(r["command"], r["status"], r["state_home"]) for r in runs] == [
        ("update resume", "ok", runner_b),
        ("update minor", "started", runner_a),  # killed: on record, with no end
    ]
    _rearm(provisioned, old)


SLOW_APT = "/etc/apt/apt.conf.d/99e2e-slow-downloads"


@contextlib.contextmanager
def _slow_downloads(lab: RunningLab) -> Iterator[Callable[[], bool]]:
    """apt's cache on production's hosts emptied (earlier runs filled it) and its downloads
    held to 50 kB/s (index files apt already has cost nothing), so a prefetch there takes
    minutes. Yields whether a .deb is arriving on the first host; after, the limit goes
    and the slow download is ended."""
    limit = 'Acquire::http::Dl-Limit "50";'
    shell(lab, "production", f"apt-get clean; echo '{limit}' > {SLOW_APT}")
    try:
        yield lambda: bool(
            console(
                lab, "production", "ls /var/cache/apt/archives/partial/ | grep '[.]deb$' || true"
            )
        )
    finally:
        # The killed run's apt-get on the host downloads on at 50 kB/s, holding apt's lock.
        shell(lab, "production", f"rm -f {SLOW_APT}; pkill -x apt-get || true")


def _production_packages(lab: RunningLab) -> list[str]:
    project = model(lab.workspace)[0]
    return [
        check_root(host, packages.installed_script("8.2"), "listing PHP")
        for host in project.environment("production").hosts
    ]


@contextlib.contextmanager
def _killed_during_the_prefetch(lab: RunningLab, old: str) -> Iterator[list[str]]:
    """The update killed while its prefetch downloads on production (slowly); production
    checked as it was (its packages, pin and served build). Yields its packages."""
    before = _production_packages(lab)
    with _slow_downloads(lab) as arriving, _killed_during(lab, "prefetch", arriving):
        assert _production_packages(lab) == before
        assert _pinned(lab, "production") == old
        assert _served(lab, "production") == _upstream(old)
        yield before


def test_a_run_killed_during_the_prefetch_leaves_production_untouched_and_aborts_cleanly(
    provisioned: RunningLab, builds: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old, _ = builds
    with _killed_during_the_prefetch(provisioned, old) as before:
        code, out, _ = _cli(provisioned, capsys, "update", "status", "demo")
        assert code == 0 and "stopped during prefetch" in out
    code, out, err = _cli(provisioned, capsys, "update", "abort", "demo", "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["data"]["state"] == "aborted"
    assert _production_packages(provisioned) == before
    assert _pinned(provisioned, "production") == old and _pinned(provisioned, "staging") == old
    assert _served(provisioned, "production") == _upstream(old)


@pytest.mark.exhaustive  # CI: the abort above and the kill-then-resume in production's bump
def test_a_run_killed_during_the_prefetch_then_resumed_ends_updated(
    provisioned: RunningLab, builds: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = builds
    with _killed_during_the_prefetch(provisioned, old):
        pass
    code, out, err = _cli(provisioned, capsys, "update", "resume", "demo", "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["data"]["state"] == "succeeded"
    assert _served(provisioned, "production") == _upstream(new)
    _rearm(provisioned, old)


def test_a_minor_update_goes_through_with_production_serving_all_along(
    provisioned: RunningLab, builds: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = builds
    failures: list[str] = []
    requests = 0
    stop = threading.Event()

    def hammer() -> None:
        nonlocal requests
        while not stop.is_set():
            requests += 1
            try:
                response = get(provisioned, "production", "/health.php")
                if response.status != 200:
                    failures.append(f"{response.status} {response.body[:80]!r}")
            except OSError as error:
                failures.append(repr(error))
            time.sleep(0.05)

    before = git.Repo(provisioned.workspace.root).head.commit.hexsha
    loop = threading.Thread(target=hammer, daemon=True)
    loop.start()
    try:
        code, out, err = _cli(provisioned, capsys, "update", "minor", "demo", "--yes", "--json")
    finally:
        stop.set()
        loop.join()
    assert code == 0, err
    report = json.loads(out)["data"]
    assert report["state"] == "succeeded" and (report["from_build"], report["to_build"]) == (
        old,
        new,
    )
    assert requests > 100 and failures == [], failures[:5]
    assert _served(provisioned, "staging") == _served(provisioned, "production") == _upstream(new)
    made = [c.summary for c in git.Repo(provisioned.workspace.root).iter_commits(f"{before}..HEAD")]
    # staging's bump, production's, then the dev server's, which follows production
    assert [m.split(": ", 1)[1] for m in reversed(made)] == [
        f"{env} php {old} -> {new}" for env in ("staging", "production", "dev")
    ]
    assert report["production_affected_seconds"] > 0 and all(
        os.path.exists(p) for p in report["report_files"]
    )
    code, out, _ = _cli(provisioned, capsys, "update", "minor", "demo", "--yes", "--json")
    assert code == 0 and json.loads(out)["data"]["state"] == "nothing to do"
    print(  # the figures for the closing note
        f"\nminor update: {requests} requests to production during the run, {len(failures)} failed; "
        + ", ".join(f"{s['name']} {s['seconds']:.1f} s" for s in report["steps"])
    )
