"""Shared servers and runs that never undo each other, on the lab.

A second project, ``twin``, puts its staging beside its production on the
production server (where the demo's production lives too): each environment
has its own database and users, a refresh copies one into the other and
leaves both productions exactly as they were. An inventory that lets staging
share production's database is refused before anything runs; one that hides
production behind another address (a TCP relay, as a NAT would) is caught by
asking the servers themselves. Locks: a provision started while a refresh
holds staging is refused naming the holder, and ``update resume`` while the
run it would resume is alive is refused without undoing anything.
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
from collections.abc import Iterator
from pathlib import Path

import pytest

from upkeep.cli.main import main
from upkeep.inventory import load_project
from upkeep.inventory.pins import load_pins
from upkeep.locks import Liveness
from upkeep.locks import inspect as inspect_lock
from upkeep.pipeline import RunState, StepRecord, StepState
from upkeep.provision.workflow import provision
from upkeep.ssh import check_root
from upkeep.update.runs import started
from upkeep.update.workflow import STEPS, store
from upkeep.workspace import state_home

from .conftest import RunningLab, model
from .web import fetch

CHECKSUM = (
    "mariadb-dump --skip-dump-date --single-transaction --skip-comments {db} "
    "| sha256sum | cut -c1-64"
)


def _cli(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--root", str(lab.workspace.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _production(lab: RunningLab):  # type: ignore[no-untyped-def]
    return load_project(lab.workspace, "demo").environment("production").hosts[0]


def _root(lab: RunningLab, script: str) -> str:
    return check_root(_production(lab), script, "test step").strip()


def _twin_inventory(lab: RunningLab, staging_hosts: str, staging_database: str) -> str:
    """The demo's inventory as project twin: staging and production on one server."""
    demo = (lab.workspace.inventories / "demo.yml").read_text()
    head, _, _ = demo.partition("environments:\n")
    head = head.replace("project: demo", "project: twin").replace("# upkeep-lab: generated", "")
    head = head.replace("name: demo\n", "name: twin\n").replace("user: demo\n", "user: twin\n")
    head = head.replace("dump_user: demo_dump", "dump_user: twin_dump")
    host = f"      - {_production(lab).name}\n"  # the server the lab declared, by name
    return (
        f"{head}environments:\n"
        f"  staging:\n    domain: staging.twin.lab\n    tls: lab\n    hosts:\n{staging_hosts}"
        f"{staging_database}"
        f"  production:\n    domain: www.twin.lab\n    tls: lab\n    hosts:\n{host}"
    )


def _staging_on_production(lab: RunningLab) -> str:
    return f"      - {_production(lab).name}\n"  # one server, declared once, named twice


OWN_DATABASE = (
    "    database: {name: twin_staging, user: twin_staging, dump_user: twin_staging_dump}\n"
)


@pytest.fixture(scope="module")
def twin(provisioned: RunningLab) -> Iterator[RunningLab]:
    """Project twin provisioned beside the demo's production, at the build that host runs."""
    path = provisioned.workspace.inventories / "twin.yml"
    path.write_text(_twin_inventory(provisioned, _staging_on_production(provisioned), OWN_DATABASE))
    build = load_pins(provisioned.workspace, "demo").get("production").php_build
    result = provision(
        provisioned.workspace,
        *model(provisioned.workspace, "twin"),
        ["staging", "production"],
        php_build=build,
    )
    assert result.ok, result.run.failed
    yield provisioned
    path.unlink()
    (provisioned.workspace.inventories / "twin.pins.yml").unlink(missing_ok=True)


