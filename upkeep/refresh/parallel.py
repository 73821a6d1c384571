"""A refresh's database in several streams at once, all read from one moment of the source.

Each stream dumps its share of the tables (``upkeep.refresh.partition``), is
sanitized and rewritten by its own transformer on the control machine, and
is loaded by its own session on the target, as mydumper and myloader do.
Every stream reads the same moment, the way mydumper opens its threads'
snapshots, with ``LOCK TABLES … READ`` standing in for ``FLUSH TABLES WITH
READ LOCK`` (which needs RELOAD, a privilege the read-only dump user has not):

1. A coordinating session on the source locks every base table for reading
   (waiting at most ``LOCK_WAIT`` seconds for writes in flight; new writes
   queue behind the lock, reads go on).
2. Each stream's ``mariadb-dump -v --single-transaction`` starts; its
   ``-- Setting savepoint...`` line on stderr comes right after its
   ``START TRANSACTION WITH CONSISTENT SNAPSHOT`` has returned.
3. Once every stream has said so (within ``SNAPSHOT_WAIT`` seconds), the
   coordinator unlocks: the source's writers go on after a second or so,
   and every stream reads the data as it was while the lock was held.
4. Then, one after the other, the ``after`` streams (routines and events,
   then views: what depends on the tables) once the tables are in.

One stream failing stops all the others and raises its error; the caller
restores the target, as after a single stream.

    >>> stats, transforms = run(lock_argv, tables, routes, after, Passthrough)  # doctest: +SKIP
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from upkeep import credentials, sqlnames
from upkeep.refresh import stream
from upkeep.refresh.stream import StreamFailed, StreamStats, Transform
from upkeep.refresh.wire import GZIP, Wire

LOCK_WAIT = 30  # seconds the lock may wait for the source's writes in flight
SNAPSHOT_WAIT = 120.0  # seconds for every stream to connect and open its snapshot
SNAPSHOT_OPEN = b"-- Setting savepoint"  # mariadb-dump -v, right after its snapshot opened
LOCKED = b"upkeep: locked"


@dataclass(frozen=True)
class Route:
    """One stream's two commands: the source's dump (packed), the target's load (unpacking)."""

    source: Sequence[str]
    target: Sequence[str]


def lock_sql(tables: Sequence[str]) -> str:
    """What the coordinating session runs: every table read-locked, then a line saying so.

    >>> print(lock_sql(["users", "odd`name"]), end="")
    SET SESSION lock_wait_timeout = 30;
    LOCK TABLES `users` READ, `odd``name` READ;
    SELECT 'upkeep: locked';
    """
    locks = ", ".join(f"{sqlnames.quote_identifier(table)} READ" for table in tables)
    return (
        f"SET SESSION lock_wait_timeout = {LOCK_WAIT};\nLOCK TABLES {locks};\n"
        f"SELECT '{LOCKED.decode()}';\n"
    )


class _Coordinator:
    """The session holding the read lock while the streams open their snapshots."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def lock(self, tables: Sequence[str]) -> None:
        process = self.process
        assert process.stdin and process.stdout and process.stderr
        try:
            process.stdin.write(lock_sql(tables).encode())
            process.stdin.flush()
        except BrokenPipeError:
            pass  # the session is gone; its stderr says why
        if process.stdout.readline().strip() != LOCKED:
            self.release()
            error = credentials.redact(process.stderr.read().decode("utf-8", "replace").strip())
            raise StreamFailed(
                f"could not lock the source's tables for one snapshot: {error[-300:]}"
            )

    def release(self) -> None:
        """Unlock, by ending the session (the server drops its locks with it)."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            stream.stop(self.process)
            self.process.wait()


