"""Locks per environment, held on the environment's host.

The lock lives where the shared resource is, so operators at terminals and CI
runners on other machines all see it: ``mkdir`` is atomic, and the directory
holds who took it (``info.json``) and when it last said it was still there
(``heartbeat``, written by the host's clock, so control machines' clocks never
matter). Every script that touches one lock holds ``<lock_dir>.flock`` on the
host while it runs, so "check the holder, then act" is one step: two runs
taking over the same stale lock cannot both get it, and the kernel drops the
flock when a script dies.

A holder is a process: machine-id, pid namespace, pid and the process's start
time (a reused pid is another process). It is alive while

- on this same machine: that process still runs, and
- anywhere: its heartbeat is younger than the ``stale_after`` it recorded.

An unreadable record (a run killed between ``mkdir`` and writing it) is stale
only once the directory is older than a grace period. A stale lock is taken
over; removal is checked, and a lock that cannot be removed is an error.

Within one process the lock is re-entrant (keyed by host and directory):
update → refresh → provision each take staging's lock, and only the outermost
release removes it.

    >>> info = LockInfo.new("refresh demo production→staging")
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
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import KW_ONLY, asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from upkeep.errors import RunFailed

# Runs a shell script on the lock's host (ssh, or locally in tests): exit code, stdout.
# It is called from the heartbeat thread too: a fresh subprocess per call is thread-safe.
RunScript = Callable[[str], tuple[int, str]]

HEARTBEAT_SECONDS = 30.0
STALE_AFTER_BEATS = 5  # missed beats before a holder counts as gone
GRACE_SECONDS = 60.0  # how long an unreadable record may be "being written"
FLOCK_WAIT_SECONDS = 60  # scripts of one lock take turns; none runs longer than a few rm's


class LockHeld(RunFailed):
    """Another run holds the lock; the message names it."""


class LockLost(RunFailed):
    """This run's lock was removed or taken over while it ran."""


class Liveness(StrEnum):
    ALIVE = "alive"
    DEAD = "dead"
    UNKNOWN = "unknown"  # an unreadable record still within its grace period


# -- who we are ----------------------------------------------------------------------
def machine_id() -> str:
    """This machine's id: systemd's, then D-Bus's, then (last resort) its hostname."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            found = Path(path).read_text().strip()
        except OSError:
            continue
        if found:
            return found
    return socket.gethostname()


def pid_namespace() -> str:
    """Containers built from one image share a machine-id; their pids are not comparable."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def process_start(pid: int) -> str:
    """When process ``pid`` started, as "<boot id>:<clock ticks since boot>"; "" if unknown.

    The boot id, not the boot time, says which boot: ``btime`` can move by a
    second between two reads, and a start time must compare exactly.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""
    # Field 22 (starttime); the command name (field 2) may hold spaces and parentheses.
    fields = stat.rpartition(")")[2].split()
    return f"{boot}:{fields[19]}" if len(fields) > 19 else ""


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the record ----------------------------------------------------------------------
@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock: written once, in ``info.json``, by the run that took it."""

    token: str
    purpose: str  # the command, for people: "refresh demo production→staging"
    user: str
    hostname: str  # for people; identity is machine_id + pid_namespace + pid + process_start
    machine_id: str
    pid_namespace: str
    pid: int
    process_start: str
    started: str  # ISO 8601, UTC, whole seconds
    stale_after: int  # seconds without a heartbeat after which this holder counts as gone

    @classmethod
    def new(
        cls, purpose: str, stale_after: int = round(HEARTBEAT_SECONDS * STALE_AFTER_BEATS)
    ) -> LockInfo:
        pid = os.getpid()
        return cls(
            token=secrets.token_hex(16),
            purpose=purpose,
            user=getpass.getuser(),
            hostname=socket.gethostname(),
            machine_id=machine_id(),
            pid_namespace=pid_namespace(),
            pid=pid,
            process_start=process_start(pid),
            started=_now(),
            stale_after=stale_after,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LockInfo:
        data = json.loads(text)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})

    def describe(self) -> str:
        return (
            f"{self.purpose} (pid {self.pid} on {self.hostname}, machine {self.machine_id[:8]}, "
            f"user {self.user}, since {self.started})"
        )

    def on_this_machine(self) -> bool:
        return self.machine_id == machine_id() and self.pid_namespace == pid_namespace()

    def process_gone_because(self) -> str | None:
        """On this machine: why the holding process is gone, or None while it runs."""
        if not _pid_exists(self.pid):
            return f"its process {self.pid} on {self.hostname} is gone"
        now = process_start(self.pid)
        if self.process_start and now and now != self.process_start:
            return f"its pid {self.pid} on {self.hostname} now belongs to another process"
        return None


