"""The minor update's pure pieces: package lists, lines offered, reports for the client."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.local_servers import SmtpServer, WebhookServer
from upkeep.inventory.notify import Notify
from upkeep.pipeline import RunState
from upkeep.reports.update import write
from upkeep.update.changelog import Entry
from upkeep.update.packages import (
    install_prefetched_script,
    keep_debs_script,
    parse_installed,
    reinstall_script,
)
from upkeep.update.proposal import other_lines
from upkeep.update.publish import notify
from upkeep.update.report import report_of
from upkeep.update.runs import started
from upkeep.update.workflow import STEPS, minor_pipeline

OLD, NEW = "8.2.32-1~deb12u1", "8.2.36-1~deb12u1"


def test_only_installed_packages_count_and_every_one_is_kept_at_its_exact_version() -> None:
    output = "php8.2-fpm\t8.2.32-1~deb12u1\tii \nphp8.2-gd\t8.2.30-1\trc \nphp8.2-cli\t8.2.32-1~deb12u1\tii \n"
    installed = parse_installed(output)
    assert installed == {"php8.2-fpm": OLD, "php8.2-cli": OLD}
    script = keep_debs_script("/var/backups/x/debs", installed)
    assert (
        "apt-get download -q 'php8.2-cli=8.2.32-1~deb12u1' 'php8.2-fpm=8.2.32-1~deb12u1'" in script
    )
    assert "-eq 2;" in script  # a missing .deb fails the backup, before production is touched


def test_the_reinstall_needs_no_network_and_reloads_gracefully() -> None:
    script = reinstall_script("/var/backups/x/debs", "8.2")
    assert "dpkg -i /var/backups/x/debs/*.deb" in script and "apt-get" not in script
    assert "NEEDRESTART_SUSPEND=1" in script and "systemctl reload-or-restart php8.2-fpm" in script


def test_the_window_installs_from_apt_cache_after_the_pin_and_waits_for_the_reload() -> None:
    pin = "/etc/apt/preferences.d/upkeep-php8.2.pref"
    guards = {pin: "Package: php8.2 php8.2-*\nPin: version 8.2.36-1~deb12u1\n"}
    script = install_prefetched_script("8.2", NEW, ["php8.2-fpm", "php8.2-cli"], guards)
    install = script.index("apt-get install")
    assert "--no-download" in script[install:]  # never the network inside the window
    assert "'php8.2-cli=8.2.36-1~deb12u1' 'php8.2-fpm=8.2.36-1~deb12u1'" in script[install:]
    assert script.index(f"mv -f {pin}.upkeep-new {pin}") < install  # the pin holds it first
    assert "NEEDRESTART_SUSPEND=1" in script and "systemctl reload-or-restart php8.2-fpm" in script
    assert script.index("systemctl reload-or-restart") > install
    assert '" (deleted)") sleep' in script  # waits for the master's re-exec on the new binary


@pytest.mark.parametrize("guards", [{}, {"/etc/apt/preferences.d/upkeep-php8.2.pref": "x\n"}])
def test_the_window_script_is_valid_bash_with_or_without_guards(guards: dict[str, str]) -> None:
    script = install_prefetched_script("8.2", NEW, ["php8.2-fpm"], guards)
    parsed = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stderr


def test_the_prefetch_runs_first_and_production_is_provisioned_only_after_its_smoke() -> None:
    for shared_host in (False, True):
        job = minor_pipeline(shared_host=shared_host)
        names = job.names()
        assert names[names.index("lock") + 1] == "prefetch"
        assert [s.undo for s in job.steps if s.name == "prefetch"] == [None]  # downloads only
        assert (
            names.index("bump_production")
            < names.index("smoke_production")
            < names.index("provision_production")
        )
    before = minor_pipeline(shared_host=False, prefetch=False).names()
    assert "prefetch" not in before and "provision_production" not in before


def test_other_lines_are_read_from_fpm_package_names_only() -> None:
    assert other_lines("php8.2-fpm php8.4-fpm php8.3-fpm-dbgsym php-fpm php8.3-cli\n") == [
        "8.2",
        "8.4",
    ]


def test_the_client_report_says_what_changed_and_escapes_html(tmp_path: Path) -> None:
    journal = started("demo", OLD, NEW, STEPS)
    for step in journal.steps:
        step.begin()
        step.finish(f"{step.name} <ok>")
    journal.facts.update(
        production_touched_at=1796545864.0,
        production_affected_seconds=41.5,
        staging_commit="a" * 40,
        production_commit="b" * 40,
        security=[Entry(NEW, "bookworm-security", "high", (), ("CVE-2026-1",)).summary()],
    )
    journal.end(RunState.SUCCEEDED)
    report = report_of(journal, "www.demo.lab", (), None)
    as_json, as_md, as_html = write(report, tmp_path)
    data = json.loads(as_json.read_text())
    assert (
        data["ok"] and data["state"] == "succeeded" and data["production_affected_seconds"] == 41.5
    )
    markdown = as_md.read_text()
    assert f"PHP {OLD} → {NEW} on staging, then production" in markdown
    assert (
        "between 2026-12-06 08:31:04 and 08:31:45 UTC (42 s, from the start" in markdown
        and "Pins: staging aaaaaaaaaa, production bbbbbbbbbb" in markdown
    )
    assert "8.2.36-1~deb12u1 (bookworm-security, urgency high), fixes CVE-2026-1" in markdown
    html = as_html.read_text()
    assert "bump_production &lt;ok&gt;" in html and "<ok>" not in html


def test_the_report_goes_to_the_webhook_and_the_mailbox_the_inventory_names(
    webhook_server: Callable[..., WebhookServer], smtp_server: Callable[..., SmtpServer]
) -> None:
    hook, smtp = webhook_server(), smtp_server()
    journal = started("demo", OLD, NEW, STEPS[:1])
    journal.step("lock").finish("locked")
    journal.end(RunState.ROLLED_BACK, "production fails its smoke checks")
    settings = Notify.model_validate(
        {
            "webhook": {"url": hook.url()},
            "mail": {
                "host": "127.0.0.1",
                "port": smtp.port,
                "security": "none",
                "from": "upkeep <upkeep@agency.example>",
                "to": ["client@shop.example"],
            },
        }
    )
    deliveries = notify(report_of(journal, "www.demo.lab", (), None), settings)
    assert [d.ok for d in deliveries] == [True, True], deliveries
    payload = hook.received[0].json()
    assert (
        payload["event"] == "update.minor"
        and payload["state"] == "rolled back"
        and not payload["ok"]
    )
    mail = smtp.inbox.mails[0].message
    # (a long Subject is folded; unfolded it starts with the folding space)
    assert mail["Subject"].strip() == f"[upkeep] www.demo.lab: rolled back, PHP {OLD} -> {NEW}"
    assert "production fails its smoke checks" in mail.get_body(("plain",)).get_content()
    assert "<!doctype html>" in mail.get_body(("html",)).get_content()
