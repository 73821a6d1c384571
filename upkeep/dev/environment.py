"""The ``local`` environment: production's, derived in code for the programmer's machine.

Not one of the inventory's environments (those are servers; the inventory's
``dev`` is a shared dev server), so it is built here from production's: the
same PHP line, extensions and php.ini, production's pinned PHP build and
commit, the same database name and user. What differs, and why:

- one host, the container, reached over SSH at 127.0.0.1 on a published port
  with upkeep's own key and known_hosts; the domain is ``localhost`` and TLS
  is ``none`` (the browser uses ``http://localhost:<port>``);
- the database password is made on this machine; production's credentials
  never reach the container, and no read-only dump user is made;
- no release is deployed: ``current`` points at the working copy, mounted
  into ``releases/working-copy`` (so the health page says release
  ``working-copy``), and the app's settings come from PHP-FPM's environment,
  not from a ``.env`` written into the working copy;
- php.ini for this environment only (``LOCAL_INI``): OPcache revalidates on
  every request, and ``sendmail_path`` captures mail.

    >>> LOCAL_INI["opcache.revalidate_freq"]
    '0'
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import git

from upkeep import envfile
from upkeep.desired import SiteState
from upkeep.dev.state import LOOPBACK, DevPaths
from upkeep.errors import UsageError
from upkeep.inventory import Environment, Host, Project
from upkeep.inventory.pins import Pins
from upkeep.layout import SiteLayout
from upkeep.provision.plan import DatabaseLogin, site_state
from upkeep.templating import render
from upkeep.workspace import state_home

LOCAL = "local"
DOMAIN = "localhost"
RELEASE = "working-copy"
# Not under /var/mail: Debian makes that directory setgid, which a new directory inherits
# and chmod keeps, so its mode would never match and every provision would change it.
MAIL_DIR = "/var/spool/upkeep-mail"
MAIL_COMMAND = "/usr/local/sbin/upkeep-capture-mail"
# Deliberate differences from production's php.ini, for the local environment only.
LOCAL_INI = {
    "opcache.validate_timestamps": "1",
    "opcache.revalidate_freq": "0",
    "sendmail_path": MAIL_COMMAND,
}
# What the comparison with production must not call drift: the settings above, and
# the code (the working copy is what the programmer is changing).
DELIBERATE = frozenset({"release", *(f"php.ini {key}" for key in LOCAL_INI)})


def production_pins(project: Project, pins: Pins) -> tuple[str, str]:
    """Production's pinned PHP build and commit, or a UsageError: the local
    environment is production's, so production must have been provisioned."""
    pin = pins.get("production")
    if not pin.php_build or not pin.ref:
        raise UsageError(
            f"{project.name} production has no pins yet (PHP build and commit): "
            f"run `upkeep provision {project.name} production` first"
        )
    return pin.php_build, pin.ref


def local_environment(project: Project, ssh_port: int, paths: DevPaths) -> Environment:
    """The local environment: one host, the container, at ``127.0.0.1:ssh_port``."""
    production = project.environment("production")
    host = Host(
        name=f"{project.name}-{LOCAL}",
        address=LOOPBACK,
        port=ssh_port,
        user="upkeep",
        key=paths.client_key,
        known_hosts=paths.known_hosts,
        sudo=True,
    )
    environment = Environment(
        domain=DOMAIN, tls="none", ref=production.ref, hosts=(host,), checks=production.checks
    )
    # An inventory's environments take their names (dev, staging, production) from their
    # keys; this one is upkeep's own. pydantic keeps private attributes settable on frozen
    # models, as Project does when it names its environments.
    setattr(environment, "_name", LOCAL)  # noqa: B010
    return environment


def local_site(
    project: Project,
    environment: Environment,
    php_build: str,
    db_password: str,
    http_port: int | None = None,
) -> SiteState:
    """The desired state of the local environment, as ``upkeep.provision.plan.site_state``
    builds an inventory environment's, but with the project's database, the local
    password and no dump user: production's credentials are never revealed here; served
    at ``http_port`` on this machine (the port the application must build its URLs with)."""
    login = DatabaseLogin(project.database.name, project.database.user, db_password)
    site = site_state(project, environment, php_build=php_build, release=None, login=login)
    return replace(site, public_port=http_port)


