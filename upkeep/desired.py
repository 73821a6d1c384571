"""The desired state of one site environment, as plain values the tasks read.

Built from the inventory model, the pins and what the control side resolved
(the release's commit, the certificate); the tasks in tasks/ never see the
inventory, only this. Paths on the hosts come from its ``layout``
(upkeep.layout); the most used are properties here too.

    >>> site = SiteState.example()
    >>> site.site_id, site.php_packages[:2]
    ('demo-staging', ('php8.2-cli', 'php8.2-common'))
    >>> site.base_dir == site.layout.base_dir == SiteLayout.of("demo", "staging").base_dir
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field

from upkeep.layout import SiteLayout

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
    # The port visitors use when it is not the scheme's own (a developer environment's
    # published port): the application must see it to build its URLs and redirects.
    public_port: int | None = None

    @property
    def layout(self) -> SiteLayout:
        """Every path of the site on its hosts."""
        return SiteLayout.of(self.project, self.environment)

    # The paths the tasks and templates read most, from the layout.
    @property
    def site_id(self) -> str:
        """The name of a site on its hosts: its user, pool, vhost and directory."""
        return self.layout.site_id

    @property
    def app_user(self) -> str:
        return self.site_id

    @property
    def base_dir(self) -> str:
        return self.layout.base_dir

    @property
    def current_dir(self) -> str:
        return self.layout.current_dir

    @property
    def shared_dir(self) -> str:
        return self.layout.shared_dir

    @property
    def fpm_socket(self) -> str:
        return self.layout.fpm_socket

    @property
    def php_error_log(self) -> str:
        return self.layout.php_error_log

    @property
    def error_pages_dir(self) -> str:
        return self.layout.error_pages_dir

    @property
    def maintenance_flag(self) -> str:
        """While this file exists nginx answers with the maintenance page (503)."""
        return self.layout.maintenance_flag

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
