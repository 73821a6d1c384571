"""The catalogue: loads, is consistent, and covers every step from 5.6 to 8.4."""

from __future__ import annotations

from pathlib import Path

import pytest

from upkeep.estimate.catalogue import (
    CATALOGUE_DIR,
    DETECTORS,
    Kind,
    Severity,
    load_catalogue,
)
from upkeep.estimate.errors import BadVersion, CatalogueError
from upkeep.estimate.versions import ALL_LINES, PhpLine, check_upgrade, steps


def test_every_step_from_5_6_to_8_4_has_rules():
    counts = load_catalogue().counts_per_line()
    for line in ALL_LINES[1:]:
        entry = counts[str(line)]
        assert entry["deprecated"] + entry["removed"] > 0, line


def test_the_catalogue_is_broad():
    catalogue = load_catalogue()
    functions = {
        name
        for rule in catalogue.rules
        if rule.kind in (Kind.FUNCTION, Kind.EXTENSION)
        for name in rule.names
    }
    assert len(catalogue.rules) >= 150
    assert len(functions) >= 400
    for name in (
        "mysql_query",
        "ereg",
        "split",
        "mcrypt_encrypt",
        "each",
        "create_function",
        "money_format",
        "utf8_encode",
        "utf8_decode",
        "get_magic_quotes_gpc",
    ):
        assert name in functions, name
    ini = {n for r in catalogue.rules if r.kind is Kind.INI for n in r.names}
    assert {"track_errors", "mbstring.func_overload", "asp_tags"} <= ini


def test_every_detector_is_used_by_a_rule():
    used = {rule.detector for rule in load_catalogue().rules if rule.kind is Kind.SYNTAX}
    assert used == DETECTORS


def test_rules_carry_what_the_estimate_needs():
    for rule in load_catalogue().rules:
        assert rule.hint and rule.message and rule.manual.startswith("migration"), rule.id
        assert rule.deprecated is not None or rule.removed is not None


def test_severity_is_breaks_when_removed_in_range_else_deprecated():
    rule = load_catalogue().rule("syntax.curly-offset")  # deprecated 7.4, removed 8.0
    assert rule.severity(PhpLine(7, 3), PhpLine(7, 4)) is Severity.DEPRECATED
    assert rule.severity(PhpLine(7, 3), PhpLine(8, 0)) is Severity.BREAKS
    assert rule.severity(PhpLine(7, 4), PhpLine(8, 4)) is Severity.BREAKS
    assert rule.severity(PhpLine(8, 0), PhpLine(8, 4)) is None
    assert rule.severity(PhpLine(5, 6), PhpLine(7, 3)) is None


def test_risks_follow_the_range_and_server_configuration_is_always_listed():
    catalogue = load_catalogue()
    ids = {risk.id for risk in catalogue.risks_for(PhpLine(8, 2), PhpLine(8, 4))}
    assert "string-number-comparison" not in ids
    assert "server-configuration" in ids
    ids = {risk.id for risk in catalogue.risks_for(PhpLine(7, 4), PhpLine(8, 2))}
    assert "string-number-comparison" in ids


def test_the_digest_changes_with_the_files(tmp_path: Path):
    for path in CATALOGUE_DIR.glob("*.yml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    before = load_catalogue(tmp_path).digest
    extra = tmp_path / "php84.yml"
    extra.write_text(extra.read_text(encoding="utf-8") + "\n# note\n", encoding="utf-8")
    load_catalogue.cache_clear()
    assert load_catalogue(tmp_path).digest != before
    load_catalogue.cache_clear()


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ("{id: x, kind: function, message: m, hint: h, tier: small, names: [a]}", "deprecated"),
        (
            "{id: x, kind: nope, message: m, hint: h, tier: small, removed: '7.0', names: [a]}",
            "nope",
        ),
        (
            "{id: x, kind: syntax, message: m, hint: h, tier: small, removed: '7.0', detector: z}",
            "detector",
        ),
        (
            "{id: x, kind: call, message: m, hint: h, tier: small, removed: '7.0', names: [a]}",
            "when",
        ),
        (
            "{id: x, kind: function, message: m, hint: h, tier: small, removed: '7.1', names: [a]}",
            "7.0",
        ),
        ("{id: x, kind: function, message: m, hint: h, tier: small, removed: '7.0'}", "names"),
        (
            "{id: x, kind: function, message: m, hint: h, tier: huge, removed: '7.0', names: [a]}",
            "huge",
        ),
        (
            "{id: x, kind: function, message: m, hint: h, tier: small, removed: '7.0', "
            "names: [a], typo: 1}",
            "typo",
        ),
    ],
)
def test_bad_rules_are_rejected_with_a_reason(tmp_path: Path, rule: str, complaint: str):
    (tmp_path / "php70.yml").write_text(f'line: "7.0"\nrules:\n  - {rule}\n', encoding="utf-8")
    load_catalogue.cache_clear()
    with pytest.raises(CatalogueError, match=complaint):
        load_catalogue(tmp_path)
    load_catalogue.cache_clear()


def test_php_lines():
    assert PhpLine.parse("8.2") == PhpLine(8, 2)
    assert PhpLine.from_build("8.2.32-1~deb12u1") == PhpLine(8, 2)
    assert PhpLine.from_build("1:7.4.33-1+deb11u5") == PhpLine(7, 4)
    assert [str(s) for s in steps(PhpLine(5, 6), PhpLine(7, 2))] == ["7.0", "7.1", "7.2"]
    for bad in ("8", "8.2.1", "x.y", "9.0", "5.5"):
        with pytest.raises(BadVersion):
            PhpLine.parse(bad)
    with pytest.raises(BadVersion, match="later line"):
        check_upgrade(PhpLine(8, 2), PhpLine(7, 4))