@dataclass(frozen=True)
class LockStatus:
    """A lock as found on its host, and whether its holder is still there."""

    lock_dir: str
    holder: LockInfo | None  # None: the record is unreadable
    liveness: Liveness
    reason: str
    age: int  # seconds since the directory last changed
    heartbeat_age: int  # seconds since the last heartbeat (the age when there is none)

    def describe(self) -> str:
        who = self.holder.describe() if self.holder else f"an unreadable record in {self.lock_dir}"
        return f"{who}: {self.liveness} ({self.reason})"


def judge(
    lock_dir: str, holder: LockInfo | None, age: int, heartbeat_age: int, grace: float
) -> LockStatus:
    """Whether the holder of a lock is still there, and why we think so."""

    def status(liveness: Liveness, reason: str) -> LockStatus:
        return LockStatus(lock_dir, holder, liveness, reason, age, heartbeat_age)

    if holder is None:
        if age < grace:
            return status(
                Liveness.UNKNOWN,
                f"its record is unreadable (being written?) since {age} s; "
                f"it counts as stale after {grace:g} s",
            )
        return status(Liveness.DEAD, f"its record has been unreadable for {age} s")
    if holder.on_this_machine():
        gone = holder.process_gone_because()
        if gone:
            return status(Liveness.DEAD, gone)
    if heartbeat_age > holder.stale_after:
        return status(
            Liveness.DEAD,
            f"no heartbeat for {heartbeat_age} s (stale after {holder.stale_after} s)",
        )
    return status(Liveness.ALIVE, f"heartbeat {heartbeat_age} s ago")


# -- the scripts run on the lock's host ----------------------------------------------
def _guarded(lock_dir: str, body: str) -> str:
    """``body`` with ``$d`` set, holding the lock's flock (dropped by the kernel if we die)."""
    d = shlex.quote(lock_dir)
    return (
        f'd={d}\nmkdir -p "$(dirname "$d")" || exit 1\n'
        f'exec 9>>"$d.flock" || exit 1\n'
        f'flock -w {FLOCK_WAIT_SECONDS} 9 || {{ echo "timed out waiting for $d.flock"; exit 1; }}\n'
        f"{_OBSERVE}{body}"
    )


# Prints what a run needs to judge the holder: "held", the directory's age, the
# heartbeat's age ("-" without one), both by the host's clock, then the record.
_OBSERVE = """\
observe() {
  if [ ! -d "$d" ]; then echo free; return; fi
  now=$(date +%s)
  echo held
  echo $(( now - $(stat -c %Y "$d") ))
  beat=$(cat "$d/heartbeat" 2>/dev/null)
  case "$beat" in ''|*[!0-9]*) echo - ;; *) echo $(( now - beat )) ;; esac
  cat "$d/info.json" 2>/dev/null
}
"""

# The record goes last: a removal that fails halfway leaves a lock that still says whose it is.
_REMOVE = """\
if [ -e "$d" ] && ! { find "$d" -mindepth 1 -maxdepth 1 ! -name info.json -exec rm -rf {} + 2>&1 \\
       && rm -rf "$d" 2>&1 && [ ! -e "$d" ]; }; then
  echo "could not remove $d"; exit 1
fi
"""


