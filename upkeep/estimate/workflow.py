"""The estimate as a pipeline of named steps, each taking the last one's result.

    select rules → find files → scan → find libraries → resolve → read Composer → price → assemble

Every step is a small function from ``Run`` to ``Run`` (a frozen value), so
the order reads like the issue and a step can be tested on its own.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "index.php").write_text("<?php echo each($a);\\n")
    >>> request = Request(root, "site", PhpLine.parse("7.4"), PhpLine.parse("8.2"), jobs=1)
    >>> estimate = run_estimate(request)
    >>> [(f.path, f.line, f.rule) for f in estimate.findings]
    [('index.php', 1, 'function.each')]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from upkeep.estimate.catalogue import Catalogue, Severity, load_catalogue
from upkeep.estimate.composer import check_composer
from upkeep.estimate.effort import EffortModel, estimate_effort
from upkeep.estimate.errors import EstimateUsageError
from upkeep.estimate.files import SourceTree, discover
from upkeep.estimate.libraries import Library, find_libraries
from upkeep.estimate.matchers import compile_matchers
from upkeep.estimate.model import (
    ComposerReport,
    EffortEstimate,
    Estimate,
    Finding,
    ParseProblem,
    RiskNote,
    RuleNote,
    UnreadableFile,
    plural,
)
from upkeep.estimate.pool import ScanOutcome, cache_salt, is_not_text, scan_files
from upkeep.estimate.resolve import parse_problems, resolve_findings, unreadable_files
from upkeep.estimate.versions import PhpLine, check_upgrade, steps


@dataclass(frozen=True)
class Request:
    root: Path  # the checkout to scan
    source: str  # how the report names it (the --path as given, or project@ref)
    from_line: PhpLine
    to_line: PhpLine
    jobs: int = 1
    cache: Path | None = None  # directory for per-file scan results; None: no cache
    project: str | None = None
    ref: str | None = None
    model: EffortModel | None = None


@dataclass(frozen=True)
class Run:
    request: Request
    catalogue: Catalogue | None = None
    applicable: dict[str, Severity] | None = None
    tree: SourceTree | None = None
    outcomes: tuple[ScanOutcome, ...] = ()
    libraries: tuple[Library, ...] = ()
    findings: tuple[Finding, ...] = ()
    unreadable: tuple[UnreadableFile, ...] = ()
    problems: tuple[ParseProblem, ...] = ()
    composer: ComposerReport | None = None
    effort: EffortEstimate | None = None
    estimate: Estimate | None = None


def select_rules(run: Run) -> Run:
    request = run.request
    check_upgrade(request.from_line, request.to_line)
    catalogue = load_catalogue()
    return replace(
        run,
        catalogue=catalogue,
        applicable=catalogue.applicable(request.from_line, request.to_line),
    )


def find_files(run: Run) -> Run:
    """Every PHP file; a tree without one is refused rather than priced at the fixed parts."""
    tree = discover(run.request.root)
    if not tree.files:
        raise EstimateUsageError(f"no PHP files under {run.request.root}: nothing to estimate")
    return replace(run, tree=tree)


def scan(run: Run) -> Run:
    assert run.catalogue is not None and run.tree is not None
    cache = run.request.cache
    if cache is not None:
        cache = cache / cache_salt(run.catalogue.digest)
    outcomes = scan_files(
        run.request.root,
        run.tree.files,
        compile_matchers(run.catalogue),
        jobs=run.request.jobs,
        cache=cache,
    )
    return replace(run, outcomes=tuple(outcomes))


def refuse_unreadable(run: Run) -> Run:
    """PHP-named files that are all binary data leave nothing to estimate either.

    A file that could not be opened may still be PHP, so it is reported, not refused.
    """
    if all(o.scan is None and is_not_text(o.error) for o in run.outcomes):
        raise EstimateUsageError(
            f"no PHP files under {run.request.root}: nothing to estimate "
            f"({plural(len(run.outcomes), 'file')} named like PHP, none PHP text)"
        )
    return run


def libraries(run: Run) -> Run:
    """Bundled third-party code, by Composer metadata, path or file header."""
    assert run.tree is not None
    headers = {o.path: o.library for o in run.outcomes if o.library is not None}
    return replace(run, libraries=find_libraries(run.request.root, run.tree.files, headers))


def resolve(run: Run) -> Run:
    assert run.catalogue is not None and run.applicable is not None
    return replace(
        run,
        findings=resolve_findings(run.outcomes, run.catalogue, run.applicable),
        unreadable=unreadable_files(run.outcomes),
        problems=parse_problems(run.outcomes),
    )


def read_composer(run: Run) -> Run:
    assert run.catalogue is not None
    request = run.request
    report = check_composer(request.root, request.from_line, request.to_line, run.catalogue)
    return replace(run, composer=report)


def price(run: Run) -> Run:
    assert run.composer is not None and run.tree is not None
    request = run.request
    crossed = len(
        {line.major for line in steps(request.from_line, request.to_line)}
        - {request.from_line.major}
    )
    assert run.catalogue is not None
    file_lines = {o.path: o.scan.lines for o in run.outcomes if o.scan is not None}
    in_library = {path for library in run.libraries for path in library.files}
    risks = run.catalogue.risks_for(request.from_line, request.to_line)
    effort = estimate_effort(
        run.findings,
        run.problems,
        run.composer,
        lines_of_code=sum(n for path, n in file_lines.items() if path not in in_library),
        has_tests=_own_tests(run.tree, run.libraries),
        majors_crossed=crossed,
        model=request.model,
        libraries=run.libraries,
        file_lines=file_lines,
        runtime_risks=tuple(risk.id for risk in risks if not risk.always),
    )
    return replace(run, effort=effort)


def assemble(run: Run) -> Run:
    assert run.catalogue is not None and run.applicable is not None
    assert run.tree is not None and run.composer is not None and run.effort is not None
    request = run.request
    risks = tuple(
        RiskNote(r.id, str(r.since), r.title, r.text, r.always)
        for r in run.catalogue.risks_for(request.from_line, request.to_line)
    )
    found = sorted({finding.rule for finding in run.findings})
    rules = tuple(
        RuleNote(
            id=rule.id,
            category=rule.category,
            deprecated=str(rule.deprecated) if rule.deprecated else None,
            removed=str(rule.removed) if rule.removed else None,
            tier=rule.tier,
            rector=rule.rector,
            manual=rule.manual,
            hint=rule.hint,
        )
        for rule in (run.catalogue.rule(rule_id) for rule_id in found)
    )
    estimate = Estimate(
        source=request.source,
        project=request.project,
        ref=request.ref,
        from_line=str(request.from_line),
        to_line=str(request.to_line),
        steps=tuple(str(line) for line in steps(request.from_line, request.to_line)),
        catalogue=run.catalogue.digest,
        rules_applied=len(run.applicable),
        files_scanned=sum(1 for o in run.outcomes if o.scan is not None),
        lines_scanned=_lines(run.outcomes),
        has_tests=_own_tests(run.tree, run.libraries),
        excluded=run.tree.excluded,
        findings=run.findings,
        unreadable=run.unreadable,
        parse_problems=run.problems,
        composer=run.composer,
        effort=run.effort,
        risks=risks,
        rules=rules,
    )
    return replace(run, estimate=estimate)


def _own_tests(tree: SourceTree, libraries: tuple[Library, ...]) -> bool:
    """Tests of the application itself: a bundled library's tests/ do not test the site."""
    roots = [path for library in libraries for path in library.paths if path.endswith("/")]
    own = [d for d in tree.test_directories if not any(d.startswith(r) for r in roots)]
    return tree.test_config or bool(own)


def _lines(outcomes: tuple[ScanOutcome, ...]) -> int:
    return sum(o.scan.lines for o in outcomes if o.scan is not None)


STEPS: tuple[Callable[[Run], Run], ...] = (
    select_rules,
    find_files,
    scan,
    refuse_unreadable,
    libraries,
    resolve,
    read_composer,
    price,
    assemble,
)


def run_estimate(request: Request) -> Estimate:
    run = Run(request)
    for step in STEPS:
        run = step(run)
    assert run.estimate is not None
    return run.estimate
