"""The desired state of one site environment, as plain values the tasks read.

Built from the inventory model, the pins and what the control side resolved
(the release's commit, the certificate); the tasks in tasks/ never see the
inventory, only this.

    >>> site = SiteState.example()
    >>> site.site_id, site.base_dir, site.fpm_socket
    ('demo-staging', '/srv/www/demo-staging', '/run/php/demo-staging.sock')
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Extensions compiled into php<line>-common: no package of their own.
COMMON_EXTENSIONS = frozenset(
    {
        "calendar",
        "ctype",
        "exif",
        "ffi",
        "fileinfo",
        "ftp",
        "gettext",
        "iconv",
        "json",
        "pdo",
        "phar",
        "posix",
        "shmop",
        "sockets",
        "sysvmsg",
        "sysvsem",
        "sysvshm",
        "tokenizer",
    }
)
# Packages every site gets, whatever the inventory lists.
CORE_PACKAGES = ("fpm", "cli", "common", "opcache", "readline")


def site_id(project: str, environment: str) -> str:
    """The name of a site on its hosts: its user, pool, vhost and directory."""
    return f"{project}-{environment}"


def base_dir(project: str, environment: str) -> str:
    return f"/srv/www/{site_id(project, environment)}"


@dataclass(frozen=True)
class Release:
    """The code to deploy: a commit of the project's repository, packed by the control side."""

    commit: str
    ref: str
    archive: str  # local path of a tar.gz of the commit's tree
    keep_releases: int = 5
    commands: tuple[str, ...] = ()  # run in the new release, as the site user, before it goes live


@dataclass(frozen=True)
class Certificate:
    certificate_pem: str
    key_pem: str


@dataclass(frozen=True)
class SiteState:
    project: str
    environment: str
    domain: str
    tls: str  # lab | acme | manual | none
    app_kind: str
    docroot: str
    health_path: str
    php_line: str
    php_build: str
    php_extensions: tuple[str, ...]
    php_ini: tuple[tuple[str, str], ...]
    db_name: str
    db_user: str
    db_password: str = field(repr=False)
    dump_user: str = ""
    dump_password: str = field(default="", repr=False)
    shared_paths: tuple[str, ...] = ()
    release: Release | None = None
    certificate: Certificate | None = field(default=None, repr=False)
    timezone: str = "UTC"

    @property
    def site_id(self) -> str:
        return site_id(self.project, self.environment)

    @property
    def app_user(self) -> str:
        return self.site_id

    @property
    def base_dir(self) -> str:
        return base_dir(self.project, self.environment)

    @property
    def current_dir(self) -> str:
        return f"{self.base_dir}/current"

    @property
    def shared_dir(self) -> str:
        return f"{self.base_dir}/shared"

    @property
    def fpm_socket(self) -> str:
        return f"/run/php/{self.site_id}.sock"

    @property
    def php_error_log(self) -> str:
        return f"/var/log/php/{self.site_id}.error.log"

    @property
    def error_pages_dir(self) -> str:
        return f"/var/www/upkeep-errors/{self.site_id}"

    @property
    def maintenance_flag(self) -> str:
        """While this file exists nginx answers with the maintenance page (503)."""
        return f"{self.base_dir}/MAINTENANCE"

    @property
    def php_packages(self) -> tuple[str, ...]:
        """Every php<line>-* package the site needs, sorted."""
        wanted = set(CORE_PACKAGES) | {
            ext for ext in self.php_extensions if ext not in COMMON_EXTENSIONS
        }
        return tuple(sorted(f"php{self.php_line}-{name}" for name in wanted))

    @classmethod
    def example(cls, **changes: object) -> SiteState:
        """A small, complete state for tests and docs."""
        values: dict[str, object] = dict(
            project="demo",
            environment="staging",
            domain="staging.demo.lab",
            tls="lab",
            app_kind="generic",
            docroot="public",
            health_path="/health.php",
            php_line="8.2",
            php_build="8.2.32-1~deb12u1",
            php_extensions=("mysql", "mbstring", "intl", "opcache"),
            php_ini=(("memory_limit", "256M"),),
            db_name="demo",
            db_user="demo",
            db_password="example-password",
            dump_user="demo_dump",
            dump_password="example-dump-password",
            shared_paths=("public/uploads",),
        )
        values.update(changes)
        return cls(**values)  # type: ignore[arg-type]