def _take(info: LockInfo) -> str:
    record = shlex.quote(info.to_json())
    return f"""\
if mkdir "$d" 2>/dev/null; then
  if printf '%s' {record} > "$d/info.json" && date +%s > "$d/heartbeat"; then
    echo acquired; exit 0
  fi
  rm -rf "$d"; echo "could not write the lock record in $d"; exit 1
fi
if [ ! -d "$d" ]; then echo "could not create the directory $d"; exit 1; fi
"""


def _holds(token: str) -> str:
    return f'grep -qF {shlex.quote(token)} "$d/info.json" 2>/dev/null'


def acquire_script(lock_dir: str, info: LockInfo) -> str:
    """Take the lock if free; otherwise say who holds it."""
    return _guarded(lock_dir, _take(info) + "observe\n")


def takeover_script(lock_dir: str, info: LockInfo, stale: LockStatus) -> str:
    """Replace the stale lock seen in ``stale``, only if it is still that one ("changed" if not)."""
    if stale.holder is not None:
        still = _holds(stale.holder.token)
    else:  # still unreadable: any write into the directory would have made it young again
        still = f'[ $(( $(date +%s) - $(stat -c %Y "$d") )) -ge {stale.age} ]'
    return _guarded(
        lock_dir,
        f'if [ -d "$d" ] && ! {{ {still}; }}; then echo changed; observe; exit 0; fi\n'
        + _REMOVE
        + _take(info)
        + "observe\n",
    )


def release_script(lock_dir: str, token: str) -> str:
    # Only the holder's token releases: a run never removes a lock it lost to another.
    return _guarded(
        lock_dir, f"if {_holds(token)}; then\n{_REMOVE}echo released\nelse echo lost\nfi\n"
    )


def heartbeat_script(lock_dir: str, token: str) -> str:
    # Renews only our own lock: a lock we lost is never recreated.
    return _guarded(
        lock_dir,
        f'if {_holds(token)}; then date +%s > "$d/heartbeat.new" && '
        f'mv -f "$d/heartbeat.new" "$d/heartbeat" && echo renewed; else echo lost; fi\n',
    )


def inspect_script(lock_dir: str) -> str:
    return _guarded(lock_dir, "observe\n")


def remove_script(lock_dir: str) -> str:
    return _guarded(lock_dir, _REMOVE)


def _parse(text: str) -> LockInfo | None:
    try:
        return LockInfo.from_json(text)
    except (ValueError, KeyError, TypeError):
        return None


def _observed(lock_dir: str, out: str, grace: float) -> LockStatus | None:
    """The status printed by ``_OBSERVE`` (after any "acquired"/"changed" lines)."""
    lines = out.split("\n", 3)
    if lines[0] != "held" or len(lines) < 3:
        return None
    try:
        age = int(lines[1])
        heartbeat_age = age if lines[2] == "-" else int(lines[2])
    except ValueError:
        said = " ".join(out.split())[:300]
        raise RunFailed(f"unexpected answer reading the lock {lock_dir}: {said}") from None
    holder = _parse(lines[3] if len(lines) > 3 else "")
    return judge(lock_dir, holder, age, heartbeat_age, grace)


def _run(run: RunScript, script: str, lock_dir: str, doing: str) -> str:
    code, out = run(script)
    if code != 0:
        said = "; ".join(line.strip() for line in out.splitlines() if line.strip())
        raise RunFailed(f"cannot {doing} the lock {lock_dir}: {said[-300:]}")
    return out.strip()


def inspect(
    lock_dir: str, run: RunScript, grace_seconds: float = GRACE_SECONDS
) -> LockStatus | None:
    """The lock at ``lock_dir`` without taking it; None when nobody holds it."""
    return _observed(lock_dir, _run(run, inspect_script(lock_dir), lock_dir, "read"), grace_seconds)


