"""No path from the site user to root: what the site user could plant never steers a root script.

Facts in, commands out for the names read from a host; the root scripts
themselves run for real by bash in a temporary directory (the tests run as
root, as the scripts do on a host).
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from pyinfra.api.exceptions import OperationError

from tasks.facts import ReleaseInfo, ReleasesNotRootOwned, ReleaseState
from tasks.release import (
    release_deployed,
    release_rolled_back,
    release_script,
    releases_owned_by_root,
    rollback_script,
)
from tests.unit.pyinfra_style import FakeHost, run_operation
from upkeep.errors import UsageError
from upkeep.provision.rollback import _agreed_previous
from upkeep.refresh.backup import BackupPlan, backup_script, restore_script

OLD, MID, NEW = "20260101000000", "20260102000000", "20260103000000"
SHA_OLD, SHA_MID, SHA_NEW = "a" * 40, "b" * 40, "c" * 40
ODD_NAMES = ("../../etc", "x;id", "x;touch /tmp/pwned", "$(id)", "2026010100000", "202601010000001")


# -- the ReleaseState fact: names read from the host are ours or ignored ---------------


@pytest.mark.parametrize("odd", ODD_NAMES)
def test_odd_release_names_are_ignored(odd: str) -> None:
    lines = [f"release={OLD} {SHA_OLD}", f"release={odd} {SHA_NEW}", f"release={MID} {SHA_MID}"]
    info = ReleaseState().process([f"current=releases/{MID}", *lines, f"bad={odd}"])
    assert info.releases == (OLD, MID) and info.current == MID
    assert info.bad == ()
    assert dict(info.revisions) == {OLD: SHA_OLD, MID: SHA_MID}
    # the name up to its first space, as the fact's line shows it
    assert info.ignored == (f"release {odd.split(' ')[0]!r}",)


@pytest.mark.parametrize(
    "target", ["releases/x;id", "/etc", "releases/../../etc", f"/srv/www/x/releases/{MID}", "."]
)
def test_a_current_pointing_anywhere_but_a_release_is_not_a_current(target: str) -> None:
    info = ReleaseState().process(
        [f"current={target}", f"release={OLD} {SHA_OLD}", f"release={MID} {SHA_MID}"]
    )
    assert info.current is None and info.commit is None
    assert info.ignored == (f"current -> {target!r}",)


def test_a_revision_that_is_not_a_commit_is_not_read() -> None:
    info = ReleaseState().process(
        [
            f"current=releases/{MID}",
            f"release={MID} $(touch /tmp/pwned)",
            f"release={OLD} {SHA_OLD}",
        ]
    )
    assert info.current == MID and info.commit is None
    assert info.revisions == ((OLD, SHA_OLD),)


def test_the_fact_lists_only_real_directories_named_like_release_ids(tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    for name in (OLD, MID, "x;id", f"{NEW}\n"):
        (releases / name).mkdir(parents=True)
    (releases / OLD / "REVISION").write_text(SHA_OLD + "\n")
    (releases / NEW).symlink_to(releases / OLD)  # a symlink is not a release
    (tmp_path / "current").symlink_to(f"releases/{MID}")
    command = ReleaseState().command(base_dir=str(tmp_path))
    output = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True)
    info = ReleaseState().process(output.stdout.splitlines())
    assert info.releases == (OLD, MID) and info.current == MID
    assert info.revisions == ((OLD, SHA_OLD),)


# -- rollback: ids checked, nothing read from the host interpreted by a shell ----------


def test_rollback_with_an_odd_current_is_refused() -> None:
    info = ReleaseState().process(
        [
            "current=releases/x;touch /tmp/pwned",
            f"release={OLD} {SHA_OLD}",
            f"release={MID} {SHA_MID}",
        ]
    )
    with pytest.raises(OperationError, match="does not point at a release"):
        run_operation(release_rolled_back, FakeHost({"ReleaseState": info}), base_dir="/srv/www/d")
    with pytest.raises(UsageError, match=r"`current` does not point at a release .*'releases/x;"):
        _agreed_previous({"web1": info}, "staging")


@pytest.mark.parametrize("odd", ["x;id", "../../etc", "2027$(id)"])
def test_rollback_never_puts_an_unchecked_id_in_a_command(odd: str) -> None:
    # A ReleaseInfo made by hand (not through the fact) is checked again.
    info = ReleaseInfo(current=odd, commit=SHA_MID, releases=(OLD, odd))
    with pytest.raises(OperationError, match="is not a release id"):
        run_operation(release_rolled_back, FakeHost({"ReleaseState": info}), base_dir="/srv/www/d")


def test_rollback_switches_to_the_previous_good_release() -> None:
    info = ReleaseInfo(current=NEW, commit=SHA_NEW, releases=(OLD, MID, NEW), bad=(MID,))
    (command,) = run_operation(
        release_rolled_back, FakeHost({"ReleaseState": info}), base_dir="/srv/www/d"
    )
    assert f"ln -sn releases/{OLD}" in command and f"rollback-from-{NEW}" in command


def test_a_release_id_that_is_not_ours_is_refused() -> None:
    host = FakeHost({"ReleaseState": ReleaseInfo()})
    with pytest.raises(OperationError, match="is not a release id"):
        run_operation(
            release_deployed,
            host,
            base_dir="/srv/www/d",
            user="d",
            commit=SHA_NEW,
            archive="/a.tar.gz",
            release_id="x;id",
        )


# -- converting a host of the old layout ------------------------------------------------


def test_release_trees_not_owned_by_root_are_handed_to_root() -> None:
    stale = ReleasesNotRootOwned().process([OLD, "x;id", "../../etc"])
    assert stale == (OLD,)
    commands = run_operation(
        releases_owned_by_root, FakeHost({"ReleasesNotRootOwned": stale}), base_dir="/srv/www/d"
    )
    assert commands == [
        f"test ! -L /srv/www/d/releases/{OLD} && chown -R root:root /srv/www/d/releases/{OLD} "
        f"&& chmod -R go-w /srv/www/d/releases/{OLD}"
    ]
    host = FakeHost({"ReleasesNotRootOwned": ()})
    assert run_operation(releases_owned_by_root, host, base_dir="/srv/www/d") == []
    assert host.noops


# -- the root scripts, run for real ----------------------------------------------------


def _archive(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    (source / "public" / "uploads").mkdir(parents=True)
    (source / "public" / "index.php").write_text("<?php echo 1;")
    (source / "public" / "uploads" / "seed.txt").write_text("seed")
    archive = tmp_path / "code.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname=".")
    return archive


def _release(tmp_path: Path, release_id: str, keep: int = 2) -> subprocess.CompletedProcess[str]:
    script = release_script(
        base_dir=str(tmp_path / "site"),
        user="root",
        release_id=release_id,
        commit=SHA_NEW,
        archive=str(_archive(tmp_path)),
        shared_paths=("public/uploads",),
        keep=keep,
        commands=(),
    )
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory standing for /etc: nothing may change in it."""
    path = tmp_path / "etc"
    path.mkdir()
    (path / "passwd").write_text("root:x:0:0\n")
    return path


