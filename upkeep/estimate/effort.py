"""The effort model: transparent minutes per finding, plus the fixed parts of a quote.

Code findings are priced per *group* — one rule in one file — because 200
identical calls in one file are one piece of understanding and a repeated
edit, not 200 pieces of work:

    group minutes = first[tier] + further[tier] × min(count − 1, further_cap)

A rule Rector fixes automatically costs ``rector_factor`` of that (a run and a
review), and those hours are shown apart from the manual ones, with the cost
of setting Rector up once. Each tier has a low/high spread around the
expected figure; large work is the least certain.

Bundled third-party libraries (see ``libraries``) are not priced finding by
finding: each is one line, "upgrade or replace", with its own hours, and its
code is left out of the testing effort. Behaviour a scan cannot see (8.0
string-to-number comparison, 8.1 null to internal parameters, 8.2 dynamic
properties on objects of unknown type) carries a stated contingency. Then come
the fixed parts: files the parser could not read (someone reads them),
Composer (each blocking package is an update with a changelog to read), a
rehearsal on staging (more when the upgrade crosses a major version), and
regression testing scaled by the size of the application's own code and
doubled when it has no automated tests.

    >>> from upkeep.estimate.catalogue import Tier
    >>> model = EffortModel()
    >>> model.group_minutes(Tier.SMALL, 1, rector=False)
    15.0
    >>> model.group_minutes(Tier.SMALL, 200, rector=False) < 200 * 15
    True
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from upkeep.estimate.catalogue import Severity, Tier
from upkeep.estimate.libraries import Library
from upkeep.estimate.model import (
    ComposerReport,
    EffortEstimate,
    EffortLine,
    FileEffort,
    Finding,
    ParseProblem,
    plural,
)


def _tiers(trivial: float, small: float, medium: float, large: float) -> dict[Tier, float]:
    return {Tier.TRIVIAL: trivial, Tier.SMALL: small, Tier.MEDIUM: medium, Tier.LARGE: large}


AUTOMATED = "Automated fixes (Rector)"
LIBRARY = "Bundled library"
CONTINGENCY = "Runtime-risk contingency"


@dataclass(frozen=True)
class Contingency:
    """Hours held back for a behaviour change no scan can see: base + per 1,000 own lines."""

    title: str
    base_hours: float
    hours_per_kloc: float

    def hours(self, application_lines: int) -> float:
        return self.base_hours + self.hours_per_kloc * application_lines / 1000

    def rule(self) -> str:
        return f"{self.base_hours:g} h + {self.hours_per_kloc:g} h per 1,000 application lines"


def _contingencies() -> dict[str, Contingency]:
    return {
        "string-number-comparison": Contingency("8.0 string to number comparison", 2.0, 0.1),
        "null-to-internal-parameters": Contingency(
            "8.1 null passed to internal function parameters", 2.0, 0.1
        ),
        "dynamic-properties-unseen": Contingency(
            "8.2 dynamic properties where the type is unknown", 1.0, 0.05
        ),
    }


@dataclass(frozen=True)
class EffortModel:
    first: dict[Tier, float] = field(default_factory=lambda: _tiers(5, 15, 45, 120))
    further: dict[Tier, float] = field(default_factory=lambda: _tiers(1, 3, 10, 20))
    further_cap: int = 25
    rector_factor: float = 0.3
    rector_setup_hours: float = 2.0  # install Rector, pick the rule sets, first dry run
    low: dict[Tier, float] = field(default_factory=lambda: _tiers(0.8, 0.7, 0.6, 0.5))
    high: dict[Tier, float] = field(default_factory=lambda: _tiers(1.5, 1.8, 2.0, 2.5))
    parse_problem_minutes: float = 60.0  # per file with code the parser rejected
    composer_minutes: dict[str, float] = field(
        default_factory=lambda: {
            "php-constraint": 15.0,
            "platform-php": 15.0,
            "extension": 30.0,
            "locked-package": 45.0,
            "unreadable": 30.0,
        }
    )
    dependency_base_hours: float = 1.0  # composer update and lockfile review
    minutes_per_locked_package: float = 2.0
    library_hours: float = 4.0  # find a release for the target line, swap it in, adapt calls
    library_check_hours: float = 0.5  # a library with no findings: confirm it runs
    library_hours_per_kloc: float = 0.05  # larger libraries have more API to adapt to
    library_cap_hours: float = 12.0
    contingencies: dict[str, Contingency] = field(default_factory=_contingencies)
    rehearsal_hours: float = 4.0  # staging rehearsal, production switch, rollback drill
    rehearsal_per_extra_major: float = 2.0  # 5.6 → 8.x crosses two majors
    testing_base_hours: float = 2.0
    testing_hours_per_kloc: float = 0.2
    untested_factor: float = 2.0  # no automated tests: regression testing by hand
    uncertain: tuple[float, float] = (0.5, 3.0)  # spread for review and dependency work
    fixed_spread: tuple[float, float] = (0.75, 1.5)

    def group_minutes(self, tier: Tier, count: int, *, rector: bool) -> float:
        further = min(max(count - 1, 0), self.further_cap)
        minutes = self.first[tier] + self.further[tier] * further
        return minutes * (self.rector_factor if rector else 1.0)

    def library_line_hours(self, library_lines: int, findings: int) -> float:
        """One library: upgrade or replace it when it has findings, else confirm it runs."""
        if findings == 0:
            return self.library_check_hours
        hours = self.library_hours + self.library_hours_per_kloc * library_lines / 1000
        return min(hours, self.library_cap_hours)

    def assumptions(self) -> tuple[tuple[str, str], ...]:
        tiers = ", ".join(
            f"{tier.value} {self.first[tier]:g}+{self.further[tier]:g}" for tier in Tier
        )
        return (
            ("Minutes per rule and file (first + each further finding)", tiers),
            ("Further findings of one rule in one file counted up to", str(self.further_cap)),
            (
                "Automated by Rector",
                f"{self.rector_factor:.0%} of the manual time, "
                f"+ {self.rector_setup_hours:g} h to set Rector up once",
            ),
            (
                "Low / high range by tier",
                ", ".join(f"{t.value} ×{self.low[t]:g}–×{self.high[t]:g}" for t in Tier),
            ),
            ("File the parser could not read", f"{self.parse_problem_minutes:g} min"),
            (
                "Composer",
                "; ".join(f"{k} {v:g} min" for k, v in self.composer_minutes.items())
                + f"; base {self.dependency_base_hours:g} h + "
                f"{self.minutes_per_locked_package:g} min per locked package",
            ),
            (
                "Bundled library (upgrade or replace)",
                f"{self.library_hours:g} h + {self.library_hours_per_kloc:g} h per 1,000 of its "
                f"lines, at most {self.library_cap_hours:g} h; {self.library_check_hours:g} h "
                "when it has no findings; its code is not in the testing effort",
            ),
            *((f"Contingency: {c.title}", c.rule()) for c in self.contingencies.values()),
            (
                "Rehearsal on staging",
                f"{self.rehearsal_hours:g} h + "
                f"{self.rehearsal_per_extra_major:g} h per extra major version crossed",
            ),
            (
                "Regression testing",
                f"{self.testing_base_hours:g} h + "
                f"{self.testing_hours_per_kloc:g} h per 1,000 lines of the application's own "
                f"code; ×{self.untested_factor:g} without automated tests",
            ),
        )


def _hours(minutes: float) -> float:
    return minutes / 60.0


def _tenth(hours: float) -> float:
    return round(hours, 1)


def _half(hours: float) -> float:
    return round(hours * 2) / 2


Groups = dict[tuple[str, str], list[Finding]]


def _group(findings: tuple[Finding, ...]) -> Groups:
    """One rule in one file is one piece of work."""
    groups: Groups = defaultdict(list)
    for finding in findings:
        groups[(finding.path, finding.rule)].append(finding)
    return groups


def _code_lines(groups: Groups, model: EffortModel) -> list[EffortLine]:
    """Manual work by category; everything Rector fixes on one line of its own."""
    totals: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    files: dict[str, set[str]] = defaultdict(set)
    for (path, _rule), members in sorted(groups.items()):
        first = members[0]
        category = AUTOMATED if first.rector else first.category
        minutes = model.group_minutes(first.tier, len(members), rector=first.rector)
        entry = totals.setdefault(category, [0.0, 0.0, 0.0])
        entry[0] += minutes * model.low[first.tier]
        entry[1] += minutes
        entry[2] += minutes * model.high[first.tier]
        count = counts.setdefault(category, [0, 0])
        count[0] += len(members)
        count[1] += sum(1 for f in members if f.severity is Severity.BREAKS)
        files[category].add(path)
    lines = []
    for category in sorted(totals, key=lambda name: (name == AUTOMATED, name)):
        low, expected, high = (_hours(v) for v in totals[category])
        total, breaking = counts[category]
        detail = (
            f"{plural(total, 'finding')} ({breaking:,} breaking) "
            f"in {plural(len(files[category]), 'file')}"
        )
        if category == AUTOMATED:
            setup = model.rector_setup_hours
            low, expected, high = low + setup, expected + setup, high + setup
            detail += f", + {setup:g} h to set Rector up"
        lines.append(EffortLine(category, detail, _tenth(low), _tenth(expected), _tenth(high)))
    return lines


def _library_lines(
    libraries: tuple[Library, ...],
    findings: tuple[Finding, ...],
    file_lines: dict[str, int],
    model: EffortModel,
) -> list[EffortLine]:
    """One "upgrade or replace" line per bundled library, with its own hours."""
    lines = []
    for library in libraries:
        members = set(library.files)
        found = [f for f in findings if f.path in members]
        breaking = sum(1 for f in found if f.severity is Severity.BREAKS)
        size = sum(file_lines.get(path, 0) for path in library.files)
        hours = model.library_line_hours(size, len(found))
        where = ", ".join(library.paths[:3]) + (" …" if len(library.paths) > 3 else "")
        verb = "Upgrade or replace" if found else "Confirm it runs:"
        detail = (
            f"{verb} {library.name} ({where}; {plural(len(library.files), 'file')}, "
            f"{plural(size, 'line')}; {plural(len(found), 'finding')}, {breaking:,} breaking; "
            f"found by {library.evidence})"
        )
        lines.append(_spread(LIBRARY, detail, hours, model.uncertain))
    return lines


def _contingency_lines(
    runtime_risks: tuple[str, ...], application_lines: int, model: EffortModel
) -> list[EffortLine]:
    lines = []
    for risk in runtime_risks:
        contingency = model.contingencies.get(risk)
        if contingency is None:
            continue
        detail = f"{contingency.title}: {contingency.rule()} (only testing finds it)"
        lines.append(
            _spread(CONTINGENCY, detail, contingency.hours(application_lines), model.uncertain)
        )
    return lines


def estimate_effort(
    findings: tuple[Finding, ...],
    parse_problems: tuple[ParseProblem, ...],
    composer: ComposerReport,
    *,
    lines_of_code: int,
    has_tests: bool,
    majors_crossed: int,
    model: EffortModel | None = None,
    libraries: tuple[Library, ...] = (),
    file_lines: dict[str, int] | None = None,
    runtime_risks: tuple[str, ...] = (),
) -> EffortEstimate:
    """Price the findings; ``lines_of_code`` counts the application's own code only.

    Findings in a bundled library's files go to that library's one line;
    ``file_lines`` (file → lines) sizes the libraries.
    """
    model = model or EffortModel()
    in_library = {path for library in libraries for path in library.files}
    own = tuple(f for f in findings if f.path not in in_library)
    groups = _group(own)
    lines = _code_lines(groups, model)
    lines.extend(_library_lines(libraries, findings, file_lines or {}, model))
    problem_files = sorted({problem.path for problem in parse_problems})
    if problem_files:
        minutes = model.parse_problem_minutes * len(problem_files)
        lines.append(
            _spread(
                "Manual review",
                f"{plural(len(problem_files), 'file')} with code the parser rejected",
                _hours(minutes),
                model.uncertain,
            )
        )
    if composer.present:
        minutes = sum(model.composer_minutes.get(f.kind, 30.0) for f in composer.findings)
        base = model.dependency_base_hours + _hours(
            model.minutes_per_locked_package * composer.locked_packages
        )
        detail = (
            f"{plural(len(composer.findings), 'Composer finding')}, "
            f"{plural(composer.locked_packages, 'locked package')}"
        )
        lines.append(
            _spread("Composer dependencies", detail, base + _hours(minutes), model.uncertain)
        )
    lines.extend(_contingency_lines(runtime_risks, lines_of_code, model))
    rehearsal = model.rehearsal_hours + model.rehearsal_per_extra_major * max(0, majors_crossed - 1)
    lines.append(
        _spread(
            "Rehearsal and rollout",
            "staging rehearsal, production switch, rollback drill",
            rehearsal,
            model.fixed_spread,
        )
    )
    testing = model.testing_base_hours + model.testing_hours_per_kloc * lines_of_code / 1000
    if not has_tests:
        testing *= model.untested_factor
    test_detail = (
        f"{lines_of_code:,} lines of the application's own PHP, "
        f"{'automated tests found' if has_tests else 'no automated tests found'}"
    )
    lines.append(_spread("Regression testing", test_detail, testing, model.fixed_spread))
    return EffortEstimate(
        low=_half(sum(line.low for line in lines)),
        expected=_half(sum(line.expected for line in lines)),
        high=_half(sum(line.high for line in lines)),
        lines=tuple(lines),
        top_files=_top_files(groups, model),
        assumptions=model.assumptions(),
    )


def _top_files(groups: Groups, model: EffortModel) -> tuple[FileEffort, ...]:
    per_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for (path, _rule), members in groups.items():
        first = members[0]
        entry = per_file[path]
        entry[0] += model.group_minutes(first.tier, len(members), rector=first.rector)
        entry[1] += len(members)
        entry[2] += 1
    top = sorted(per_file.items(), key=lambda item: (-item[1][0], item[0]))[:10]
    return tuple(
        FileEffort(path, _tenth(_hours(minutes)), int(count), int(rules))
        for path, (minutes, count, rules) in top
    )


def split_hours(effort: EffortEstimate) -> tuple[float, float]:
    """(automatable, manual) expected hours: Rector's line against everything else."""
    automated = sum(line.expected for line in effort.lines if line.category == AUTOMATED)
    return _tenth(automated), _tenth(effort.expected - automated)


def _spread(category: str, detail: str, hours: float, spread: tuple[float, float]) -> EffortLine:
    return EffortLine(
        category, detail, _tenth(hours * spread[0]), _tenth(hours), _tenth(hours * spread[1])
    )
