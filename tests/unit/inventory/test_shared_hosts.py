"""Environments that share a server: refused where they would share data, guarded where
names could lie, and told apart from separate trials. No server needed: every refusal
here happens before upkeep reaches a host (the hosts are addresses nothing answers on)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.unit.inventory.test_cli import GOOD
from upkeep.cli.main import main
from upkeep.inventory import load_file
from upkeep.refresh.identity import ServerIdentity
from upkeep.refresh.workflow import RefreshFailed, RefreshReport
from upkeep.update.workflow import prune_script

# Staging moved onto production's server (same address and port).
STAGING_HOST = "      - name: web-staging\n        address: 192.0.2.10\n"
ON_PRODUCTION = "      - name: web-staging\n        address: 192.0.2.20\n        port: 2222\n"
OWN_DATABASE = (
    "    database: {name: shop_staging, user: shop_staging, dump_user: shop_staging_dump}\n"
)


def write(workspace: Path, text: str) -> Path:
    path = workspace / "inventories" / "shop.yml"
    path.write_text(text)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_two_environments_on_one_host_with_one_database_are_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD.replace(STAGING_HOST, ON_PRODUCTION))

    code, out, err = run(capsys, "--root", str(workspace), "inventory", "check")

    assert code == 2
    assert out == ""
    (line,) = [line for line in err.splitlines() if "shares host" in line]
    assert line.startswith("upkeep: inventories/shop.yml:")
    assert ": environments.staging: shares host and database with production on 192" in line
    assert "192.0.2.20:2222" in line
    assert "name shop" in line and "user shop" in line and "dump_user shop_dump" in line
    assert "Traceback" not in err


def test_every_command_refuses_that_inventory_before_reaching_a_host(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD.replace(STAGING_HOST, ON_PRODUCTION))
    for args in (("refresh", "shop", "--yes"), ("provision", "shop", "staging")):
        code, _, err = run(capsys, "--root", str(workspace), *args)
        assert code == 2, args
        problems = [line for line in err.splitlines() if line.startswith("upkeep: ")]
        assert len(problems) == 1 and "environments.staging: shares host" in problems[0]


def test_an_environment_with_its_own_database_may_share_the_host(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace(STAGING_HOST, ON_PRODUCTION + OWN_DATABASE)
    path = write(workspace, text)

    assert run(capsys, "--root", str(workspace), "inventory", "check")[0] == 0
    project = load_file(path)
    staging, production = project.database_of("staging"), project.database_of("production")
    assert (staging.name, staging.user, staging.dump_user) == (
        "shop_staging",
        "shop_staging",
        "shop_staging_dump",
    )
    assert staging.password == production.password  # what the environment leaves out it shares
    assert (production.name, production.user) == ("shop", "shop")
    assert project.shared_addresses("staging", "production") == ("192.0.2.20:2222",)


def test_one_address_with_two_ports_is_two_hosts(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A NAT in front of two machines: 192.0.2.20:2222 and :2223 are not one server.
    other_port = ON_PRODUCTION.replace("2222", "2223")
    path = write(workspace, GOOD.replace(STAGING_HOST, other_port))

    assert run(capsys, "--root", str(workspace), "inventory", "check")[0] == 0
    assert load_file(path).shared_addresses("staging", "production") == ()


def test_a_minor_update_refuses_staging_on_productions_host_unless_asked(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD.replace(STAGING_HOST, ON_PRODUCTION + OWN_DATABASE))

    code, _, err = run(capsys, "--root", str(workspace), "update", "minor", "shop", "--yes")

    assert code == 2
    assert "share host 192.0.2.20:2222" in err
    assert "--shared-host" in err
    assert len(err.strip().splitlines()) == 1


def test_provision_refuses_to_move_a_shared_hosts_build_under_anothers_pin(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD.replace(STAGING_HOST, ON_PRODUCTION + OWN_DATABASE))
    (workspace / "inventories" / "shop.pins.yml").write_text(
        "# Written by upkeep\nproject: shop\nenvironments:\n"
        "  staging: {php_build: 8.2.36-1~deb12u1}\n"
        "  production: {php_build: 8.2.32-1~deb12u1}\n"
    )

    code, _, err = run(capsys, "--root", str(workspace), "provision", "shop", "staging")

    assert code == 2
    assert "share host 192.0.2.20:2222 but pin different PHP builds" in err
    assert "8.2.36-1~deb12u1 and 8.2.32-1~deb12u1" in err


# -- the server's own answer ----------------------------------------------------------
def identity(**changes: object) -> ServerIdentity:
    values: dict[str, object] = dict(
        machine_id="f0bb",
        hostname="lab-production",
        datadir="/var/lib/mysql/",
        port=3306,
        started=1765000000,
        schema="demo",
    )
    values.update(changes)
    return ServerIdentity(**values)  # type: ignore[arg-type]


def test_one_server_read_twice_is_one_database() -> None:
    assert identity().same_database(identity(started=1765000002))  # two reads, a tick apart


@pytest.mark.parametrize(
    "change",
    [
        {"schema": "demo_staging"},  # one server, two databases: isolated
        {"hostname": "lab-staging"},  # cloned machines keep their machine id
        {"machine_id": "a1b2"},
        {"datadir": "/srv/mysql-2/"},
        {"port": 3307},
        {"started": 1765000003},  # restarted since, or another server started apart
    ],
)
def test_any_difference_is_another_database(change: dict[str, object]) -> None:
    assert not identity().same_database(identity(**change))


def test_an_answer_that_does_not_read_is_refused() -> None:
    with pytest.raises(ValueError, match="unexpected server identity"):
        ServerIdentity.parse("f0bb\tlab-production\t/var/lib/mysql/\tnot-a-port\t1\tdemo")
    parsed = ServerIdentity.parse("f0bb\tdb\t/var/lib/mysql/\t3306\t1765000000.000000\tdemo")
    assert parsed.started == 1765000000


# -- restore and what a failed refresh says -------------------------------------------------
@pytest.mark.parametrize(
    "backup",
    [
        "/etc",
        "/var/backups/upkeep/shop-production/20261206T080000Z",  # production's: never
        "/var/backups/upkeep/shop-staging/../../../../etc",
        "/var/backups/upkeep/shop-staging/20261206T080000Z;id",
    ],
)
def test_restore_takes_only_one_of_the_targets_own_backups(
    workspace: Path, capsys: pytest.CaptureFixture[str], backup: str
) -> None:
    write(workspace, GOOD)
    code, _, err = run(
        capsys, "--root", str(workspace), "refresh", "shop", "--restore", backup, "--yes"
    )
    assert code == 2
    assert "is not a backup of staging" in err
    assert "/var/backups/upkeep/shop-staging/YYYYMMDDTHHMMSSZ" in err


def test_restore_never_targets_production(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD)
    backup = "/var/backups/upkeep/shop-production/20261206T080000Z"
    code, _, err = run(
        capsys,
        "--root",
        str(workspace),
        "refresh",
        "shop",
        "--to",
        "production",
        "--restore",
        backup,
        "--yes",
    )
    assert code == 2
    assert "production is never the target" in err


def report(**changes: object) -> RefreshReport:
    values: dict[str, object] = dict(
        project="shop",
        source="production",
        target="staging",
        ok=False,
        steps=(),
        error="the dump ended early",
        backup="/var/backups/upkeep/shop-staging/20261206T080000Z",
        target_host="web-staging",
    )
    values.update(changes)
    return RefreshReport(**values)  # type: ignore[arg-type]


def test_a_failed_restore_says_the_target_is_half_refreshed_and_how_to_restore_it() -> None:
    message = str(RefreshFailed(report(restore_failed=True)))
    assert "nothing was changed" not in message
    assert "HALF-REFRESHED" in message
    assert "/var/backups/upkeep/shop-staging/20261206T080000Z on web-staging" in message
    assert (
        "upkeep refresh shop --to staging --restore "
        "/var/backups/upkeep/shop-staging/20261206T080000Z" in message
    )


def test_a_restored_or_untouched_target_is_said_so() -> None:
    assert "staging was restored from its backup" in str(RefreshFailed(report(restored=True)))
    assert "nothing was changed" in str(RefreshFailed(report(backup=None)))


# -- disks do not fill ------------------------------------------------------------------------
def test_only_the_newest_update_backups_stay_and_nothing_else_is_touched(tmp_path: Path) -> None:
    backups = tmp_path / "demo-production"
    runs = [f"update-2026120{day}T030000Z-a1b2c{day}" for day in range(1, 6)]
    others = ["20261201T030000Z", "update-notes", "update-x;touch pwned"]
    for name in runs + others:
        (backups / name).mkdir(parents=True)

    subprocess.run(["bash", "-c", prune_script(str(backups), 2)], check=True, cwd=tmp_path)

    assert sorted(p.name for p in backups.iterdir()) == sorted(runs[-2:] + others)
    assert not (tmp_path / "pwned").exists()


def test_how_many_backups_stay_is_the_inventorys(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(workspace, GOOD + "backups: {keep: 7}\n")
    assert load_file(path).backups.keep == 7
    write(workspace, GOOD + "backups: {keep: 0}\n")
    code, _, err = run(capsys, "--root", str(workspace), "inventory", "check")
    assert code == 2 and "backups.keep" in err


def test_inventory_check_says_which_environments_share_a_hosts_php_build(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD.replace(STAGING_HOST, ON_PRODUCTION + OWN_DATABASE))
    code, out, _ = run(capsys, "--root", str(workspace), "inventory", "check")
    assert code == 0
    assert (
        "note: shop: staging and production share host 192.0.2.20:2222 and so its PHP build" in out
    )
    write(workspace, GOOD)
    assert "note:" not in run(capsys, "--root", str(workspace), "inventory", "check")[1]
