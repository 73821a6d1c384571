"""The local environment's deploy: production's site deploy, then what is local only.

``deploys/site.py`` runs unchanged (no release: the working copy is mounted
as one), then ``local_extras`` adds the mail capture, the php.ini of the
local environment, the app's settings through PHP-FPM, the shell's settings
and ``current`` → ``releases/working-copy``.
"""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import files, systemd

from deploys.site import site as site_deploy
from tasks.conditions import after_change
from upkeep.desired import SiteState
from upkeep.dev.environment import (
    MAIL_COMMAND,
    MAIL_DIR,
    RELEASE,
    env_file_text,
    local_files,
    pool_env_path,
    pool_env_text,
)


@deploy("Local environment")
def local_extras(site: SiteState, site_url: str) -> None:
    files.directory(
        name="Captured mail", path=MAIL_DIR, user=site.app_user, group=site.app_user, mode="750"
    )
    changed = []
    for path, text in local_files(site).items():
        mode = "755" if path == MAIL_COMMAND else "644"
        changed.append(
            files.put(name=f"Managed file {path}", src=StringIO(text), dest=path, mode=mode)
        )
    changed.append(
        files.put(
            name="Application settings for PHP-FPM (credentials)",
            src=StringIO(pool_env_text(site, site_url)),
            dest=pool_env_path(site),
            user="root",
            group="root",
            mode="600",
        )
    )
    # As on the servers: root's, so the site user can read its settings but not replace them.
    files.directory(
        name="Shared directory",
        path=site.shared_dir,
        user="root",
        group="root",
        mode="755",
    )
    files.put(
        name="Environment file for the shell (credentials)",
        src=StringIO(env_file_text(site, site_url)),
        dest=site.layout.env_file,
        user="root",
        group=site.app_user,
        mode="640",
    )
    files.link(
        name="The working copy is the current release",
        path=site.current_dir,
        target=f"releases/{RELEASE}",
    )
    service = f"php{site.php_line}-fpm"
    systemd.service(
        name=f"{service} reloaded (local settings changed)",
        service=service,
        reloaded=True,
        _if=after_change(*changed),
    )


@deploy("Developer environment")
def dev_site(site: SiteState, site_url: str) -> None:
    # pyinfra types a @deploy function as an operation's call (see deploys/ in pyproject.toml).
    site_deploy(site, site_url)  # type: ignore[call-arg, arg-type]
    local_extras(site, site_url)  # type: ignore[call-arg, arg-type]
