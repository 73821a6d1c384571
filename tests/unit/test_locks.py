"""Locks: the shell scripts run for real (locally, where ssh would run them).

Holders that die are real processes killed with SIGKILL; races are real
processes meeting at a barrier; a removal that fails is a real ``rm`` refused
by a read-only mount (in a private mount namespace, gone when the script ends).
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from upkeep.errors import RunFailed
from upkeep.locks import (
    Liveness,
    Lock,
    LockHeld,
    LockInfo,
    LockLost,
    RunScript,
    acquire_all,
    inspect,
    release_all,
)

REPO = Path(__file__).resolve().parents[2]


def local(script: str) -> tuple[int, str]:
    """Runs ``script`` here as ``upkeep.ssh.run_root`` runs it on a host: bash with pipefail."""
    done = subprocess.run(
        ["bash", "-c", "set -o pipefail\n" + script], capture_output=True, text=True
    )
    return done.returncode, done.stdout


def read_only_at(pin: Path) -> RunScript:
    """Runs scripts with a read-only mount on ``pin``, so ``rm -rf`` of its parent fails."""

    def run(script: str) -> tuple[int, str]:
        as_root = "set -o pipefail\n" + script  # as upkeep.ssh.root_command runs it
        wrapped = (
            f"mount -t tmpfs -o ro tmpfs {shlex.quote(str(pin))} && bash -c {shlex.quote(as_root)}"
        )
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", wrapped], capture_output=True, text=True
        )
        return done.returncode, done.stdout

    return run


def _dir(tmp_path: Path) -> Path:
    return tmp_path / "locks" / "demo-staging"


def _lock(tmp_path: Path, purpose: str = "refresh demo staging", **options: object) -> Lock:
    return Lock(str(_dir(tmp_path)), purpose, local, **options)  # type: ignore[arg-type]


def _plant(lock_dir: Path, info: LockInfo, heartbeat_age: int = 0) -> None:
    """A record as another run would have left it."""
    lock_dir.mkdir(parents=True)
    (lock_dir / "info.json").write_text(info.to_json())
    (lock_dir / "heartbeat").write_text(f"{int(time.time()) - heartbeat_age}\n")


def _eventually(condition: Callable[[], bool], seconds: float = 5) -> bool:
    """Polls: the machine is shared, so a 0.2 s heartbeat may run late."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _renewed(heartbeat: Path) -> Callable[[], bool]:
    return lambda: int(heartbeat.read_text()) >= int(time.time()) - 2


def _dead_pid() -> int:
    dead = subprocess.Popen(["true"])
    dead.wait()
    return dead.pid


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(["sleep", "60"])
    yield child
    child.kill()
    child.wait()


def test_a_second_run_is_refused_naming_the_holder(tmp_path: Path) -> None:
    with _lock(tmp_path), pytest.raises(LockHeld) as held:
        _lock(tmp_path, "update demo").acquire()
    message = str(held.value)
    assert "locked by refresh demo staging" in message
    assert f"pid {os.getpid()}" in message and "machine " in message and "since 20" in message
    assert "--force-unlock" in message


def test_release_frees_the_lock(tmp_path: Path) -> None:
    with _lock(tmp_path):
        pass
    assert not _dir(tmp_path).exists()
    with _lock(tmp_path) as again:
        assert again.taken_over is None


