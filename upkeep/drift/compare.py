"""Drift: how each environment differs from its desired state, and from production.

Observation (facts read over SSH) and comparison (pure) are apart, so the rules
are unit-tested without a server. What is meant to differ between environments
— domain, TLS, credentials — is never compared across them: each rendered file
is compared with what upkeep would render for that environment.

    >>> expected = Expected("staging", "8.2", "8.2.32-1~deb12u1", ("php8.2-fpm",), {}, "abc")
    >>> observed = Observed("staging", "web1", {"php8.2-fpm": "8.2.36-1~deb12u1"}, {}, "abc", {})
    >>> [item.aspect for item in compare_host(expected, observed)]
    ['package php8.2-fpm']
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

STACK_PACKAGES = ("nginx", "mariadb-server", "openssl")
REFERENCE = "production"


@dataclass(frozen=True)
class Expected:
    """What one environment must look like (from the inventory and its pins)."""

    environment: str
    php_line: str
    php_build: str
    php_packages: tuple[str, ...]
    files: Mapping[str, str]  # remote path -> sha256 of what upkeep renders
    commit: str | None
    file_copies: Mapping[str, str] = field(default_factory=dict)  # dest -> reference path on host


@dataclass(frozen=True)
class Observed:
    """What one host of an environment looks like now."""

    environment: str
    host: str
    packages: Mapping[str, str]  # installed package -> version
    checksums: Mapping[str, str | None]  # remote path -> sha256, None if missing
    commit: str | None
    effective_ini: Mapping[str, str]


@dataclass(frozen=True)
class DriftItem:
    environment: str
    host: str
    aspect: str
    expected: str
    actual: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def php_line_packages(packages: Mapping[str, str], line: str) -> dict[str, str]:
    prefix = f"php{line}-"
    return {name: version for name, version in packages.items() if name.startswith(prefix)}


def compare_host(expected: Expected, observed: Observed) -> list[DriftItem]:
    """Differences between one host and its environment's desired state."""
    items: list[DriftItem] = []

    def drift(aspect: str, want: str, have: str) -> None:
        items.append(DriftItem(observed.environment, observed.host, aspect, want, have))

    for package in expected.php_packages:
        have = observed.packages.get(package)
        if have != expected.php_build:
            drift(f"package {package}", expected.php_build, have or "not installed")
    for package in sorted(
        set(php_line_packages(observed.packages, expected.php_line)) - set(expected.php_packages)
    ):
        drift(
            f"package {package}", "not installed (not in the inventory)", observed.packages[package]
        )
    for path, digest in expected.files.items():
        have = observed.checksums.get(path)
        if have != digest:
            drift(f"file {path}", "as upkeep renders it", "missing" if have is None else "edited")
    for dest, reference in expected.file_copies.items():
        want, have = observed.checksums.get(reference), observed.checksums.get(dest)
        if want is not None and have != want:
            drift(f"file {dest}", f"as {reference}", "missing" if have is None else "edited")
    if expected.commit and observed.commit != expected.commit:
        drift("release", expected.commit[:12], (observed.commit or "none")[:12])
    return items


def compare_environments(
    observed: Sequence[Observed],
    php_line: str,
    deliberate: Mapping[str, Collection[str]] | None = None,
) -> list[DriftItem]:
    """Differences of each environment from production in what must be the same everywhere.

    ``deliberate`` names, per environment, aspects meant to differ from production
    (a developer environment's code and its php.ini for development): not drift there.
    """
    reference = next((o for o in observed if o.environment == REFERENCE), None)
    if reference is None:
        return []
    items: list[DriftItem] = []
    for other in observed:
        if other.environment == REFERENCE:
            continue
        label = f"{other.environment}≠{REFERENCE}"
        meant = frozenset((deliberate or {}).get(other.environment, ()))

        def drift(
            aspect: str,
            want: str,
            have: str,
            other: Observed = other,
            label: str = label,
            meant: frozenset[str] = meant,
        ) -> None:
            if aspect not in meant:
                items.append(DriftItem(label, other.host, aspect, want, have))

        ref_php = php_line_packages(reference.packages, php_line)
        other_php = php_line_packages(other.packages, php_line)
        fpm = f"php{php_line}-fpm"
        if ref_php.get(fpm) != other_php.get(fpm):
            drift("php build", ref_php.get(fpm) or "none", other_php.get(fpm) or "none")
        if set(ref_php) != set(other_php):
            drift("php extensions", _names(ref_php), _names(other_php))
        for package in STACK_PACKAGES:
            want, have = reference.packages.get(package), other.packages.get(package)
            if want != have:
                drift(f"package {package}", want or "not installed", have or "not installed")
        if reference.commit != other.commit:
            drift("release", (reference.commit or "none")[:12], (other.commit or "none")[:12])
        for key in sorted(set(reference.effective_ini) | set(other.effective_ini)):
            want, have = reference.effective_ini.get(key), other.effective_ini.get(key)
            if want != have:
                drift(f"php.ini {key}", _show(want), _show(have))
    return items


def _names(packages: Iterable[str]) -> str:
    return ", ".join(sorted(packages)) or "none"


def _show(value: str | None) -> str:
    return "unset" if value is None else repr(value)


@dataclass(frozen=True)
class DriftReport:
    project: str
    environments: tuple[str, ...]
    items: tuple[DriftItem, ...]
    matrix: Mapping[str, Mapping[str, str]]  # aspect -> environment -> value
    unreachable: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # environments left out, and why (a stopped dev container)

    @property
    def in_sync(self) -> bool:
        return not self.items and not self.unreachable

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "in_sync": self.in_sync,
            "environments": list(self.environments),
            "matrix": {aspect: dict(values) for aspect, values in self.matrix.items()},
            "drift": [item.to_dict() for item in self.items],
            "unreachable": list(self.unreachable),
            "skipped": list(self.skipped),
        }


def matrix_of(observed: Sequence[Observed], php_line: str) -> dict[str, dict[str, str]]:
    """The key facts side by side, one column per environment (first host of each)."""
    firsts: dict[str, Observed] = {}
    for item in observed:
        firsts.setdefault(item.environment, item)
    rows: dict[str, dict[str, str]] = {
        "php build": {},
        "php extensions": {},
        **{f"{p}": {} for p in STACK_PACKAGES},
        "release": {},
    }
    for env, item in firsts.items():
        php = php_line_packages(item.packages, php_line)
        rows["php build"][env] = php.get(f"php{php_line}-fpm", "none")
        rows["php extensions"][env] = str(len(php))
        for package in STACK_PACKAGES:
            rows[package][env] = item.packages.get(package, "none")
        rows["release"][env] = (item.commit or "none")[:10]
    return rows
