"""Reports: the same input gives the same bytes; JSON carries every finding."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.unit.estimate.conftest import FIXTURES, request
from upkeep.estimate.report import ReportHeader
from upkeep.estimate.workflow import run_estimate
from upkeep.reports.estimate import (
    render_html,
    render_json,
    render_markdown,
    to_data,
)


def _render_all(estimate) -> tuple[str, str, str]:
    return render_json(estimate), render_markdown(estimate), render_html(estimate)


def test_same_input_same_bytes_across_runs_workers_and_cache(corpus_copy: Path, tmp_path: Path):
    (corpus_copy / "composer.json").write_text('{"require": {"php": "^5.6"}}', encoding="utf-8")
    cache = tmp_path / "cache"
    cold = _render_all(run_estimate(request(corpus_copy, jobs=1)))
    parallel = _render_all(run_estimate(request(corpus_copy, jobs=2, cache=cache)))
    warm = _render_all(run_estimate(request(corpus_copy, jobs=2, cache=cache)))
    assert cold == parallel == warm


def test_reports_hold_no_absolute_paths_or_timestamps(corpus_copy: Path):
    estimate = run_estimate(request(corpus_copy, source="corpus"))
    for text in _render_all(estimate):
        assert str(corpus_copy) not in text
        assert str(Path.home()) not in text


def test_json_lists_every_finding_with_position_rule_and_message():
    estimate = run_estimate(request(FIXTURES / "corpus"))
    data = json.loads(render_json(estimate))
    assert len(data["findings"]) == len(estimate.findings)
    first = data["findings"][0]
    assert {"file", "line", "column", "rule", "message", "severity", "hint"} <= set(first)
    assert data["summary"]["hours"]["expected"] == estimate.effort.expected
    assert data == to_data(estimate)


def test_markdown_and_html_have_the_client_sections():
    estimate = run_estimate(request(FIXTURES / "corpus"))
    markdown, html = render_markdown(estimate), render_html(estimate)
    for heading in (
        "Summary",
        "Effort by category",
        "Files with the most work",
        "Risks a static scan cannot see",
        "Composer",
        "Findings",
    ):
        assert f"## {heading}" in markdown
    assert "String to number comparison" in markdown
    assert "<svg" in html and "<rect" in html  # the chart
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "removed_functions.php" in html


def test_html_escapes_code_excerpts(tmp_path: Path):
    (tmp_path / "x.php").write_text("<?php echo $$name['<b>'];\n", encoding="utf-8")
    estimate = run_estimate(request(tmp_path, start="5.6", end="7.0"))
    assert "'<b>'" in estimate.findings[0].message
    html = render_html(estimate)
    assert "&#39;&lt;b&gt;&#39;" in html
    assert "'<b>'" not in html


def test_json_explains_the_rules_behind_the_findings():
    data = json.loads(render_json(run_estimate(request(FIXTURES / "polyfill"))))
    assert data["rules"] == [
        {
            "id": "function.create-function",
            "category": "Functions",
            "deprecated": "7.2",
            "removed": "8.0",
            "tier": "medium",
            "autofix": True,
            "manual": "https://www.php.net/manual/en/migration72.php",
            "hint": data["rules"][0]["hint"],
        }
    ]


# -- a report a client can receive ------------------------------------------------


def _header() -> ReportHeader:
    return ReportHeader(
        project="Acme Shop",
        title="PHP 5.6 → 8.4 upgrade estimate for Acme Shop",
        date="2026-12-06",
        upkeep_version="9.8.7",
    )


def test_reports_carry_title_project_date_and_versions():
    estimate = run_estimate(request(FIXTURES / "corpus"))
    header = _header()
    markdown, html = render_markdown(estimate, header), render_html(estimate, header)
    data = json.loads(render_json(estimate, header))
    version = estimate.catalogue[:12]
    assert markdown.startswith("# PHP 5.6 → 8.4 upgrade estimate for Acme Shop\n")
    assert "- Date: 2026-12-06\n" in markdown
    assert f"- Prepared with: upkeep 9.8.7, rule catalogue {version}\n" in markdown
    assert "<title>PHP 5.6 → 8.4 upgrade estimate for Acme Shop</title>" in html
    assert "<dt>Date</dt><dd>2026-12-06</dd>" in html
    assert f"upkeep 9.8.7, rule catalogue {version}" in html
    assert data["report"] == {
        "title": "PHP 5.6 → 8.4 upgrade estimate for Acme Shop",
        "project": "Acme Shop",
        "date": "2026-12-06",
        "upkeep_version": "9.8.7",
        "catalogue_version": version,
    }


def test_reports_give_automatable_and_manual_hours():
    estimate = run_estimate(request(FIXTURES / "corpus"))
    hours = json.loads(render_json(estimate))["summary"]["hours"]
    assert hours["automatable"] > 0 and hours["manual"] > 0
    assert abs(hours["automatable"] + hours["manual"] - hours["expected"]) < 0.05
    assert f"{hours['automatable']:g} h with Rector" in render_markdown(estimate)


def test_html_prints_with_every_collapsed_section_open():
    html = render_html(run_estimate(request(FIXTURES / "corpus")))
    assert "<details>" in html  # collapsed on screen ...
    print_css = html[html.index("@media print") : html.index("</style>")]
    assert "details::details-content" in print_css  # ... open on paper
    assert "content-visibility: visible" in print_css


def test_no_sentences_run_together(tmp_path: Path):
    """Template whitespace control must not glue sentences ("corpus.Changes", "fixed..")."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.php").write_text("<?php\n$r = mysql_query($q);\n", encoding="utf-8")
    (root / "composer.json").write_text(
        '{"require": {"php": "^5.6", "ext-mcrypt": "*"}}', encoding="utf-8"
    )
    estimate = run_estimate(request(root, source="site"))
    html = render_html(estimate, _header())
    body = html[html.index("<body>") :]
    text = re.sub(r"<[^>]+>", " ", body)
    assert not re.search(r"[a-z)]\.[A-Z]", re.sub(r"<[^>]+>", "", body.split("<h2>")[0]))
    assert not re.search(r"[^.]\.\.(?!\.)", text)
    assert not re.search(r"[^.]\.\.(?!\.)", render_markdown(estimate, _header()))


def test_the_json_report_is_the_standard_librarys_text(corpus_copy: Path):
    # orjson writes it; the bytes stay those json.dumps would write
    import json

    from upkeep.reports.estimate import to_data

    estimate = run_estimate(request(corpus_copy, source="corpus"))
    expected = json.dumps(to_data(estimate, _header()), indent=2, ensure_ascii=False) + "\n"
    assert render_json(estimate, _header()) == expected
