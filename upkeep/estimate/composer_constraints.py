"""Composer version constraints, parsed the way Composer parses them.

A constraint becomes a union of version intervals, so "does ``^7.4 || ^8.0``
allow PHP 8.2?" is an interval intersection, not string matching. The rules
follow Composer's VersionParser: ``^`` and ``~`` ranges, ``*``/``x`` wildcards,
hyphen ranges, ``,`` or space for AND, ``||`` (or ``|``) for OR, stability
flags (``@dev``) and suffixes (``-beta2``, ``-RC1``, ``-dev``), a leading ``v``.
Like Composer, ``<`` and ``>=`` without a stability exclude/include the
pre-releases of the bound (``<8.0`` stops before ``8.0.0-dev``).

    >>> parse_constraint("^7.4 || ^8.0").allows_line(8, 2)
    True
    >>> parse_constraint("~7.1").allows_line(8, 0)
    False
    >>> parse_constraint(">=7.2 <8.1").allows("8.0.30")
    True
    >>> parse_constraint("7.4.*").allows("7.4.33")
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from upkeep.estimate.errors import BadConstraint

# Stability order as Composer sorts it: dev < alpha < beta < RC < stable < patch.
_STABILITY = {
    "dev": 0,
    "alpha": 1,
    "a": 1,
    "beta": 2,
    "b": 2,
    "rc": 3,
    "stable": 4,
    "patch": 5,
    "pl": 5,
    "p": 5,
}
DEV, STABLE = 0, 4

# One version as Composer writes it (without the wildcard and branch forms).
_VERSION = re.compile(
    r"""^v?(?P<n1>\d{1,9})(?:\.(?P<n2>\d+))?(?:\.(?P<n3>\d+))?(?:\.(?P<n4>\d+))?
        (?:[._-]?(?P<stab>stable|beta|b|rc|alpha|a|patch|pl|p)(?P<pre>(?:[.-]?\d+)*))?
        (?P<dev>[.-]?dev)?$""",
    re.IGNORECASE | re.VERBOSE,
)
_WILDCARD = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.[xX*])+$")
_ANY = re.compile(r"^v?[xX*](?:\.[xX*])*$")
_FLAG = re.compile(r"@(?:stable|rc|beta|alpha|dev)$", re.IGNORECASE)
_OPERATORS = ("<>", "!=", ">=", "<=", "==", ">", "<", "=")


@dataclass(frozen=True, order=True)
class Version:
    """A normalized version: four numbers, a stability rank and its number."""

    numbers: tuple[int, int, int, int]
    stability: int = STABLE
    pre: tuple[int, ...] = ()

    def __str__(self) -> str:
        text = ".".join(str(n) for n in self.numbers)
        if self.stability != STABLE:
            name = {0: "dev", 1: "alpha", 2: "beta", 3: "RC", 5: "patch"}[self.stability]
            text += f"-{name}" + "".join(f".{n}" for n in self.pre)
        return text


@dataclass(frozen=True)
class _Parsed:
    """A version as written: which of its four numbers were given, and its stability."""

    numbers: tuple[int, int, int, int]
    given: int  # how many numbers were written (1-4)
    stability: int
    pre: tuple[int, ...]
    explicit_stability: bool

    def version(self, stability: int | None = None) -> Version:
        if stability is not None:
            return Version(self.numbers, stability, ())
        return Version(self.numbers, self.stability, self.pre)


def parse_version(text: str) -> Version:
    """A single version (``v1.2``, ``8.2.32``, ``2.0.0-RC1``) → Version."""
    return _parse_version(text).version()


def _parse_version(text: str) -> _Parsed:
    raw = text.strip()
    raw = raw.split("+", 1)[0]  # build metadata never affects matching
    match = _VERSION.match(raw)
    if not match:
        raise BadConstraint(f"{text!r} is not a version")
    given = [match[f"n{i}"] for i in range(1, 5)]
    count = sum(1 for part in given if part is not None)
    numbers = tuple(int(part) if part is not None else 0 for part in given)
    stability = STABLE
    pre: tuple[int, ...] = ()
    explicit = False
    if match["stab"]:
        stability = _STABILITY[match["stab"].lower()]
        pre = tuple(int(n) for n in re.findall(r"\d+", match["pre"] or ""))
        explicit = True
    if match["dev"]:
        stability, pre, explicit = DEV, (), True
    return _Parsed(numbers, count, stability, pre, explicit)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Bound:
    version: Version
    inclusive: bool


@dataclass(frozen=True)
class Interval:
    """Versions between ``low`` and ``high``; None means unbounded on that side."""

    low: Bound | None = None
    high: Bound | None = None

    def contains(self, version: Version) -> bool:
        if self.low is not None and (
            version < self.low.version or (version == self.low.version and not self.low.inclusive)
        ):
            return False
        return not (
            self.high is not None
            and (
                version > self.high.version
                or (version == self.high.version and not self.high.inclusive)
            )
        )

    def intersect(self, other: Interval) -> Interval | None:
        low = _tighter(self.low, other.low, lower=True)
        high = _tighter(self.high, other.high, lower=False)
        if low is not None and high is not None:
            if low.version > high.version:
                return None
            if low.version == high.version and not (low.inclusive and high.inclusive):
                return None
        return Interval(low, high)


def _tighter(a: Bound | None, b: Bound | None, *, lower: bool) -> Bound | None:
    if a is None:
        return b
    if b is None:
        return a
    if a.version == b.version:
        return Bound(a.version, a.inclusive and b.inclusive)
    if lower:
        return a if a.version > b.version else b
    return a if a.version < b.version else b


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint: the union of its intervals."""

    text: str
    intervals: tuple[Interval, ...]

    def allows(self, version: str | Version) -> bool:
        wanted = parse_version(version) if isinstance(version, str) else version
        return any(interval.contains(wanted) for interval in self.intervals)

    def intersects(self, other: Interval) -> bool:
        return any(interval.intersect(other) is not None for interval in self.intervals)

    def allows_line(self, major: int, minor: int) -> bool:
        """Whether some stable release X.Y.z satisfies the constraint."""
        line = Interval(
            Bound(Version((major, minor, 0, 0)), True),
            Bound(Version((major, minor + 1, 0, 0), DEV), False),
        )
        return self.intersects(line)


