"""Streams run together from one snapshot, with local commands standing where ssh would be.

The coordinator is a shell reading the lock's SQL on stdin and logging when its
session ends (the unlock); each source says its snapshot is open on stderr as
``mariadb-dump -v`` does, and logs it. The log's order is what is checked.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from tests.unit.refresh.conftest import processes_alive
from upkeep.refresh.parallel import Route, lock_sql, run
from upkeep.refresh.stream import Passthrough, StreamFailed


def _lock(log: Path) -> list[str]:
    # Reads the three lines of lock_sql, says it is locked, holds until stdin ends.
    return [
        "bash",
        "-c",
        f"read a; read b; read c; echo 'upkeep: locked'; cat >/dev/null; echo unlocked >> {log}",
    ]


def _source(
    log: Path, name: str, data: str, before: str = "true", after: str = "true"
) -> list[str]:
    script = (
        f"{before}; echo 'snapshot {name}' >> {log}; echo '-- Setting savepoint...' >&2; "
        f"printf {data!r} | gzip -1; {after}"
    )
    return ["bash", "-c", f"set -o pipefail; {script}"]


def _target(log: Path, out: Path, name: str) -> list[str]:
    return ["bash", "-c", f"set -o pipefail; gunzip >> {out} && echo 'loaded {name}' >> {log}"]


def test_the_lock_is_held_until_every_stream_has_opened_its_snapshot(tmp_path: Path) -> None:
    log, out = tmp_path / "log", tmp_path / "out"
    routes = [
        Route(_source(log, "a", "A;\n"), _target(log, out, "a")),
        Route(_source(log, "b", "B;\n", before="sleep 0.5"), _target(log, out, "b")),
    ]
    after = [Route(_source(log, "views", "V;\n"), _target(log, out, "views"))]

    stats, transforms = run(_lock(log), ["a", "b"], routes, after, Passthrough)

    lines = log.read_text().splitlines()
    assert lines.index("unlocked") > max(lines.index("snapshot a"), lines.index("snapshot b"))
    # What depends on the tables starts once every table is in.
    assert lines.index("snapshot views") > max(lines.index("loaded a"), lines.index("loaded b"))
    assert sorted(out.read_text().splitlines()) == ["A;", "B;", "V;"]
    assert stats.dump_in == stats.dump_out == 9 and len(transforms) == 3


def test_one_stream_failing_stops_the_others_and_says_why(tmp_path: Path) -> None:
    log, out = tmp_path / "log", tmp_path / "out"
    failing = "echo 'mariadb-dump: Got error: 1146: no such table' >&2; exit 2"
    routes = [
        Route(_source(log, "a", "A;\n", after=failing), _target(log, out, "a")),
        Route(
            _source(log, "b", "B;\n", after=f"sleep 30; echo finished >> {log}"),
            _target(log, out, "b"),
        ),
    ]
    after = [Route(_source(log, "views", "V;\n"), _target(log, out, "views"))]

    with pytest.raises(StreamFailed, match=r"dump on the source failed.*1146"):
        run(_lock(log), ["a", "b"], routes, after, Passthrough)

    lines = log.read_text().splitlines()
    assert "finished" not in lines  # the sibling was stopped, not waited for
    assert "snapshot views" not in lines and "unlocked" in lines


def test_a_lock_refused_is_a_clear_error_and_no_stream_starts(tmp_path: Path) -> None:
    log, out = tmp_path / "log", tmp_path / "out"
    refuse = ["bash", "-c", "echo 'ERROR 1142 (42000): LOCK command denied' >&2; exit 1"]
    routes = [Route(_source(log, "a", "A;\n"), _target(log, out, "a"))]

    with pytest.raises(StreamFailed, match=r"could not lock the source's tables.*1142"):
        run(refuse, ["a"], routes, [], Passthrough)

    assert not log.exists() and not out.exists()


def test_a_snapshot_that_never_opens_ends_the_run(tmp_path: Path) -> None:
    log, out = tmp_path / "log", tmp_path / "out"
    silent = ["bash", "-c", "sleep 30"]  # connected, but never says its snapshot is open
    routes = [Route(silent, _target(log, out, "a"))]

    with pytest.raises(StreamFailed, match=r"did not open 1 of the 1 streams' snapshots"):
        run(_lock(log), ["a"], routes, [], Passthrough, snapshot_wait=0.5)

    assert log.read_text().splitlines() == ["unlocked"]


def test_the_lock_names_each_table_quoted() -> None:
    assert "LOCK TABLES `a``b` READ, `c` READ;" in lock_sql(["a`b", "c"])


def test_an_interrupt_stops_every_stream(tmp_path: Path) -> None:
    log, out = tmp_path / "log", tmp_path / "out"
    marker = f"sleep 7.{os.getpid()}"  # long enough, and a name to find the sources by
    routes = [Route(_source(log, n, f"{n};\n", after=marker), _target(log, out, n)) for n in "ab"]
    # Ctrl-C as the terminal sends it (SIGINT to this process), once both streams run.
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()

    with pytest.raises(KeyboardInterrupt):
        run(_lock(log), ["a", "b"], routes, [], Passthrough)

    timer.join()
    assert processes_alive(marker) == []  # before: both sources went on, orphaned
