"""Deterministic fake values and keyed fingerprints, from one per-refresh secret.

Every fake is derived from the original value with a keyed hash (BLAKE2b in
keyed mode: a MAC like HMAC, at a third of the cost per value), so within
one refresh the same person gets the same fake everywhere (users.email and
orders.email still join), distinct e-mail addresses stay distinct (UNIQUE
keys hold: 64 bits, a collision is ~1e-7 likely at two million addresses),
and without the secret nothing leads back to the original. Fakes are ASCII,
so they fit a column in any character set.

E-mail addresses are compared lowercased and trimmed, as MariaDB's default
collations compare them; the same address in two spellings is one person.

    >>> fakes = Fakes(b"0123456789abcdef0123456789abcdef")
    >>> fakes.email(b"Anna.Muller1@Example.com") == fakes.email(b"anna.muller1@example.com")
    True
    >>> fakes.email(b"anna@example.com")
    b'user-...@example.invalid'
    >>> fakes.name(b"Anna M\\xc3\\xbcller") == fakes.name(b"Anna M\\xc3\\xbcller")
    True
"""

from __future__ import annotations

import bisect
import hashlib
import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Local part: no quote at the start, so a SQL literal's own quote is never taken for it.
EMAIL = re.compile(rb"[A-Za-z0-9_%+-][A-Za-z0-9._%+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

FIRST_NAMES = (
    b"Alex",
    b"Billie",
    b"Casey",
    b"Dana",
    b"Eli",
    b"Frankie",
    b"Gale",
    b"Harper",
    b"Indy",
    b"Jamie",
    b"Kai",
    b"Lee",
    b"Morgan",
    b"Noel",
    b"Oakley",
    b"Parker",
    b"Quinn",
    b"Reese",
    b"Sam",
    b"Taylor",
    b"Uli",
    b"Val",
    b"Wren",
    b"Yael",
)
LAST_NAMES = (
    b"Archer",
    b"Baker",
    b"Carter",
    b"Dalton",
    b"Ellis",
    b"Fisher",
    b"Garner",
    b"Hayes",
    b"Irwin",
    b"Jensen",
    b"Keller",
    b"Lane",
    b"Mason",
    b"Nolan",
    b"Owens",
    b"Porter",
    b"Quill",
    b"Reed",
    b"Sawyer",
    b"Turner",
    b"Upton",
    b"Vance",
    b"Walker",
    b"Young",
)
MIN_SECRET = 16


class Fakes:
    """The fakes and fingerprints of one refresh, keyed by its secret ``salt``."""

    def __init__(self, salt: bytes) -> None:
        if len(salt) < MIN_SECRET:
            raise ValueError(f"the salt must be at least {MIN_SECRET} random bytes")
        # BLAKE2b takes keys of up to 64 bytes; a longer secret is hashed down first.
        key = salt if len(salt) <= 64 else hashlib.blake2b(salt).digest()
        # One keyed state per purpose, copied per value (cheaper than keying each time).
        self._email = hashlib.blake2b(key=key, digest_size=8, person=b"upkeep:email")
        self._name = hashlib.blake2b(key=key, digest_size=8, person=b"upkeep:name")
        self._hash = hashlib.blake2b(key=key, digest_size=16, person=b"upkeep:hash")
        self._seen = hashlib.blake2b(key=key, digest_size=8, person=b"upkeep:seen")

    def email(self, value: bytes) -> bytes:
        """``user-<16 hex>@example.invalid``; '' stays '' (nothing to hide, nothing to invent)."""
        normal = value.strip().lower()
        if not normal:
            return value
        digest = self._email.copy()
        digest.update(normal)
        return b"user-" + digest.hexdigest().encode() + b"@example.invalid"

    def name(self, value: bytes) -> bytes:
        """``First Last`` from the built-in lists."""
        if not value.strip():
            return value
        pick = self._pick(value)
        return (
            FIRST_NAMES[pick[0] % len(FIRST_NAMES)] + b" " + LAST_NAMES[pick[1] % len(LAST_NAMES)]
        )

    def first_name(self, value: bytes) -> bytes:
        return FIRST_NAMES[self._pick(value)[0] % len(FIRST_NAMES)] if value.strip() else value

    def last_name(self, value: bytes) -> bytes:
        return LAST_NAMES[self._pick(value)[1] % len(LAST_NAMES)] if value.strip() else value

    def hash(self, value: bytes) -> bytes:
        """32 hex digits of the keyed hash of the exact value."""
        if not value:
            return value
        digest = self._hash.copy()
        digest.update(value)
        return digest.hexdigest().encode()

    def fingerprint(self, email: bytes) -> int:
        """A keyed 64-bit fingerprint of an address, to find it again without keeping it.

        >>> fakes = Fakes(b"0123456789abcdef")
        >>> fakes.fingerprint(b"A@B.example") == fakes.fingerprint(b"a@b.example")
        True
        """
        digest = self._seen.copy()
        digest.update(email.strip().lower())
        return int.from_bytes(digest.digest(), "big")

    def fingerprints_in(self, value: bytes) -> list[int]:
        """Fingerprints of every e-mail address written anywhere in ``value``."""
        if b"@" not in value:
            return []
        return [self.fingerprint(found) for found in EMAIL.findall(value)]

    def _pick(self, value: bytes) -> bytes:
        digest = self._name.copy()
        digest.update(value.strip())
        return digest.digest()


@dataclass(frozen=True)
class Fingerprints:
    """A set of 64-bit fingerprints at 8 bytes each: sorted, packed, searched by halves.

    Two million addresses take 16 MB here, against ~300 MB as a set of ints.

    >>> seen = Fingerprints.of([7, 3, 7])
    >>> 3 in seen, 5 in seen, len(seen)
    (True, False, 2)
    """

    packed: bytes = b""

    @classmethod
    def of(cls, values: Iterable[int]) -> Fingerprints:
        return cls(array("Q", sorted(set(values))).tobytes())

    def _view(self) -> memoryview:
        return memoryview(self.packed).cast("Q")

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        view = self._view()
        index = bisect.bisect_left(view, value)
        return index < len(view) and view[index] == value

    def __len__(self) -> int:
        return len(self.packed) // 8

    def __iter__(self) -> Iterator[int]:
        return iter(self._view().tolist())
