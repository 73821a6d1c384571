"""Where everything of one site environment lives on its hosts: one object, every path.

A site is ``<project>-<environment>`` on its hosts (its user, FPM pool, vhost,
directories). Every workflow, task, template and check that names a path on
a host takes it from here, so moving a file means changing one line.

The site directory follows Deployer: ``releases/<id>``, ``shared/`` (the env
file and the shared paths), ``current`` → ``releases/<id>``, and ``.dep/``
(the releases log and the code archives).

    >>> layout = SiteLayout.of("demo", "staging")
    >>> layout.base_dir, layout.env_file
    ('/srv/www/demo-staging', '/srv/www/demo-staging/shared/.env')
    >>> layout.dump_defaults, layout.backups_dir
    ('/etc/upkeep/demo-staging-dump.cnf', '/var/backups/upkeep/demo-staging')
    >>> SiteLayout.of("demo", "../etc")
    Traceback (most recent call last):
    upkeep.errors.UsageError: not a site id for a path on a host: 'demo-../etc' (...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from upkeep.errors import UsageError

SITES_ROOT = "/srv/www"
SETTINGS_DIR = "/etc/upkeep"  # root-only: client settings with credentials
BACKUPS_ROOT = "/var/backups/upkeep"
LOCKS_ROOT = "/var/lib/upkeep/locks"
PHP_LOG_DIR = "/var/log/php"
NGINX_LOG_DIR = "/var/log/nginx"
FPM_SOCKET_DIR = "/run/php"
ERROR_PAGES_ROOT = "/var/www/upkeep-errors"
# Shared by every site on a host: ACME's HTTP challenges, and certificates upkeep places.
ACME_CHALLENGE_DIR = "/var/www/acme"
CERTIFICATES_DIR = "/etc/ssl/upkeep"

# A project name and an environment name, joined by '-': a user name, a file name and a
# directory name at once, so no '/', no '..', nothing a shell or nginx reads specially.
_SITE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def php_fpm_log(php_line: str) -> str:
    """The FPM master's own log of a PHP line (Debian's), shared by every site on the host.

    >>> php_fpm_log("8.2")
    '/var/log/php8.2-fpm.log'
    """
    return f"/var/log/php{php_line}-fpm.log"


@dataclass(frozen=True)
class SiteLayout:
    """Every path of one site environment on its hosts.

    >>> SiteLayout("demo-production").current_dir
    '/srv/www/demo-production/current'
    """

    site_id: str

    def __post_init__(self) -> None:
        if not _SITE_ID.fullmatch(self.site_id) or ".." in self.site_id:
            raise UsageError(
                f"not a site id for a path on a host: {self.site_id!r} (a project and an "
                "environment name: letters, digits, '.', '_' and '-')"
            )

    @classmethod
    def of(cls, project_name: str, environment_name: str) -> SiteLayout:
        return cls(f"{project_name}-{environment_name}")

    # -- the site's directory (Deployer's layout) ----------------------------------------
    @property
    def base_dir(self) -> str:
        """root's; the site user's home."""
        return f"{SITES_ROOT}/{self.site_id}"

    @property
    def releases_dir(self) -> str:
        return f"{self.base_dir}/releases"

    def release_dir(self, release_id: str) -> str:
        return f"{self.releases_dir}/{release_id}"

    @property
    def current_dir(self) -> str:
        """A symlink to ``releases/<id>``, switched with ``mv -T``."""
        return f"{self.base_dir}/current"

    @property
    def shared_dir(self) -> str:
        return f"{self.base_dir}/shared"

    def shared(self, path: str) -> str:
        """One of the project's shared paths (``public/uploads``) in ``shared/``."""
        return f"{self.shared_dir}/{path}"

    @property
    def env_file(self) -> str:
        """The application's settings (credentials), linked into every release."""
        return f"{self.shared_dir}/.env"

    @property
    def deploy_dir(self) -> str:
        """Deployer's ``.dep``: the releases log and the code archives."""
        return f"{self.base_dir}/.dep"

    @property
    def archives_dir(self) -> str:
        return f"{self.deploy_dir}/archives"

    def archive(self, commit: str) -> str:
        return f"{self.archives_dir}/{commit}.tar.gz"

    @property
    def maintenance_flag(self) -> str:
        """While this file exists nginx answers with the maintenance page (503)."""
        return f"{self.base_dir}/MAINTENANCE"

    @property
    def upkeep_dir(self) -> str:
        """root's, outside the application, inside the pool's open_basedir."""
        return f"{self.base_dir}/upkeep"

    @property
    def error_trigger(self) -> str:
        """The deliberate server error the monitoring's ``error_page`` check asks for."""
        return f"{self.upkeep_dir}/fail.php"

    @property
    def shell_rc(self) -> str:
        """The settings of ``upkeep dev shell``, beside the error trigger."""
        return f"{self.upkeep_dir}/shell.bashrc"

    # -- elsewhere on the host -----------------------------------------------------------
    @property
    def dump_defaults(self) -> str:
        """The read-only dump user's client settings (root-only)."""
        return f"{SETTINGS_DIR}/{self.site_id}-dump.cnf"

    @property
    def backups_dir(self) -> str:
        """Refresh's backups of this site (``<stamp>``) and update's (``update-<run id>``)."""
        return f"{BACKUPS_ROOT}/{self.site_id}"

    def update_backup(self, run_id: str) -> str:
        return f"{self.backups_dir}/update-{run_id}"

    @property
    def lock_dir(self) -> str:
        """The environment's run lock (upkeep.locks)."""
        return f"{LOCKS_ROOT}/{self.site_id}"

    @property
    def php_error_log(self) -> str:
        return f"{PHP_LOG_DIR}/{self.site_id}.error.log"

    @property
    def nginx_access_log(self) -> str:
        return f"{NGINX_LOG_DIR}/{self.site_id}.access.log"

    @property
    def nginx_error_log(self) -> str:
        return f"{NGINX_LOG_DIR}/{self.site_id}.error.log"

    @property
    def fpm_socket(self) -> str:
        return f"{FPM_SOCKET_DIR}/{self.site_id}.sock"

    @property
    def error_pages_dir(self) -> str:
        """The branded 5xx and maintenance pages nginx serves."""
        return f"{ERROR_PAGES_ROOT}/{self.site_id}"

    # -- the site's own configuration files ----------------------------------------------
    @property
    def vhost_available(self) -> str:
        return f"/etc/nginx/sites-available/{self.site_id}.conf"

    @property
    def vhost_enabled(self) -> str:
        return f"/etc/nginx/sites-enabled/{self.site_id}.conf"

    def fpm_pool(self, php_line: str) -> str:
        return f"/etc/php/{php_line}/fpm/pool.d/{self.site_id}.conf"

    def fpm_pool_env(self, php_line: str) -> str:
        """A developer environment's settings for its pool; read after the pool itself."""
        return f"/etc/php/{php_line}/fpm/pool.d/zz-{self.site_id}-env.conf"

    @property
    def logrotate_config(self) -> str:
        return f"/etc/logrotate.d/upkeep-{self.site_id}"
