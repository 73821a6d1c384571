"""Render an Estimate: JSON for machines, Markdown and HTML for the client, text for the terminal.

Every renderer is a pure function of the Estimate and a ``ReportHeader``
(upkeep.estimate.report: the client-facing title, project, date and the
versions that made it), so the
same scan renders to the same bytes. The HTML page is self-contained: inline
CSS and an inline SVG chart, no script and nothing fetched; printed (to a PDF
for the client), its collapsed sections open.

    >>> import tempfile
    >>> from upkeep.estimate.versions import PhpLine
    >>> from upkeep.estimate.workflow import Request, run_estimate
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "a.php").write_text("<?php $x = (real) $y;\\n")
    >>> estimate = run_estimate(Request(root, "site", PhpLine(7, 4), PhpLine(8, 0)))
    >>> print(render_summary(estimate).splitlines()[1])
      1 PHP file, 1 line scanned; 1 finding (1 breaking, 0 deprecated) in 1 file
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import upkeep
from upkeep.estimate.catalogue import Severity
from upkeep.estimate.effort import split_hours
from upkeep.estimate.model import Estimate, plural
from upkeep.estimate.report import ReportHeader
from upkeep.reports.jsontext import dumps

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(upkeep.__file__).resolve().parent.parent / "templates" / "reports"
DETAIL_LIMIT = 1000  # findings listed in the Markdown/HTML reports; the JSON has all


def catalogue_version(estimate: Estimate) -> str:
    """The rule catalogue's version: the first 12 hex digits of its digest."""
    return estimate.catalogue[:12]


def to_data(estimate: Estimate, header: ReportHeader | None = None) -> dict[str, Any]:
    """The JSON document: every finding with file, line, column, rule id and message."""
    header = header or ReportHeader.of(estimate)
    effort = estimate.effort
    automatable, manual = split_hours(effort)
    return {
        "format": "upkeep-estimate/1",
        "report": {
            "title": header.title,
            "project": header.project,
            "date": header.date,
            "upkeep_version": header.upkeep_version,
            "catalogue_version": catalogue_version(estimate),
        },
        "source": estimate.source,
        "project": estimate.project,
        "ref": estimate.ref,
        "from": estimate.from_line,
        "to": estimate.to_line,
        "steps": list(estimate.steps),
        "catalogue": {"digest": estimate.catalogue, "rules_applied": estimate.rules_applied},
        "scan": {
            "files": estimate.files_scanned,
            "lines": estimate.lines_scanned,
            "has_tests": estimate.has_tests,
            "excluded": list(estimate.excluded),
        },
        "summary": {
            "findings": len(estimate.findings),
            "breaking": estimate.breaking,
            "deprecated": estimate.deprecated,
            "files_with_findings": estimate.files_with_findings,
            "unreadable_files": len(estimate.unreadable),
            "parse_problems": len(estimate.parse_problems),
            "hours": {
                "low": effort.low,
                "expected": effort.expected,
                "high": effort.high,
                "automatable": automatable,
                "manual": manual,
            },
        },
        "effort": {
            "lines": [
                {
                    "category": line.category,
                    "detail": line.detail,
                    "low": line.low,
                    "expected": line.expected,
                    "high": line.high,
                }
                for line in effort.lines
            ],
            "top_files": [
                {"file": f.path, "hours": f.hours, "findings": f.findings, "rules": f.rules}
                for f in effort.top_files
            ],
            "assumptions": [{"item": k, "value": v} for k, v in effort.assumptions],
        },
        "composer": {
            "present": estimate.composer.present,
            "php": estimate.composer.php_constraint,
            "platform_php": estimate.composer.platform_php,
            "locked_packages": estimate.composer.locked_packages,
            "findings": [
                {
                    "kind": f.kind,
                    "subject": f.subject,
                    "severity": f.severity.value,
                    "message": f.message,
                    "hint": f.hint,
                }
                for f in estimate.composer.findings
            ],
        },
        "findings": [
            {
                "file": f.path,
                "line": f.line,
                "column": f.column,
                "rule": f.rule,
                "severity": f.severity.value,
                "category": f.category,
                "tier": f.tier.value,
                "autofix": f.rector,
                "message": f.message,
                "hint": f.hint,
            }
            for f in estimate.findings
        ],
        "rules": [
            {
                "id": r.id,
                "category": r.category,
                "deprecated": r.deprecated,
                "removed": r.removed,
                "tier": r.tier.value,
                "autofix": r.rector,
                "manual": f"https://www.php.net/manual/en/{r.manual}.php",
                "hint": r.hint,
            }
            for r in estimate.rules
        ],
        "unreadable": [{"file": u.path, "reason": u.reason} for u in estimate.unreadable],
        "parse_problems": [
            {"file": p.path, "line": p.line, "column": p.column} for p in estimate.parse_problems
        ],
        "risks": [
            {"id": r.id, "since": None if r.always else r.since, "title": r.title, "text": r.text}
            for r in estimate.risks
        ],
    }


def render_json(estimate: Estimate, header: ReportHeader | None = None) -> str:
    return dumps(to_data(estimate, header))


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    width: float
    low_x: float
    high_x: float
    value: str


