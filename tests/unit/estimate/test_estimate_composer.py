"""Composer: the php requirement, config.platform.php, ext-* and locked packages."""

from __future__ import annotations

import json
from pathlib import Path

from upkeep.estimate.catalogue import load_catalogue
from upkeep.estimate.composer import check_composer
from upkeep.estimate.versions import PhpLine


def write(root: Path, manifest: dict, lock: dict | None = None) -> None:
    (root / "composer.json").write_text(json.dumps(manifest), encoding="utf-8")
    if lock is not None:
        (root / "composer.lock").write_text(json.dumps(lock), encoding="utf-8")


def check(root: Path, start: str = "7.4", end: str = "8.2"):
    return check_composer(root, PhpLine.parse(start), PhpLine.parse(end), load_catalogue())


def test_no_composer_json_is_not_a_problem(tmp_path: Path):
    report = check(tmp_path)
    assert not report.present and report.findings == ()


def test_php_constraint_that_excludes_the_target(tmp_path: Path):
    write(tmp_path, {"require": {"php": "^7.2"}})
    (finding,) = check(tmp_path).findings
    assert finding.kind == "php-constraint"
    assert "excludes PHP 8.2" in finding.message


def test_php_constraint_that_allows_the_target(tmp_path: Path):
    write(tmp_path, {"require": {"php": ">=7.2 <8.3 || ^8.3"}})
    assert check(tmp_path).findings == ()


def test_unparseable_php_constraint_is_reported(tmp_path: Path):
    write(tmp_path, {"require": {"php": "~>7.2"}})
    (finding,) = check(tmp_path).findings
    assert "cannot be parsed" in finding.message


def test_platform_php_must_be_on_the_target_line(tmp_path: Path):
    write(tmp_path, {"require": {"php": ">=7.4"}, "config": {"platform": {"php": "7.4.33"}}})
    (finding,) = check(tmp_path).findings
    assert finding.kind == "platform-php"
    write(tmp_path, {"require": {"php": ">=7.4"}, "config": {"platform": {"php": "8.2.10"}}})
    assert check(tmp_path).findings == ()


def test_extensions_the_target_no_longer_ships(tmp_path: Path):
    write(
        tmp_path,
        {
            "require": {"php": ">=5.6", "ext-mcrypt": "*", "ext-mbstring": "*"},
            "require-dev": {"ext-xmlrpc": "*"},
        },
    )
    found = check(tmp_path, start="5.6", end="8.0").findings
    assert [(f.kind, f.subject) for f in found] == [
        ("extension", "composer.json: ext-mcrypt"),
        ("extension", "composer.json: ext-xmlrpc"),
    ]
    # removed before the current line: nothing changes in the range
    assert (
        check(tmp_path, start="7.4", end="8.4").findings[0].subject == "composer.json: ext-xmlrpc"
    )


def test_locked_packages_whose_php_requirement_excludes_the_target(tmp_path: Path):
    lock = {
        "packages": [
            {"name": "old/lib", "version": "1.0.0", "require": {"php": ">=5.3 <8.0"}},
            {"name": "good/lib", "version": "2.0.0", "require": {"php": "^7.4 || ^8.0"}},
            {"name": "nophp/lib", "version": "3.0.0", "require": {}},
        ],
        "packages-dev": [
            {"name": "dev/tool", "version": "0.1.0", "require": {"php": "~7.1"}},
        ],
    }
    write(tmp_path, {"require": {"php": ">=7.4"}}, lock)
    report = check(tmp_path)
    assert report.locked_packages == 4
    assert [f.subject for f in report.findings] == ["dev/tool 0.1.0", "old/lib 1.0.0"]
    assert all(f.kind == "locked-package" for f in report.findings)


def test_broken_json_is_a_finding_not_a_crash(tmp_path: Path):
    (tmp_path / "composer.json").write_text("{not json", encoding="utf-8")
    (finding,) = check(tmp_path).findings
    assert finding.kind == "unreadable"
