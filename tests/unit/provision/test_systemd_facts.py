"""systemd facts of several units from one ``systemctl show``: each fact's own process()
gives what its own call would (the output below is a lab host's, Debian 12's systemd)."""

from __future__ import annotations

from pyinfra.facts.systemd import SystemdEnabled, SystemdStatus

from upkeep.provision.systemd_facts import SystemdRead, unit_of

SHOWN = [
    "Id=nginx.service",
    "SubState=running",
    "UnitFileState=enabled",
    "",
    "Id=nope.service",
    "SubState=dead",
    "UnitFileState=",
    "",
    "Id=mariadb.service",
    "SubState=running",
    "UnitFileState=disabled",
]


def test_each_fact_reads_its_unit_s_block_as_pyinfra_would() -> None:
    asked = [
        (SystemdStatus, "nginx.service"),
        (SystemdEnabled, "nginx.service"),
        (SystemdStatus, "nope.service"),
        (SystemdEnabled, "mariadb.service"),
        (SystemdStatus, "mariadb.service"),
    ]
    read = SystemdRead([unit for _, unit in asked])
    assert read.command.endswith(" nginx.service nope.service mariadb.service")
    answers = read.split(0, SHOWN)
    assert answers is not None
    got = [cls().process(lines) for (cls, _), (_, lines) in zip(asked, answers, strict=True)]
    assert got == [
        {"nginx.service": True},
        {"nginx.service": True},
        {"nope.service": False},
        {"mariadb.service": False},
        {"mariadb.service": True},
    ]


def test_output_it_cannot_split_sends_the_facts_to_their_own_calls() -> None:
    read = SystemdRead(["nginx.service", "nope.service", "mariadb.service"])
    assert read.split(1, SHOWN) is None  # systemctl failed
    assert read.split(0, SHOWN[:7]) is None  # a unit's block is missing
    assert read.split(0, ["##UPKEEP_NO_COMMAND##"]) is None
    assert read.split(0, [*SHOWN[:4], *SHOWN[8:], "", "Id=x.service"]) is None


def test_only_one_plain_unit_of_the_system_manager_is_read_with_others() -> None:
    assert unit_of(SystemdStatus(), {"services": ["nginx.service"]}) == "nginx.service"
    assert unit_of(SystemdEnabled(), {"services": "php8.2-fpm.service"}) == "php8.2-fpm.service"
    assert unit_of(SystemdStatus(), {"services": None}) is None  # every unit
    assert unit_of(SystemdStatus(), {"services": ["a.service", "b.service"]}) is None
    assert unit_of(SystemdStatus(), {"services": ["php*"]}) is None
    assert unit_of(SystemdStatus(), {"services": ["--all"]}) is None
    assert unit_of(SystemdStatus(), {"services": ["a.service"], "user_mode": True}) is None