def parse_constraint(text: str) -> Constraint:
    """Parse a Composer constraint; BadConstraint says what could not be read."""
    if not isinstance(text, str) or not text.strip():
        raise BadConstraint(f"{text!r} is an empty constraint")
    intervals: list[Interval] = []
    for alternative in _split_or(text.strip()):
        conjunction = [Interval()]
        for atom in _split_and(alternative):
            parts = _atom(atom)
            narrowed: list[Interval] = []
            for left in conjunction:
                for right in parts:
                    both = left.intersect(right)
                    if both is not None:
                        narrowed.append(both)
            conjunction = narrowed
        intervals.extend(conjunction)
    return Constraint(text, tuple(intervals))


def _split_or(text: str) -> list[str]:
    parts = [part.strip() for part in text.replace("||", "|").split("|")]
    if any(not part for part in parts):
        raise BadConstraint(f"{text!r}: empty alternative around '||'")
    return parts


def _split_and(text: str) -> list[str]:
    """Split on commas and spaces, keeping ``>= 1.0`` and ``1.0 - 2.0`` together."""
    tokens = [token for token in re.split(r"[\s,]+", text) if token]
    atoms: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in _OPERATORS or token in ("^", "~"):
            if index + 1 >= len(tokens):
                raise BadConstraint(f"{text!r}: {token!r} needs a version after it")
            token += tokens[index + 1]
            index += 1
        if index + 2 < len(tokens) and tokens[index + 1] == "-":
            token = f"{token} - {tokens[index + 2]}"
            index += 2
        atoms.append(token)
        index += 1
    if not atoms:
        raise BadConstraint(f"{text!r}: nothing to match")
    return atoms


