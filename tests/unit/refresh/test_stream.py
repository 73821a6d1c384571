"""The host-to-host pipe, with local commands standing where ssh would be."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from upkeep.refresh.stream import Passthrough, StreamFailed, pipe, read
from upkeep.refresh.wire import GZIP, ZSTD, Wire

DUMP = b"".join(b"INSERT INTO t VALUES (%d,'row %d');\n" % (i, i) for i in range(50_000))


def _source(tmp_path: Path, data: bytes = DUMP, fail: bool = False, wire: Wire = GZIP) -> list[str]:
    dump = tmp_path / "dump.sql"
    dump.write_bytes(data)
    tail = "; echo 'mariadb-dump: Got error: 1045' >&2; exit 2" if fail else ""
    return ["bash", "-c", f"set -o pipefail; {wire.pack} < {dump}{tail}"]


def _target(tmp_path: Path, fail_after: int | None = None, wire: Wire = GZIP) -> list[str]:
    out = tmp_path / "imported.sql"
    if fail_after is not None:  # a target that dies midway, like a full disk
        return [
            "bash",
            "-c",
            f"head -c {fail_after} >/dev/null; echo 'ERROR 3 (HY000): Error writing file' >&2; exit 1",
        ]
    return ["bash", "-c", f"set -o pipefail; {wire.unpack} > {out}"]


class Upper:
    def feed(self, chunk: bytes) -> bytes:
        return chunk.upper()

    def close(self) -> bytes:
        return b"-- end\n"


@pytest.mark.parametrize("wire", [GZIP, ZSTD], ids=lambda wire: wire.name)
def test_the_dump_arrives_whole_and_compressed_on_the_wire(tmp_path: Path, wire: Wire) -> None:
    stats = pipe(
        _source(tmp_path, wire=wire), _target(tmp_path, wire=wire), Passthrough(), wire=wire
    )
    assert (tmp_path / "imported.sql").read_bytes() == DUMP
    assert stats.dump_in == stats.dump_out == len(DUMP)
    assert stats.wire_in < len(DUMP) / 3 and stats.wire_out < len(DUMP) / 3


def test_a_host_packing_otherwise_than_the_wire_says_is_a_broken_stream(tmp_path: Path) -> None:
    with pytest.raises(StreamFailed, match="the source sent a broken stream"):
        pipe(_source(tmp_path, wire=GZIP), _target(tmp_path, wire=ZSTD), Passthrough(), wire=ZSTD)


@pytest.mark.parametrize("wire", [GZIP, ZSTD], ids=lambda wire: wire.name)
def test_a_host_s_dump_is_read_back_unpacked(tmp_path: Path, wire: Wire) -> None:
    chunks: list[bytes] = []
    assert read(_source(tmp_path, wire=wire), chunks.append, wire=wire) == len(DUMP)
    assert b"".join(chunks) == DUMP


def test_the_transform_is_applied_on_the_way(tmp_path: Path) -> None:
    pipe(_source(tmp_path), _target(tmp_path), Upper())
    assert (tmp_path / "imported.sql").read_bytes() == DUMP.upper() + b"-- end\n"


def test_a_failing_source_is_reported_with_its_error(tmp_path: Path) -> None:
    with pytest.raises(StreamFailed, match=r"dump on the source failed.*1045"):
        pipe(_source(tmp_path, fail=True), _target(tmp_path), Passthrough())


def test_a_target_dying_midway_ends_the_stream(tmp_path: Path) -> None:
    big = gzip.compress(DUMP * 20)  # incompressible enough that the target stops before the end
    with pytest.raises(StreamFailed, match=r"import on the target failed.*Error writing file"):
        pipe(_source(tmp_path, data=big), _target(tmp_path, fail_after=50_000), Passthrough())


def test_a_transform_error_stops_both_ends_and_propagates(tmp_path: Path) -> None:
    class Broken(Passthrough):
        def feed(self, chunk: bytes) -> bytes:
            raise ValueError("bad rule")

    with pytest.raises(ValueError, match="bad rule"):
        pipe(_source(tmp_path), _target(tmp_path), Broken())
