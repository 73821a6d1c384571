"""The host layout: every path of a site from one object, and nowhere else."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tasks.error_pages import trigger_path
from tasks.logs import log_files
from tasks.managed import managed_files
from tasks.mariadb import dump_defaults_path
from tasks.nginx import vhost_path, vhost_text
from tasks.release import root_directories
from upkeep import layout as layout_module
from upkeep.desired import SiteState
from upkeep.dev.environment import mount_path, pool_env_path, shell_rc_path
from upkeep.envlocks import lock_dir
from upkeep.errors import UsageError
from upkeep.layout import SiteLayout, php_fpm_log
from upkeep.refresh.backup import BackupPlan
from upkeep.templating import render
from upkeep.update.workflow import prune_script

ROOT = Path(__file__).resolve().parents[2]

EVERY_PATH = {
    "base_dir": "/srv/www/demo-staging",
    "releases_dir": "/srv/www/demo-staging/releases",
    "current_dir": "/srv/www/demo-staging/current",
    "shared_dir": "/srv/www/demo-staging/shared",
    "env_file": "/srv/www/demo-staging/shared/.env",
    "deploy_dir": "/srv/www/demo-staging/.dep",
    "archives_dir": "/srv/www/demo-staging/.dep/archives",
    "maintenance_flag": "/srv/www/demo-staging/MAINTENANCE",
    "upkeep_dir": "/srv/www/demo-staging/upkeep",
    "error_trigger": "/srv/www/demo-staging/upkeep/fail.php",
    "shell_rc": "/srv/www/demo-staging/upkeep/shell.bashrc",
    "dump_defaults": "/etc/upkeep/demo-staging-dump.cnf",
    "backups_dir": "/var/backups/upkeep/demo-staging",
    "lock_dir": "/var/lib/upkeep/locks/demo-staging",
    "php_error_log": "/var/log/php/demo-staging.error.log",
    "nginx_access_log": "/var/log/nginx/demo-staging.access.log",
    "nginx_error_log": "/var/log/nginx/demo-staging.error.log",
    "fpm_socket": "/run/php/demo-staging.sock",
    "error_pages_dir": "/var/www/upkeep-errors/demo-staging",
    "vhost_available": "/etc/nginx/sites-available/demo-staging.conf",
    "vhost_enabled": "/etc/nginx/sites-enabled/demo-staging.conf",
    "logrotate_config": "/etc/logrotate.d/upkeep-demo-staging",
}


def test_every_path_of_a_site() -> None:
    layout = SiteLayout.of("demo", "staging")
    properties = {
        name
        for name, value in vars(SiteLayout).items()
        if isinstance(value, property) and name != "site_id"
    }
    assert properties == set(EVERY_PATH), "a new path needs its line in EVERY_PATH"
    assert {name: getattr(layout, name) for name in EVERY_PATH} == EVERY_PATH
    assert layout.site_id == "demo-staging"


def test_the_paths_that_take_a_name() -> None:
    layout = SiteLayout.of("demo", "production")
    assert (
        layout.release_dir("20261123120000") == "/srv/www/demo-production/releases/20261123120000"
    )
    assert layout.shared("public/uploads") == "/srv/www/demo-production/shared/public/uploads"
    assert layout.archive("c0ffee") == "/srv/www/demo-production/.dep/archives/c0ffee.tar.gz"
    assert layout.update_backup("20261123T120000Z-abc123") == (
        "/var/backups/upkeep/demo-production/update-20261123T120000Z-abc123"
    )
    assert layout.fpm_pool("8.2") == "/etc/php/8.2/fpm/pool.d/demo-production.conf"
    assert layout.fpm_pool_env("8.2") == "/etc/php/8.2/fpm/pool.d/zz-demo-production-env.conf"
    assert php_fpm_log("8.2") == "/var/log/php8.2-fpm.log"


def test_the_lock_of_an_environment_is_named_by_its_site_id() -> None:
    assert SiteLayout("demo-staging").lock_dir == "/var/lib/upkeep/locks/demo-staging"
    assert lock_dir("demo", "staging") == "/var/lib/upkeep/locks/demo-staging"
    for bad in ("", "../etc", "demo/staging", "-rf", "demo staging"):
        with pytest.raises(UsageError, match="not a site id"):
            SiteLayout(bad)


@pytest.mark.parametrize(
    ("project", "environment"),
    [("..", "staging"), ("demo", "../../etc"), ("demo", "a/b"), ("demo", "x y"), ("", "")],
)
def test_a_site_id_that_would_leave_its_directory_is_refused(
    project: str, environment: str
) -> None:
    with pytest.raises(UsageError, match="not a site id for a path on a host"):
        SiteLayout.of(project, environment)


def test_the_site_state_reads_its_paths_from_the_layout() -> None:
    site = SiteState.example(project="shop", environment="production")
    layout = SiteLayout.of("shop", "production")
    assert site.layout == layout
    for name in (
        "site_id",
        "base_dir",
        "current_dir",
        "shared_dir",
        "fpm_socket",
        "php_error_log",
        "error_pages_dir",
        "maintenance_flag",
    ):
        assert getattr(site, name) == getattr(layout, name), name
    assert site.app_user == layout.site_id


def test_the_tasks_write_where_the_layout_says() -> None:
    site = SiteState.example()
    layout = site.layout
    files = managed_files(site)
    assert {
        layout.vhost_available,
        layout.fpm_pool(site.php_line),
        layout.logrotate_config,
        layout.error_trigger,
    } <= set(files)
    assert vhost_path(site) == layout.vhost_available and trigger_path(site) == layout.error_trigger
    assert dump_defaults_path(site) == layout.dump_defaults
    assert root_directories(site)[:4] == [
        layout.releases_dir,
        layout.deploy_dir,
        layout.archives_dir,
        layout.shared_dir,
    ]
    vhost = vhost_text(site)
    for path in (
        layout.nginx_access_log,
        layout.nginx_error_log,
        layout.error_trigger,
        layout.upkeep_dir,
        layout.maintenance_flag,
        layout.error_pages_dir,
        layout.fpm_socket,
        f"{layout.current_dir}/{site.docroot}",
    ):
        assert f"{path};" in vhost or f"{path}/;" in vhost or f"{path})" in vhost, path
    pool = files[layout.fpm_pool(site.php_line)]
    assert f"listen = {layout.fpm_socket}\n" in pool
    assert f"error_log] = {layout.php_error_log}\n" in pool
    assert f"open_basedir] = {layout.base_dir}/:" in pool
    assert log_files(site)[layout.logrotate_config].splitlines()[1] == f"{layout.php_error_log} {{"


def test_the_developer_environment_uses_the_same_layout() -> None:
    site = SiteState.example(environment="local")
    assert mount_path("demo") == SiteLayout.of("demo", "local").release_dir("working-copy")
    assert pool_env_path(site) == site.layout.fpm_pool_env(site.php_line)
    assert shell_rc_path(site) == site.layout.shell_rc
    rc = render("dev/shell.bashrc.j2", site=site)
    assert f". {site.layout.env_file}\n" in rc and f"cd {site.layout.current_dir}/\n" in rc


def test_backups_live_where_the_layout_says() -> None:
    layout = SiteLayout.of("demo", "staging")
    plan = BackupPlan.example()
    assert (plan.shared_dir, plan.backups_dir, plan.site_user) == (
        layout.shared_dir,
        layout.backups_dir,
        layout.site_id,
    )
    assert "cd /var/backups/upkeep/demo-production &&" in prune_script(
        SiteLayout.of("demo", "production").backups_dir, 3
    )


# -- no path of a site anywhere else --------------------------------------------------
ROOTS = {
    value
    for name, value in vars(layout_module).items()
    if name.isupper() and isinstance(value, str) and value.startswith("/")
}
# The brief's four, and every root the layout owns (a trailing '/' where a sibling such as
# /var/log/php8.2-fpm.log or /etc/upkeep on the scheduling machine is not a site's path).
KNOWN_LITERALS = sorted(
    {"/srv/www/", "/var/backups/upkeep", "/etc/upkeep/", "/var/log/php/"}
    | {f"{root}/" for root in ROOTS}
)


def _sources() -> list[Path]:
    found = [
        path
        for package in ("upkeep", "tasks", "deploys")
        for path in sorted((ROOT / package).rglob("*.py"))
    ]
    found += sorted((ROOT / "templates").rglob("*.j2"))
    return [path for path in found if path != ROOT / "upkeep" / "layout.py"]


def test_the_known_roots_are_the_layouts() -> None:
    assert {
        "/srv/www",
        "/etc/upkeep",
        "/var/backups/upkeep",
        "/var/lib/upkeep/locks",
        "/var/log/php",
        "/var/log/nginx",
        "/run/php",
        "/var/www/upkeep-errors",
        "/var/www/acme",
        "/etc/ssl/upkeep",
    } == ROOTS
    assert len(_sources()) > 150


def test_no_path_of_a_site_is_written_outside_the_layout() -> None:
    """Docstrings and comments count too: an example path goes stale like any other."""
    pattern = re.compile("|".join(re.escape(literal) for literal in KNOWN_LITERALS))
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_the_scan_finds_a_path_written_by_hand() -> None:
    pattern = re.compile("|".join(re.escape(literal) for literal in KNOWN_LITERALS))
    for line in (
        'f"/srv/www/{site_id}"',
        'backups = f"/var/backups/upkeep/{site}"',
        'return f"/etc/upkeep/{name}-dump.cnf"',
        'log = f"/var/log/php/{site_id}.error.log"',
        'lock = "/var/lib/upkeep/locks/x"',
    ):
        assert pattern.search(line), line
    for fine in ('"/var/log/php8.2-fpm.log"', 'ENV_DIR = PurePosixPath("/etc/upkeep")'):
        assert not pattern.search(fine), fine


def test_a_layout_is_a_value() -> None:
    layout = SiteLayout.of("demo", "staging")
    assert layout == SiteLayout("demo-staging") and hash(layout) == hash(SiteLayout("demo-staging"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        layout.site_id = "other"  # type: ignore[misc]