# -- heartbeat -----------------------------------------------------------------------
class _Heartbeat:
    """A daemon thread renewing one held lock every ``every`` seconds until stopped."""

    def __init__(self, beat: Callable[[], str], every: float) -> None:
        self.lost = False
        self.problem: str | None = None  # the last beat's failure, remembered, never raised here
        self._beat = beat
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="upkeep-lock-heartbeat", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                said = self._beat()
            except Exception as failure:  # a thread has nobody to raise to
                self.problem = f"heartbeat failed: {failure}"
                continue
            if said == "lost":
                self.lost = True
                self.problem = "the lock was removed or taken over by another run"
                return

    def stop(self) -> None:
        self._stop.set()
        # A beat stuck in ssh must not hold up the release; the thread dies with the process.
        self._thread.join(timeout=self._every + 5)


@dataclass
class _Holding:
    info: LockInfo
    depth: int
    heartbeat: _Heartbeat


# What this process holds, by (host, lock_dir): nested runs re-enter instead of
# finding themselves as the holder.
_HELD: dict[tuple[str, str], _Holding] = {}
_HELD_GUARD = threading.RLock()
# One take of a lock at a time in this process (its second taker re-enters), while takes
# of other locks, each a round trip to its own host, go on at once.
_TAKING: dict[tuple[str, str], threading.Lock] = {}


def _taking(key: tuple[str, str]) -> threading.Lock:
    with _HELD_GUARD:
        return _TAKING.setdefault(key, threading.Lock())


