"""Drift rules, without servers: desired vs observed, and environments vs production."""

from __future__ import annotations

from upkeep.drift.compare import (
    Expected,
    Observed,
    compare_environments,
    compare_host,
    sha256_text,
)

BUILD = "8.2.32-1~deb12u1"
PACKAGES = {
    "php8.2-fpm": BUILD,
    "php8.2-cli": BUILD,
    "nginx": "1.22.1-9",
    "mariadb-server": "1:10.11.6",
}


def expected(**changes: object) -> Expected:
    values: dict[str, object] = dict(
        environment="staging",
        php_line="8.2",
        php_build=BUILD,
        php_packages=("php8.2-cli", "php8.2-fpm"),
        files={"/etc/php/8.2/fpm/conf.d/90-upkeep.ini": sha256_text("memory_limit = 256M\n")},
        commit="a" * 40,
        file_copies={"/etc/php/8.2/fpm/php.ini": "/usr/lib/php/8.2/php.ini-production"},
    )
    values.update(changes)
    return Expected(**values)  # type: ignore[arg-type]


def observed(**changes: object) -> Observed:
    values: dict[str, object] = dict(
        environment="staging",
        host="web1",
        packages=dict(PACKAGES),
        checksums={
            "/etc/php/8.2/fpm/conf.d/90-upkeep.ini": sha256_text("memory_limit = 256M\n"),
            "/etc/php/8.2/fpm/php.ini": "p1",
            "/usr/lib/php/8.2/php.ini-production": "p1",
        },
        commit="a" * 40,
        effective_ini={"memory_limit": "256M"},
    )
    values.update(changes)
    return Observed(**values)  # type: ignore[arg-type]


def test_a_host_as_desired_has_no_drift() -> None:
    assert compare_host(expected(), observed()) == []


def test_a_php_package_moved_by_hand_is_drift() -> None:
    moved = observed(packages={**PACKAGES, "php8.2-cli": "8.2.36-1~deb12u1"})
    (item,) = compare_host(expected(), moved)
    assert (item.aspect, item.expected, item.actual) == (
        "package php8.2-cli",
        BUILD,
        "8.2.36-1~deb12u1",
    )


def test_an_extension_installed_by_hand_is_drift() -> None:
    extra = observed(packages={**PACKAGES, "php8.2-gd": BUILD})
    assert [i.aspect for i in compare_host(expected(), extra)] == ["package php8.2-gd"]


def test_the_php_line_is_the_sites_not_read_back_from_the_build() -> None:
    # A build with an epoch ("1:8.2.32-...") names its line only after the colon.
    build = f"1:{BUILD}"
    packages = {"php8.2-fpm": build, "php8.2-cli": build, "php8.2-gd": build}
    items = compare_host(expected(php_build=build), observed(packages=packages))
    assert [i.aspect for i in items] == ["package php8.2-gd"]


def test_hand_edits_of_rendered_files_and_php_ini_are_drift() -> None:
    edited = observed(
        checksums={
            "/etc/php/8.2/fpm/conf.d/90-upkeep.ini": "changed",
            "/etc/php/8.2/fpm/php.ini": "changed",
            "/usr/lib/php/8.2/php.ini-production": "p1",
        }
    )
    items = compare_host(expected(), edited)
    assert [(i.aspect, i.actual) for i in items] == [
        ("file /etc/php/8.2/fpm/conf.d/90-upkeep.ini", "edited"),
        ("file /etc/php/8.2/fpm/php.ini", "edited"),
    ]


def test_another_release_is_drift() -> None:
    (item,) = compare_host(expected(), observed(commit="b" * 40))
    assert item.aspect == "release"


def test_environments_equal_to_production_have_no_drift() -> None:
    prod = observed(environment="production", host="web2")
    assert compare_environments([observed(), prod], "8.2") == []


def test_environments_differing_from_production_are_drift() -> None:
    prod = observed(environment="production", host="web2")
    dev = observed(
        environment="dev",
        host="web0",
        packages={**PACKAGES, "php8.2-fpm": "8.2.36-1~deb12u1", "nginx": "1.22.1-10"},
        effective_ini={"memory_limit": "512M"},
    )
    aspects = {i.aspect: (i.expected, i.actual) for i in compare_environments([dev, prod], "8.2")}
    assert aspects == {
        "php build": (BUILD, "8.2.36-1~deb12u1"),
        "package nginx": ("1.22.1-9", "1.22.1-10"),
        "php.ini memory_limit": ("'256M'", "'512M'"),
    }


def test_domains_and_credentials_are_not_compared_across_environments() -> None:
    # Rendered files differ per environment (domain, site id); only each one's own
    # desired rendering is compared, never one environment's file with another's.
    prod = observed(environment="production", host="web2", checksums={"/etc/x": "other"})
    assert compare_environments([observed(), prod], "8.2") == []
