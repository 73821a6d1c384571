"""The update report says what a client can rely on, from the journal a run leaves:

- how production was affected: the window in which its PHP packages changed (from
  ``production_touched_at`` and ``production_affected_seconds``) and "F of N
  smoke-check requests failed", N the smoke checks' requests to production in it;
- a rolled-back or aborted run lists the security fixes as what the update would
  have brought, not as applied, and says what production runs now;
- steps in the report's own words, times to the second;
- the HTML carries every fact line of the Markdown.

Journals are built as the workflow writes them (upkeep.update.workflow), then
rendered by the real templates through ``write``.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from upkeep.pipeline import Journal, RunState
from upkeep.reports.update import write
from upkeep.update.report import report_of
from upkeep.update.runs import started
from upkeep.update.workflow import STEPS

OLD, NEW = "8.2.32-1~deb12u1", "8.2.36-1~deb12u1"
TOUCHED = 1796545864.25  # 2026-12-06 08:31:04.25 UTC: production's update began
SECURITY = "8.2.36-1~deb12u1 (bookworm-security, urgency high), fixes CVE-2026-1"


def smoke(environment: str, failing: bool = False) -> dict[str, Any]:
    """One smoke run's record as SmokeResult.to_dict() leaves it: two requests per host."""
    checks = [
        {
            "host": f"demo-{environment}",
            "name": "health",
            "url": "https://x/health.php",
            "ok": True,
            "status": 200,
            "seconds": 0.012,
            "detail": "PHP 8.2.36, ok",
        },
        {
            "host": f"demo-{environment}",
            "name": "home",
            "url": "https://x/",
            "ok": not failing,
            "status": 500 if failing else 200,
            "seconds": 0.02,
            "detail": "answered 500" if failing else "ok",
        },
    ]
    return {"environment": environment, "ok": not failing, "checks": checks}


def journal(done: int, *, failed: bool = True) -> Journal:
    """A run whose first ``done`` steps finished (and, if ``failed``, the next one failed)."""
    run = started("demo", OLD, NEW, STEPS)
    run.started = "2026-12-06T08:29:50.654321Z"
    for index, step in enumerate(run.steps[: done + failed]):
        step.begin()
        step.started = f"2026-12-06T08:30:{index:02d}.500000Z"
        if index < done:
            step.finish(f"{step.name}: fine")
        else:
            step.fail("production fails its smoke checks")
        step.finished = f"2026-12-06T08:30:{index:02d}.900000Z"
    run.facts.update(security=[SECURITY], staging_commit="a" * 40)
    return run


def succeeded() -> Journal:
    run = journal(len(STEPS), failed=False)
    run.facts.update(
        production_touched_at=TOUCHED,
        production_affected_seconds=33.4,
        production_commit="b" * 40,
        smoke=[smoke("staging"), smoke("production")],
    )
    run.end(RunState.SUCCEEDED)
    run.finished = "2026-12-06T08:31:40.000001Z"
    return run


def rolled_back_after_production() -> Journal:
    run = journal(STEPS.index("smoke_production"))
    run.facts.update(
        production_touched_at=TOUCHED,
        production_affected_seconds=61.0,
        production_commit="b" * 40,
        smoke=[
            smoke("staging"),
            smoke("production", failing=True),
            smoke("production"),
            smoke("staging"),
        ],
    )
    run.undo += [
        f"production back on PHP {OLD}, pins reverted in cccccccccc; smoke checks pass",
        f"staging back on PHP {OLD}, pins reverted in dddddddddd; smoke checks pass",
    ]
    run.end(RunState.ROLLED_BACK, "production fails its smoke checks on PHP 8.2.36")
    return run


def rolled_back_before_production() -> Journal:
    run = journal(STEPS.index("smoke_staging"))
    run.facts.update(smoke=[smoke("staging", failing=True), smoke("staging")])
    run.undo.append(f"staging back on PHP {OLD}, pins reverted in dddddddddd; smoke checks pass")
    run.end(RunState.ROLLED_BACK, "staging fails its smoke checks on PHP 8.2.36")
    return run


def aborted_after_production() -> Journal:
    run = journal(STEPS.index("bump_production"), failed=False)
    run.steps[STEPS.index("bump_production")].begin()  # killed while production moved
    run.facts.update(
        production_touched_at=TOUCHED,
        production_affected_seconds=300.0,
        smoke=[smoke("staging"), smoke("production")],
    )
    run.undo.append(f"production back on PHP {OLD}; smoke checks pass")
    run.end(RunState.ABORTED, "aborted by the operator")
    return run


def not_put_back() -> Journal:
    run = journal(STEPS.index("smoke_production"))
    run.facts.update(
        production_touched_at=TOUCHED,
        production_affected_seconds=95.0,
        smoke=[smoke("production", failing=True), smoke("production", failing=True)],
    )
    run.end(RunState.FAILED, "production fails its smoke checks; production NOT put back: boom")
    return run


RUNS = {
    "succeeded": succeeded,
    "rolled back after production": rolled_back_after_production,
    "rolled back before production": rolled_back_before_production,
    "aborted after production": aborted_after_production,
    "not put back": not_put_back,
}


def written(run: Journal, directory: Path) -> tuple[dict[str, Any], str, str]:
    as_json, as_md, as_html = write(report_of(run, "www.demo.lab", (), None), directory)
    return json.loads(as_json.read_text()), as_md.read_text(), as_html.read_text()


