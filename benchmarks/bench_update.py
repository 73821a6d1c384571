"""A minor PHP update on the lab: how long production is affected, with the prefetch and without.

    python benchmarks/bench_update.py              # a lab of its own, removed at the end
    python benchmarks/bench_update.py --keep-lab   # leave it up for a look

A lab of its own (``UPKEEP_LAB_NAME`` / ``UPKEEP_LAB_SUBNET``; by default
``upkeep-bench`` on 10.89.79.0/24) with fresh containers: the demo provisioned
at the oldest PHP build Debian offers, then the minor update taken twice in
the same run, each from the old build with apt's cache emptied first (both
download the same packages): without the prefetch (the baseline: production's
bump downloads inside its window, as upkeep did before), then with it.

"Production affected" is from the first package change on a production host
(dpkg's own log there) to production's smoke checks passing (the end of the
smoke step in the run's journal); the journal's own figure and the whole
update's wall time are printed beside it, and where the window's seconds went
(dpkg's unpack, its configure and triggers, the reload, the way back, the
smoke), read from the production host's dpkg log (whole seconds) and
systemd's journal. "Served by the new build" is from the reload being sent
to the smoke checks passing: until then the old FPM master serves every
request from the binary and modules it loaded at its start, whatever dpkg
has put on the disk. A request loop runs against every
production host during each update and counts the failed requests. Wall
seconds, measured, never asserted.

Last, the floor under the window: one production host's install alone, from
apt's cache with no request load, timed on the host (wall, and the CPU of apt,
dpkg and the packages' scripts): back to the old build, then to the new one
again. It is CPU-bound, one program after another (Debian's maintainer
scripts), so the window cannot be shorter than it on this machine's cores; on
the lab it is longer only where the production hosts outnumber the cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import shlex
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labs import operator_repo  # noqa: E402

from tasks.prefetch import build_specs  # noqa: E402
from tests.e2e.web import fetch  # noqa: E402
from upkeep import lab  # noqa: E402
from upkeep.inventory import Host, Project, load_project  # noqa: E402
from upkeep.inventory.pins import Pins, load_pins, write_pins  # noqa: E402
from upkeep.pipeline.journal import parse_time  # noqa: E402
from upkeep.provision.workflow import provision  # noqa: E402
from upkeep.ssh import check_root  # noqa: E402
from upkeep.update import backup, workflow  # noqa: E402
from upkeep.update.packages import install_prefetched_script  # noqa: E402
from upkeep.update.report import UpdateReport  # noqa: E402
from upkeep.workspace import Workspace, state_home  # noqa: E402

ENVIRONMENTS = ["dev", "staging", "production"]


class Load:
    """GET the health page on every production host in turn, until stopped."""

    def __init__(self, project: Project) -> None:
        self.environment = project.environment("production")
        self.path = project.app.health_path
        self.requests = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        ca = state_home() / "lab" / "ca.crt"
        for host in itertools.cycle(self.environment.hosts):
            if self._stop.is_set():
                return
            self.requests += 1
            try:
                page = fetch(host.address, self.environment.domain, self.path, ca)
                if page.status != 200:
                    self.failures.append(f"{host.name}: {page.status}")
            except OSError as error:
                self.failures.append(f"{host.name}: {error!r}")
            time.sleep(0.05)


def first_package_change(project: Project, since: dt.datetime) -> dt.datetime | None:
    """The earliest PHP package dpkg changed on a production host at or after ``since``."""
    found = [
        stamp
        for host in project.environment("production").hosts
        for stamp, words in dpkg_log(host, project.php.line, since)
        if words[0] == "upgrade"
    ]
    return min(found, default=None)


def dpkg_log(host: Host, line: str, since: dt.datetime) -> list[tuple[dt.datetime, list[str]]]:
    """dpkg's log lines about php<line> packages on ``host`` from ``since`` on (whole seconds):
    each its time and its words after the time ('upgrade php8.2-fpm:amd64 …')."""
    log = check_root(host, "cat /var/log/dpkg.log", "reading dpkg's log")
    entries = []
    for entry in log.splitlines():
        parts = entry.split()
        # 'upgrade php8.2-fpm:amd64 OLD NEW', 'configure php8.2-fpm:amd64 …', 'status installed php8.2-fpm:amd64 …'
        if any(word.startswith(f"php{line}") for word in parts[3:5]):
            stamp = dt.datetime.fromisoformat(f"{parts[0]}T{parts[1]}+00:00")
            if stamp >= since.replace(microsecond=0):
                entries.append((stamp, parts[2:]))
    return entries


def fpm_reloads(host: Host, line: str, since: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """PHP-FPM's reloads on ``host`` from ``since`` on, from systemd's journal (microseconds):
    'reloading' when systemd sends the signal, 'new master' when the re-executed master
    takes over its sockets."""
    log = check_root(
        host,
        f"journalctl -u php{line}-fpm -o short-iso-precise --no-pager "
        f"--since=@{int(since.timestamp())}",
        "reading PHP-FPM's journal",
    )
    events = []
    for entry in log.splitlines():
        what = (
            "reloading"
            if "Reloading php" in entry
            else "new master"
            if "using inherited socket" in entry
            else None
        )
        if what:
            events.append((dt.datetime.fromisoformat(entry.split()[0]), what))
    return events


def window_phases(project: Project, report: UpdateReport, since: dt.datetime) -> dict[str, str]:
    """Where production's window went, from each production host's own logs and the journal:
    the bump's start to the first package change (outside the dpkg-log window), dpkg's
    unpack, its configure and triggers, the reload until the new master runs, the way back
    to the control machine, and the smoke checks. Whole seconds where dpkg's log says it."""
    line = project.php.line
    steps = {s.name: s for s in report.steps}
    bump, smoke = steps.get("bump_production"), steps.get("smoke_production")
    if not bump or not smoke or None in (bump.started, bump.seconds, smoke.started, smoke.seconds):
        return {}
    assert bump.started and bump.seconds is not None
    assert smoke.started and smoke.seconds is not None
    bumped = parse_time(bump.started)
    bump_end = bumped + dt.timedelta(seconds=bump.seconds)
    smoked = parse_time(smoke.started) + dt.timedelta(seconds=smoke.seconds)
    unpacked, configured, installed, reloading, master = [], [], [], [], []
    for host in project.environment("production").hosts:
        log = dpkg_log(host, line, since)
        unpacked += [t for t, w in log if w[0] == "upgrade"]
        configured += [t for t, w in log if w[0] == "configure"]
        done = [t for t, w in log if w[:2] == ["status", "installed"]]
        installed += done
        reloads = fpm_reloads(host, line, max(done, default=since))
        reloading += [t for t, what in reloads if what == "reloading"][:1]
        master += [t for t, what in reloads if what == "new master"][:1]
    marks = [
        ("bump started → first package change", bumped, min(unpacked, default=None)),
        ("  dpkg: unpack", min(unpacked, default=None), min(configured, default=None)),
        (
            "  dpkg: configure + triggers",
            min(configured, default=None),
            max(installed, default=None),
        ),
        ("  dpkg done → reload sent", max(installed, default=None), min(reloading, default=None)),
        ("  reload sent → new master", min(reloading, default=None), max(master, default=None)),
        ("  new master → bump step ends", max(master, default=None), bump_end),
        ("  bump step ends → smoke checks pass", bump_end, smoked),
        ("new build served s (reload → smoke OK)", min(reloading, default=None), smoked),
    ]
    return {
        what: f"{(end - start).total_seconds():.1f}" if start and end else "?"
        for what, start, end in marks
    }


