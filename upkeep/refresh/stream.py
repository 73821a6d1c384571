"""Pipe a database from one host to another through the control machine, transformed.

The source host dumps and packs (``upkeep.refresh.wire``: zstd or gzip); the
control machine unpacks, passes the dump through the transformer (sanitize,
rewrite URLs), packs and writes it to the target host, which unpacks and
imports. Nothing lands on the control
machine's disk and the wire carries compressed bytes both ways. Either side
failing (a dropped SSH connection, a full disk, a dump error) ends the stream
with ``StreamFailed``; the caller restores the target.

    >>> stats = pipe(source_argv, target_argv, Passthrough(), on_progress=print)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from upkeep import credentials
from upkeep.errors import UpkeepError
from upkeep.refresh.wire import GZIP, Packer, Wire

# Packed bytes read at a time: about 1 MB unpacked at zstd's or gzip's ratio on a dump.
# The transformer costs less fed in such pieces than in bigger ones (the bench dump:
# 6.3 CPU s fed 1 MiB at a time, 7.6 s fed 4 MiB).
CHUNK = 1 << 16


class StreamFailed(UpkeepError):
    """The stream broke; which side and why is in the message."""


class Transform(Protocol):
    def feed(self, chunk: bytes) -> bytes: ...

    def close(self) -> bytes: ...


class Passthrough:
    """The identity transform: what the raw pipe does."""

    def feed(self, chunk: bytes) -> bytes:
        return chunk

    def close(self) -> bytes:
        return b""


@dataclass(frozen=True)
class StreamStats:
    wire_in: int  # compressed bytes from the source
    dump_in: int  # the dump as the source wrote it
    dump_out: int  # the dump as the target imported it
    wire_out: int  # compressed bytes to the target
    seconds: float


@dataclass
class _Drain:
    """Collects a pipe in a thread so neither side can block on a full buffer."""

    stream: IO[bytes]
    data: bytes = b""

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        self.data = self.stream.read()

    def tail(self, limit: int = 600) -> str:
        return credentials.redact(self.data.decode("utf-8", "replace").strip()[-limit:])


@dataclass
class _Watch(_Drain):
    """A dump's stderr read line by line: ``on_marker`` is called at the first line that
    starts with ``marker``; ``mariadb-dump -v``'s other ``-- `` lines are not kept."""

    marker: bytes = b""
    on_marker: Callable[[], None] = lambda: None

    def _run(self) -> None:
        kept = []
        seen = False
        for line in self.stream:
            if not seen and line.startswith(self.marker):
                seen = True
                self.on_marker()
            if not line.startswith(b"-- "):
                kept.append(line)
        self.data = b"".join(kept)


