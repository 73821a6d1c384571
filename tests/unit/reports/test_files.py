"""The one --format/--output rule every report-writing command follows, and whole-file writes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TextIO

import pytest

from upkeep.errors import UsageError
from upkeep.reports.envelope import envelope
from upkeep.reports.files import FORMATS, Destination, destinations, write_atomically, write_reports
from upkeep.reports.jsontext import dumps


def where(wanted: list[Destination]) -> list[tuple[str, str | None]]:
    return [(d.format, None if d.path is None else str(d.path)) for d in wanted]


def test_no_output_every_format_in_the_commands_place(tmp_path: Path) -> None:
    wanted = destinations(FORMATS, None, None, tmp_path / "reports" / "sla", "shop-2026-11")
    assert where(wanted) == [
        (fmt, str(tmp_path / "reports" / "sla" / f"shop-2026-11.{fmt}")) for fmt in FORMATS
    ]


def test_no_output_and_no_place_writes_nothing() -> None:
    assert destinations(FORMATS, "md", None, None, "x") == []


def test_one_format_in_the_commands_place(tmp_path: Path) -> None:
    assert where(destinations(FORMATS, "html", None, tmp_path, "x")) == [
        ("html", str(tmp_path / "x.html"))
    ]


def test_dash_is_stdout_with_one_format() -> None:
    assert destinations(FORMATS, "json", "-", None, "x") == [Destination("json", None)]


@pytest.mark.parametrize(
    ("chosen", "json_asked", "message"),
    [
        (None, False, "--output - (stdout) takes one format: add --format md, html or json"),
        ("json", True, "--output - and --json both print on stdout; choose one"),
        (None, True, "--output - and --json both print on stdout; choose one"),
    ],
)
def test_dash_is_refused_when_stdout_cannot_hold_one_text(
    chosen: str | None, json_asked: bool, message: str
) -> None:
    with pytest.raises(UsageError) as refused:
        destinations(FORMATS, chosen, "-", None, "x", json_asked=json_asked)
    assert str(refused.value) == message


def test_a_file_takes_the_format_asked_or_its_suffix(tmp_path: Path) -> None:
    assert where(destinations(FORMATS, None, str(tmp_path / "q.html"), None, "x")) == [
        ("html", str(tmp_path / "q.html"))
    ]
    assert where(destinations(FORMATS, "md", str(tmp_path / "q.txt"), None, "x")) == [
        ("md", str(tmp_path / "q.txt"))
    ]


def test_a_directory_gets_each_format_named_by_the_stem(tmp_path: Path) -> None:
    existing = tmp_path / "out.md"  # a directory, whatever its name says
    existing.mkdir()
    assert where(destinations(FORMATS, "md", str(existing), None, "x")) == [
        ("md", str(existing / "x.md"))
    ]
    slash = f"{tmp_path / 'new'}/"
    assert [d.format for d in destinations(FORMATS, None, slash, None, "x")] == list(FORMATS)
    plain = tmp_path / "plain"
    assert where(destinations(FORMATS, None, str(plain), None, "x"))[0] == (
        "md",
        str(plain / "x.md"),
    )


def test_a_file_where_a_directory_is_needed_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("mine\n")
    with pytest.raises(UsageError, match="not a directory"):
        destinations(FORMATS, None, str(tmp_path / "notes"), None, "x")
    assert (tmp_path / "notes").read_text() == "mine\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old\n")

    def half(stream: TextIO) -> None:
        stream.write("new, half")
        raise OSError(28, "No space left on device")

    with pytest.raises(UsageError, match=r"report.md: cannot write the report \(No space left"):
        write_atomically(target, half)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_a_written_file_is_whole_and_readable_by_others(tmp_path: Path) -> None:
    target = write_atomically(tmp_path / "deep" / "r.json", "{}\n")
    assert target.read_text() == "{}\n" and target.stat().st_mode & 0o777 == 0o644


def test_write_reports_sends_dash_to_stdout_and_files_whole(tmp_path: Path) -> None:
    wanted = [Destination("md", None), Destination("json", tmp_path / "r.json")]
    stdout = io.StringIO()
    written = write_reports(wanted, lambda fmt, out: out.write(f"as {fmt}\n"), stdout)
    assert written == [tmp_path / "r.json"]
    assert stdout.getvalue() == "as md\n" and (tmp_path / "r.json").read_text() == "as json\n"


def test_the_json_envelope_keeps_text_as_written() -> None:
    text = dumps(envelope("sla report", 0, {"holiday": "Święto Niepodległości"}))
    assert '"holiday": "Święto Niepodległości"' in text
