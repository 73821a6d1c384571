"""The error-page check's trigger: rendered where nginx serves it, to the host only, and
run for real by PHP (scripts/bootstrap installs php-cli): what it prints, and that it logs
nothing."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from tasks.error_pages import (
    TRIGGER_URL_PATH,
    error_page_files,
    trigger_dir,
    trigger_path,
    trigger_php,
)
from tasks.managed import managed_files
from tasks.nginx import vhost_text
from upkeep.desired import SiteState
from upkeep.inventory.checks import ErrorPageCheck
from upkeep.inventory.conditions import Response
from upkeep.monitor.evaluate import Run, evaluate_error_page
from upkeep.monitor.result import Status

SITE = SiteState.example()


def _trigger_location(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(f"    location = {TRIGGER_URL_PATH} {{")
    end = lines.index("    }", start)
    return [line.strip() for line in lines[start + 1 : end]]


def test_the_trigger_lives_outside_the_application_inside_the_pools_basedir() -> None:
    assert trigger_path(SITE) == "/srv/www/demo-staging/upkeep/fail.php"
    assert not trigger_path(SITE).startswith(SITE.current_dir + "/")
    # php_admin_value[open_basedir] is the site's base directory: FPM may open it.
    assert trigger_path(SITE).startswith(SITE.base_dir + "/")


def test_the_vhost_serves_the_trigger_to_the_host_itself_only() -> None:
    block = _trigger_location(vhost_text(SITE))
    assert block[:3] == ["allow 127.0.0.1;", "allow ::1;", "deny all;"]
    assert f"fastcgi_param SCRIPT_FILENAME {trigger_path(SITE)};" in block
    assert f"fastcgi_param DOCUMENT_ROOT {trigger_dir(SITE)};" in block
    assert f"fastcgi_pass unix:{SITE.fpm_socket};" in block
    assert "fastcgi_intercept_errors on;" in block  # or the branded page never shows
    assert "access_log off;" in block  # a check every few minutes is not traffic


def test_the_trigger_is_an_exact_location_so_the_dot_file_rule_does_not_hide_it() -> None:
    text = vhost_text(SITE)
    # nginx picks an exact match before any regex location such as `~ /\.(?!well-known)`.
    assert text.index(f"location = {TRIGGER_URL_PATH} {{") < text.index("location ~ /\\.")
    # Still only the four server errors are replaced: the application's 404s survive.
    pages = [line.split()[1] for line in text.splitlines() if line.strip().startswith("error_page")]
    assert pages == ["500", "502", "503", "504"]


def test_the_trigger_is_rendered_with_the_error_pages_and_compared_by_drift() -> None:
    files = error_page_files(SITE)
    assert files[trigger_path(SITE)] == trigger_php(SITE)
    assert managed_files(SITE)[trigger_path(SITE)] == trigger_php(SITE)
    assert SITE.site_id in trigger_php(SITE)


def test_the_trigger_for_another_site_is_its_own() -> None:
    other = SiteState.example(environment="production", domain="www.demo.lab")
    assert trigger_path(other) == "/srv/www/demo-production/upkeep/fail.php"
    assert "fastcgi_param SCRIPT_FILENAME /srv/www/demo-production/upkeep/fail.php;" in (
        _trigger_location(vhost_text(other))
    )


def test_the_trigger_prints_a_raw_php_error_and_logs_nothing(tmp_path: Path) -> None:
    script = tmp_path / "fail.php"
    script.write_text(trigger_php(SITE))
    log = tmp_path / "error.log"
    done = subprocess.run(
        [
            "php",
            "-d",
            "log_errors=1",
            "-d",
            f"error_log={log}",
            "-d",
            "display_errors=0",
            str(script),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not log.exists() or log.read_text() == ""  # the logs check never sees the probes
    # Should nginx ever stop replacing it, the check sees raw PHP output and says CRITICAL.
    run = Run("demo", "staging", at=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    seen = evaluate_error_page(
        ErrorPageCheck(name="error_page"), Response(status=500, body=done.stdout), run
    )
    assert seen.status is Status.CRITICAL and "raw PHP output" in seen.summary
