"""The site user read narrowly: the same decision and commands as pyinfra's ``server.user``,
from one user's line instead of every user's groups, last login and password."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from pyinfra.facts.server import Users
from pyinfra.operations import server

from tasks.facts import Account, UserAccount
from tasks.operations import system_user
from tests.unit.pyinfra_style import FakeHost, run_operation

WANTED = {"user": "demo", "group": "demo", "home": "/srv/demo", "shell": "/usr/sbin/nologin"}
IN_SYNC = {
    "home": "/srv/demo",
    "shell": "/usr/sbin/nologin",
    "group": "demo",
    "groups": [],
    "comment": None,
    "uid": 999,
    "gid": 999,
    "lastlog": None,
    "login_time": None,
    "password": "!",
}
HOSTS: dict[str, dict[str, Any] | None] = {
    "in sync": IN_SYNC,
    "missing user": None,
    "wrong shell": IN_SYNC | {"shell": "/bin/bash"},
    "wrong home": IN_SYNC | {"home": "/home/demo"},
    "wrong primary group": IN_SYNC | {"group": "users"},
    "no shell, no home": IN_SYNC | {"shell": None, "home": None},
    # What server.user does not look at, neither does the narrow check.
    "other groups, a password": IN_SYNC | {"groups": ["adm"], "password": "x"},
}


def host_with(user: dict[str, Any] | None) -> FakeHost:
    account = user and Account(home=user["home"], shell=user["shell"], group=user["group"])
    return FakeHost(
        {
            "UserAccount": account,
            "Users": {"demo": user} if user else {},
            "Groups": ["demo", "users", "adm"],
            "Os": "Linux",
            "Which": "/usr/sbin/useradd",
        }
    )


@pytest.mark.parametrize("case", HOSTS, ids=list(HOSTS))
def test_system_user_yields_what_server_user_yields(case: str) -> None:
    narrow, whole = host_with(HOSTS[case]), host_with(HOSTS[case])
    commands = run_operation(system_user, narrow, **WANTED)
    expected = run_operation(
        server.user, whole, **WANTED, system=True, create_home=False, ensure_home=False
    )
    assert commands == expected
    assert bool(commands) == (case not in ("in sync", "other groups, a password"))
    # The costly fact only where there is something to change.
    assert ("Users" in {name for name, _ in narrow.asked}) == bool(commands)


def run_locally(command: str) -> list[str]:
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


@pytest.mark.parametrize("user", ["root", "nobody", "no-such-user", "ro.t"])
def test_user_account_reads_a_user_as_pyinfras_users_fact_does(user: str) -> None:
    """Both facts' own commands, run on this machine: ``Users``' entry, cut to what
    ``server.user`` compares, is ``UserAccount``'s (a name is matched whole, not as a pattern)."""
    everyone = Users().process(run_locally(Users().command()))
    entry = everyone.get(user)
    account = UserAccount().process(run_locally(UserAccount().command(user=user)))
    assert account == (entry and Account(entry["home"], entry["shell"], entry["group"]))
