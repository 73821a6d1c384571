"""The effort model: transparent minutes per finding, plus the fixed parts of a quote.

Code findings are priced per *group* — one rule in one file — because 200
identical calls in one file are one piece of understanding and a repeated
edit, not 200 pieces of work:

    group minutes = first[tier] + further[tier] × min(count − 1, further_cap)

A rule Rector fixes automatically costs ``rector_factor`` of that (a run and a
review). Each tier has a low/high spread around the expected figure; large
work is the least certain. Then come the fixed parts: files the parser could
not read (someone reads them), Composer (each blocking package is an update
with a changelog to read), a rehearsal on staging (more when the upgrade
crosses a major version), and regression testing scaled by the size of the
code and doubled when the project has no automated tests.

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


@dataclass(frozen=True)
class EffortModel:
    first: dict[Tier, float] = field(default_factory=lambda: _tiers(5, 15, 45, 120))
    further: dict[Tier, float] = field(default_factory=lambda: _tiers(1, 3, 10, 20))
    further_cap: int = 25
    rector_factor: float = 0.3
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

    def assumptions(self) -> tuple[tuple[str, str], ...]:
        tiers = ", ".join(
            f"{tier.value} {self.first[tier]:g}+{self.further[tier]:g}" for tier in Tier
        )
        return (
            ("Minutes per rule and file (first + each further finding)", tiers),
            ("Further findings of one rule in one file counted up to", str(self.further_cap)),
            ("Automated by Rector", f"{self.rector_factor:.0%} of the manual time"),
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
                "Rehearsal on staging",
                f"{self.rehearsal_hours:g} h + "
                f"{self.rehearsal_per_extra_major:g} h per extra major version crossed",
            ),
            (
                "Regression testing",
                f"{self.testing_base_hours:g} h + "
                f"{self.testing_hours_per_kloc:g} h per 1,000 lines; ×{self.untested_factor:g} "
                "without automated tests",
            ),
        )


def _hours(minutes: float) -> float:
    return minutes / 60.0


def _tenth(hours: float) -> float:
    return round(hours, 1)


def _half(hours: float) -> float:
    return round(hours * 2) / 2


def estimate_effort(
    findings: tuple[Finding, ...],
    parse_problems: tuple[ParseProblem, ...],
    composer: ComposerReport,
    *,
    lines_of_code: int,
    has_tests: bool,
    majors_crossed: int,
    model: EffortModel | None = None,
) -> EffortEstimate:
    model = model or EffortModel()
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[(finding.path, finding.rule)].append(finding)
    per_category: dict[str, list[float]] = {}
    category_counts: dict[str, list[int]] = {}
    per_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for (path, _rule), members in sorted(groups.items()):
        first = members[0]
        minutes = model.group_minutes(first.tier, len(members), rector=first.rector)
        totals = per_category.setdefault(first.category, [0.0, 0.0, 0.0])
        totals[0] += minutes * model.low[first.tier]
        totals[1] += minutes
        totals[2] += minutes * model.high[first.tier]
        counts = category_counts.setdefault(first.category, [0, 0, 0])
        counts[0] += len(members)
        counts[1] += sum(1 for f in members if f.severity is Severity.BREAKS)
        entry = per_file[path]
        entry[0] += minutes
        entry[1] += len(members)
        entry[2] += 1
    lines: list[EffortLine] = []
    for category in sorted(per_category):
        low, expected, high = per_category[category]
        total, breaking, _ = category_counts[category]
        files = len(
            {path for (path, _), members in groups.items() if members[0].category == category}
        )
        detail = f"{plural(total, 'finding')} ({breaking:,} breaking) in {plural(files, 'file')}"
        lines.append(
            EffortLine(category, detail, *(_tenth(_hours(v)) for v in (low, expected, high)))
        )
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
        f"{lines_of_code:,} lines of PHP, "
        f"{'automated tests found' if has_tests else 'no automated tests found'}"
    )
    lines.append(_spread("Regression testing", test_detail, testing, model.fixed_spread))
    top = sorted(per_file.items(), key=lambda item: (-item[1][0], item[0]))[:10]
    top_files = tuple(
        FileEffort(path, _tenth(_hours(minutes)), int(count), int(rules))
        for path, (minutes, count, rules) in top
    )
    return EffortEstimate(
        low=_half(sum(line.low for line in lines)),
        expected=_half(sum(line.expected for line in lines)),
        high=_half(sum(line.high for line in lines)),
        lines=tuple(lines),
        top_files=top_files,
        assumptions=model.assumptions(),
    )


def _spread(category: str, detail: str, hours: float, spread: tuple[float, float]) -> EffortLine:
    return EffortLine(
        category, detail, _tenth(hours * spread[0]), _tenth(hours), _tenth(hours * spread[1])
    )
