"""Base host: packages, timezone, the site user, and security upgrades that leave PHP alone."""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import apt, files, server

from upkeep.desired import SiteState
from upkeep.templating import render

BASE_PACKAGES = (
    "acl",
    "ca-certificates",
    "curl",
    "logrotate",
    "needrestart",
    "rsync",
    "tzdata",
    "unattended-upgrades",
)


@deploy("Base host")
def base_host(site: SiteState) -> None:
    apt.update(name="Refresh package lists", cache_time=3600)
    apt.packages(name="Base packages", packages=list(BASE_PACKAGES), no_recommends=True)
    files.link(
        name=f"Timezone {site.timezone}",
        path="/etc/localtime",
        target=f"/usr/share/zoneinfo/{site.timezone}",
        force=True,
    )
    files.put(name="Timezone name", src=StringIO(f"{site.timezone}\n"), dest="/etc/timezone")
    for name in ("50unattended-upgrades", "20auto-upgrades"):
        files.put(
            name=f"Unattended upgrades: {name}",
            src=StringIO(render(f"base/{name}.j2", site=site)),
            dest=f"/etc/apt/apt.conf.d/{name}",
        )
    files.put(
        name="Restart services whose libraries changed",
        src=StringIO(render("base/needrestart.conf.j2", site=site)),
        dest="/etc/needrestart/conf.d/upkeep.conf",
    )
    server.group(name=f"Group {site.app_user}", group=site.app_user, system=True)
    server.user(
        name=f"Site user {site.app_user}",
        user=site.app_user,
        group=site.app_user,
        home=site.base_dir,
        shell="/usr/sbin/nologin",
        system=True,
        create_home=False,
    )
    files.directory(
        name="Site directory",
        path=site.base_dir,
        user=site.app_user,
        group=site.app_user,
        mode="755",
    )
