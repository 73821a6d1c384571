"""MariaDB: the site database, its user with least privilege, a read-only dump user."""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import apt, files, mysql, systemd

from tasks.mariadb_users import database_user
from upkeep.desired import SiteState
from upkeep.layout import SETTINGS_DIR

# What a PHP application needs to run and migrate its own schema; no GRANT, no FILE.
SITE_PRIVILEGES = (
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "CREATE",
    "ALTER",
    "INDEX",
    "DROP",
    "REFERENCES",
    "CREATE TEMPORARY TABLES",
    "LOCK TABLES",
    "CREATE VIEW",
    "SHOW VIEW",
    "TRIGGER",
    "EXECUTE",
)
# A consistent dump (--single-transaction, routines, triggers, events) and nothing more.
DUMP_PRIVILEGES = ("SELECT", "SHOW VIEW", "TRIGGER", "EVENT", "LOCK TABLES", "EXECUTE")


def dump_defaults_path(site: SiteState) -> str:
    """The read-only dump user's client settings: root-only, so a dump never puts the
    password on a command line."""
    return site.layout.dump_defaults


def dump_defaults_text(site: SiteState) -> str:
    """The [client] group, each value quoted as MariaDB's option files read it.

    >>> print(dump_defaults_text(SiteState.example()), end="")
    [client]
    user="demo_dump"
    password="example-dump-password"
    """
    return (
        "[client]\n"
        f"user={option_value(site.dump_user)}\n"
        f"password={option_value(site.dump_password)}\n"
    )


def option_value(value: str) -> str:
    """``value`` for a MariaDB option file: double-quoted, so ``#`` and spaces are text,
    with ``\\`` and ``"`` backslash-escaped (control characters never reach here: secrets
    refuse them).

    >>> print(option_value('a"b#c\\\\d e'))
    "a\\"b#c\\\\d e"
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@deploy("MariaDB")
def mariadb(site: SiteState) -> None:
    apt.packages(name="MariaDB server", packages=["mariadb-server", "mariadb-client"])
    systemd.service(name="MariaDB running", service="mariadb", running=True, enabled=True)
    # Root reaches MariaDB through its Unix socket (sudo), so no root password exists to leak.
    mysql.database(
        name=f"Database {site.db_name}",
        database=site.db_name,
        charset="utf8mb4",
        collate="utf8mb4_unicode_ci",
    )
    for user, password, privileges in (
        (site.db_user, site.db_password, SITE_PRIVILEGES),
        (site.dump_user, site.dump_password, DUMP_PRIVILEGES),
    ):
        if not user:
            continue
        # Our own operation: the password stays off command lines, and a rotated one is applied.
        database_user(name=f"Database user {user}", user=user, password=password)
        mysql.privileges(
            name=f"Privileges of {user} on {site.db_name}",
            user=user,
            database=site.db_name,
            privileges=list(privileges),
        )
    if site.dump_user:
        files.directory(name="upkeep settings", path=SETTINGS_DIR, mode="700")
        files.put(
            name="Dump user's client settings",
            src=StringIO(dump_defaults_text(site)),
            dest=dump_defaults_path(site),
            mode="600",
        )