class Group:
    """The processes of streams that run together: ``stop()`` ends them all, those started
    after it too (one stream failing stops its siblings)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: list[subprocess.Popen[bytes]] = []
        self.stopped = False

    def add(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.append(process)
            stopped = self.stopped
        if stopped:
            stop(process)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            processes = list(self._processes)
        for process in processes:
            stop(process)


class _Writer:
    """Packs and writes to the target in its own thread, so the transform of the next
    chunk overlaps the import of this one (zlib, zstd and pipe writes release the GIL)."""

    def __init__(self, stdin: IO[bytes], packer: Packer) -> None:
        self.stdin = stdin
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self.packer = packer
        self.wire_out = 0
        self.failed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                packed = self.packer.compress(item)
                self.wire_out += len(packed)
                self.stdin.write(packed)
            packed = self.packer.flush()
            self.wire_out += len(packed)
            self.stdin.write(packed)
            self.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            self.failed = True

    def put(self, data: bytes) -> None:
        self._enqueue(data)

    def _enqueue(self, item: bytes | None) -> None:
        # Never wait forever on a full queue whose writer has died.
        while True:
            if self.failed or not self.thread.is_alive():
                raise BrokenPipeError
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        self._enqueue(None)
        self.thread.join()
        if self.failed:
            raise BrokenPipeError

    def abandon(self) -> None:
        """Stop without caring what was written: the caller is stopping both ends."""
        if self.thread.is_alive():
            with contextlib.suppress(queue.Full):
                self.queue.put_nowait(None)
            with contextlib.suppress(OSError, ValueError):
                self.stdin.close()
            self.thread.join(timeout=10)


def pipe(
    source_argv: Sequence[str],
    target_argv: Sequence[str],
    transform: Transform,
    on_progress: Callable[[int, int], None] = lambda _in, _out: None,
    *,
    ready: tuple[bytes, Callable[[], None]] | None = None,
    group: Group | None = None,
    wire: Wire = GZIP,
) -> StreamStats:
    """Run both commands and move the dump from one to the other through ``transform``.

    ``ready`` (a marker and a callback): the callback runs when the source writes a
    line starting with the marker to its stderr (``mariadb-dump -v`` saying its
    snapshot is open). ``group``: the two processes join it, to be stopped with it.
    ``wire``: how the source packs and the target unpacks.
    """
    started = time.monotonic()
    # Each end in its own process group, so stopping it stops all it started.
    source = subprocess.Popen(
        source_argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    target = subprocess.Popen(
        target_argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert source.stdout and source.stderr and target.stdin and target.stdout and target.stderr
    if group is not None:
        group.add(source)
        group.add(target)
    errors = _Drain(source.stderr) if ready is None else _Watch(source.stderr, b"", *ready)
    drains = [errors, _Drain(target.stdout), _Drain(target.stderr)]
    threads = [drain.start() for drain in drains]
    unpacker = wire.unpacker()
    writer = _Writer(target.stdin, wire.packer())
    wire_in = dump_in = dump_out = 0
    broken: str | None = None
    try:
        while chunk := source.stdout.read1(CHUNK):  # type: ignore[attr-defined]
            wire_in += len(chunk)
            raw = unpacker.decompress(chunk)
            dump_in += len(raw)
            out = transform.feed(raw)
            dump_out += len(out)
            writer.put(out)
            on_progress(dump_in, dump_out)
        tail = transform.feed(unpacker.flush()) + transform.close()
        dump_out += len(tail)
        writer.put(tail)
        writer.finish()
    except BrokenPipeError:
        broken = "the target stopped reading"
    except wire.broken as error:
        broken = f"the source sent a broken stream ({error})"
    except BaseException:
        # The transformer failed (or we were interrupted): stop both ends, import nothing more.
        stop(source)
        stop(target)
        writer.abandon()
        raise
    finally:
        if broken:
            writer.abandon()
            stop(source)
        source_code, target_code = source.wait(), target.wait()
        for thread in threads:
            thread.join(timeout=10)
    source_err, _, target_err = drains
    if source_code != 0 and not broken:  # when the target broke, we stopped the source
        raise StreamFailed(
            f"the dump on the source failed (exit {source_code}): {source_err.tail()}"
        )
    if target_code != 0 or broken:
        reason = broken or f"exit {target_code}"
        raise StreamFailed(f"the import on the target failed ({reason}): {target_err.tail()}")
    return StreamStats(wire_in, dump_in, dump_out, writer.wire_out, time.monotonic() - started)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End ``process`` and all it started (it runs in its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def read(
    source_argv: Sequence[str],
    consume: Callable[[bytes], None],
    on_progress: Callable[[int], None] = lambda _in: None,
    wire: Wire = GZIP,
) -> int:
    """Run ``source_argv`` (writing ``wire``'s packing) and hand its unpacked output to
    ``consume``.

    For reading a host's dump on the control machine without keeping it (the
    checks after an import). Returns the bytes consumed.
    """
    source = subprocess.Popen(
        source_argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    assert source.stdout and source.stderr
    errors = _Drain(source.stderr)
    thread = errors.start()
    unpacker = wire.unpacker()
    total = 0
    try:
        while chunk := source.stdout.read1(CHUNK):  # type: ignore[attr-defined]
            raw = unpacker.decompress(chunk)
            total += len(raw)
            consume(raw)
            on_progress(total)
        rest = unpacker.flush()
        total += len(rest)
        consume(rest)
    except wire.broken as error:
        stop(source)
        raise StreamFailed(f"the host sent a broken stream ({error})") from error
    except BaseException:
        stop(source)
        raise
    finally:
        code = source.wait()
        thread.join(timeout=10)
    if code != 0:
        raise StreamFailed(f"reading from the host failed (exit {code}): {errors.tail()}")
    return total