class _Text(HTMLParser):
    """The text a reader of the HTML sees, one space between pieces."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.pieces.append(" ".join(data.split()))


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.pieces)


def fact_lines(markdown: str) -> list[str]:
    """Each line of the Markdown as the text it shows (a table row: its cells, in order)."""
    lines = []
    for line in markdown.splitlines():
        line = line.strip()
        if not line or re.fullmatch(r"\|[\s\-:|]+\|", line):
            continue
        if line.startswith("|"):
            lines.append(" ".join(c.strip() for c in line.strip("|").split("|") if c.strip()))
        else:
            lines.append(re.sub(r"^(#+|-) ", "", line).replace("**", ""))
    return lines


def test_a_success_says_the_window_and_the_requests_measured_in_it(tmp_path: Path) -> None:
    data, markdown, html = written(succeeded(), tmp_path)
    for text in (markdown, html_text(html)):
        assert "affected for" not in text
        assert "Production now runs PHP 8.2.36-1~deb12u1." in text
        assert (
            "Production's PHP packages changed between 2026-12-06 08:31:04 and 08:31:37 UTC "
            "(33 s, from the start of its update to its last smoke check)." in text
        )
        assert (
            "0 of 2 smoke-check requests to production in that window failed. "
            "Visitors' requests were not counted." in text
        )
        assert "Security fixes in this update" in text and SECURITY in text
    assert data["production"] == {
        "runs": NEW,
        "summary": "Production now runs PHP 8.2.36-1~deb12u1.",
        "window": {
            "start": "2026-12-06T08:31:04+00:00",
            "end": "2026-12-06T08:31:37+00:00",
            "seconds": 33.4,
            "smoke_requests": 2,
            "smoke_requests_failed": 0,
            "put_back": False,
            "measured": "the smoke checks' own requests to production; not visitors' requests",
        },
    }
    assert data["security_applied"] is True


def test_a_rollback_does_not_list_the_fixes_as_applied_and_says_what_production_runs(
    tmp_path: Path,
) -> None:
    data, markdown, html = written(rolled_back_after_production(), tmp_path)
    for text in (markdown, html_text(html)):
        assert "Security fixes in this update" not in text
        assert "Security fixes this update would have brought" in text
        assert "Not applied: the update was rolled back." in text and SECURITY in text
        assert "Production runs PHP 8.2.32-1~deb12u1 again: the build it was put back on." in text
        assert (
            "Production's PHP packages changed, and were put back, between 2026-12-06 08:31:04 "
            "and 08:32:05 UTC (1 min 1 s, from the start of its update to its last smoke check)."
            in text
        )
        # the two production smoke runs (the failing one, the one after putting back)
        assert "1 of 4 smoke-check requests to production in that window failed." in text
    assert data["security_applied"] is False and data["production"]["runs"] == OLD
    assert data["production"]["window"]["smoke_requests_failed"] == 1


def test_a_rollback_before_production_says_production_was_not_changed(tmp_path: Path) -> None:
    data, markdown, html = written(rolled_back_before_production(), tmp_path)
    for text in (markdown, html_text(html)):
        assert (
            "Production runs PHP 8.2.32-1~deb12u1, unchanged: the update stopped before "
            "reaching it." in text
        )
        assert "smoke-check requests to production" not in text and "between" not in text
        assert "Not applied: the update was rolled back." in text
    assert data["production"]["window"] is None and data["production"]["runs"] == OLD


def test_an_abort_and_a_failed_put_back_say_so(tmp_path: Path) -> None:
    _, markdown, _ = written(aborted_after_production(), tmp_path / "aborted")
    assert "Not applied: the update was aborted and put back." in markdown
    assert "Production runs PHP 8.2.32-1~deb12u1 again: the build it was put back on." in markdown
    assert "0 of 2 smoke-check requests to production in that window failed." in markdown
    data, markdown, _ = written(not_put_back(), tmp_path / "failed")
    assert "Not applied: the update failed." in markdown
    assert (
        "Production could not be confirmed back on PHP 8.2.32-1~deb12u1: a person must check "
        "it (see Put back)." in markdown
    )
    assert "4 of 4 smoke-check requests" not in markdown  # 2 failed of 4
    assert "2 of 4 smoke-check requests to production in that window failed." in markdown
    assert data["production"]["runs"] is None


def test_steps_are_in_the_reports_words_and_times_to_the_second(tmp_path: Path) -> None:
    data, markdown, html = written(rolled_back_after_production(), tmp_path)
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    steps = [row.split("|")[1:3] for row in rows[2 : 2 + len(STEPS)]]  # after head and rule
    assert [(label.strip(), state.strip()) for label, state in steps] == [
        ("Locked the environments", "done"),
        ("Downloaded the new PHP packages ahead (nothing installed)", "done"),
        ("Refreshed staging from production", "done"),
        ("Updated PHP on staging", "done"),
        ("Smoke-checked staging", "done"),
        ("Backed up production", "done"),
        ("Updated PHP on production", "done"),
        ("Smoke-check production", "failed"),
        ("Provision production", "not run"),
        ("Bring the dev server along", "not run"),
        ("Unlock the environments", "not run"),
    ]
    assert "- Run " in markdown and "started 2026-12-06 08:29:50 UTC" in markdown
    for text in (markdown, html_text(html)):
        assert not re.search(r"\d\d:\d\d:\d\d\.\d", text), "a time with microseconds"
        assert not re.search(r"\b(bump|smoke|sync)_(staging|production|dev)\b \|", text)
    assert [s["label"] for s in data["steps"]][:3] == [
        "Locked the environments",
        "Downloaded the new PHP packages ahead (nothing installed)",
        "Refreshed staging from production",
    ]


@pytest.mark.parametrize("name", list(RUNS))
def test_the_html_carries_every_fact_line_of_the_markdown(name: str, tmp_path: Path) -> None:
    _, markdown, html = written(RUNS[name](), tmp_path)
    text = html_text(html)
    missing = [line for line in fact_lines(markdown) if line not in text]
    assert missing == []
