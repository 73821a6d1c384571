"""Turn per-file hits into findings once the whole project is known.

A hit is kept when its rule counts for (from, to], none of its ``unless``
facts is declared anywhere in the project, and its ``only_if`` fact (if any)
is. A kept hit is a *review* rather than a break when it says so (restoring a
setting that no longer exists) or when the project also declares its
``review_if`` fact (two copies of a class, one declaring the method static).
Findings come out sorted by path, line, column and rule.

    >>> from upkeep.estimate.walker import FileScan, Hit
    >>> from upkeep.estimate.pool import ScanOutcome
    >>> from upkeep.estimate.catalogue import load_catalogue, Severity
    >>> hit = Hit("function.each", 3, 1, "each()", ("function:each",))
    >>> scans = [ScanOutcome("a.php", FileScan((hit,), (), 3, ()))]
    >>> found = resolve_findings(scans, load_catalogue(), {"function.each": Severity.BREAKS})
    >>> [(f.path, f.line, f.rule) for f in found]
    [('a.php', 3, 'function.each')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from upkeep.estimate.catalogue import Catalogue, Severity
from upkeep.estimate.model import Finding, ParseProblem, UnreadableFile
from upkeep.estimate.pool import ScanOutcome


def project_facts(outcomes: Sequence[ScanOutcome]) -> frozenset[str]:
    facts: set[str] = set()
    for outcome in outcomes:
        if outcome.scan is not None:
            facts.update(outcome.scan.facts)
    return frozenset(facts)


def resolve_findings(
    outcomes: Sequence[ScanOutcome],
    catalogue: Catalogue,
    applicable: Mapping[str, Severity],
) -> tuple[Finding, ...]:
    facts = project_facts(outcomes)
    findings = []
    messages: dict[tuple[str, str], str] = {}  # (rule, name) → its text: most repeat
    for outcome in outcomes:
        if outcome.scan is None:
            continue
        for hit in outcome.scan.hits:
            severity = applicable.get(hit.rule)
            if severity is None:
                continue
            if hit.unless and not facts.isdisjoint(hit.unless):
                continue
            if hit.only_if is not None and hit.only_if not in facts:
                continue
            if hit.review or (hit.review_if is not None and hit.review_if in facts):
                severity = Severity.REVIEW
            rule = catalogue.rule(hit.rule)
            message = messages.get((rule.id, hit.name))
            if message is None:
                message = messages[rule.id, hit.name] = rule.describe(hit.name)
            findings.append(
                Finding(
                    path=outcome.path,
                    line=hit.line,
                    column=hit.column,
                    rule=rule.id,
                    severity=severity,
                    category=rule.category,
                    tier=rule.tier,
                    rector=rule.rector,
                    name=hit.name,
                    message=message,
                    hint=rule.hint,
                )
            )
    findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule, f.name))
    return tuple(findings)


def unreadable_files(outcomes: Sequence[ScanOutcome]) -> tuple[UnreadableFile, ...]:
    return tuple(
        UnreadableFile(o.path, o.error or "unreadable")
        for o in sorted(outcomes, key=lambda o: o.path)
        if o.scan is None
    )


def parse_problems(outcomes: Sequence[ScanOutcome]) -> tuple[ParseProblem, ...]:
    problems = [
        ParseProblem(o.path, line, column)
        for o in outcomes
        if o.scan is not None
        for line, column in o.scan.parse_errors
    ]
    return tuple(sorted(problems, key=lambda p: (p.path, p.line, p.column)))
