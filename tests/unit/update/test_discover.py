"""Classifying what the hosts offer against the pin."""

from __future__ import annotations

from upkeep.update.discover import Kind, propose


def test_a_newer_build_on_the_line_is_a_minor_update() -> None:
    proposal = propose(
        "8.2.32-1~deb12u1", ["8.2.32-1~deb12u1", "8.2.36-1~deb12u1", "8.2.34-1~deb12u1"]
    )
    assert (proposal.kind, proposal.offered, proposal.available) == (
        Kind.MINOR,
        "8.2.36-1~deb12u1",
        True,
    )
    assert "8.2.32-1~deb12u1 → 8.2.36-1~deb12u1" in proposal.summary()


def test_nothing_newer_means_no_update() -> None:
    proposal = propose("8.2.36-1~deb12u1", ["8.2.32-1~deb12u1", "8.2.36-1~deb12u1"])
    assert (proposal.kind, proposal.offered) == (Kind.NONE, None)


def test_an_older_build_is_never_proposed() -> None:
    assert propose("8.2.36-1~deb12u1", ["8.2.32-1~deb12u1"]).kind is Kind.NONE


def test_a_newer_line_points_to_the_estimate_not_an_update() -> None:
    proposal = propose("8.2.36-1~deb12u1", ["8.2.36-1~deb12u1"], other_lines=["8.4", "7.4", "8.3"])
    assert proposal.kind is Kind.NONE
    assert proposal.newer_lines == ("8.3", "8.4")
    assert "upkeep estimate" in proposal.summary()


def test_builds_of_another_naming_are_skipped() -> None:
    assert propose("8.2.32-1~deb12u1", ["8.2.40+sury1", "garbage"]).kind is Kind.NONE
