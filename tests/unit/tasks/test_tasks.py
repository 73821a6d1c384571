"""What the tasks render and decide beyond single operations; the release script run for real.

Their operations and facts are tested as data (facts in, commands out) in test_cases.py.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from tasks.facts import ReleaseInfo, ReleaseState
from tasks.nginx import vhost_text
from tasks.php import apt_pin_path, php_package_specs
from tasks.release import previous_release, release_script
from upkeep.desired import SiteState

# The facts and operations themselves are data cases: cases/ and test_cases.py.


def test_release_info_knows_each_releases_commit() -> None:
    a, b, c = "20260101000000", "20260102000000", "20260103000000"
    c1, c2 = "1" * 40, "2" * 40
    info = ReleaseState().process(
        [f"current=releases/{b}", f"release={a} {c1}", f"release={b} {c2}", f"release={c}"]
    )
    assert info.commit_of(a) == c1 and info.commit_of(c) is None


def test_previous_release_skips_bad_ones() -> None:
    info = ReleaseInfo("c", "x", ("a", "b", "c"), bad=("b",))
    assert previous_release(info) == "a"
    assert previous_release(ReleaseInfo("a", "x", ("a",))) is None


def test_every_php_package_is_pinned_to_the_build() -> None:
    site = SiteState.example(php_extensions=("mysql", "intl", "ctype", "json"))
    specs = php_package_specs(site)
    assert all(spec.endswith("=8.2.32-1~deb12u1") for spec in specs)
    names = [spec.split("=")[0] for spec in specs]
    assert "php8.2-mysql" in names and "php8.2-intl" in names and "php8.2-fpm" in names
    assert "php8.2-ctype" not in names  # built into php8.2-common


def test_vhost_uses_realpath_root_and_intercepts_5xx_only() -> None:
    text = vhost_text(SiteState.example())
    assert "$realpath_root$fastcgi_script_name" in text
    assert "fastcgi_intercept_errors on;" in text
    pages = [line.split()[1] for line in text.splitlines() if line.strip().startswith("error_page")]
    assert pages == ["500", "502", "503", "504"]
    assert "listen 443 ssl" in text and "return 301 https://" in text
    assert "location ^~ /uploads/" in text


def test_vhost_without_tls_listens_on_http_only() -> None:
    text = vhost_text(SiteState.example(tls="none"))
    assert "listen 443" not in text and "listen 80;" in text


def test_a_site_on_a_published_port_passes_the_port_in_http_host() -> None:
    # Debian's fastcgi_params send $host (no port): WordPress then redirects
    # http://localhost:8080/ to itself, forever.
    php = "location ~ \\.php$ {"
    published = vhost_text(replace(SiteState.example(tls="none"), public_port=8080))
    assert "fastcgi_param HTTP_HOST $host:8080;" in published.split(php, 1)[1]
    assert "HTTP_HOST" not in vhost_text(SiteState.example(tls="none"))


# -- the release script itself, run for real by bash in a temporary directory ----
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="runuser and chown need root")


def _archive(tmp_path: Path, files: dict[str, str]) -> Path:
    source = tmp_path / "src"
    for name, text in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    archive = tmp_path / "code.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname=".")
    return archive


def _release(tmp_path: Path, release_id: str, commit: str, commands: tuple[str, ...] = ()) -> int:
    release_id, commit = f"{release_id}000000", commit.encode().hex().ljust(40, "0")  # valid ids
    archive = _archive(tmp_path, {"public/index.php": commit, "public/uploads/seed.txt": "seed"})
    script = release_script(
        base_dir=str(tmp_path / "site"),
        user="root",
        release_id=release_id,
        commit=commit,
        archive=str(archive),
        shared_paths=("public/uploads",),
        keep=2,
        commands=commands,
    )
    return subprocess.run(["bash", "-c", script], capture_output=True).returncode


@needs_root
def test_release_script_switches_current_links_shared_and_prunes(tmp_path: Path) -> None:
    base = tmp_path / "site"
    for number in range(1, 4):
        assert _release(tmp_path, f"2026010{number}", f"commit{number}") == 0
    assert os.readlink(base / "current") == "releases/20260103000000"
    assert (base / "current" / "REVISION").read_text().strip() == b"commit3".hex().ljust(40, "0")
    uploads = base / "current" / "public" / "uploads"
    assert uploads.is_symlink() and (uploads / "seed.txt").read_text() == "seed"
    assert sorted(p.name for p in (base / "releases").iterdir()) == [
        "20260102000000",
        "20260103000000",
    ]
    assert len((base / ".dep" / "releases.log").read_text().splitlines()) == 3


@needs_root
def test_failed_release_command_marks_bad_and_leaves_current(tmp_path: Path) -> None:
    base = tmp_path / "site"
    assert _release(tmp_path, "20260101", "good") == 0
    assert _release(tmp_path, "20260102", "broken", commands=("exit 3",)) != 0
    assert os.readlink(base / "current") == "releases/20260101000000"
    assert (base / "releases" / "20260102000000" / "BAD_RELEASE").exists()
    broken = b"broken".hex().ljust(40, "0")
    assert f"20260102000000 {broken} bad" in (base / ".dep" / "releases.log").read_text()


def test_the_apt_pin_file_has_a_name_apt_reads() -> None:
    # apt_preferences(5): no extension, or ".pref"; "upkeep-php8.2" has the extension ".2".
    name = apt_pin_path(SiteState.example()).rsplit("/", 1)[-1]
    assert name.endswith(".pref") or "." not in name