def test_a_holder_killed_with_sigkill_is_stale_and_taken_over(tmp_path: Path) -> None:
    holder = textwrap.dedent(
        """
        import subprocess, sys, time
        from upkeep.locks import Lock
        def local(script):
            done = subprocess.run(["bash", "-c", "set -o pipefail\\n" + script], capture_output=True, text=True)
            return done.returncode, done.stdout
        Lock(sys.argv[1], "refresh demo staging", local).acquire()
        print("taken", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", holder, str(_dir(tmp_path))],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "taken"
    with pytest.raises(LockHeld):  # alive: its process runs
        _lock(tmp_path, "update demo").acquire()
    child.send_signal(signal.SIGKILL)
    child.wait()
    lock = _lock(tmp_path, "update demo")
    lock.acquire()
    assert lock.taken_over is not None and f"process {child.pid}" in lock.taken_over
    assert "is gone" in lock.taken_over
    lock.release()
    assert not _dir(tmp_path).exists()


def test_a_live_pid_with_another_start_time_is_a_reused_pid_and_stale(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    ghost = dataclasses.replace(
        LockInfo.new("refresh demo staging"), pid=sleeper.pid, process_start="another-boot:12345"
    )
    _plant(_dir(tmp_path), ghost)
    with _lock(tmp_path, "update demo") as lock:
        assert lock.taken_over is not None and "now belongs to another process" in lock.taken_over


def test_another_machines_holder_lives_while_its_heartbeat_is_fresh(tmp_path: Path) -> None:
    elsewhere = dataclasses.replace(
        LockInfo.new("refresh demo staging"), machine_id="f" * 32, hostname="ci-runner", pid=1
    )
    _plant(_dir(tmp_path), elsewhere, heartbeat_age=10)
    with pytest.raises(LockHeld, match="ci-runner, machine ffffffff"):
        _lock(tmp_path, "update demo").acquire()
    (_dir(tmp_path) / "heartbeat").write_text(f"{int(time.time()) - 1000}\n")
    with _lock(tmp_path, "update demo") as lock:
        assert lock.taken_over is not None and "no heartbeat for" in lock.taken_over


def test_an_unreadable_record_is_held_during_its_grace_and_taken_over_after(tmp_path: Path) -> None:
    lock_dir = _dir(tmp_path)
    lock_dir.mkdir(parents=True)
    (lock_dir / "info.json").write_text('{"token": "half a rec')  # killed while writing
    with pytest.raises(LockHeld, match="unreadable"):
        _lock(tmp_path, grace_seconds=60).acquire()
    long_ago = time.time() - 120
    os.utime(lock_dir, (long_ago, long_ago))
    with _lock(tmp_path, grace_seconds=60) as lock:
        assert lock.taken_over is not None and "unreadable for" in lock.taken_over


def test_a_nested_run_in_this_process_re_enters_the_lock(tmp_path: Path) -> None:
    def staging(purpose: str) -> Lock:
        return _lock(tmp_path, purpose, where="staging.demo.lab")

    with staging("update minor demo") as update:
        with staging("refresh demo production→staging") as refresh:
            with staging("provision demo staging") as provision:
                assert provision.info == refresh.info == update.info
            assert _dir(tmp_path).exists()  # the refresh still runs
        assert _dir(tmp_path).exists()  # the update still runs
        with pytest.raises(LockHeld):  # another host's name is another hold
            _lock(tmp_path, "provision", where="other.lab").acquire()
    assert not _dir(tmp_path).exists()


def test_the_heartbeat_renews_a_long_run(tmp_path: Path) -> None:
    heartbeat = _dir(tmp_path) / "heartbeat"
    with _lock(tmp_path, heartbeat_seconds=0.2) as lock:
        heartbeat.write_text("1000\n")  # as if the last beat were decades old
        assert _eventually(_renewed(heartbeat))
        assert lock.heartbeat_problem is None
        lock.check()
    assert lock.info is None


def test_a_lost_lock_is_never_recreated_and_check_says_so(tmp_path: Path) -> None:
    with _lock(tmp_path, heartbeat_seconds=0.2) as lock:
        shutil.rmtree(_dir(tmp_path))  # an operator removed it by hand
        assert _eventually(lambda: lock.heartbeat_problem is not None)
        assert not _dir(tmp_path).exists()
        with pytest.raises(LockLost, match="removed or taken over"):
            lock.check()


def test_a_failing_beat_is_remembered_and_the_next_one_still_runs(tmp_path: Path) -> None:
    failures: list[str] = []

    def flaky(script: str) -> tuple[int, str]:
        if "heartbeat.new" in script and not failures:
            failures.append(script)
            raise subprocess.TimeoutExpired("ssh", 30)  # the host did not answer this once
        return local(script)

    heartbeat = _dir(tmp_path) / "heartbeat"
    with Lock(str(_dir(tmp_path)), "refresh demo", flaky, heartbeat_seconds=0.2) as lock:
        heartbeat.write_text("1000\n")
        assert _eventually(_renewed(heartbeat))  # later beats ran
        assert failures and "heartbeat failed" in (lock.heartbeat_problem or "")
        lock.check()  # a failed beat is not a lost lock


def test_two_concurrent_takeovers_of_one_stale_lock_have_one_winner(tmp_path: Path) -> None:
    _plant(_dir(tmp_path), dataclasses.replace(LockInfo.new("crashed run"), pid=_dead_pid()))
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    contender = textwrap.dedent(
        """
        import pathlib, subprocess, sys, time
        from upkeep.locks import Lock, LockHeld
        lock_dir, me, barrier = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
        calls = []
        def run(script):
            calls.append(script)
            if len(calls) == 2:  # both have seen the stale lock; now both act on it
                (barrier / me).touch()
                deadline = time.time() + 5
                while len(list(barrier.iterdir())) < 2 and time.time() < deadline:
                    time.sleep(0.01)
            done = subprocess.run(["bash", "-c", "set -o pipefail\\n" + script], capture_output=True, text=True)
            return done.returncode, done.stdout
        try:
            Lock(lock_dir, "run " + me, run).acquire()
            print("won", flush=True)
        except LockHeld:
            print("held", flush=True)
        sys.stdin.read()  # a winner keeps its lock alive until the test has both answers
        """
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", contender, str(_dir(tmp_path)), name, str(barrier)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    answers = []
    for run in runs:
        assert run.stdout is not None
        answers.append(run.stdout.readline().strip())
    for run in runs:
        run.communicate("")
    assert sorted(answers) == ["held", "won"]


def test_a_release_that_cannot_remove_the_lock_says_so(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    lock.acquire()
    pin = _dir(tmp_path) / "pin"
    pin.mkdir()
    lock.run = read_only_at(pin)
    with pytest.raises(RunFailed, match="could not remove"):
        lock.release()
    assert (_dir(tmp_path) / "info.json").exists()


def test_a_takeover_that_cannot_remove_the_stale_lock_says_so(tmp_path: Path) -> None:
    _plant(_dir(tmp_path), dataclasses.replace(LockInfo.new("crashed run"), pid=_dead_pid()))
    pin = _dir(tmp_path) / "pin"
    pin.mkdir()
    lock = Lock(str(_dir(tmp_path)), "update demo", read_only_at(pin))
    with pytest.raises(RunFailed, match="could not remove") as failed:
        lock.acquire()
    assert not isinstance(failed.value, LockHeld)
    assert "crashed run" in (_dir(tmp_path) / "info.json").read_text()


def test_inspect_tells_a_live_holder_from_a_dead_one(tmp_path: Path) -> None:
    lock_dir = str(_dir(tmp_path))
    assert inspect(lock_dir, local) is None
    with _lock(tmp_path, "update minor demo"):
        status = inspect(lock_dir, local)
        assert status is not None and status.liveness is Liveness.ALIVE
        assert status.holder is not None and status.holder.purpose == "update minor demo"
    _plant(_dir(tmp_path), dataclasses.replace(LockInfo.new("crashed run"), pid=_dead_pid()))
    status = inspect(lock_dir, local)
    assert status is not None and status.liveness is Liveness.DEAD
    assert "is gone" in status.describe() and "crashed run" in status.describe()
    assert (_dir(tmp_path) / "info.json").exists()  # inspecting takes nothing over


def test_release_never_removes_a_lock_someone_else_holds(tmp_path: Path) -> None:
    first = _lock(tmp_path)
    first.acquire()
    first.force_unlock()  # an operator cleared it...
    second = _lock(tmp_path, "update demo")
    second.acquire()  # ...and another run took it
    first.release()
    assert _dir(tmp_path).exists()
    second.release()
    assert not _dir(tmp_path).exists()


def _env_lock(tmp_path: Path, name: str, run: RunScript = local) -> Lock:
    return Lock(str(tmp_path / "locks" / name), f"provision demo {name}", run)


def test_acquire_all_takes_the_locks_after_the_first_at_once(tmp_path: Path) -> None:
    """Each take of staging's and production's locks waits to see the other's begin:
    taken one after the other, the first would wait in vain."""
    saw_the_other: dict[str, bool] = {}

    def meeting(script: str) -> tuple[int, str]:
        for name in ("staging", "production"):
            if f"locks/{name}" in script and name not in saw_the_other:
                (tmp_path / f"{name}.taking").touch()
                other = tmp_path / f"{'production' if name == 'staging' else 'staging'}.taking"
                saw_the_other[name] = _eventually(other.exists, seconds=10)
        return local(script)

    locks = [_env_lock(tmp_path, name, meeting) for name in ("dev", "staging", "production")]
    taken = acquire_all(locks)
    try:
        assert saw_the_other == {"staging": True, "production": True}
        assert all(
            (tmp_path / "locks" / name).exists() for name in ("dev", "staging", "production")
        )
    finally:
        release_all(taken)
    assert not any(path.is_dir() for path in (tmp_path / "locks").iterdir())


def test_acquire_all_keeps_none_when_one_is_held(tmp_path: Path) -> None:
    with _env_lock(tmp_path, "production"):
        locks = [_env_lock(tmp_path, name) for name in ("dev", "staging", "production", "extra")]
        with pytest.raises(LockHeld, match="locked by provision demo production"):
            acquire_all(locks)
        assert sorted(p.name for p in (tmp_path / "locks").iterdir() if p.is_dir()) == [
            "production"
        ]
        assert [lock.info for lock in locks] == [None] * 4
