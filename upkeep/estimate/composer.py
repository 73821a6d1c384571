"""Composer: what composer.json and composer.lock say about the target PHP line.

Four checks, all with Composer's own constraint semantics:

- ``require.php`` must allow the target line;
- ``config.platform.php`` (the PHP version Composer pretends to run on) must be
  on the target line, or dependencies get resolved for the old one;
- ``ext-*`` requirements must not name an extension the target line no longer
  ships;
- every locked package's own ``php`` requirement must allow the target line
  (else ``composer install`` refuses, and the package needs an update).

    >>> import json, tempfile
    >>> from upkeep.estimate.catalogue import load_catalogue
    >>> from upkeep.estimate.versions import PhpLine
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "composer.json").write_text(json.dumps({"require": {"php": "^7.2"}}))
    >>> report = check_composer(root, PhpLine(7, 4), PhpLine(8, 2), load_catalogue())
    >>> [f.kind for f in report.findings]
    ['php-constraint']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from upkeep.estimate.catalogue import Catalogue, Kind, Severity
from upkeep.estimate.composer_constraints import parse_constraint, parse_version
from upkeep.estimate.errors import BadConstraint
from upkeep.estimate.model import ComposerFinding, ComposerReport
from upkeep.estimate.versions import PhpLine, in_range


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _read_json(path: Path) -> tuple[Any, str | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except OSError as error:
        return None, error.strerror or str(error)
    except (ValueError, UnicodeDecodeError) as error:
        return None, f"not valid JSON ({error})"


def _removed_extensions(
    catalogue: Catalogue, from_line: PhpLine, to_line: PhpLine
) -> dict[str, PhpLine]:
    out = {}
    for rule in catalogue.rules:
        if (
            rule.kind is Kind.EXTENSION
            and rule.extension
            and in_range(rule.removed, from_line, to_line)
        ):
            assert rule.removed is not None
            out[rule.extension.lower().replace("-", "_")] = rule.removed
    return out


def _extension_findings(
    requires: dict[str, Any], removed: dict[str, PhpLine], owner: str
) -> list[ComposerFinding]:
    findings = []
    for requirement in sorted(requires):
        if not requirement.lower().startswith("ext-"):
            continue
        extension = requirement[4:].lower().replace("-", "_")
        if extension in removed:
            findings.append(
                ComposerFinding(
                    kind="extension",
                    subject=f"{owner}: {requirement}",
                    severity=Severity.BREAKS,
                    message=f"{owner} requires {requirement}, which PHP {removed[extension]} "
                    "no longer ships",
                    hint="Replace the extension's use (see the code findings) or install it "
                    "from PECL on the servers, then update the requirement.",
                )
            )
    return findings


def check_composer(
    root: Path, from_line: PhpLine, to_line: PhpLine, catalogue: Catalogue
) -> ComposerReport:
    manifest_path = root / "composer.json"
    if not manifest_path.is_file():
        return ComposerReport(False, None, None, 0, ())
    findings: list[ComposerFinding] = []
    manifest, problem = _read_json(manifest_path)
    if problem is not None or not isinstance(manifest, dict):
        findings.append(
            ComposerFinding(
                "unreadable",
                "composer.json",
                Severity.BREAKS,
                f"composer.json could not be read: {problem or 'not a JSON object'}",
                "Fix composer.json before anything else; Composer cannot run without it.",
            )
        )
        return ComposerReport(True, None, None, 0, tuple(findings))
    require = _mapping(manifest.get("require"))
    php = require.get("php") if isinstance(require.get("php"), str) else None
    if php is not None:
        findings.extend(_php_requirement("composer.json", php, to_line, own=True))
    platform = _mapping(_mapping(manifest.get("config")).get("platform"))
    platform_php = platform.get("php") if isinstance(platform.get("php"), str) else None
    if platform_php is not None:
        findings.extend(_platform(platform_php, to_line))
    removed = _removed_extensions(catalogue, from_line, to_line)
    for section in ("require", "require-dev"):
        requires = manifest.get(section)
        if isinstance(requires, dict):
            findings.extend(_extension_findings(requires, removed, "composer.json"))
    locked = 0
    lock_path = root / "composer.lock"
    if lock_path.is_file():
        lock, problem = _read_json(lock_path)
        if problem is not None or not isinstance(lock, dict):
            findings.append(
                ComposerFinding(
                    "unreadable",
                    "composer.lock",
                    Severity.BREAKS,
                    f"composer.lock could not be read: {problem or 'not a JSON object'}",
                    "Regenerate it with composer update on the target PHP.",
                )
            )
        else:
            packages = [
                package
                for section in ("packages", "packages-dev")
                for package in (lock.get(section) or [])
                if isinstance(package, dict)
            ]
            locked = len(packages)
            for package in sorted(packages, key=lambda p: str(p.get("name", ""))):
                findings.extend(_locked_package(package, to_line, removed))
    return ComposerReport(True, php, platform_php, locked, tuple(findings))


def _php_requirement(
    owner: str, constraint: str, to_line: PhpLine, *, own: bool
) -> list[ComposerFinding]:
    kind = "php-constraint" if own else "locked-package"
    try:
        allowed = parse_constraint(constraint).allows_line(to_line.major, to_line.minor)
    except BadConstraint as error:
        return [
            ComposerFinding(
                kind,
                owner,
                Severity.BREAKS,
                f"{owner}: the php constraint {constraint!r} cannot be parsed ({error})",
                "Write it in Composer's syntax, e.g. ^8.2.",
            )
        ]
    if allowed:
        return []
    if own:
        return [
            ComposerFinding(
                kind,
                owner,
                Severity.BREAKS,
                f"composer.json requires php {constraint!r}, which excludes PHP {to_line}",
                f"Change the requirement to allow {to_line} (e.g. ^{to_line}) once the code "
                "findings are fixed.",
            )
        ]
    return [
        ComposerFinding(
            kind,
            owner,
            Severity.BREAKS,
            f"{owner} requires php {constraint!r}, which excludes PHP {to_line}",
            "Update the package to a release that supports the target PHP (read its "
            "changelog for breaking changes).",
        )
    ]


def _platform(platform_php: str, to_line: PhpLine) -> list[ComposerFinding]:
    try:
        numbers = parse_version(platform_php).numbers
    except BadConstraint:
        numbers = (-1, -1, 0, 0)
    if (numbers[0], numbers[1]) == (to_line.major, to_line.minor):
        return []
    return [
        ComposerFinding(
            "platform-php",
            "composer.json config.platform.php",
            Severity.BREAKS,
            f"config.platform.php is {platform_php!r}: Composer resolves dependencies as if "
            f"PHP were that version, not {to_line}",
            f"Set config.platform.php to the target's exact version ({to_line}.x) and run "
            "composer update.",
        )
    ]


def _locked_package(
    package: dict[str, Any], to_line: PhpLine, removed: dict[str, PhpLine]
) -> list[ComposerFinding]:
    name = str(package.get("name", "?"))
    owner = f"{name} {package.get('version', '?')}"
    require = _mapping(package.get("require"))
    findings = []
    php = require.get("php")
    if isinstance(php, str):
        findings.extend(_php_requirement(owner, php, to_line, own=False))
    findings.extend(_extension_findings(require, removed, owner))
    return findings