# -- the lock ------------------------------------------------------------------------
@dataclass
class Lock:
    """A lock at ``lock_dir`` on the host ``where``, reached through ``run``; a context manager.

    ``where`` names the host (its name or address): two ``Lock``s with the same
    ``where`` and ``lock_dir`` in one process share one hold (re-entrant).
    Without it only the same ``Lock`` object re-enters.

    ``ttl_seconds`` is accepted for old callers and ignored: the heartbeat says
    how long a holder lives, and an upper bound would hand a live long run's
    environment to a second run — the very thing the lock prevents.
    """

    lock_dir: str
    purpose: str
    run: RunScript
    ttl_seconds: int | None = None
    _: KW_ONLY
    where: str | None = None
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    stale_after_seconds: float | None = None  # default: STALE_AFTER_BEATS heartbeats
    grace_seconds: float = GRACE_SECONDS
    info: LockInfo | None = field(default=None, init=False)
    taken_over: str | None = field(default=None, init=False)  # why a stale lock was replaced
    _depth: int = field(default=0, init=False, repr=False)

    @property
    def _key(self) -> tuple[str, str]:
        return (self.where if self.where is not None else f"object {id(self)}", self.lock_dir)

    @property
    def stale_after(self) -> int:
        chosen = self.stale_after_seconds
        return round(chosen if chosen is not None else self.heartbeat_seconds * STALE_AFTER_BEATS)

    def acquire(self) -> LockInfo:
        """Take the lock (or re-enter it); LockHeld naming the holder while it is alive."""
        with _taking(self._key):
            with _HELD_GUARD:
                holding = _HELD.get(self._key)
            if holding is None:
                info = self._take_on_host()
                beat = _Heartbeat(lambda: self._beat(info.token), self.heartbeat_seconds)
                holding = _Holding(info, 0, beat)
            with _HELD_GUARD:
                _HELD[self._key] = holding
                holding.depth += 1
                self._depth += 1
                self.info = holding.info
            return holding.info

    def _take_on_host(self) -> LockInfo:
        info = LockInfo.new(self.purpose, self.stale_after)
        out = _run(self.run, acquire_script(self.lock_dir, info), self.lock_dir, "take")
        for _attempt in range(3):  # another run may take over between our look and our turn
            if out.startswith("acquired"):
                return info
            status = _observed(self.lock_dir, out.removeprefix("changed\n"), self.grace_seconds)
            if status is None:  # freed meanwhile
                out = _run(self.run, acquire_script(self.lock_dir, info), self.lock_dir, "take")
                continue
            if status.liveness is not Liveness.DEAD:
                raise LockHeld(self._held_message(status))
            self.taken_over = f"took over a stale lock ({status.reason})"
            script = takeover_script(self.lock_dir, info, status)
            out = _run(self.run, script, self.lock_dir, "take over")
        raise LockHeld(f"{self.purpose}: the lock {self.lock_dir} keeps changing hands; try again")

    def _held_message(self, status: LockStatus) -> str:
        if status.holder is None:
            return f"{self.purpose}: {self.lock_dir} is locked, but {status.reason}"
        return (
            f"{self.purpose}: locked by {status.holder.describe()}, {status.reason}; wait for "
            f"it, or if it is gone run again with --force-unlock"
        )

    def _beat(self, token: str) -> str:
        return _run(self.run, heartbeat_script(self.lock_dir, token), self.lock_dir, "renew")

    def release(self) -> None:
        """Undo one acquire; the last one removes the lock from its host (checked)."""
        with _HELD_GUARD:
            if self._depth == 0:
                return
            self._depth -= 1
            if self._depth == 0:
                self.info = None
            holding = _HELD[self._key]
            holding.depth -= 1
            if holding.depth > 0:
                return
            del _HELD[self._key]
        holding.heartbeat.stop()
        _run(self.run, release_script(self.lock_dir, holding.info.token), self.lock_dir, "release")

    def check(self) -> None:
        """LockLost when the heartbeat found this run's lock gone (no I/O: call it often)."""
        with _HELD_GUARD:
            holding = _HELD.get(self._key)
        if holding is not None and holding.heartbeat.lost:
            raise LockLost(f"{self.purpose}: the lock {self.lock_dir} was removed or taken over")

    @property
    def heartbeat_problem(self) -> str | None:
        """The last heartbeat failure (e.g. the host unreachable for a while), if any."""
        with _HELD_GUARD:
            holding = _HELD.get(self._key)
        return holding.heartbeat.problem if holding is not None else None

    def force_unlock(self) -> None:
        """Remove the lock whoever holds it (the operator said its holder is gone)."""
        _run(self.run, remove_script(self.lock_dir), self.lock_dir, "remove")

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire_all(locks: Sequence[Lock]) -> list[Lock]:
    """Take every lock; a held one stops here (LockHeld) with none kept.

    The first is taken alone, so two runs after the same locks (listed in the same
    order) meet there and one of them goes on; the rest, each a round trip to its own
    host, are taken at once.
    """
    taken: list[Lock] = []
    rest: list[tuple[Lock, Future[LockInfo]]] = []
    try:
        for lock in locks[:1]:
            lock.acquire()
            taken.append(lock)
        if len(locks) > 1:
            with ThreadPoolExecutor(max_workers=len(locks) - 1) as pool:
                for lock in locks[1:]:  # each kept as it starts, so a Ctrl-C loses none
                    rest.append((lock, pool.submit(lock.acquire)))
            for lock, take in rest:
                take.result()
                taken.append(lock)
    except BaseException:
        kept = {id(lock) for lock in taken}
        taken += [lock for lock, take in rest if id(lock) not in kept and _took(take)]
        release_all(taken)
        raise
    return taken


def _took(take: Future[LockInfo]) -> bool:
    """Whether the take succeeded, once it has ended (it may still run after a Ctrl-C)."""
    return take.exception() is None


def release_all(locks: list[Lock]) -> None:
    """Release what ``acquire_all`` took (the list ends empty), all at once: each is a round
    trip to its own host. Every one is tried; the first failure is raised after."""
    taken = locks[::-1]
    locks.clear()
    if len(taken) <= 1:
        for lock in taken:
            lock.release()
        return
    with ThreadPoolExecutor(max_workers=len(taken)) as pool:
        releases = [pool.submit(lock.release) for lock in taken]
    for release in releases:
        release.result()


@contextmanager
def holding(locks: Sequence[Lock]) -> Iterator[None]:
    """Hold every lock for the block; a held one stops here (LockHeld) with none kept."""
    taken = acquire_all(locks)
    try:
        yield
    finally:
        release_all(taken)
