"""The refresh's wire: the hosts' commands and the control machine's codecs agree."""

from __future__ import annotations

import subprocess

import pytest

from upkeep.refresh.wire import GZIP, PROBE, ZSTD, Wire, chosen

DUMP = b"".join(b"INSERT INTO t VALUES (%d,'row %d');\n" % (i, i) for i in range(20_000))


@pytest.mark.parametrize("wire", [GZIP, ZSTD], ids=lambda wire: wire.name)
def test_what_a_host_packs_the_control_machine_unpacks_and_back(wire: Wire) -> None:
    packed = subprocess.run(["sh", "-c", wire.pack], input=DUMP, capture_output=True, check=True)
    unpacker = wire.unpacker()
    assert unpacker.decompress(packed.stdout) + unpacker.flush() == DUMP
    packer = wire.packer()
    ours = packer.compress(DUMP) + packer.flush()
    unpacked = subprocess.run(
        ["sh", "-c", wire.unpack], input=ours, capture_output=True, check=True
    )
    assert unpacked.stdout == DUMP
    assert len(ours) < len(DUMP) / 5


def test_zstd_only_when_every_host_has_it() -> None:
    here = subprocess.run(["sh", "-c", PROBE], capture_output=True, text=True, check=True).stdout
    assert chosen([here, here]) is ZSTD  # this machine has zstd (scripts/bootstrap)
    assert chosen([here, ""]) is GZIP
    hidden = subprocess.run(
        ["env", "PATH=/nonexistent", "/bin/sh", "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert chosen([here, hidden]) is GZIP
