"""How a refresh's dump is compressed between the hosts and the control machine.

zstd where both hosts have it, gzip otherwise (every Debian host has gzip;
provision installs zstd). At level 1 zstd spends a quarter of gzip's CPU on
the same dump and sends fewer bytes: bench_refresh's 615 MB dump took 0.9 CPU
s to pack and 0.4 s to unpack into 38 MB, against gzip's 3.5 s and 1.9 s into
53 MB. The source packs, the control machine unpacks, transforms and packs
again, the target unpacks: four times per stream, one of them on production.

    >>> chosen(["zstd", "zstd"]).name, chosen(["zstd", ""]).name
    ('zstd', 'gzip')
    >>> ZSTD.pack
    'zstd -1 -q -c'
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import zstandard

# What a host answers when asked which it can do: "zstd", or nothing.
PROBE = "command -v zstd >/dev/null 2>&1 && echo zstd || true"


class Unpacker(Protocol):
    def decompress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class Packer(Protocol):
    def compress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


@dataclass(frozen=True)
class Wire:
    """One compression, on the hosts (shell commands) and on the control machine."""

    name: str
    pack: str  # a host's command: stdin packed onto stdout
    unpack: str  # a host's command: stdin unpacked onto stdout
    unpacker: Callable[[], Unpacker]
    packer: Callable[[], Packer]
    broken: tuple[type[Exception], ...]  # what its unpacker raises on bytes it cannot read


GZIP_CONTAINER = 31  # zlib's wbits for gzip's format

GZIP = Wire(
    "gzip",
    "gzip -1",
    "gunzip",
    lambda: zlib.decompressobj(GZIP_CONTAINER),
    lambda: zlib.compressobj(1, zlib.DEFLATED, GZIP_CONTAINER),
    (zlib.error,),
)
ZSTD = Wire(
    "zstd",
    "zstd -1 -q -c",
    "zstd -d -q -c",
    lambda: zstandard.ZstdDecompressor().decompressobj(),
    lambda: zstandard.ZstdCompressor(level=1).compressobj(),
    (zstandard.ZstdError,),
)


def chosen(answers: Iterable[str]) -> Wire:
    """zstd when every host answered ``PROBE`` with it, else gzip."""
    return ZSTD if all(answer.strip() == "zstd" for answer in answers) else GZIP