def mount_path(project_name: str) -> str:
    """Where the working copy is mounted in the container: a release, as Deployer lays them.

    >>> mount_path("demo").endswith("/demo-local/releases/working-copy")
    True
    """
    return SiteLayout.of(project_name, LOCAL).release_dir(RELEASE)


def local_ini_paths(site: SiteState) -> tuple[str, str]:
    line = site.php_line
    return (
        f"/etc/php/{line}/fpm/conf.d/95-upkeep-local.ini",
        f"/etc/php/{line}/cli/conf.d/95-upkeep-local.ini",
    )


def local_files(site: SiteState) -> dict[str, str]:
    """The files only the local environment has, by remote path, credentials aside
    (drift compares them like the rest)."""
    ini = render("dev/local.ini.j2", site=site, ini=sorted(LOCAL_INI.items()), mail_dir=MAIL_DIR)
    return {
        **dict.fromkeys(local_ini_paths(site), ini),
        MAIL_COMMAND: render("dev/capture-mail.sh.j2", site=site, mail_dir=MAIL_DIR),
        shell_rc_path(site): render("dev/shell.bashrc.j2", site=site),
    }


def env_file_text(site: SiteState, site_url: str) -> str:
    """The application's settings, as the release task writes them for a server."""
    return render("app/env.j2", site=site, site_url=site_url)


def env_pairs(text: str) -> list[tuple[str, str]]:
    """``KEY=VALUE`` lines of an env file, comments aside.

    >>> env_pairs("# note\\nA=1\\nB=x=y\\n")
    [('A', '1'), ('B', 'x=y')]
    """
    pairs = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            pairs.append((key.strip(), envfile.unquote(value.strip())))
    return pairs


def pool_env_path(site: SiteState) -> str:
    # After pool.d/<site>.conf in PHP-FPM's include order, so the pool exists when read.
    return site.layout.fpm_pool_env(site.php_line)


def pool_env_text(site: SiteState, site_url: str) -> str:
    """The app's settings as PHP-FPM ``env[...]`` lines of the site's pool."""
    pairs = env_pairs(env_file_text(site, site_url))
    for key, value in pairs:
        if any(c in value for c in '"\n\\$') or not key.isidentifier():
            raise UsageError(f"the setting {key} cannot be passed to PHP-FPM safely")
    return render("dev/pool-env.conf.j2", site=site, settings=pairs)


def shell_rc_path(site: SiteState) -> str:
    # Beside the error check's trigger: root's directory, readable by the site's user.
    return site.layout.shell_rc


def checkout_dir(project_name: str) -> Path:
    """Where ``dev up`` without ``--path`` keeps its own working copy of the project.

    Beside, not inside, the environment's state: ``dev down`` removes the
    state and never a working copy (it holds the developer's edits).
    """
    return state_home() / "checkouts" / project_name


def own_checkout(project: Project, commit: str) -> tuple[Path, str | None]:
    """A working copy of the project's repository at ``commit`` (production's), made once.

    What was done, or None when it was there already (a later ``dev up`` keeps
    whatever the developer did to it).
    """
    target = checkout_dir(project.name)
    if (target / ".git").exists():
        return target, None
    try:
        repo = git.Repo.clone_from(os.path.expanduser(project.app.repository), target)
        repo.git.checkout(commit, detach=True)
    except git.GitCommandError as error:
        shutil.rmtree(target, ignore_errors=True)
        raise UsageError(
            f"cannot check out {project.app.repository} at {commit[:10]} into {target}: "
            f"{str(error).strip().splitlines()[-1][:200]}"
        ) from None
    return target, f"checked out {project.name} at production's {commit[:10]} into {target}"


def project_working_copy(project: Project, given: str | Path) -> Path:
    """The working copy to mount, resolved; a UsageError unless it is a directory that
    looks like the project's (it has the docroot)."""
    path = Path(given).expanduser()
    if not path.exists():
        raise UsageError(f"--path {given}: no such directory")
    if not path.is_dir():
        raise UsageError(f"--path {given}: not a directory")
    path = path.resolve()
    docroot = path / project.app.docroot
    if not docroot.is_dir():
        raise UsageError(
            f"--path {given}: no {project.app.docroot}/ in it; is it a working copy of "
            f"{project.name}'s repository?"
        )
    return path