def test_staging_beside_production_has_its_own_database_and_a_refresh_leaves_production_be(
    twin: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = "twin production row"
    _root(
        twin, f"mariadb twin -e \"UPDATE settings SET value = '{marker}' WHERE name = 'site_name'\""
    )
    before = {db: _root(twin, CHECKSUM.format(db=db)) for db in ("twin", "demo")}
    databases = _root(twin, "mariadb -N -B -e 'SHOW DATABASES'").split()
    assert {"twin", "twin_staging", "demo"} <= set(databases)
    users = _root(twin, "mariadb -N -B -e \"SELECT user FROM mysql.user WHERE user LIKE 'twin%'\"")
    assert set(users.split()) == {"twin", "twin_dump", "twin_staging", "twin_staging_dump"}

    code, out, err = _cli(twin, capsys, "refresh", "twin", "--yes", "--json")

    assert code == 0, err
    assert json.loads(out)["data"]["ok"]
    # Both productions on the server are byte for byte what they were.
    assert {db: _root(twin, CHECKSUM.format(db=db)) for db in ("twin", "demo")} == before
    staging_name = _root(
        twin,
        "mariadb -N -B -e \"SELECT value FROM settings WHERE name = 'site_name'\" twin_staging",
    )
    assert staging_name == marker
    ca = state_home() / "lab" / "ca.crt"
    page = fetch(_production(twin).address, "staging.twin.lab", "/", ca)
    assert page.status == 200 and marker in page.body
    assert "https://staging.twin.lab" in page.body
    # Every per-site resource is the environment's own.
    for path in (
        "/srv/www/twin-staging",
        "/srv/www/twin-production",
        "/run/php/twin-staging.sock",
        "/etc/upkeep/twin-staging-dump.cnf",
        "/etc/upkeep/twin-production-dump.cnf",
    ):
        _root(twin, f"test -e {path}")


def test_staging_sharing_productions_database_is_refused_before_anything_runs(
    twin: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    path = twin.workspace.inventories / "twin.yml"
    good = path.read_text()
    before = _root(twin, CHECKSUM.format(db="twin"))
    try:
        path.write_text(_twin_inventory(twin, _staging_on_production(twin), ""))
        for args in (
            ("inventory", "check"),
            ("refresh", "twin", "--yes"),
            ("provision", "twin", "staging"),
        ):
            code, _, err = _cli(twin, capsys, *args)
            assert code == 2, (args, err)
            assert "environments.staging: shares host and database with production" in err
    finally:
        path.write_text(good)
    assert _root(twin, CHECKSUM.format(db="twin")) == before


class Relay:
    """A TCP relay on 127.0.0.1 to one address: production behind a second name, as a NAT."""

    def __init__(self, address: str, port: int) -> None:
        self.target = (address, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=10)
            upstream.settimeout(None)  # an idle SSH session is not a dead one
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()


def test_a_target_that_is_the_source_under_another_address_is_refused(
    twin: RunningLab, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    production = _production(twin)
    relay = Relay(production.address, production.port)
    known = tmp_path / "known_hosts"
    key = next(
        line.split(" ", 1)[1]
        for line in Path(production.known_hosts).read_text().splitlines()
        if line.split(" ", 1)[0] == production.address
    )
    known.write_text(f"[127.0.0.1]:{relay.port} {key}\n")
    aliased = (
        f"      - name: twin-staging\n        address: 127.0.0.1\n        port: {relay.port}\n"
        f"        user: {production.user}\n        key: {production.key}\n"
        f"        known_hosts: {known}\n"
    )
    path = twin.workspace.inventories / "twin.yml"
    good = path.read_text()
    before = {db: _root(twin, CHECKSUM.format(db=db)) for db in ("twin", "twin_staging")}
    try:
        # Names say two servers; staging's database is named like production's.
        path.write_text(_twin_inventory(twin, aliased, "    database: {name: twin}\n"))
        assert _cli(twin, capsys, "inventory", "check")[0] == 0  # nothing in the names shows it
        code, _, err = _cli(twin, capsys, "refresh", "twin", "--yes")
    finally:
        path.write_text(good)
        relay.close()
    assert code == 2, err
    assert "staging's database is production's own" in err and "nothing was changed" in err
    assert {db: _root(twin, CHECKSUM.format(db=db)) for db in ("twin", "twin_staging")} == before
    assert "twin-staging" not in _root(
        twin, "ls /var/lib/upkeep/locks/ 2>/dev/null | grep -v flock || true"
    )


# -- locks ------------------------------------------------------------------------------
HOLDER = """
import sys, time
from upkeep.envlocks import environment_lock
from upkeep.inventory import load_project
from upkeep.workspace import Workspace
from pathlib import Path
project = load_project(Workspace(Path(sys.argv[1])), "demo")
lock = environment_lock("demo", project.environment(sys.argv[2]), sys.argv[3])
lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture
def holder(running_lab: RunningLab) -> Iterator:  # type: ignore[type-arg]
    """Start another upkeep process holding an environment's lock; killed afterwards."""
    started: list[subprocess.Popen[str]] = []

    def hold(environment: str, purpose: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(running_lab.workspace.root), environment, purpose],
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        started.append(process)
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        return process

    yield hold
    for process in started:
        process.kill()
        process.wait()


def _lock_status(lab: RunningLab, environment: str):  # type: ignore[no-untyped-def]
    from upkeep.envlocks import environment_lock

    lock = environment_lock(
        "demo", load_project(lab.workspace, "demo").environment(environment), "look"
    )
    return inspect_lock(lock.lock_dir, lock.run)


def test_provision_is_refused_while_a_refresh_holds_the_environment(
    running_lab: RunningLab, capsys: pytest.CaptureFixture[str], holder
) -> None:  # type: ignore[no-untyped-def]
    process = holder("staging", "refresh demo production→staging")

    code, _, err = _cli(running_lab, capsys, "provision", "demo", "staging")

    assert code == 1, err
    assert "refresh demo production→staging" in err
    assert f"pid {process.pid}" in err and socket.gethostname() in err and "since 20" in err
    # Its holder gone, the lock is known to be stale: nobody waits for a dead run.
    process.send_signal(signal.SIGKILL)
    process.wait()
    status = _lock_status(running_lab, "staging")
    assert status is not None and status.liveness is Liveness.DEAD
    check_root(
        load_project(running_lab.workspace, "demo").environment("staging").hosts[0],
        "rm -rf /var/lib/upkeep/locks/demo-staging",
        "clearing the dead lock",
    )


def test_resume_of_a_live_run_is_refused_and_undoes_nothing(
    running_lab: RunningLab, capsys: pytest.CaptureFixture[str], holder
) -> None:  # type: ignore[no-untyped-def]
    pins = running_lab.workspace.inventories / "demo.pins.yml"
    pins_before = pins.read_text() if pins.exists() else None
    journal = started("demo", "8.2.32-1~deb12u1", "8.2.36-1~deb12u1", STEPS)
    for step in journal.steps[:5]:
        step.state = StepState.DONE
    journal.steps[5] = StepRecord("bump_production", StepState.RUNNING, started=journal.started)
    journals = store()
    earlier = journals.load("demo")
    journals.save(journal)
    saved = journals.saved("demo")
    try:
        process = holder("production", "update minor demo 8.2.32-1~deb12u1 → 8.2.36-1~deb12u1")
        code, out, _ = _cli(running_lab, capsys, "update", "status", "demo")
        assert code == 0 and "running: update minor demo" in out and f"pid {process.pid}" in out

        for verb in ("resume", "abort"):
            code, _, err = _cli(running_lab, capsys, "update", verb, "demo", "--yes")
            assert code == 1, (verb, err)
            assert f"pid {process.pid}" in err and "update minor demo" in err
            # Nothing was undone or redone: the journal and the pins are as they were.
            assert journals.saved("demo") == saved
            assert (pins.read_text() if pins.exists() else None) == pins_before

        process.send_signal(signal.SIGKILL)
        process.wait()
        code, out, _ = _cli(running_lab, capsys, "update", "status", "demo")
        assert "not running" in out and "upkeep update resume demo" in out
    finally:  # the store keeps a key's last journal: the one before this test's, or its own ended
        if earlier is None:
            journal.end(RunState.ABORTED, "the test's own run, never begun")
        journals.save(earlier or journal)
        check_root(
            _production(running_lab), "rm -rf /var/lib/upkeep/locks/demo-production", "clearing"
        )
