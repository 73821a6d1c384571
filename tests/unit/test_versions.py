"""PHP builds: parsing, ordering, lines and the minor/major distinction."""

from __future__ import annotations

import subprocess

import pytest

from upkeep.versions import InvalidBuild, PhpBuild, newest


def b(text: str) -> PhpBuild:
    return PhpBuild.parse(text)


def test_parses_debian_builds() -> None:
    build = b("8.2.32-1~deb12u1")
    assert (build.line, str(build.upstream), build.revision) == ("8.2", "8.2.32", "1~deb12u1")
    assert b("7.4.33-1+deb11u5").line == "7.4"


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("8.2.32-1~deb12u1", "8.2.36-1~deb12u1"),
        ("8.2.9-1~deb12u1", "8.2.10-1~deb12u1"),  # numeric, not lexical
        ("8.2.36-1~deb12u1", "8.2.36-1"),  # '~' sorts before the end
        ("8.2.36-1", "8.2.36-1+deb12u1"),
        ("8.2.36-1~deb12u1", "8.2.36-1~deb12u2"),
        ("7.4.33-1", "8.2.7-1"),
    ],
)
def test_orders_builds_like_apt(older: str, newer: str) -> None:
    assert b(older) < b(newer)
    assert not b(newer) < b(older)


def test_minor_update_is_newer_on_the_same_line_only() -> None:
    pinned = b("8.2.32-1~deb12u1")
    assert pinned.is_minor_update_to(b("8.2.36-1~deb12u1"))
    assert not pinned.is_minor_update_to(b("8.3.1-1"))
    assert not pinned.is_minor_update_to(b("8.2.30-1"))
    assert not pinned.is_minor_update_to(pinned)


def test_newest_on_a_line() -> None:
    builds = [b("8.2.32-1~deb12u1"), b("8.2.36-1~deb12u1"), b("8.4.1-1")]
    assert newest(builds, "8.2") == b("8.2.36-1~deb12u1")
    assert newest(builds, "7.4") is None


@pytest.mark.parametrize("text", ["", "8.2", "latest", "8.2.32 -1", "8.2.32-1;rm -rf /"])
def test_rejects_what_is_not_a_build(text: str) -> None:
    with pytest.raises(InvalidBuild):
        b(text)


# Pairs where a hand-written ordering goes wrong: epochs, '~' before everything
# (even the end of the string), '+' and '.', letters before other symbols,
# numbers compared as numbers, and texts dpkg calls equal.
DPKG_PAIRS = [
    ("1:8.2.1-1", "8.2.30-1"),
    ("8.2.30-1", "1:8.2.1-1"),
    ("0:8.2.30-1", "8.2.30-1"),
    ("1:7.4.33-1", "2:7.4.1-1"),
    ("8.2.36-1~rc1", "8.2.36-1~rc2"),
    ("8.2.36-1~deb12u1", "8.2.36-1"),
    ("8.2.36-1~deb12u1", "8.2.36-1+deb12u1"),
    ("8.2.36-1", "8.2.36-1+deb12u1"),
    ("8.2.36-1~~", "8.2.36-1~"),
    ("8.2.36-1~", "8.2.36-1"),
    ("8.2.36-1+b1", "8.2.36-1.1"),
    ("8.2.36-1a", "8.2.36-1+"),
    ("8.2.36-1~deb12u1", "8.2.36-1~deb12u1+b1"),
    ("8.2.36-9", "8.2.36-10"),
    ("8.2.9-1", "8.2.10-1"),
    ("8.2.036-1", "8.2.36-1"),
    ("8.2.36", "8.2.36-0"),
    ("7.4.33-1+deb11u5", "7.4.33-1+deb11u10"),
    ("8.3.14-1+0~20241122.56+debian12~1.gbpd08bd9", "8.3.14-1+deb12u1"),
    ("8.3.14-1+0~20241122.56+debian12~1.gbpd08bd9", "8.3.14-1+0~20241122.56+debian12~1"),
]


def dpkg_relation(a: str, b: str) -> str:
    """'<', '=' or '>' as dpkg itself answers it: the truth these tests compare against."""
    for relation, operator in (("<", "lt"), ("=", "eq")):
        if (
            subprocess.run(["dpkg", "--compare-versions", a, operator, b], check=False).returncode
            == 0
        ):
            return relation
    return ">"


def our_relation(a: str, b: str) -> str:
    """'<', '=' or '>' as PhpBuild orders the two."""
    left, right = PhpBuild.parse(a), PhpBuild.parse(b)
    return "<" if left < right else ">" if left > right else "="


@pytest.mark.parametrize(("a", "b"), DPKG_PAIRS)
def test_orders_builds_exactly_as_dpkg_does(a: str, b: str) -> None:
    assert our_relation(a, b) == dpkg_relation(a, b), f"{a} vs {b}"
    if dpkg_relation(a, b) == "=":  # equal builds must also be one key in a set or dict
        assert PhpBuild.parse(a) == PhpBuild.parse(b)
        assert hash(PhpBuild.parse(a)) == hash(PhpBuild.parse(b))


def test_the_epoch_keeps_the_line_and_wins_newest() -> None:
    builds = [b("8.2.30-1"), b("1:8.2.1-1"), b("1:8.3.0-1")]
    assert b("1:8.2.1-1").line == "8.2"
    assert b("1:8.2.1-1").epoch == 1 and str(b("1:8.2.1-1").upstream) == "8.2.1"
    assert newest(builds, "8.2") == b("1:8.2.1-1")
    assert b("8.2.30-1").is_minor_update_to(b("1:8.2.1-1"))
