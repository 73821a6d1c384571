"""Base host: packages, timezone, the site user, and security upgrades that leave PHP alone."""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import apt, files, server

from tasks.operations import system_user
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
    "zstd",  # the refresh packs its dumps with it (upkeep.refresh.wire)
)


# Fresh lists serve installing and nothing else: on a host with nothing to install, their age
# changes nothing provision manages (unattended-upgrades refreshes them daily on its own), so
# the in-sync check (upkeep.provision.insync) does not count it as a change.
REFRESH_PACKAGE_LISTS = "Refresh package lists"
SERVES_OTHERS_ONLY = frozenset({REFRESH_PACKAGE_LISTS})


def base_files(site: SiteState) -> dict[str, str]:
    """The files this task renders, by remote path."""
    return {
        "/etc/timezone": f"{site.timezone}\n",
        "/etc/apt/apt.conf.d/50unattended-upgrades": render(
            "base/50unattended-upgrades.j2", site=site
        ),
        "/etc/apt/apt.conf.d/20auto-upgrades": render("base/20auto-upgrades.j2", site=site),
        "/etc/needrestart/conf.d/upkeep.conf": render("base/needrestart.conf.j2", site=site),
    }


@deploy("Base host")
def base_host(site: SiteState) -> None:
    apt.update(name=REFRESH_PACKAGE_LISTS, cache_time=3600)
    apt.packages(name="Base packages", packages=list(BASE_PACKAGES), no_recommends=True)
    files.link(
        name=f"Timezone {site.timezone}",
        path="/etc/localtime",
        target=f"/usr/share/zoneinfo/{site.timezone}",
        force=True,
    )
    for path, text in base_files(site).items():
        files.put(name=f"Managed file {path}", src=StringIO(text), dest=path)
    server.group(name="Site group", group=site.app_user, system=True)
    system_user(
        name="Site user",
        user=site.app_user,
        group=site.app_user,
        home=site.base_dir,
        shell="/usr/sbin/nologin",
    )
    # root's, not the site user's: root-run scripts work in it, and a name the site user
    # (PHP-FPM, so any vulnerable plugin) could plant there must never steer them.
    files.directory(
        name="Site directory",
        path=site.base_dir,
        user="root",
        group="root",
        mode="755",
    )
