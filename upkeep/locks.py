"""Locks per project and environment, held on the environment's first host.

The lock lives where the shared resource is, so operators at terminals and CI
runners on other machines all see it: ``mkdir`` is atomic, and the directory
holds who took it, from where, when and for how long. A lock whose holder is
gone — its process dead on this same control machine, or older than its TTL —
is stale and taken over, so a crashed scheduled run blocks nobody forever.

    >>> info = LockInfo.new("refresh demo staging", ttl_seconds=7200)
    >>> LockInfo.from_json(info.to_json()) == info
    True
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import secrets
import shlex
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass

from upkeep.errors import RunFailed

# Runs a shell script on the lock's host (ssh, or locally in tests): exit code, stdout.
RunScript = Callable[[str], tuple[int, str]]


class LockHeld(RunFailed):
    """Another run holds the lock; the message names it."""


@dataclass(frozen=True)
class LockInfo:
    token: str
    purpose: str
    owner: str  # user@control-machine
    control_host: str
    pid: int
    started: str  # ISO 8601, UTC
    ttl_seconds: int

    @classmethod
    def new(cls, purpose: str, ttl_seconds: int) -> LockInfo:
        host = socket.gethostname()
        return cls(
            token=secrets.token_hex(8),
            purpose=purpose,
            owner=f"{getpass.getuser()}@{host}",
            control_host=host,
            pid=os.getpid(),
            started=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ttl_seconds=ttl_seconds,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LockInfo:
        data = json.loads(text)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})

    def describe(self) -> str:
        return f"{self.purpose} by {self.owner} (pid {self.pid}) since {self.started}"

    def stale_because(
        self, now: dt.datetime, here: str, alive: Callable[[int], bool]
    ) -> str | None:
        """Why this lock no longer protects anything, or None while it does."""
        started = dt.datetime.strptime(self.started, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        if (now - started).total_seconds() > self.ttl_seconds:
            return f"older than its {self.ttl_seconds} s time to live"
        if self.control_host == here and not alive(self.pid):
            return f"its process {self.pid} on {here} is gone"
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def acquire_script(lock_dir: str, info: LockInfo) -> str:
    d = shlex.quote(lock_dir)
    return (
        f"mkdir -p $(dirname {d}) && if mkdir {d} 2>/dev/null; then "
        f"printf '%s' {shlex.quote(info.to_json())} > {d}/info.json && echo acquired; "
        f"else echo held; cat {d}/info.json 2>/dev/null; fi"
    )


def release_script(lock_dir: str, token: str) -> str:
    d = shlex.quote(lock_dir)
    # Only the holder's token releases: a run never removes a lock it lost to another.
    return f"if grep -q {shlex.quote(token)} {d}/info.json 2>/dev/null; then rm -rf {d}; fi"


def remove_script(lock_dir: str) -> str:
    return f"rm -rf {shlex.quote(lock_dir)}"


@dataclass
class Lock:
    """A lock at ``lock_dir``, reached through ``run``; a context manager."""

    lock_dir: str
    purpose: str
    run: RunScript
    ttl_seconds: int = 2 * 3600
    info: LockInfo | None = None
    taken_over: str | None = None  # why a stale lock was replaced

    def acquire(self) -> LockInfo:
        info = LockInfo.new(self.purpose, self.ttl_seconds)
        for attempt in (1, 2):
            code, out = self.run(acquire_script(self.lock_dir, info))
            if code != 0:
                raise RunFailed(f"cannot take the lock {self.lock_dir}: {out.strip()[-300:]}")
            first, _, rest = out.strip().partition("\n")
            if first == "acquired":
                self.info = info
                return info
            holder = _parse(rest)
            reason = (
                holder.stale_because(dt.datetime.now(dt.UTC), socket.gethostname(), pid_alive)
                if holder
                else "its record is unreadable"
            )
            if reason is None or attempt == 2:
                assert holder is not None
                raise LockHeld(
                    f"{self.purpose}: locked by {holder.describe()}; wait for it, or if it is "
                    f"gone run again with --force-unlock"
                )
            self.taken_over = f"took over a stale lock ({reason})"
            self.run(remove_script(self.lock_dir))
        raise AssertionError("unreachable")

    def release(self) -> None:
        if self.info is not None:
            self.run(release_script(self.lock_dir, self.info.token))
            self.info = None

    def force_unlock(self) -> None:
        self.run(remove_script(self.lock_dir))

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _parse(text: str) -> LockInfo | None:
    try:
        return LockInfo.from_json(text)
    except (ValueError, KeyError, TypeError):
        return None
