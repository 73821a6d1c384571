"""Security notes from the real php8.2 changelog Debian ships (a fixture read off a lab host)."""

from __future__ import annotations

from pathlib import Path

from upkeep.update.changelog import between, parse

CHANGELOG = (
    Path(__file__).parents[2] / "fixtures" / "update" / "php8.2-changelog.Debian"
).read_text()


def test_every_entry_is_read_with_its_cves() -> None:
    entries = parse(CHANGELOG)
    assert [e.version for e in entries[:3]] == [
        "8.2.36-1~deb12u1",
        "8.2.35-1~deb12u1",
        "8.2.34-1~deb12u1",
    ]
    newest = entries[0]
    assert newest.distribution == "bookworm-security" and newest.urgency == "high"
    assert "CVE-2026-129289" in newest.cves and len(newest.cves) == len(set(newest.cves))
    # a CVE written across a wrapped line still belongs to its item
    assert any("PATH_INFO correction" in item for item in newest.items)


def test_an_update_brings_the_entries_after_the_pin_up_to_the_offer() -> None:
    entries = parse(CHANGELOG)
    chosen = between(entries, "8.2.32-1~deb12u1", "8.2.36-1~deb12u1")
    assert [e.version for e in chosen] == [
        "8.2.36-1~deb12u1",
        "8.2.35-1~deb12u1",
        "8.2.34-1~deb12u1",
        "8.2.33-1~deb12u1",
    ]
    assert between(entries, "8.2.36-1~deb12u1", "8.2.36-1~deb12u1") == []
