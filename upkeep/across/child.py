"""One project's run in a forked child process: its result, output and progress come back.

Why a process and not a thread: pyinfra keeps its current State and Inventory
in process-global context objects (``pyinfra.context.ctx_state`` is not even
thread-local), so two threads running pyinfra see each other's state. A forked
child has its own copy of everything, keeps the parent's parsed arguments and
loaded model (no argv to rebuild, so no secret ever appears in one), and costs
milliseconds where re-running ``upkeep`` costs a second of imports.

The child's stdout goes to a temporary file (read once it ends, so a project's
text is never interleaved with another's), its stderr to a pipe the parent
reads line by line as it comes (the progress steps), and the value ``work``
returns comes back pickled through a third pipe, with the reports it wrote
(noted into the parent's run record, upkeep.state.current). A ``work`` that
raises comes back as the traceback's text: a bug in one project must not take
the run down.

    >>> child = start("demo", lambda: print("hello") or 42)
    >>> while not child.finished:
    ...     _ = child.read_result()
    >>> ended = child.reap()
    >>> ended.value, ended.stdout, ended.crash
    (42, 'hello\\n', '')
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

from upkeep import progress
from upkeep.state.current import note_report, noting

CHUNK = 65536


@dataclass(frozen=True)
class Ended:
    """What a child left: the value ``work`` returned (None if it crashed), its stdout,
    its stderr lines not yet read, and the traceback if ``work`` raised."""

    value: object
    stdout: str
    stderr: tuple[str, ...] = ()
    crash: str = ""


@dataclass
class Child:
    """A running child as the parent sees it: read its pipes, then ``reap`` it."""

    name: str
    pid: int
    stderr_fd: int
    result_fd: int
    stdout_file: IO[bytes]
    _payload: bytearray = field(default_factory=bytearray)
    _partial: bytes = b""
    finished: bool = False  # the result pipe is at its end: the child is done
    stderr_open: bool = True  # until the stderr pipe is at its end

    def read_result(self) -> None:
        """Take what the result pipe holds (call when it is readable)."""
        chunk = os.read(self.result_fd, CHUNK)
        if chunk:
            self._payload += chunk
        else:
            self.finished = True

    def read_stderr(self) -> list[str]:
        """The complete lines the child wrote to stderr since the last call (when readable)."""
        try:
            chunk = os.read(self.stderr_fd, CHUNK)
        except BlockingIOError:
            return []
        if not chunk:
            self.stderr_open = False
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        return [line.decode(errors="replace") for line in lines]

    def abandon(self) -> None:
        """Stop listening and wait for the child to end (the parent was interrupted).

        Not killed: an interrupt from the terminal reached it too, and it undoes
        what it began (a lock taken, a release half made) before it ends; with
        the pipes closed it can never block writing to a parent that stopped reading.
        """
        for fd in (self.stderr_fd, self.result_fd):
            os.close(fd)
        self.stdout_file.close()
        os.waitpid(self.pid, 0)

    def reap(self) -> Ended:
        """Wait for the finished child and close its pipes: its value, output and last lines."""
        os.waitpid(self.pid, 0)
        os.set_blocking(self.stderr_fd, False)  # a grandchild may hold the pipe open
        rest = self.read_stderr() if self.stderr_open else []
        if self._partial:
            rest.append(self._partial.decode(errors="replace"))
        for fd in (self.stderr_fd, self.result_fd):
            os.close(fd)
        self.stdout_file.seek(0)
        stdout = self.stdout_file.read().decode(errors="replace")
        self.stdout_file.close()
        if not self._payload:
            return Ended(None, stdout, tuple(rest), crash="the child process died without a result")
        value, crash, reports = pickle.loads(bytes(self._payload))
        for report in reports:  # the parent's run record lists what its children wrote
            note_report(Path(report))
        return Ended(value, stdout, tuple(rest), crash)


def start(name: str, work: Callable[[], object]) -> Child:
    """``work()`` in a forked child (see the module); the parent's side of it."""
    stdout_file = tempfile.TemporaryFile()  # noqa: SIM115 - the Child closes it when reaped
    stderr_read, stderr_write = os.pipe()
    result_read, result_write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's side; coverage does not follow a fork
        os.close(stderr_read)
        os.close(result_read)
        _run_in_child(work, stdout_file.fileno(), stderr_write, result_write)
    os.close(stderr_write)
    os.close(result_write)
    return Child(name, pid, stderr_read, result_read, stdout_file)


def _run_in_child(work: Callable[[], object], stdout: int, stderr: int, result: int) -> NoReturn:
    try:
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        if "gevent" in sys.modules:  # a fresh event loop: the parent's is not the child's
            import gevent

            gevent.reinit()
        progress.configure(True, {})  # every step goes to the parent, which shows it its way
        with noting() as notes:  # the reports this child writes go back to the parent's run
            try:
                outcome: tuple[object, str, list[str]] = (work(), "", notes.reports)
            except BaseException:  # any failure is this project's, reported
                outcome = (None, traceback.format_exc(), notes.reports)
        sys.stdout.flush()
        sys.stderr.flush()
        payload = memoryview(pickle.dumps(outcome))
        while payload:
            payload = payload[os.write(result, payload) :]
    finally:
        os._exit(0)  # never the parent's atexit handlers, buffers or test runner
