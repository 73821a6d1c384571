"""Target backups: the scripts run for real in a temporary directory, a stand-in database."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from upkeep.refresh.backup import BackupPlan, backup_script, restore_script

FAKE_DB = """#!/bin/bash
# A database that is one file: `dump NAME`, `load NAME` (stdin), `load -N -B -e Q NAME` (query).
dir=$(dirname "$0")/dbs; mkdir -p "$dir"
case "$1" in
  dump) cat "$dir/$2" ;;
  load) [ "$2" = "-N" ] && exit 0; cat > "$dir/$2" ;;
esac
"""


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, BackupPlan]:
    fake = tmp_path / "fakedb"
    fake.write_text(FAKE_DB)
    fake.chmod(0o755)
    (tmp_path / "dbs").mkdir()
    (tmp_path / "dbs" / "demo").write_text("-- version 1\n")
    uploads = tmp_path / "site" / "shared" / "public" / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "a.txt").write_text("original")
    plan = BackupPlan(
        shared_dir=str(tmp_path / "site" / "shared"),
        backups_dir=str(tmp_path / "backups"),
        database="demo",
        shared_paths=("public/uploads",),
        keep=2,
        dump_command=f"{fake} dump",
        load_command=f"{fake} load",
        site_user="root",  # no site user here: the tests run as root
    )
    return tmp_path, plan


def run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True)


def test_restore_puts_database_and_files_back_exactly(site: tuple[Path, BackupPlan]) -> None:
    root, plan = site
    made = run(backup_script(plan, "20261123T120000Z"))
    assert made.returncode == 0, made.stderr
    backup = made.stdout.strip()
    uploads = root / "site" / "shared" / "public" / "uploads"
    # what a refresh does: new database, files replaced (rsync writes a new file and renames), added
    (root / "dbs" / "demo").write_text("-- production copy\n")
    (uploads / "a.tmp").write_text("changed")
    os.replace(uploads / "a.tmp", uploads / "a.txt")
    (uploads / "b.txt").write_text("new")

    restored = run(restore_script(plan, backup))
    assert restored.returncode == 0, restored.stderr
    assert (root / "dbs" / "demo").read_text() == "-- version 1\n"
    assert sorted(p.name for p in uploads.iterdir()) == ["a.txt"]
    assert (uploads / "a.txt").read_text() == "original"
    assert (Path(backup) / "files.manifest").read_text() == "public/uploads/a.txt\t8\n"


def test_only_the_newest_backups_are_kept(site: tuple[Path, BackupPlan]) -> None:
    root, plan = site
    for stamp in ("20261101T000000Z", "20261102T000000Z", "20261103T000000Z"):
        assert run(backup_script(plan, stamp)).returncode == 0
    assert sorted(p.name for p in (root / "backups").iterdir()) == [
        "20261102T000000Z",
        "20261103T000000Z",
    ]


def test_an_incomplete_backup_is_never_restored(site: tuple[Path, BackupPlan]) -> None:
    root, plan = site
    partial = root / "backups" / "20261123T120000Z.partial"
    partial.mkdir(parents=True)
    result = run(restore_script(plan, str(partial)))
    assert result.returncode == 3 and "no complete backup" in result.stderr
    assert (root / "dbs" / "demo").read_text() == "-- version 1\n"


def test_a_failing_dump_leaves_no_backup_behind(site: tuple[Path, BackupPlan]) -> None:
    root, plan = site
    broken = BackupPlan(**{**plan.__dict__, "dump_command": "false"})
    assert run(backup_script(broken, "20261123T120000Z")).returncode != 0
    assert not (root / "backups" / "20261123T120000Z").exists()
