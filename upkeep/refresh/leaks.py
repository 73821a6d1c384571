"""Proving that no source e-mail address reached the target, without keeping any.

The transformer fingerprints (keyed hash, the refresh's secret) every address
it finds in a value it sanitizes. After the import, the verify step dumps the
target and feeds it here: every address-shaped text in the dump is
fingerprinted the same way and looked up. A hit means a production address
survived somewhere (a free-text column, a serialized blob, a table the rules
missed); the report names the table and how many, never the address.

    >>> from upkeep.refresh.pseudonyms import Fakes, Fingerprints
    >>> salt = b"k" * 16
    >>> seen = Fingerprints.of([Fakes(salt).fingerprint(b"anna@example.com")])
    >>> scanner = LeakScanner(salt, seen)
    >>> scanner.feed(b"INSERT INTO `notes` VALUES (1,'ask ANNA@example.com'),(2,'x@y.example');\\n")
    >>> scanner.close()
    LeakReport(addresses_checked=2, leaks={'notes': 1})
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field

from upkeep.refresh.pseudonyms import EMAIL, Fakes

_TABLE = re.compile(rb"(?:INSERT(?: IGNORE)?|REPLACE) INTO `((?:[^`]|``)+)`")


@dataclass(frozen=True)
class LeakReport:
    addresses_checked: int
    leaks: Mapping[str, int] = field(default_factory=dict)  # table → source addresses found

    @property
    def clean(self) -> bool:
        return not self.leaks


class LeakScanner:
    """Feed it a dump of the target; ``close`` says where source addresses remain."""

    def __init__(self, salt: bytes, fingerprints: Container[int]) -> None:
        self._fakes = Fakes(salt)
        self._fingerprints = fingerprints
        self._rest = b""
        self._table = "(outside any table)"
        self._checked = 0
        self._leaks: dict[str, int] = {}

    def feed(self, chunk: bytes) -> None:
        data = self._rest + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            self._rest = data
            return
        self._rest = data[cut + 1 :]
        self._scan(data[: cut + 1])

    def close(self) -> LeakReport:
        rest, self._rest = self._rest, b""
        self._scan(rest)
        return LeakReport(self._checked, dict(self._leaks))

    def _scan(self, data: bytes) -> None:
        if b"@" not in data and b"INSERT" not in data and b"REPLACE" not in data:
            return
        for line in data.split(b"\n"):
            if line[:1] in (b"I", b"R"):
                header = _TABLE.match(line)
                if header is not None:
                    self._table = header.group(1).replace(b"``", b"`").decode("utf-8", "replace")
            if b"@" not in line:
                continue
            # In the dump a quote in an address is escaped; read it as the value has it.
            text = line.replace(b"\\'", b"'") if b"\\'" in line else line
            for address in EMAIL.findall(text):
                self._checked += 1
                if self._fakes.fingerprint(address) in self._fingerprints:
                    self._leaks[self._table] = self._leaks.get(self._table, 0) + 1


def scan(chunks: Iterable[bytes], salt: bytes, fingerprints: Container[int]) -> LeakReport:
    """``LeakScanner`` over a whole stream."""
    scanner = LeakScanner(salt, fingerprints)
    for chunk in chunks:
        scanner.feed(chunk)
    return scanner.close()