def empty_apt_caches(project: Project) -> None:
    for name in ENVIRONMENTS:
        for host in project.environment(name).hosts:
            check_root(host, "apt-get clean", "emptying apt's cache")


def back_to(workspace: Workspace, build: str) -> None:
    """Every environment on ``build`` again, as a fresh subscription would find them."""
    pins = load_pins(workspace, "demo")
    for name in ENVIRONMENTS:
        pins = pins.with_env(name, php_build=build)
    write_pins(workspace, pins, "bench: back to the old build")
    result = provision(workspace, load_project(workspace, "demo"), pins, ENVIRONMENTS)
    if not result.ok:
        raise SystemExit(f"putting the lab back on {build} failed: {result.run.problems}")


def measure(workspace: Workspace, prefetch: bool) -> dict[str, str]:
    project = load_project(workspace, "demo")
    empty_apt_caches(project)
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    with Load(project) as load:
        report = workflow.minor(
            workspace, project, load_pins(workspace, "demo"), prefetch=prefetch, say=_say
        )
    seconds = time.monotonic() - clock
    if not report.ok:
        raise SystemExit(f"the update did not go through: {report.state} {report.error}")
    return {
        "affected s (dpkg log → smoke OK)": _affected(project, report, started),
        **window_phases(project, report, started),
        "affected s (journal)": f"{report.production_affected_seconds}",
        "whole update s": f"{seconds:.1f}",
        "requests": str(load.requests),
        "failed": str(len(load.failures)),
    }


