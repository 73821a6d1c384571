"""The estimate as values: frozen dataclasses, rendered only at the edge.

Everything a report shows is here, already sorted, with paths relative to the
scanned tree and no clock readings, so the same input renders to the same
bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from upkeep.estimate.catalogue import Severity, Tier


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    category: str
    tier: Tier
    rector: bool
    name: str  # what was found: a function, a constant, a code excerpt
    message: str
    hint: str


@dataclass(frozen=True)
class UnreadableFile:
    path: str
    reason: str


@dataclass(frozen=True)
class ParseProblem:
    """Code the parser rejected and no rule explains: someone must read it."""

    path: str
    line: int
    column: int


@dataclass(frozen=True)
class ComposerFinding:
    kind: str  # php-constraint, platform-php, extension, locked-package, unreadable
    subject: str  # composer.json, ext-mcrypt, vendor/package 1.2.3 ...
    severity: Severity
    message: str
    hint: str


@dataclass(frozen=True)
class ComposerReport:
    present: bool
    php_constraint: str | None
    platform_php: str | None
    locked_packages: int
    findings: tuple[ComposerFinding, ...]


@dataclass(frozen=True)
class EffortLine:
    """One line of the estimate: a category of work with its hour range."""

    category: str
    detail: str
    low: float
    expected: float
    high: float


@dataclass(frozen=True)
class FileEffort:
    path: str
    hours: float
    findings: int
    rules: int


@dataclass(frozen=True)
class EffortEstimate:
    low: float
    expected: float
    high: float
    lines: tuple[EffortLine, ...]
    top_files: tuple[FileEffort, ...]
    assumptions: tuple[tuple[str, str], ...]

    def by_category(self) -> tuple[tuple[str, float, float, float], ...]:
        totals: dict[str, list[float]] = {}
        for line in self.lines:
            entry = totals.setdefault(line.category, [0.0, 0.0, 0.0])
            entry[0] += line.low
            entry[1] += line.expected
            entry[2] += line.high
        return tuple((name, *map(_round, values)) for name, values in totals.items())  # type: ignore[misc]


def _round(hours: float) -> float:
    return round(hours, 1)


def plural(count: int, word: str) -> str:
    """``1 file``, ``2 files``; counts over 999 get thousands separators.

    >>> plural(1, "finding"), plural(1200, "file")
    ('1 finding', '1,200 files')
    """
    return f"{count:,} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class RiskNote:
    id: str
    since: str
    title: str
    text: str
    always: bool = False  # a risk of every upgrade, whatever the lines


@dataclass(frozen=True)
class RuleNote:
    """A catalogue rule that has findings, as the report explains it."""

    id: str
    category: str
    deprecated: str | None
    removed: str | None
    tier: Tier
    rector: bool
    manual: str  # the PHP manual's migration page, e.g. migration74.deprecated
    hint: str


@dataclass(frozen=True)
class Estimate:
    source: str  # what was scanned: the --path as given, or project@ref
    project: str | None
    ref: str | None
    from_line: str
    to_line: str
    steps: tuple[str, ...]
    catalogue: str  # digest of the rule catalogue used
    rules_applied: int
    files_scanned: int
    lines_scanned: int
    has_tests: bool
    excluded: tuple[str, ...]
    findings: tuple[Finding, ...]
    unreadable: tuple[UnreadableFile, ...]
    parse_problems: tuple[ParseProblem, ...]
    composer: ComposerReport
    effort: EffortEstimate
    risks: tuple[RiskNote, ...]
    rules: tuple[RuleNote, ...] = ()  # the rules behind the findings, by id

    @property
    def breaking(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.BREAKS)

    @property
    def deprecated(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.DEPRECATED)

    @property
    def files_with_findings(self) -> int:
        return len({f.path for f in self.findings})
