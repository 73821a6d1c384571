"""Which database server a host's MariaDB really is, read from the server itself.

A refresh trusts no names: two environments may be declared on different
addresses that reach one server (an alias, a NAT, a copied inventory). Before
anything is written, the source's and the target's servers are asked who they
are; when both answers name one server and one schema, the target *is* the
source and the run stops.

MariaDB has no ``@@server_uuid`` (MySQL's), so a server is known by what only
it can say at once: the host's machine id, the server's host name, data
directory and port, and the second it started (read as now minus its uptime,
so two reads a moment apart may differ by a second).

    >>> a = ServerIdentity.parse("m1\\tdb1\\t/var/lib/mysql/\\t3306\\t1765000000\\tdemo")
    >>> b = ServerIdentity.parse("m1\\tdb1\\t/var/lib/mysql/\\t3306\\t1765000001\\tdemo")
    >>> a.same_database(b), a.same_database(a.with_schema("demo_staging"))
    (True, False)
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace

from upkeep.errors import RunFailed
from upkeep.inventory import Host
from upkeep.ssh import check_root

# Two reads of one server's start (now - uptime) can fall a second apart.
START_TOLERANCE_SECONDS = 2

_SQL = (
    "SELECT @@hostname, @@datadir, @@port, "
    "UNIX_TIMESTAMP() - (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
    "WHERE VARIABLE_NAME = 'UPTIME')"
)


@dataclass(frozen=True)
class ServerIdentity:
    machine_id: str
    hostname: str
    datadir: str
    port: int
    started: int  # Unix time the server started, to the second
    schema: str

    @classmethod
    def parse(cls, line: str) -> ServerIdentity:
        parts = line.strip().split("\t")
        try:
            machine_id, hostname, datadir, port, started, schema = parts
            return cls(machine_id, hostname, datadir, int(port), round(float(started)), schema)
        except ValueError:
            raise ValueError(f"unexpected server identity {line.strip()[:200]!r}") from None

    def with_schema(self, schema: str) -> ServerIdentity:
        return replace(self, schema=schema)

    def same_server(self, other: ServerIdentity) -> bool:
        return (self.machine_id, self.hostname, self.datadir, self.port) == (
            other.machine_id,
            other.hostname,
            other.datadir,
            other.port,
        ) and abs(self.started - other.started) <= START_TOLERANCE_SECONDS

    def same_database(self, other: ServerIdentity) -> bool:
        return self.same_server(other) and self.schema == other.schema

    def describe(self) -> str:
        return f"server {self.hostname}:{self.port} ({self.datadir}), schema {self.schema}"


def identity_script(schema: str) -> str:
    """As root on the host: one tab-separated line (machine id, server, schema)."""
    return (
        "set -euo pipefail; "
        "id=$(cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null "
        "|| echo unknown); "
        f"printf '%s\\t%s\\t%s\\n' \"$id\" "
        f'"$(mariadb -N -B -e {shlex.quote(_SQL)} | head -n 1)" {shlex.quote(schema)}'
    )


def read_identity(host: Host, schema: str) -> ServerIdentity:
    out = check_root(host, identity_script(schema), f"asking {host.name}'s database who it is")
    try:
        return ServerIdentity.parse(out.strip().splitlines()[-1] if out.strip() else "")
    except ValueError as error:
        raise RunFailed(f"{host.name}: {error}") from None
