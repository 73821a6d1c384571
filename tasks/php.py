"""PHP-FPM at the exact pinned build, held there by apt pinning; one pool per site."""

from __future__ import annotations

import shlex
from io import StringIO

from pyinfra import host
from pyinfra.api import deploy, operation
from pyinfra.facts.deb import DebPackages
from pyinfra.operations import files, systemd

from tasks.conditions import after_change
from tasks.debconf import under_one_frontend
from tasks.operations import file_copied
from upkeep.desired import SiteState
from upkeep.templating import render


def php_package_specs(site: SiteState) -> list[str]:
    """``name=version`` for every php<line>-* package the site needs."""
    return [f"{name}={site.php_build}" for name in site.php_packages]


def apt_pin_path(site: SiteState) -> str:
    # apt reads only files without an extension or ending in .pref ("php8.2" alone has one).
    return f"/etc/apt/preferences.d/upkeep-php{site.php_line}.pref"


def package_guard_files(site: SiteState) -> dict[str, str]:
    """The files put before any package, by remote path: the apt pin (installing cannot
    pick another build) and policy-rc.d (package scripts leave PHP-FPM to upkeep)."""
    return {
        POLICY_RC_D: render("php/policy-rc.d.j2", site=site),
        apt_pin_path(site): render("php/apt-preferences.j2", site=site),
    }


def php_files(site: SiteState) -> dict[str, str]:
    """The files this task renders, by remote path."""
    line = site.php_line
    ini = render("php/upkeep.ini.j2", site=site)
    return {
        f"/etc/php/{line}/fpm/conf.d/90-upkeep.ini": ini,
        f"/etc/php/{line}/cli/conf.d/90-upkeep.ini": ini,
        site.layout.fpm_pool(line): render("php/pool.conf.j2", site=site),
        # Included by php-fpm.conf like the pools; its [global] section applies to the master.
        f"/etc/php/{line}/fpm/pool.d/00-upkeep-global.conf": render(
            "php/fpm-global.conf.j2", site=site
        ),
    }


POLICY_RC_D = "/usr/sbin/policy-rc.d"
# apt's questions unasked, and needrestart's apt hook kept from restarting PHP-FPM after
# the packages change (upkeep reloads it): a shell line's exports, provision's and the update's.
QUIET_APT_EXPORT = "export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1"


def php_ini_pairs(site: SiteState) -> dict[str, str]:
    """Each php.ini upkeep keeps equal to the package's production defaults."""
    shipped = f"/usr/lib/php/{site.php_line}/php.ini-production"
    return {
        f"/etc/php/{site.php_line}/fpm/php.ini": shipped,
        f"/etc/php/{site.php_line}/cli/php.ini": f"{shipped}.cli",  # Debian's CLI variant
    }


# pyinfra's apt.packages install, no recommends; downgrades allowed: a rollback installs the
# previous build.
APT_INSTALL = (
    'apt-get -y -o Dpkg::Options::="--force-confdef" -o Dpkg::Options::="--force-confold" '
    "install --no-install-recommends --allow-downgrades"
)


@operation()
def php_packages(packages: list[str]):
    """Each ``name=version`` spec installed, as pyinfra's ``apt.packages`` does it (the same
    comparison, the same apt-get install of the specs that differ), the install's package
    scripts under one debconf frontend (tasks.debconf)."""
    installed = host.get_fact(DebPackages)
    wanted = [
        spec
        for spec in packages
        if spec.partition("=")[2] not in installed.get(spec.partition("=")[0], ())
    ]
    if not wanted:
        host.noop(f"{', '.join(packages)} installed")
        return
    apt = f"{APT_INSTALL} {shlex.join(wanted)}"
    names = [spec.partition("=")[0] for spec in wanted]
    yield f"{QUIET_APT_EXPORT}; {under_one_frontend(apt, names)}"


@deploy("PHP-FPM")
def php_fpm(site: SiteState) -> None:
    line = site.php_line
    guards = package_guard_files(site)
    # Before any package: PHP-FPM is restarted by upkeep alone, gracefully (see the template).
    files.put(
        name="Package scripts leave PHP-FPM to upkeep",
        src=StringIO(guards[POLICY_RC_D]),
        dest=POLICY_RC_D,
        mode="755",
    )
    # The pin comes first so that installing cannot pick another build.
    pin = files.put(
        name=f"Hold PHP {line} at {site.php_build}",
        src=StringIO(guards[apt_pin_path(site)]),
        dest=apt_pin_path(site),
    )
    packages = php_packages(
        name=f"PHP {line} packages at {site.php_build}", packages=php_package_specs(site)
    )
    managed = [
        files.put(name=f"Managed file {path}", src=StringIO(text), dest=path)
        for path, text in php_files(site).items()
    ]
    # php.ini itself stays the package's production file; our settings live in conf.d.
    reset = [
        file_copied(name=f"{path} as the package ships it", src=reference, dest=path)
        for path, reference in php_ini_pairs(site).items()
    ]
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
        _if=after_change(pin, packages, *managed, *reset, default_pool),
    )
