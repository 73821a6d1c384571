"""MariaDB accounts with a password that never reaches a command line.

pyinfra's ``mysql.user`` puts the password into the ``mysql -e`` argument (seen
by anyone running ``ps``, broken by a ``"``) and never changes the password of
an account that exists, so a rotated secret never reached MariaDB. Here the
controller computes the ``mysql_native_password`` hash itself, compares it with
the hash MariaDB stores, and only when they differ sends SQL that carries the
hash, not the password, in a root-only file fed to ``mariadb`` on stdin.

    >>> native_password_hash("secret")
    '*14E65567ABDB5135D0CFD9A70B3032C179A49EE7'
    >>> AccountFact().process(["mysql_native_password\\t*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"])
    Account(plugin='mysql_native_password', hash='*14E65567ABDB5135D0CFD9A70B3032C179A49EE7')
    >>> AccountFact().process([]) is None
    True
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from io import StringIO

from pyinfra import host
from pyinfra.api import FactBase, FileUploadCommand, operation

from upkeep.sqlnames import quote_identifier, quote_string

NATIVE = "mysql_native_password"


def native_password_hash(password: str) -> str:
    """What MariaDB stores for ``password`` under mysql_native_password: '*' + SHA1(SHA1(pw)).

    The bytes hashed are the UTF-8 ones a client sends (PDO with utf8mb4, the CLI).
    """
    inner = hashlib.sha1(password.encode("utf-8")).digest()
    return "*" + hashlib.sha1(inner).hexdigest().upper()


@dataclass(frozen=True)
class Account:
    plugin: str  # how MariaDB checks the password (we want mysql_native_password)
    hash: str  # the stored hash: never the password itself


class AccountFact(FactBase[Account | None]):
    """The authentication of ``user``@``hostname`` as MariaDB stores it; None: no account.

    Read as root over the socket; only the plugin and the stored hash come back.
    """

    def requires_command(self, user: str = "", hostname: str = "localhost") -> str:
        return "mariadb"

    def command(self, user: str = "", hostname: str = "localhost") -> str:
        return f"mariadb -N -B -e {shlex.quote(self.statement(user, hostname))}"

    @staticmethod
    def statement(user: str = "", hostname: str = "localhost") -> str:
        return (
            "SELECT plugin, authentication_string FROM mysql.user "
            f"WHERE User = {quote_string(user)} AND Host = {quote_string(hostname)}"
        )

    @staticmethod
    def default() -> Account | None:
        return None

    def process(self, output: Iterable[str]) -> Account | None:
        for line in output:
            plugin, _, stored = line.strip().partition("\t")
            if plugin:
                return Account(plugin, stored.strip())
        return None


def account_sql(user: str, hostname: str, password_hash: str) -> str:
    """SQL making ``user``@``hostname`` exist with exactly that native password hash."""
    account = f"{quote_identifier(user)}@{quote_identifier(hostname)}"
    hashed = quote_string(password_hash)
    return (
        f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY PASSWORD {hashed};\n"
        f"ALTER USER {account} IDENTIFIED BY PASSWORD {hashed};\n"
    )


@operation()
def database_user(user: str, password: str, hostname: str = "localhost"):
    """``user``@``hostname`` exists and takes ``password`` (a changed secret is applied).

    Nothing runs when MariaDB already stores this password's hash. Otherwise the SQL,
    holding the hash only, is uploaded to a root-only file (pyinfra sends a StringIO over
    SFTP: no command line carries it), fed to ``mariadb`` on stdin and removed. With sudo,
    pyinfra stages an upload in /tmp as the SSH user for a moment: one more reason the
    file holds the hash and never the password.
    """
    wanted = native_password_hash(password)
    account = host.get_fact(AccountFact, user=user, hostname=hostname)
    if account is not None and account.plugin == NATIVE and account.hash == wanted:
        host.noop(f"{user}@{hostname} already has its password")
        return
    sql_file = f"/root/.upkeep-account-{hashlib.sha1(user.encode()).hexdigest()[:12]}.sql"
    yield FileUploadCommand(StringIO(account_sql(user, hostname, wanted)), sql_file)
    path = shlex.quote(sql_file)
    # The file goes whether or not MariaDB took it; the exit status is MariaDB's.
    yield f'chmod 600 {path} && mariadb < {path}; status=$?; rm -f {path}; exit "$status"'
