"""The window's package scripts talk to one debconf frontend, not one each.

The script runs in a real bash with Debian's real debconf (its frontend and the
confmodule ucf sources; its database in a temporary directory). ``apt-get`` is
a stand-in that behaves as apt does where it matters here: its simulation
(``-s``) lists what it would install, it closes the descriptors it was not
told to keep (``APT::Keep-Fds``) before the package scripts run, and each
script runs a ``ucf`` that sources the confmodule as Debian's does. debconf's own debug log counts the
frontends started. The .debs of what apt brings along are real ones (``dpkg-deb
--build``), in an archives directory of the test's own (``apt-config``'s answer).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tasks.debconf import under_one_frontend

APT = "apt-get install -y -q --no-download 'php8.2-fpm=8.2.36-1~deb12u1' 'php8.2-cli=8.2.36-1~deb12u1'"
NAMED = ["php8.2-cli", "php8.2-fpm"]
ONLY_NAMED = "Inst php8.2-cli [8.2.32-1~deb12u1] (8.2.36-1~deb12u1 Debian-Security:12/stable-security [amd64])\nInst php8.2-fpm [8.2.32-1~deb12u1] (8.2.36-1~deb12u1 Debian-Security:12/stable-security [amd64])"
WITH_ANOTHER = f"{ONLY_NAMED}\nInst libssl3 [3.0.17-1~deb12u2] (3.0.18-1~deb12u1 Debian-Security:12/stable-security [amd64])"
WITH_A_NEW_ONE = f"{ONLY_NAMED}\nInst php-common (2:93 Debian:12.12/stable [all])"
LIBSSL3_DEB = "libssl3_3.0.18-1~deb12u1_amd64.deb"
PHP_COMMON_DEB = "php-common_2%3a93_all.deb"  # apt's name for it: the epoch's colon escaped

STAND_IN_APT = """#!/bin/bash
case " $* " in *" -s "*) printf '%s\\n' "$SIMULATED"; exit 0 ;; esac
case " $* " in *" --download-only "*) echo download-only >> "$SCRIPTS_LOG"; exit 0 ;; esac
# apt closes every descriptor above 2 it was not told to keep before dpkg runs the scripts
case " $* " in *" APT::Keep-Fds::=3 "*) ;; *) exec 3>&- ;; esac
for ini in calendar.ini ctype.ini; do ucf "$ini"; done  # a postinst, once a module
exit "${APT_EXIT:-0}"
"""
STAND_IN_UCF = """#!/bin/sh
. /usr/share/debconf/confmodule
db_version >/dev/null
echo "$1 ${DEBIAN_HAS_FRONTEND:-}" >> "$SCRIPTS_LOG"
"""


def downloaded(tmp_path: Path, name: str, *, templates: bool) -> None:
    """A real .deb in the test's archives directory, with debconf templates or without."""
    package = tmp_path / "build" / name
    (package / "DEBIAN").mkdir(parents=True)
    (package / "DEBIAN" / "control").write_text(
        f"Package: {name.partition('_')[0]}\nVersion: 1\nArchitecture: all\n"
        "Maintainer: upkeep <upkeep@example.org>\nDescription: a stand-in\n"
    )
    if templates:
        (package / "DEBIAN" / "templates").write_text(
            "Template: stand-in/question\nType: boolean\nDescription: asked?\n"
        )
    archives = tmp_path / "archives"
    archives.mkdir(exist_ok=True)
    subprocess.run(
        ["dpkg-deb", "--build", "--root-owner-group", str(package), str(archives / name)],
        check=True,
        capture_output=True,
    )


def install(tmp_path: Path, simulated: str, apt_exit: int = 0) -> tuple[int, int, list[str]]:
    """The script's exit code, the debconf frontends started, and what each package script saw."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in_apt_config = f"#!/bin/sh\necho \"archives='{tmp_path / 'archives'}/'\"\n"
    for name, text in (
        ("apt-get", STAND_IN_APT),
        ("ucf", STAND_IN_UCF),
        ("apt-config", stand_in_apt_config),
    ):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    db = tmp_path / "debconf"
    db.mkdir()
    (db / "debconf.conf").write_text(
        "Config: configdb\nTemplates: templatedb\n\n"
        f"Name: configdb\nDriver: File\nFilename: {db}/config.dat\n\n"
        f"Name: templatedb\nDriver: File\nFilename: {db}/templates.dat\n"
    )
    scripts_log = tmp_path / "scripts.log"
    done = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; {under_one_frontend(APT, NAMED)}"],
        env={
            "PATH": f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin",
            "DEBIAN_FRONTEND": "noninteractive",
            "DEBCONF_SYSTEMRC": str(db / "debconf.conf"),
            "DEBCONF_DEBUG": "developer",
            "SIMULATED": simulated,
            "APT_EXIT": str(apt_exit),
            "SCRIPTS_LOG": str(scripts_log),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    seen = scripts_log.read_text().splitlines() if scripts_log.exists() else []
    return done.returncode, done.stderr.count("frontend started"), seen


def test_the_package_scripts_share_one_frontend(tmp_path: Path) -> None:
    code, frontends, seen = install(tmp_path, ONLY_NAMED)
    assert (code, frontends) == (0, 1)
    assert seen == ["calendar.ini 1", "ctype.ini 1"]  # each found the frontend running


@pytest.mark.parametrize(
    ("debs", "frontends"),
    [
        pytest.param({LIBSSL3_DEB: False, PHP_COMMON_DEB: False}, 1, id="none-templated"),
        pytest.param({LIBSSL3_DEB: False, PHP_COMMON_DEB: True}, 2, id="one-templated"),
        pytest.param({PHP_COMMON_DEB: False}, 2, id="one-not-found"),
    ],
)
def test_what_apt_brings_along_shares_it_unless_a_deb_has_templates_or_is_not_found(
    tmp_path: Path, debs: dict[str, bool], frontends: int
) -> None:
    for name, templates in debs.items():
        downloaded(tmp_path, name, templates=templates)
    code, started, seen = install(tmp_path, f"{WITH_ANOTHER}\n{WITH_A_NEW_ONE}")
    assert (code, started) == (0, frontends)  # 2: a frontend each, as before
    assert seen == ["download-only", "calendar.ini 1", "ctype.ini 1"]


def test_apt_failing_under_the_frontend_fails_the_script(tmp_path: Path) -> None:
    code, frontends, _ = install(tmp_path, ONLY_NAMED, apt_exit=100)
    assert code != 0 and frontends == 1