def run(
    lock: Sequence[str],
    tables: Sequence[str],
    routes: Sequence[Route],
    after: Sequence[Route],
    transform: Callable[[], Transform],
    on_progress: Callable[[int, int], None] = lambda _in, _out: None,
    *,
    snapshot_wait: float = SNAPSHOT_WAIT,
    wire: Wire = GZIP,
) -> tuple[StreamStats, list[Transform]]:
    """Lock ``tables`` with ``lock`` (a SQL session on the source, reading stdin), run the
    ``routes`` together, unlock once each has opened its snapshot, then the ``after``
    routes one by one. Returns the streams' stats summed, and each stream's transform."""
    started = time.monotonic()
    transforms = [transform() for _ in [*routes, *after]]
    progress = _Progress(len(transforms), on_progress)
    group = stream.Group()
    events: queue.Queue[tuple[int, BaseException | StreamStats | None]] = queue.Queue()

    def work(index: int, route: Route) -> None:
        def ready() -> None:
            events.put((index, None))

        try:
            stats = stream.pipe(
                route.source,
                route.target,
                transforms[index],
                progress.of(index),
                ready=(SNAPSHOT_OPEN, ready),
                group=group,
                wire=wire,
            )
        except BaseException as error:  # handed to the caller's thread
            events.put((index, error))
        else:
            events.put((index, stats))

    coordinator = _Coordinator(lock)
    try:
        coordinator.lock(tables)
        threads = [
            threading.Thread(target=work, args=(index, route), daemon=True)
            for index, route in enumerate(routes)
        ]
        for thread in threads:
            thread.start()
        results, failure = _gather(events, len(routes), snapshot_wait, coordinator, group)
    except BaseException:
        group.stop()  # interrupted: no stream goes on without us
        raise
    finally:
        coordinator.release()
    for thread in threads:
        thread.join()
    if failure is not None:
        raise failure
    for index, route in enumerate(after, start=len(routes)):
        results.append(
            stream.pipe(
                route.source, route.target, transforms[index], progress.of(index), wire=wire
            )
        )
    return _sum(results, time.monotonic() - started), transforms


def _gather(
    events: queue.Queue[tuple[int, BaseException | StreamStats | None]],
    count: int,
    snapshot_wait: float,
    coordinator: _Coordinator,
    group: stream.Group,
) -> tuple[list[StreamStats], BaseException | None]:
    """Each stream's end; the lock released once all snapshots are open (or one failed)."""
    waiting = set(range(count))  # streams whose snapshot is not open yet
    deadline = time.monotonic() + snapshot_wait
    results: list[StreamStats] = []
    failure: BaseException | None = None
    ended = 0
    while ended < count:
        timeout = max(deadline - time.monotonic(), 0.0) if waiting else None
        try:
            index, event = events.get(timeout=timeout)
        except queue.Empty:
            failure = StreamFailed(
                f"the source did not open {len(waiting)} of the {count} streams' snapshots "
                f"within {snapshot_wait:.0f} s"
            )
            waiting.clear()
            coordinator.release()
            group.stop()
            continue
        waiting.discard(index)
        if not waiting:
            coordinator.release()
        if event is None:
            continue
        ended += 1
        if isinstance(event, StreamStats):
            results.append(event)
        elif failure is None:  # the first failure is the cause; the others were stopped
            failure = event
            waiting.clear()
            coordinator.release()
            group.stop()
    return results, failure


class _Progress:
    """The streams' bytes summed, reported from whichever stream moved."""

    def __init__(self, count: int, report: Callable[[int, int], None]) -> None:
        self._lock = threading.Lock()
        self._done = [(0, 0)] * count
        self._report = report

    def of(self, index: int) -> Callable[[int, int], None]:
        def moved(dump_in: int, dump_out: int) -> None:
            with self._lock:
                self._done[index] = (dump_in, dump_out)
                self._report(sum(d[0] for d in self._done), sum(d[1] for d in self._done))

        return moved


def _sum(results: Sequence[StreamStats], seconds: float) -> StreamStats:
    return StreamStats(
        sum(r.wire_in for r in results),
        sum(r.dump_in for r in results),
        sum(r.dump_out for r in results),
        sum(r.wire_out for r in results),
        seconds,
    )