def install_alone(project: Project, old: str, new: str) -> dict[str, str]:
    """One production host's install from apt's cache, timed there, no load: to ``old``,
    then to ``new`` again (the lab ends as the update left it). 'wall s / CPU s' each."""
    host = project.environment("production").hosts[0]
    line = project.php.line
    names = list(backup.installed(host, line))
    specs = " ".join(shlex.quote(spec) for spec in build_specs(names, old))
    check_root(
        host,
        f"apt-get install -y -q --download-only --allow-downgrades {specs} >/dev/null",
        f"downloading PHP {old}",
    )
    timed = {}
    for build in (old, new):
        script = install_prefetched_script(line, build, names, {})
        took = check_root(
            host,
            "TIMEFORMAT='%R %U %S'; "
            f"{{ time bash -c {shlex.quote(script)} >/dev/null 2>&1; }} 2>&1",
            f"installing PHP {build}",
        )
        wall, user, system = map(float, took.split()[-3:])
        timed[f"one host alone, to {build} (wall s / CPU s)"] = f"{wall:.1f} / {user + system:.1f}"
    return timed


def _affected(project: Project, report: UpdateReport, started: dt.datetime) -> str:
    first = first_package_change(project, started)
    smoke = next(s for s in report.steps if s.name == "smoke_production")
    if first is None or smoke.started is None or smoke.seconds is None:
        return "?"
    smoked = parse_time(smoke.started) + dt.timedelta(seconds=smoke.seconds)
    return f"{(smoked - first).total_seconds():.1f}"


def _say(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab up at the end")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="upkeep-bench-") as tmp:
        os.environ.setdefault("UPKEEP_LAB_NAME", "upkeep-bench")
        os.environ.setdefault("UPKEEP_LAB_SUBNET", "10.89.79.0/24")
        os.environ["UPKEEP_STATE_DIR"] = str(Path(tmp) / "state")
        spec = lab.LabSpec.from_env()
        workspace = operator_repo(Path(tmp) / "operator")
        lab.down(spec)  # containers of an interrupted earlier run
        try:
            lab.up(spec, workspace)
            project = load_project(workspace, "demo")
            first = provision(
                workspace, project, Pins(project="demo"), ENVIRONMENTS, php_build="oldest"
            )
            old = first.pins.get("production").php_build
            assert old is not None
            for prefetch in (False, True):
                if prefetch:
                    back_to(workspace, old)
                rows.append(measure(workspace, prefetch))
                print(rows[-1], file=sys.stderr, flush=True)
            new = load_pins(workspace, "demo").get("production").php_build
            assert new is not None
            alone = install_alone(project, old, new)
        finally:
            if not args.keep_lab:
                lab.down(spec)
    baseline, prefetched = rows
    print(
        "\nminor PHP update on the lab (wall seconds; affected: first package change to smoke OK)"
    )
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")
    print(f"{'':<40} {'without prefetch':>17} {'with prefetch':>14}")
    for what in {**baseline, **prefetched}:
        print(f"{what:<40} {baseline.get(what, '?'):>17} {prefetched.get(what, '?'):>14}")
    print("\nthe floor: one production host's install from apt's cache, no load")
    for what, figure in alone.items():
        print(f"{what:<56} {figure:>15}")


if __name__ == "__main__":
    main()
