"""Locks: the shell scripts run for real (locally, where ssh would run them)."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from upkeep.locks import Lock, LockHeld, LockInfo


def local(script: str) -> tuple[int, str]:
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
    return done.returncode, done.stdout


def _lock(tmp_path: Path, purpose: str = "refresh demo staging", ttl: int = 3600) -> Lock:
    return Lock(str(tmp_path / ".dep" / "upkeep.lock"), purpose, local, ttl_seconds=ttl)


def test_a_second_run_is_refused_naming_the_holder(tmp_path: Path) -> None:
    with _lock(tmp_path), pytest.raises(LockHeld) as held:
        _lock(tmp_path, "update demo").acquire()
    message = str(held.value)
    assert "refresh demo staging" in message and "pid" in message and "--force-unlock" in message


def test_release_frees_the_lock(tmp_path: Path) -> None:
    with _lock(tmp_path):
        pass
    assert not (tmp_path / ".dep" / "upkeep.lock").exists()
    with _lock(tmp_path) as again:
        assert again.taken_over is None


def test_a_lock_of_a_dead_process_here_is_stale_and_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    ghost = LockInfo.new("refresh demo staging", 3600)
    ghost = LockInfo(**{**ghost.__dict__, "pid": dead.pid})
    lock_dir = tmp_path / ".dep" / "upkeep.lock"
    lock_dir.mkdir(parents=True)
    (lock_dir / "info.json").write_text(ghost.to_json())
    lock = _lock(tmp_path)
    lock.acquire()
    assert lock.taken_over is not None and "is gone" in lock.taken_over
    lock.release()


def test_staleness_by_time_to_live_and_by_process() -> None:
    info = LockInfo("t", "p", "op@ci", "ci", 4242, "2026-11-23T10:00:00Z", 600)
    now = dt.datetime(2026, 11, 23, 10, 5, tzinfo=dt.UTC)
    assert info.stale_because(now, "laptop", lambda _: True) is None
    assert info.stale_because(now, "ci", lambda _: False) is not None  # same machine, dead pid
    assert (
        info.stale_because(now, "laptop", lambda _: False) is None
    )  # another machine's pid: unknown
    later = now + dt.timedelta(minutes=10)
    assert "time to live" in (info.stale_because(later, "laptop", lambda _: True) or "")


def test_release_never_removes_a_lock_someone_else_holds(tmp_path: Path) -> None:
    first = _lock(tmp_path)
    first.acquire()
    first.force_unlock()  # an operator cleared it...
    second = _lock(tmp_path, "update demo")
    second.acquire()  # ...and another run took it
    first.release()
    assert (tmp_path / ".dep" / "upkeep.lock").exists()
    second.release()
    assert not (tmp_path / ".dep" / "upkeep.lock").exists()