def _unchanged(outside: Path) -> bool:
    return sorted(p.name for p in outside.iterdir()) == ["passwd"]


def test_cleanup_removes_only_real_directories_with_release_ids(
    tmp_path: Path, outside: Path
) -> None:
    releases = tmp_path / "site" / "releases"
    for name in ("20250101000000", "20250102000000", "20250103000000", "x;touch pwned"):
        (releases / name).mkdir(parents=True)
    (releases / "20250104000000").symlink_to(outside)  # a link named like a release
    (releases / "20250105000000").write_text("a file")
    done = _release(tmp_path, NEW, keep=2)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in releases.iterdir()) == sorted(
        ["20250103000000", NEW, "x;touch pwned", "20250104000000", "20250105000000"]
    )
    assert (releases / "20250104000000").is_symlink() and _unchanged(outside)


def test_the_release_tree_is_roots_and_nobody_elses_to_write(tmp_path: Path) -> None:
    assert _release(tmp_path, NEW).returncode == 0
    release = tmp_path / "site" / "releases" / NEW
    for path in [release, *release.rglob("*")]:
        if not path.is_symlink():
            assert path.stat().st_uid == 0 and path.stat().st_mode & 0o022 == 0, path


@pytest.mark.parametrize("planted", ["shared", "shared/public", "shared/public/uploads"])
def test_a_symlink_where_a_shared_directory_belongs_is_refused(
    tmp_path: Path, outside: Path, planted: str
) -> None:
    link = tmp_path / "site" / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    done = _release(tmp_path, NEW)
    assert done.returncode == 3 and "a symlink where a directory belongs" in done.stderr
    assert _unchanged(outside)
    assert not (tmp_path / "site" / "current").exists()


def test_a_planted_current_tmp_is_replaced_not_followed(tmp_path: Path, outside: Path) -> None:
    base = tmp_path / "site"
    (base / "current.tmp").mkdir(parents=True)  # a directory: ln would link inside it
    (base / "current.tmp" / "evil").symlink_to(outside)
    done = _release(tmp_path, NEW)
    assert done.returncode == 0, done.stderr
    assert os.readlink(base / "current") == f"releases/{NEW}"
    assert not (base / "current.tmp").exists() and _unchanged(outside)


def test_rollback_does_not_follow_a_planted_bad_release_mark(tmp_path: Path, outside: Path) -> None:
    base = tmp_path / "site"
    for release in (OLD, MID):
        (base / "releases" / release).mkdir(parents=True)
    (base / ".dep").mkdir()
    (base / "current").symlink_to(f"releases/{MID}")
    (base / "releases" / MID / "BAD_RELEASE").symlink_to(outside / "cron-job")
    done = subprocess.run(
        ["bash", "-c", rollback_script(str(base), MID, OLD)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert os.readlink(base / "current") == f"releases/{OLD}"
    assert not (base / "releases" / MID / "BAD_RELEASE").is_symlink() and _unchanged(outside)


def test_restore_refuses_a_symlink_among_a_shared_paths_parents(
    tmp_path: Path, outside: Path
) -> None:
    base = tmp_path / "site"
    uploads = base / "shared" / "public" / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "a.txt").write_text("original")
    fake_db = tmp_path / "fakedb"
    fake_db.write_text("#!/bin/bash\ncat > /dev/null\n")
    fake_db.chmod(0o755)
    plan = BackupPlan(
        shared_dir=str(base / "shared"),
        backups_dir=str(tmp_path / "backups"),
        database="demo",
        shared_paths=("public/uploads",),
        dump_command="echo",
        load_command=str(fake_db),
        site_user="root",
    )
    made = subprocess.run(
        ["bash", "-c", backup_script(plan, "20261123T120000Z")], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    # the site user (owner of shared/ on the old layout) swaps public/ for a link to /etc
    os.rename(base / "shared" / "public", tmp_path / "public-moved")
    (base / "shared" / "public").symlink_to(outside)
    restored = subprocess.run(
        ["bash", "-c", restore_script(plan, made.stdout.strip())],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert restored.returncode == 3 and "a symlink where a directory belongs" in restored.stderr
    assert _unchanged(outside)
