"""Progress lines: rate and ETA arithmetic, and how a terminal and a log get them."""

from __future__ import annotations

import io

from upkeep.progress import Console, Meter


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rate_percent_and_eta_from_bytes_and_time() -> None:
    meter = Meter("database", total=300e6, started=100.0)
    # 60 MB in 4 s: 15 MB/s; 240 MB left: 16 s.
    assert meter.line(60e6, rows=12_345, now=104.0) == (
        "database: 60.0 of ~300.0 MB (20%), 12k rows, 15.0 MB/s, ETA 0:16"
    )


def test_an_estimate_overrun_stops_at_99_percent_and_eta_zero() -> None:
    meter = Meter("database", total=10e6, started=0.0)
    assert meter.line(12e6, now=1.0) == "database: 12.0 of ~10.0 MB (99%), 12.0 MB/s, ETA 0:00"


def test_without_a_total_there_is_no_percent_nor_eta_and_hours_show() -> None:
    assert Meter("verify", started=0.0).line(5e6, rows=2_500_000, now=2.0) == (
        "verify: 5.0 MB, 2.50M rows, 2.5 MB/s"
    )
    # 2,500 MB left at 0.5 MB/s: 5,000 s = 1 h 23 min 20 s.
    assert "ETA 1:23:20" in Meter("x", total=2_500.5e6, started=0.0).line(0.5e6, now=1.0)


def test_a_log_gets_plain_lines_now_and_then_a_terminal_one_redrawn_line() -> None:
    log = io.StringIO()
    console = Console(log, plain_every=3600)
    console.tick("database: 1 MB")
    console.tick("database: 2 MB")  # within the interval: not printed
    console.say("database: done")
    assert log.getvalue() == "  … database: 1 MB\n  … database: done\n"

    screen = _Terminal()
    console = Console(screen)
    console.tick("database: 1 MB")
    console.say("database: done")
    assert screen.getvalue() == "\r\x1b[K  … database: 1 MB\r\x1b[K  … database: done\n"
