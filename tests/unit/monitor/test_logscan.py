"""Error log scanning: entries joined, levels read, cursors that survive rotation and half lines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upkeep.monitor.logscan import LEVELS, Cursor, Entry, fingerprint, resume_at, scan

TRACE = (
    "[23-Nov-2026 10:00:00 UTC] PHP Fatal error:  Uncaught Exception: boom in "
    "/srv/www/demo-production/releases/20261123100000/public/index.php:12\n"
    "Stack trace:\n"
    "#0 /srv/www/demo-production/releases/20261123100000/public/index.php(20): run()\n"
    "#1 {main}\n"
    "  thrown in /srv/www/demo-production/releases/20261123100000/public/index.php on line 12\n"
)
WARNING = "[23-Nov-2026 10:00:05 UTC] PHP Warning:  Undefined variable $x in /srv/a.php on line 3\n"
NGINX_FATAL = (
    '2026/11/23 10:00:01 [error] 812#812: *5 FastCGI sent in stderr: "PHP message: PHP Warning:  '
    "Undefined variable $x in /srv/a.php on line 3PHP message: PHP Fatal error:  Uncaught "
    "Exception: boom in /srv/www/demo-production/releases/20261124090000/public/index.php:14\n"
    "Stack trace:\n"
    "#0 {main}\n"
    '  thrown in /srv/x.php on line 14" while reading response header from upstream, client: '
    '192.0.2.7, server: www.demo.lab, request: "GET /?token=abc HTTP/2.0", upstream: '
    '"fastcgi://unix:/run/php/php8.2-fpm-demo.sock:", host: "www.demo.lab"\n'
)
NGINX_CRIT = (
    "2026/11/23 10:00:02 [crit] 812#812: *6 connect() to unix:/run/php/php8.2-fpm-demo.sock "
    "failed (2: No such file or directory) while connecting to upstream, client: 192.0.2.7, "
    'server: www.demo.lab, request: "GET / HTTP/2.0"\n'
)
NGINX_NOT_FOUND = (
    '2026/11/23 10:00:03 [error] 812#812: *7 open() "/srv/www/x/favicon.ico" failed (2: No such '
    'file or directory), client: 192.0.2.7, server: www.demo.lab, request: "GET /favicon.ico"\n'
)
FPM = (
    '[23-Nov-2026 10:00:04] WARNING: [pool demo] child 123 said into stderr: "PHP Fatal error:  '
    'Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /srv/b.php on line 7"\n'
    '[23-Nov-2026 10:00:04] WARNING: [pool demo] child 124 said into stderr: "PHP Notice:  x in /srv/c.php on line 1"\n'
    '[23-Nov-2026 10:00:04] WARNING: [pool demo] child 123 said into stderr: "Stack trace:"\n'
    '[23-Nov-2026 10:00:04] WARNING: [pool demo] child 123 said into stderr: "#0 {main}"\n'
    "[23-Nov-2026 10:00:06] WARNING: [pool demo] server reached pm.max_children setting (5), consider raising it\n"
    "[23-Nov-2026 10:00:07] NOTICE: ready to handle connections\n"
)

START = Cursor(inode=11, offset=0)


def entries(text: str | bytes, tz: dt.tzinfo = dt.UTC) -> tuple[Entry, ...]:
    return scan(text, START, tz=tz).entries


def test_a_php_fatal_joins_its_stack_trace() -> None:
    (entry,) = entries(TRACE)
    assert entry.source == "php"
    assert entry.level == "fatal" and entry.is_fatal
    assert entry.when == dt.datetime(2026, 11, 23, 10, 0, 0, tzinfo=dt.UTC)
    assert entry.message == (
        "Uncaught Exception: boom in "
        "/srv/www/demo-production/releases/20261123100000/public/index.php:12"
    )
    assert entry.text == TRACE.rstrip("\n")
    assert entry.text.count("\n") == 4


def test_entries_follow_one_another() -> None:
    found = entries(TRACE + WARNING)
    assert [(e.level, e.is_fatal) for e in found] == [("fatal", True), ("warning", False)]
    assert found[1].message == "Undefined variable $x in /srv/a.php on line 3"


@pytest.mark.parametrize(
    ("label", "level"),
    [
        ("Fatal error", "fatal"),
        ("Recoverable fatal error", "fatal"),
        ("Catchable fatal error", "fatal"),
        ("Parse error", "parse"),
        ("Warning", "warning"),
        ("Notice", "notice"),
        ("Deprecated", "deprecated"),
        ("Strict Standards", "notice"),
        ("Odd thing", "error"),
    ],
)
def test_php_levels(label: str, level: str) -> None:
    (entry,) = entries(f"[23-Nov-2026 10:00:00 UTC] PHP {label}:  something in /a.php on line 1\n")
    assert entry.level == level
    assert entry.message == "something in /a.php on line 1"


def test_a_line_the_application_logged_itself_is_an_error() -> None:
    (entry,) = entries("[23-Nov-2026 10:00:00 UTC] demo-site health: PDOException: gone\n")
    assert (entry.level, entry.message) == ("error", "demo-site health: PDOException: gone")


def test_nginx_fastcgi_stderr_is_read_for_the_worst_php_message() -> None:
    (entry,) = entries(NGINX_FATAL)
    assert entry.source == "nginx"
    assert entry.level == "fatal"
    assert entry.message == (
        "Uncaught Exception: boom in "
        "/srv/www/demo-production/releases/20261124090000/public/index.php:14"
    )
    assert entry.text.count("\n") == 3
    # Same problem as the PHP log's, though another release, another line, another log.
    (php,) = entries(TRACE)
    assert entry.fingerprint == php.fingerprint


def test_nginx_levels_and_who_asked_left_out() -> None:
    crit, not_found = entries(NGINX_CRIT + NGINX_NOT_FOUND)
    assert (crit.level, crit.is_fatal) == ("crit", True)
    assert crit.message == (
        "connect() to unix:/run/php/php8.2-fpm-demo.sock failed (2: No such file or directory) "
        "while connecting to upstream"
    )
    assert "192.0.2.7" not in crit.message
    assert (not_found.level, not_found.is_fatal) == ("error", False)
    (warn,) = entries("2026/11/23 10:00:00 [warn] 1#1: conflicting server name\n")
    assert warn.level == "warning"


def test_nginx_times_are_in_the_given_zone() -> None:
    warsaw = ZoneInfo("Europe/Warsaw")
    (entry,) = entries(NGINX_CRIT, tz=warsaw)
    assert entry.when == dt.datetime(2026, 11, 23, 10, 0, 2, tzinfo=warsaw)


def test_php_times_carry_their_zone() -> None:
    (entry,) = entries("[23-Nov-2026 10:00:00 Europe/Warsaw] PHP Warning:  x\n")
    assert entry.when is not None
    assert entry.when.utcoffset() == dt.timedelta(hours=1)
    (unknown,) = entries("[23-Nov-2026 10:00:00 Mars/Olympus] PHP Warning:  x\n")
    assert unknown.when is None and unknown.level == "warning"


def test_php_fpm_joins_the_lines_of_one_child() -> None:
    memory, notice, busy, ready = entries(FPM)
    assert (memory.source, memory.level) == ("php-fpm", "fatal")
    assert memory.message.startswith("Allowed memory size of 134217728 bytes exhausted")
    # Child 124 spoke in between; child 123's trace still joins its own error.
    assert memory.text.splitlines()[1:] == ["Stack trace:", "#0 {main}"]
    assert (notice.level, notice.message) == ("notice", "x in /srv/c.php on line 1")
    assert (busy.level, busy.message) == (
        "warning",
        "[pool demo] server reached pm.max_children setting (5), consider raising it",
    )
    assert (ready.level, ready.message) == ("notice", "ready to handle connections")


def test_php_fpm_trace_lines_of_an_unseen_error_are_skipped() -> None:
    lines = [line for line in FPM.splitlines() if "child 123" in line][1:]
    assert entries("\n".join(lines) + "\n") == ()


def test_php_fpm_other_stderr_output_is_its_own_entry() -> None:
    line = '[23-Nov-2026 10:00:04] WARNING: [pool demo] child 9 said into stderr: "cron: done"\n'
    (entry,) = entries(line)
    assert (entry.level, entry.message) == ("warning", "cron: done")


def test_lines_before_the_first_head_belong_to_last_time() -> None:
    found = entries("#2 {main}\n  thrown in /a.php on line 3\n" + WARNING)
    assert [e.level for e in found] == ["warning"]


def test_nothing_new() -> None:
    assert scan(b"", Cursor(3, 50)) == scan(b"", Cursor(3, 50))
    result = scan(b"", Cursor(3, 50))
    assert (result.entries, result.cursor) == ((), Cursor(3, 50))


# ---- cursor ---------------------------------------------------------------------


def test_a_partial_last_line_waits_for_its_newline() -> None:
    data = (WARNING + NGINX_CRIT[:40]).encode()
    first = scan(data, Cursor(11, 100))
    assert [e.level for e in first.entries] == ["warning"]
    assert first.cursor == Cursor(11, 100 + len(WARNING.encode()))
    # Next time the line is complete; reading resumes where the cursor stopped.
    second = scan(NGINX_CRIT.encode(), first.cursor)
    assert [e.level for e in second.entries] == ["crit"]
    assert second.cursor.offset == first.cursor.offset + len(NGINX_CRIT.encode())


def test_offsets_count_bytes_not_characters() -> None:
    line = "[23-Nov-2026 10:00:00 UTC] PHP Warning:  zażółć gęślą jaźń\n"
    result = scan(line, START)
    assert result.cursor.offset == len(line.encode())
    assert result.entries[0].message == "zażółć gęślą jaźń"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    data = b"[23-Nov-2026 10:00:00 UTC] PHP Warning:  bad \xff byte\n"
    result = scan(data, START)
    assert result.entries[0].message == "bad \ufffd byte"
    assert result.cursor.offset == len(data)


def test_crlf_lines() -> None:
    (entry,) = entries(TRACE.replace("\n", "\r\n"))
    assert "\r" not in entry.text
    assert entry.message.endswith("index.php:12")


def test_resume_at() -> None:
    kept = Cursor(inode=7, offset=500)
    assert resume_at(kept, inode=7, size=500) == kept  # nothing new
    assert resume_at(kept, inode=7, size=9000) == kept
    assert resume_at(kept, inode=9, size=9000) == Cursor(9, 0)  # rotated: a new file
    assert resume_at(kept, inode=7, size=120) == Cursor(7, 0)  # truncated in place
    assert resume_at(None, inode=7, size=9000) == Cursor(7, 9000)  # first look: history is not news


def _read_in_steps(whole: bytes, sizes: list[int]) -> tuple[list[Entry], Cursor]:
    """What the SSH side does: stat, resume_at, read from the offset up to the size, scan."""
    found: list[Entry] = []
    cursor = Cursor(5, 0)
    for size in sizes:
        start = resume_at(cursor, inode=5, size=size)
        result = scan(whole[start.offset : size], start)
        found += result.entries
        cursor = result.cursor
    return found, cursor


_PIECES = [TRACE, WARNING, NGINX_FATAL, NGINX_CRIT, NGINX_NOT_FOUND, FPM]


@given(
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8),
    st.lists(st.integers(0, 10_000), max_size=6),
)
def test_reading_in_steps_finds_what_one_read_finds(pieces: list[str], cuts: list[int]) -> None:
    whole = "".join(pieces).encode()
    sizes = [*sorted(min(cut, len(whole)) for cut in cuts), len(whole)]
    stepped, cursor = _read_in_steps(whole, sizes)
    at_once = scan(whole, Cursor(5, 0))
    assert cursor == at_once.cursor == Cursor(5, len(whole))
    # A step may end between an entry's head and its trace: the head is reported
    # then (the trace's tail is then skipped), so heads and fingerprints agree.
    assert [(e.level, e.message, e.fingerprint) for e in stepped] == [
        (e.level, e.message, e.fingerprint) for e in at_once.entries
    ]


@given(st.binary(max_size=400), st.integers(0, 10**9))
def test_any_bytes_scan_and_the_cursor_stays_on_a_line_end(data: bytes, offset: int) -> None:
    result = scan(data, Cursor(1, offset))
    consumed = result.cursor.offset - offset
    assert 0 <= consumed <= len(data)
    assert consumed == 0 or data[consumed - 1 : consumed] == b"\n"
    assert all(e.level in LEVELS and len(e.fingerprint) == 12 for e in result.entries)


# ---- fingerprints ------------------------------------------------------------------


def test_the_same_problem_has_the_same_fingerprint() -> None:
    a = fingerprint("fatal", "Uncaught Exception: boom in /srv/www/d/releases/20261123/x.php:12")
    b = fingerprint("fatal", "Uncaught Exception: boom in /srv/www/d/releases/20261201/x.php:40")
    c = fingerprint("fatal", "Uncaught Exception:  boom in /srv/www/d/releases/1/x.php:1")
    assert a == b == c
    memory = fingerprint("fatal", "Allowed memory size of 134217728 bytes exhausted (tried 20480)")
    assert memory == fingerprint(
        "fatal", "Allowed memory size of 268435456 bytes exhausted (tried 65536)"
    )


def test_different_problems_have_different_fingerprints() -> None:
    boom = fingerprint("fatal", "Uncaught Exception: boom in /x.php:12")
    assert boom != fingerprint("fatal", "Uncaught Exception: bang in /x.php:12")
    assert boom != fingerprint("fatal", "Uncaught Exception: boom in /y.php:12")
    assert boom != fingerprint("warning", "Uncaught Exception: boom in /x.php:12")