def _atom(atom: str) -> list[Interval]:
    atom = _FLAG.sub("", atom.strip())
    if not atom or _ANY.match(atom):
        return [Interval()]
    if " - " in atom:
        return [_hyphen(atom)]
    if atom.startswith("^"):
        return [_caret(atom[1:])]
    if atom.startswith("~"):
        if atom.startswith("~>"):
            raise BadConstraint(f"{atom!r}: '~>' is Ruby syntax; Composer wants '~'")
        return [_tilde(atom[1:])]
    wildcard = _WILDCARD.match(atom)
    if wildcard:
        return [_wildcard(wildcard)]
    for operator in _OPERATORS:
        if atom.startswith(operator):
            return _comparison(operator, atom[len(operator) :].strip())
    return _comparison("==", atom)


def _bump(numbers: tuple[int, ...], position: int) -> tuple[int, int, int, int]:
    """Increment the number at ``position`` (1-based), zero the rest."""
    out = list(numbers[:position]) + [0] * (4 - position)
    out[position - 1] += 1
    return tuple(out)  # type: ignore[return-value]


def _keep(numbers: tuple[int, ...], position: int) -> tuple[int, int, int, int]:
    return tuple(list(numbers[:position]) + [0] * (4 - position))  # type: ignore[return-value]


def _low_bound(parsed: _Parsed) -> Bound:
    # Composer includes the pre-releases of a lower bound given without stability.
    stability = None if parsed.explicit_stability else DEV
    return Bound(parsed.version(stability), True)


def _caret(text: str) -> Interval:
    parsed = _parse_version(text)
    n1, n2, _n3, _ = parsed.numbers
    if n1 != 0 or parsed.given < 2:
        position = 1
    elif n2 != 0 or parsed.given < 3:
        position = 2
    else:
        position = 3
    high = Version(_bump(parsed.numbers, position), DEV)
    return Interval(_low_bound(parsed), Bound(high, False))


def _tilde(text: str) -> Interval:
    parsed = _parse_version(text)
    position = max(1, parsed.given)
    low = Version(_keep(parsed.numbers, position), DEV)
    if parsed.explicit_stability:
        low = Version(_keep(parsed.numbers, position), parsed.stability, parsed.pre)
    high = Version(_bump(parsed.numbers, max(1, position - 1)), DEV)
    return Interval(Bound(low, True), Bound(high, False))


def _wildcard(match: re.Match[str]) -> Interval:
    numbers = tuple(int(part) if part is not None else 0 for part in match.groups())
    position = sum(1 for part in match.groups() if part is not None)
    padded = (*numbers, 0)
    low = Version(_keep(padded, position), DEV)
    high = Version(_bump(padded, position), DEV)
    if low.numbers == (0, 0, 0, 0):
        return Interval(None, Bound(high, False))
    return Interval(Bound(low, True), Bound(high, False))


def _hyphen(atom: str) -> Interval:
    left, right = (part.strip() for part in atom.split(" - ", 1))
    low = _parse_version(left)
    high = _parse_version(right)
    if high.given >= 3 or high.explicit_stability:
        return Interval(_low_bound(low), Bound(high.version(), True))
    position = 1 if high.given < 2 else 2
    return Interval(_low_bound(low), Bound(Version(_bump(high.numbers, position), DEV), False))


def _comparison(operator: str, text: str) -> list[Interval]:
    if not text:
        raise BadConstraint(f"{operator!r} needs a version after it")
    if text.lower().startswith("dev-"):
        raise BadConstraint(f"{text!r} is a branch, not a version range")
    parsed = _parse_version(text)
    version = parsed.version()
    if operator in ("<", ">=") and not parsed.explicit_stability:
        version = parsed.version(DEV)
    if operator in ("=", "=="):
        return [Interval(Bound(version, True), Bound(version, True))]
    if operator in ("!=", "<>"):
        return [Interval(None, Bound(version, False)), Interval(Bound(version, False), None)]
    if operator == ">":
        return [Interval(Bound(version, False), None)]
    if operator == ">=":
        return [Interval(Bound(version, True), None)]
    if operator == "<":
        return [Interval(None, Bound(version, False))]
    return [Interval(None, Bound(version, True))]  # "<="
