"""Drift with a developer environment: what it changes on purpose is not drift, the rest is;
one that is not running is left out with a reason, none at all is no news."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from tests.unit.dev.test_dev import BUILD, COMMIT, pin_production, shop, state_home  # noqa: F401
from upkeep.dev import state as dev_state
from upkeep.dev.environment import DELIBERATE, LOCAL, MAIL_COMMAND
from upkeep.dev.state import DevPaths, DevState
from upkeep.dev.workflow import local_for_drift
from upkeep.drift.compare import DriftReport, Observed, compare_environments
from upkeep.inventory import load_project
from upkeep.inventory.pins import load_pins
from upkeep.workspace import Workspace

PACKAGES = {"php8.2-fpm": BUILD, "php8.2-cli": BUILD, "nginx": "1.22.1-9"}
INI = {
    "memory_limit": "256M",
    "opcache.revalidate_freq": "60",
    "sendmail_path": "/usr/sbin/sendmail -t -i",
}


def observed(environment: str, **changes: object) -> Observed:
    values: dict[str, object] = dict(
        environment=environment,
        host=f"{environment}-host",
        packages=dict(PACKAGES),
        checksums={},
        commit="a" * 40,
        effective_ini=dict(INI),
    )
    values.update(changes)
    return Observed(**values)  # type: ignore[arg-type]


def test_what_the_local_environment_changes_on_purpose_is_not_drift() -> None:
    local = observed(
        LOCAL,
        commit="b" * 40,
        effective_ini={**INI, "opcache.revalidate_freq": "0", "sendmail_path": MAIL_COMMAND},
    )
    production = observed("production")
    assert compare_environments([local, production], "8.2", {LOCAL: DELIBERATE}) == []
    # Without the exemption the same differences are drift, as for any other environment.
    plain = compare_environments([local, production], "8.2")
    assert {item.aspect for item in plain} == {
        "release",
        "php.ini opcache.revalidate_freq",
        "php.ini sendmail_path",
    }


def test_anything_else_the_local_environment_changes_is_drift() -> None:
    local = observed(
        LOCAL,
        packages={**PACKAGES, "php8.2-fpm": "8.2.36-1~deb12u1"},
        effective_ini={**INI, "memory_limit": "1G"},
    )
    items = compare_environments([local, observed("production")], "8.2", {LOCAL: DELIBERATE})
    assert [(i.environment, i.aspect) for i in items] == [
        ("local≠production", "php build"),
        ("local≠production", "php.ini memory_limit"),
    ]
    # The exemption is the local environment's only: staging's code still has to match.
    staging = observed("staging", commit="c" * 40)
    items = compare_environments([staging, observed("production")], "8.2", {LOCAL: DELIBERATE})
    assert [i.aspect for i in items] == ["release"]


def test_a_report_says_what_it_left_out_and_stays_in_sync() -> None:
    report = DriftReport("shop", ("production", LOCAL), (), {}, skipped=("local: not running",))
    assert report.in_sync
    assert report.to_dict()["skipped"] == ["local: not running"]


@pytest.fixture
def ssh_like_server() -> Iterator[int]:
    """A real TCP server on the loopback address that greets like sshd."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_no_developer_environment_here_is_no_news(shop: Workspace) -> None:  # noqa: F811
    project = load_project(shop, "shop")
    assert local_for_drift(project, load_pins(shop, "shop")) == (None, None)


def test_a_stopped_developer_environment_is_left_out_with_the_reason(
    shop: Workspace,  # noqa: F811
) -> None:
    project = load_project(shop, "shop")
    port = dev_state.free_port()
    dev_state.save(DevPaths.of("shop"), DevState("shop", "c", "/src", 40123, port))
    found, why = local_for_drift(project, load_pins(shop, "shop"))
    assert found is None and why is not None and "production has no pins" in why
    pin_production(shop)
    found, why = local_for_drift(project, load_pins(shop, "shop"))
    assert found is None and why is not None
    assert "not running" in why and "upkeep dev up shop" in why


def test_a_running_developer_environment_is_compared_as_local(
    shop: Workspace,  # noqa: F811
    tmp_path: Path,
    ssh_like_server: int,
) -> None:
    pin_production(shop)
    working_copy = tmp_path / "working-copy"
    repo = git.Repo.init(working_copy)
    (working_copy / "index.php").write_text("<?php echo 1;\n")
    repo.index.add(["index.php"])
    head = repo.index.commit("start").hexsha
    paths = DevPaths.of("shop")
    dev_state.save(paths, DevState("shop", "c", str(working_copy), 40123, ssh_like_server))
    project = load_project(shop, "shop")
    found, why = local_for_drift(project, load_pins(shop, "shop"))
    assert why is None and found is not None
    assert str(found.environment.name) == LOCAL
    assert found.environment.hosts[0].port == ssh_like_server
    assert (found.site.php_build, found.site.site_id) == (BUILD, "shop-local")
    assert found.site.db_password == paths.database_password()
    assert MAIL_COMMAND in found.extra_files
    assert found.deliberate == DELIBERATE
    assert found.commit == head != COMMIT