def chart(estimate: Estimate, width: int = 420) -> tuple[list[Bar], int, float]:
    """Bars for expected hours per category, with low–high whiskers (SVG units)."""
    rows = estimate.effort.by_category()
    scale_max = max((high for _, _, _, high in rows), default=1.0) or 1.0
    bars = [
        Bar(
            label=name,
            y=index * 28,
            width=round(expected / scale_max * width, 1),
            low_x=round(low / scale_max * width, 1),
            high_x=round(high / scale_max * width, 1),
            value=f"{expected:g} h",
        )
        for index, (name, low, expected, high) in enumerate(rows)
    ]
    return bars, len(rows) * 28, scale_max


def _by_rule(estimate: Estimate) -> list[dict[str, Any]]:
    counts = Counter(f.rule for f in estimate.findings)
    files: dict[str, set[str]] = {}
    first: dict[str, Any] = {}
    for finding in estimate.findings:
        files.setdefault(finding.rule, set()).add(finding.path)
        first.setdefault(finding.rule, finding)
    notes = {note.id: note for note in estimate.rules}
    rows = [
        {
            "rule": rule,
            "deprecated": notes[rule].deprecated if rule in notes else None,
            "removed": notes[rule].removed if rule in notes else None,
            "count": counts[rule],
            "files": len(files[rule]),
            "severity": first[rule].severity.value,
            "category": first[rule].category,
            "autofix": first[rule].rector,
            "hint": first[rule].hint,
        }
        for rule in counts
    ]
    rows.sort(key=lambda r: (r["severity"] != Severity.BREAKS.value, -r["count"], r["rule"]))
    return rows


def _environment(autoescape: bool) -> jinja2.Environment:
    import jinja2  # only the Markdown and HTML reports need it: --json starts faster

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["hours"] = lambda value: f"{value:g}"
    env.globals["plural"] = plural
    env.filters["md"] = lambda value: str(value).replace("|", "\\|").replace("\n", " ")
    env.filters["sentence"] = sentence
    return env


def sentence(text: object) -> str:
    """Text ending in one full stop, whether or not it brought its own.

    >>> sentence("needs PHP 7"), sentence("see the code findings.")
    ('needs PHP 7.', 'see the code findings.')
    """
    words = str(text).rstrip()
    return words if words.endswith((".", "!", "?")) else f"{words}."


def _context(estimate: Estimate, header: ReportHeader | None) -> dict[str, Any]:
    bars, chart_height, scale_max = chart(estimate)
    automatable, manual = split_hours(estimate.effort)
    details = estimate.findings[:DETAIL_LIMIT]
    by_file: dict[str, list[Any]] = {}
    for finding in details:
        by_file.setdefault(finding.path, []).append(finding)
    return {
        "e": estimate,
        "header": header or ReportHeader.of(estimate),
        "catalogue_version": catalogue_version(estimate),
        "automatable": automatable,
        "manual": manual,
        "by_rule": _by_rule(estimate),
        "by_category": estimate.effort.by_category(),
        "bars": bars,
        "chart_height": chart_height,
        "scale_max": scale_max,
        "details": sorted(by_file.items()),
        "omitted": len(estimate.findings) - len(details),
    }


def render_markdown(estimate: Estimate, header: ReportHeader | None = None) -> str:
    template = _environment(False).get_template("estimate.md.j2")
    return template.render(**_context(estimate, header))


def render_html(estimate: Estimate, header: ReportHeader | None = None) -> str:
    template = _environment(True).get_template("estimate.html.j2")
    return template.render(**_context(estimate, header))


def render_summary(estimate: Estimate) -> str:
    """A few lines for the terminal."""
    effort = estimate.effort
    steps = ", ".join(estimate.steps)
    lines = [
        f"Estimate for {estimate.source}: PHP {estimate.from_line} → {estimate.to_line} ({steps})",
        f"  {plural(estimate.files_scanned, 'PHP file')}, "
        f"{plural(estimate.lines_scanned, 'line')} scanned; "
        f"{plural(len(estimate.findings), 'finding')} ({estimate.breaking:,} breaking, "
        f"{estimate.deprecated:,} deprecated) in {plural(estimate.files_with_findings, 'file')}",
    ]
    extras = []
    if estimate.composer.present:
        extras.append(plural(len(estimate.composer.findings), "Composer finding"))
    if estimate.unreadable:
        extras.append(
            f"{plural(len(estimate.unreadable), 'file')} not read as PHP (listed, not priced)"
        )
    if estimate.parse_problems:
        files = len({p.path for p in estimate.parse_problems})
        extras.append(f"{plural(files, 'file')} to review by hand (parse errors)")
    if extras:
        lines.append("  " + "; ".join(extras))
    automatable, manual = split_hours(effort)
    lines.append(
        f"  Effort: {effort.expected:g} h expected ({effort.low:g}–{effort.high:g} h): "
        f"{automatable:g} h automatable, {manual:g} h manual"
    )
    return "\n".join(lines)


RENDERERS = {"md": render_markdown, "html": render_html, "json": render_json}


def render(estimate: Estimate, header: ReportHeader, fmt: str, stream: TextIO) -> None:
    """One format of the report onto ``stream``."""
    stream.write(RENDERERS[fmt](estimate, header))
