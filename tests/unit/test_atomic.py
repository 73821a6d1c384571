"""The one atomic write: whole or not at all, with the mode the caller asks for.

A full disk is a real one: a 64 KiB tmpfs mounted in a private mount namespace
(gone when the child process ends), as tests/unit/test_locks.py does.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from upkeep.atomic import DirectoryUnwritable, write_atomic
from upkeep.pipeline import JournalStore
from upkeep.schedule.render import GeneratedFile
from upkeep.schedule.write import sync
from upkeep.update.runs import started

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mode", [0o600, 0o644])
@pytest.mark.parametrize("durable", [True, False])
def test_the_file_gets_the_text_and_the_mode_asked_for(
    tmp_path: Path, mode: int, durable: bool
) -> None:
    target = tmp_path / "pins.yml"
    write_atomic(target, "php: 8.2.36 ✓\n", mode=mode, durable=durable)
    assert target.read_text(encoding="utf-8") == "php: 8.2.36 ✓\n"
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert os.listdir(tmp_path) == ["pins.yml"]


def test_replacing_a_file_sets_the_mode_asked_for_not_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "upkeep.prom"
    target.write_text("old\n")
    target.chmod(0o600)
    write_atomic(target, b"new 1\n", mode=0o644)
    assert target.read_bytes() == b"new 1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_the_temporary_file_never_ends_like_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # node_exporter reads every *.prom in its directory: a half-written one must not match.
    renamed: list[str] = []
    real_replace = os.replace

    def watching(source: str, destination: str) -> None:
        renamed.append(Path(source).name)
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", watching)
    write_atomic(tmp_path / "upkeep.prom", "x 1\n", mode=0o644)
    assert len(renamed) == 1
    assert renamed[0].startswith(".upkeep.prom.")
    assert not renamed[0].endswith(".prom")


def test_a_directory_that_cannot_hold_the_temporary_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DirectoryUnwritable) as raised:
        write_atomic(tmp_path / "missing" / "journal.json", "{}\n", mode=0o600)
    assert raised.value.filename == str(tmp_path / "missing")
    assert raised.value.strerror == "No such file or directory"


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    child = textwrap.dedent(
        f"""
        import json, os, sys
        from pathlib import Path
        from upkeep.atomic import write_atomic
        target = Path({str(small / "journal.json")!r})
        target.write_text("old\\n")
        try:
            write_atomic(target, "x" * 200_000, mode=0o600)
            error = None
        except OSError as failure:
            error = failure.strerror
        print(json.dumps({{
            "error": error,
            "text": target.read_text(),
            "files": sorted(os.listdir(target.parent)),
        }}))
        """
    )
    command = (
        f"mount -t tmpfs -o size=64k tmpfs {shlex.quote(str(small))} && "
        f"{shlex.quote(sys.executable)} -c {shlex.quote(child)}"
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", command],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
    )
    outcome = json.loads(done.stdout)
    assert outcome == {
        "error": "No space left on device",
        "text": "old\n",
        "files": ["journal.json"],
    }


def test_an_interrupt_while_writing_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    target.write_text("old\n")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new\n", mode=0o600)
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["state.json"]


def test_each_writer_keeps_the_mode_it_had_before_the_helper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The journal stays private (in the state store's file, 0600 as its file was); generated
    # unit files are read by systemd and cron as other users.
    monkeypatch.setenv("UPKEEP_DATABASE_URL", f"sqlite:///{tmp_path}/state/upkeep.db")
    JournalStore("update").save(started("demo", "8.2.32", "8.2.36", ("lock",)))
    sync(tmp_path / "units", [GeneratedFile("upkeep-check.timer", "[Timer]\n", "")], frozenset())
    modes = {
        path.relative_to(tmp_path).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in tmp_path.rglob("*")
        if path.is_file()
    }
    assert {name: mode for name, mode in modes.items() if not name.endswith(("-wal", "-shm"))} == {
        "state/upkeep.db": 0o600,  # its -wal and -shm follow suit
        "units/upkeep-check.timer": 0o644,
    }
