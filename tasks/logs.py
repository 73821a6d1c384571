"""Logs: PHP errors to a file per site, rotated, where checks can read fatal errors."""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import files

from upkeep.desired import SiteState
from upkeep.layout import PHP_LOG_DIR
from upkeep.templating import render


def log_files(site: SiteState) -> dict[str, str]:
    """The files this task renders, by remote path."""
    return {site.layout.logrotate_config: render("logs/logrotate.j2", site=site)}


@deploy("Logs")
def logs(site: SiteState) -> None:
    files.directory(name="PHP log directory", path=PHP_LOG_DIR, group="adm", mode="775")
    files.file(
        name="PHP error log",
        path=site.php_error_log,
        user=site.app_user,
        group="adm",
        mode="640",
    )
    for path, text in log_files(site).items():
        files.put(name=f"Managed file {path}", src=StringIO(text), dest=path)
