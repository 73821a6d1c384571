"""PHP-FPM at the exact pinned build, held there by apt pinning; one pool per site."""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import apt, files, systemd
from pyinfra.operations.util import any_changed

from upkeep.desired import SiteState
from upkeep.templating import render


def php_package_specs(site: SiteState) -> list[str]:
    """``name=version`` for every php<line>-* package the site needs."""
    return [f"{name}={site.php_build}" for name in site.php_packages]


@deploy("PHP-FPM")
def php_fpm(site: SiteState) -> None:
    line = site.php_line
    # The pin comes first so that installing cannot pick another build.
    pin = files.put(
        name=f"Hold PHP {line} at {site.php_build}",
        src=StringIO(render("php/apt-preferences.j2", site=site)),
        dest=f"/etc/apt/preferences.d/upkeep-php{line}",
    )
    packages = apt.packages(
        name=f"PHP {line} packages at {site.php_build}",
        packages=php_package_specs(site),
        no_recommends=True,
        allow_downgrades=True,  # a rollback installs the previous build
    )
    ini = [
        files.put(
            name=f"php.ini overrides ({sapi})",
            src=StringIO(render("php/upkeep.ini.j2", site=site)),
            dest=f"/etc/php/{line}/{sapi}/conf.d/90-upkeep.ini",
        )
        for sapi in ("fpm", "cli")
    ]
    pool = files.put(
        name=f"FPM pool {site.site_id}",
        src=StringIO(render("php/pool.conf.j2", site=site)),
        dest=f"/etc/php/{line}/fpm/pool.d/{site.site_id}.conf",
    )
    default_pool = files.file(
        name="No default FPM pool",
        path=f"/etc/php/{line}/fpm/pool.d/www.conf",
        present=False,
    )
    service = f"php{line}-fpm"
    systemd.service(name=f"{service} running", service=service, running=True, enabled=True)
    systemd.service(
        name=f"{service} reloaded (configuration changed)",
        service=service,
        reloaded=True,  # graceful: workers finish their requests on the old config
        _if=any_changed(pin, packages, *ini, pool, default_pool),
    )
