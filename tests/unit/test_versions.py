"""PHP builds: parsing, ordering, lines and the minor/major distinction."""

from __future__ import annotations

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
