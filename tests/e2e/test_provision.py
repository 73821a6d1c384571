"""Provision and drift end to end: three environments from nothing, on real hosts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import git
import pytest
import yaml

from upkeep.cli.main import main
from upkeep.drift.workflow import drift
from upkeep.inventory.pins import load_pins
from upkeep.provision.workflow import provision

from .conftest import ENVIRONMENTS, RunningLab, model
from .hosts import console, get, shell, status


def test_every_environment_serves_the_site_over_https_at_the_pinned_build(
    provisioned: RunningLab,
) -> None:
    pins = load_pins(provisioned.workspace, "demo")
    for environment in ENVIRONMENTS:
        build = pins.get(environment).php_build
        assert build is not None
        health = get(provisioned, environment, "/health.php")
        assert health.status == 200
        assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
        assert health.json()["php_version"] == build.split("-")[0]
        page = get(provisioned, environment, "/")
        assert page.status == 200
        assert 'id="user-count">200<' in page.body  # rows PHP read from MariaDB
        assert (
            f'id="site-url">https://{environment if environment != "production" else "www"}.demo.lab<'
            in page.body
        )


def test_the_application_404_is_not_replaced_by_an_error_page(provisioned: RunningLab) -> None:
    response = get(provisioned, "staging", "/no-such-page")
    assert response.status == 404
    assert "Demo Shop: page not found" in response.body  # the application's own page


def test_a_server_error_shows_the_friendly_page(provisioned: RunningLab) -> None:
    shell(provisioned, "dev", "systemctl stop php8.2-fpm")
    try:
        response = get(provisioned, "dev", "/")
        assert response.status == 502
        assert "We are having a technical hiccup" in response.body
    finally:
        shell(provisioned, "dev", "systemctl start php8.2-fpm")
    assert get(provisioned, "dev", "/health.php").status == 200


def test_a_second_provision_changes_nothing(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    result = provision(provisioned.workspace, *model(provisioned.workspace), ENVIRONMENTS)
    assert result.ok
    assert [op.operation for op in result.run.ops if op.status.value == "changed"] == []
    assert result.pins_commit is None
    # And a dry run says so: no reload or config test that would only follow a change.
    dry = provision(
        provisioned.workspace, *model(provisioned.workspace), ENVIRONMENTS, dry_run=True
    )
    assert [op.operation for op in dry.run.ops if op.will_change] == []
    capsys.readouterr()
    root = str(provisioned.workspace.root)
    assert main(["--root", root, "provision", "demo", "all", "--dry-run"]) == 0
    assert "demo: nothing to change (dry run)" in capsys.readouterr().out
    # A log (progress asked, no terminal) gets a line per step, not one per operation.
    assert main(["--root", root, "--progress", "provision", "demo", "all"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert 3 <= len(lines) < 20, lines  # 3 hosts x ~60 operations would be ~180


def test_a_stray_apt_upgrade_cannot_move_php(provisioned: RunningLab) -> None:
    # Debian offers a newer 8.2 build (bookworm-security); the pin must hold the old one.
    shell(
        provisioned,
        "production",
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --only-upgrade php8.2-fpm php8.2-cli",
    )
    pinned = load_pins(provisioned.workspace, "demo").get("production").php_build
    assert pinned is not None
    assert (
        get(provisioned, "production", "/health.php").json()["php_version"] == pinned.split("-")[0]
    )
    assert drift(*model(provisioned.workspace)).in_sync


def test_drift_finds_hand_edits_and_provision_removes_them(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    shell(
        provisioned,
        "staging",
        "sed -i 's/^max_file_uploads = .*/max_file_uploads = 7/' /etc/php/8.2/fpm/php.ini",
    )
    newer = "$(apt-cache madison php8.2-cli | awk '{print $3}' | sort -V | tail -1)"
    shell(
        provisioned,
        "dev",
        f"DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades php8.2-cli={newer} php8.2-common={newer} php8.2-readline={newer} php8.2-opcache={newer}",
    )
    root = str(provisioned.workspace.root)
    assert main(["--root", root, "drift", "demo", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)["data"]
    found = {(item["environment"], item["aspect"]) for item in report["drift"]}
    assert ("staging", "file /etc/php/8.2/fpm/php.ini") in found
    assert ("dev", "package php8.2-cli") in found
    assert ("staging≠production", "php.ini max_file_uploads") in found

    dry = provision(provisioned.workspace, *model(provisioned.workspace), ["staging"], dry_run=True)
    assert any(op.will_change for op in dry.run.ops)
    assert not drift(*model(provisioned.workspace)).in_sync  # the dry run changed nothing

    assert provision(provisioned.workspace, *model(provisioned.workspace), ["dev", "staging"]).ok
    assert main(["--root", root, "drift", "demo"]) == 0
    assert "in sync" in capsys.readouterr().out


def test_an_interrupted_provision_converges_when_run_again(provisioned: RunningLab) -> None:
    # Take staging's site apart, start provisioning it, and kill the run midway.
    shell(
        provisioned,
        "staging",
        "rm -f /etc/nginx/sites-enabled/demo-staging.conf /etc/php/8.2/fpm/pool.d/demo-staging.conf"
        " && systemctl stop php8.2-fpm && systemctl reload nginx",
    )
    command = [
        sys.executable,
        "-m",
        "upkeep.cli.main",
        "--root",
        str(provisioned.workspace.root),
        "provision",
        "demo",
        "staging",
    ]
    child = subprocess.Popen(command, stderr=subprocess.DEVNULL, env=os.environ.copy())
    # Midway: PHP-FPM's pool is back, nginx's vhost (a later task) is not yet.
    pool = "/etc/php/8.2/fpm/pool.d/demo-staging.conf"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "yes" not in console(
        provisioned, "staging", f"test -e {pool} && echo yes || echo no"
    ):
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert status(provisioned, "staging", "/health.php") != 200  # really left broken

    assert provision(provisioned.workspace, *model(provisioned.workspace), ["staging"]).ok
    assert get(provisioned, "staging", "/health.php").status == 200
    assert drift(*model(provisioned.workspace)).in_sync


def test_deploy_then_rollback_moves_code_and_pins(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    source = git.Repo(provisioned.spec.demo_repository)
    before = load_pins(provisioned.workspace, "demo").get("staging").ref
    (provisioned.spec.demo_repository / "public" / "version.txt").write_text("v2\n")
    source.index.add(["public/version.txt"])
    new_commit = source.index.commit("v2").hexsha
    root = str(provisioned.workspace.root)

    assert main(["--root", root, "deploy", "demo", "staging", "--ref", "main"]) == 0
    assert get(provisioned, "staging", "/version.txt").body == "v2\n"
    assert load_pins(provisioned.workspace, "demo").get("staging").ref == new_commit
    assert get(provisioned, "production", "/version.txt").body != "v2\n"  # only staging moved

    capsys.readouterr()
    assert main(["--root", root, "rollback", "demo", "staging", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["data"]
    assert result["commit"] == before
    assert get(provisioned, "staging", "/version.txt").body != "v2\n"
    assert load_pins(provisioned.workspace, "demo").get("staging").ref == before
    assert drift(*model(provisioned.workspace)).in_sync
    # Nothing earlier than the first release: a second rollback is refused, nothing changed.
    assert main(["--root", root, "rollback", "demo", "staging"]) == 2


def _forget_pin(lab: RunningLab, environment: str) -> None:
    """As in a fresh clone whose pins do not know ``environment`` yet."""
    path = lab.workspace.inventories / "demo.pins.yml"
    data = yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # every value as written
    del data["environments"][environment]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_first_provision_never_moves_a_running_server_backwards(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(provisioned.workspace.root)
    oldest = load_pins(provisioned.workspace, "demo").get("dev").php_build
    assert oldest is not None
    try:
        # dev runs the newest build; its pin is forgotten, as in a clone without pins.
        _forget_pin(provisioned, "dev")
        assert provision(
            provisioned.workspace, *model(provisioned.workspace), ["dev"], php_build="newest"
        ).ok
        newest = load_pins(provisioned.workspace, "demo").get("dev").php_build
        assert newest is not None and newest != oldest
        _forget_pin(provisioned, "dev")
        capsys.readouterr()

        code = main(["--root", root, "provision", "demo", "dev", "--php-build", "oldest"])

        err = capsys.readouterr().err
        assert code == 2, err
        assert f"runs PHP {newest}, newer than the {oldest} asked for" in err
        assert "CVE-" in err and "--php-build installed" in err and "--allow-downgrade" in err
        assert get(provisioned, "dev", "/health.php").json()["php_version"] == newest.split("-")[0]
        # Adopting what runs pins it and moves nothing.
        adopted = provision(
            provisioned.workspace, *model(provisioned.workspace), ["dev"], php_build="installed"
        )
        assert (
            adopted.ok and load_pins(provisioned.workspace, "demo").get("dev").php_build == newest
        )
        assert not [
            op for op in adopted.run.ops if "PHP" in op.operation and op.status.value == "changed"
        ]
    finally:
        # Back where the other tests expect dev: the oldest build, asked for explicitly.
        _forget_pin(provisioned, "dev")
        back = provision(
            provisioned.workspace,
            *model(provisioned.workspace),
            ["dev"],
            php_build=oldest,
            allow_downgrade=True,
        )
        assert back.ok and load_pins(provisioned.workspace, "demo").get("dev").php_build == oldest
