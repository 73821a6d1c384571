"""New entries in PHP, PHP-FPM and nginx error logs since the last look, as values.

The caller reads the file (over SSH) in two steps: ``resume_at`` says where
to start from the file's inode and size and the cursor kept from last time;
``scan`` parses the bytes read from there and returns the entries and the
cursor to keep. A rotated file (another inode) or a truncated one (smaller
than the offset: logrotate's copytruncate) is read from the start; a file
seen for the first time is read from its end, so history is not news. A last
line without its newline is left for next time.

Multi-line entries are joined: PHP's stack traces under ``PHP Fatal error``,
nginx's ``FastCGI sent in stderr: "..."`` spanning lines, and FPM's ``child
N said into stderr`` lines of the same child. Each entry has a fingerprint
(level and message with numbers and release directories evened out), so the
same fatal repeating is one problem, not a thousand.

    >>> data = (b"[23-Nov-2026 10:00:00 UTC] PHP Fatal error:  Uncaught Exception: boom"
    ...         b" in /srv/demo/current/public/index.php:12\\nStack trace:\\n#0 {main}\\n"
    ...         b"  thrown in /srv/demo/current/public/index.php on line 12\\n[23-Nov-2026 10:0")
    >>> found = scan(data, Cursor(inode=42, offset=1000))
    >>> [(e.level, e.message) for e in found.entries]
    [('fatal', 'Uncaught Exception: boom in /srv/demo/current/public/index.php:12')]
    >>> found.entries[0].text.count("\\n"), found.cursor.offset == 1000 + data.rindex(b"\\n") + 1
    (3, True)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from upkeep.inventory.checks import FATAL, LEVELS, Level

Source = Literal["php", "php-fpm", "nginx"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_PHP_HEAD = re.compile(
    r"\[(?P<d>\d{2})-(?P<mon>[A-Z][a-z]{2})-(?P<y>\d{4}) (?P<t>\d{2}:\d{2}:\d{2})(?:\.\d+)?"
    r"(?: (?P<zone>[A-Za-z][A-Za-z0-9_/+-]*))?\] (?P<rest>.*)"
)
_NGINX_HEAD = re.compile(
    r"(?P<date>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[(?P<level>[a-z]+)\] \d+#\d+: "
    r"(?:\*\d+ )?(?P<rest>.*)"
)
_PHP_MESSAGE = re.compile(
    r"PHP (?P<label>[A-Z][a-z]+(?: [A-Za-z]+)*):\s+(?P<message>.*)", re.DOTALL
)
_FPM = re.compile(
    r"(?P<level>DEBUG|NOTICE|WARNING|ERROR|ALERT): (?:\[pool (?P<pool>[^\]]+)\] )?(?P<rest>.*)"
)
_FPM_CHILD = re.compile(
    r'child (?P<child>\d+) said into std(?:err|out): "(?P<inner>.*)"(?:, pipe is closed)?'
)
_FASTCGI = 'FastCGI sent in stderr: "'
# What follows a PHP error on its own lines: a stack trace and the uncaught exception's tail.
_TRACE = re.compile(r"Stack trace:|#\d+ |  thrown in |Next ")
# PHP's labels for its levels (E_USER_* print the same words).
_PHP_LEVELS: dict[str, Level] = {
    "fatal error": "fatal",
    "recoverable fatal error": "fatal",
    "catchable fatal error": "fatal",
    "core error": "fatal",
    "compile error": "fatal",
    "parse error": "parse",
    "warning": "warning",
    "core warning": "warning",
    "compile warning": "warning",
    "notice": "notice",
    "strict standards": "notice",
    "deprecated": "deprecated",
}
_FPM_LEVELS: dict[str, Level] = {
    "DEBUG": "debug",
    "NOTICE": "notice",
    "WARNING": "warning",
    "ERROR": "error",
    "ALERT": "alert",
}
_NGINX_LEVELS: dict[str, Level] = {"warn": "warning", **{level: level for level in LEVELS}}


@dataclass(frozen=True)
class Cursor:
    """Where the last look stopped: the file's inode and the byte offset after its last full line."""

    inode: int
    offset: int


@dataclass(frozen=True)
class Entry:
    when: dt.datetime | None  # aware; None when the line's time could not be read
    source: Source
    level: Level
    message: str  # the first line, without time, level or prefix
    text: str  # the whole entry, continuation lines joined with "\n" (FPM's: what PHP wrote)
    fingerprint: str  # the same for the same problem, whenever and wherever it happens

    @property
    def is_fatal(self) -> bool:
        return self.level in FATAL


@dataclass(frozen=True)
class Scan:
    entries: tuple[Entry, ...]
    cursor: Cursor


def resume_at(previous: Cursor | None, *, inode: int, size: int) -> Cursor:
    """Where to start reading a file with this inode and size.

    >>> resume_at(Cursor(7, 500), inode=7, size=900)
    Cursor(inode=7, offset=500)
    >>> resume_at(Cursor(7, 500), inode=8, size=900), resume_at(Cursor(7, 500), inode=7, size=10)
    (Cursor(inode=8, offset=0), Cursor(inode=7, offset=0))
    >>> resume_at(None, inode=7, size=900)
    Cursor(inode=7, offset=900)
    """
    if previous is None:
        return Cursor(inode, size)
    if previous.inode != inode or size < previous.offset:
        return Cursor(inode, 0)
    return previous


def scan(data: bytes | str, start: Cursor, *, tz: dt.tzinfo = dt.UTC) -> Scan:
    """The entries in ``data`` (the file from ``start.offset`` on) and the cursor after them.

    ``tz`` is the servers' zone, for the times nginx and FPM write without one.
    Lines before the first entry head belong to an entry reported last time
    and are skipped.
    """
    raw = data.encode() if isinstance(data, str) else data
    end = raw.rfind(b"\n") + 1  # a partial last line waits for its newline
    text = raw[:end].decode("utf-8", errors="replace")
    parser = _Parser(tz)
    for line in text.splitlines():
        parser.feed(line.rstrip("\r"))
    return Scan(tuple(parser.entries()), Cursor(start.inode, start.offset + end))


# ---- parsing -----------------------------------------------------------------------


@dataclass
class _Open:
    """An entry still taking continuation lines."""

    when: dt.datetime | None
    source: Source
    level: Level
    lines: list[str]
    child: str | None = None  # FPM's pool/child, whose later stderr lines continue it


class _Parser:
    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz
        self.done: list[_Open] = []
        self.current: _Open | None = None
        self.children: dict[str, _Open] = {}  # FPM's pool/child: its last entry

    def feed(self, line: str) -> None:
        head = _PHP_HEAD.fullmatch(line)
        if head is not None:
            self._php_line(head)
            return
        head = _NGINX_HEAD.fullmatch(line)
        if head is not None:
            when = _nginx_time(head["date"], self.tz)
            level = _NGINX_LEVELS.get(head["level"], "error")
            self._open(_Open(when, "nginx", level, [line]))
            return
        if self.current is not None:
            self.current.lines.append(line)

    def _php_line(self, head: re.Match[str]) -> None:
        when = _php_time(head, self.tz)
        rest = head["rest"]
        fpm = _FPM.fullmatch(rest) if head["zone"] is None else None
        if fpm is None:
            message = _PHP_MESSAGE.match(rest)
            level = _php_level(message["label"]) if message else "error"
            self._open(_Open(when, "php", level, [head.group()]))
            return
        child = _FPM_CHILD.fullmatch(fpm["rest"])
        if child is None:
            self._open(_Open(when, "php-fpm", _FPM_LEVELS[fpm["level"]], [head.group()]))
            return
        key = f"{fpm['pool']}/{child['child']}"
        inner = child["inner"]
        inner_head = _PHP_HEAD.fullmatch(inner)
        if inner_head is not None:  # PHP wrote its own time too (error_log = /dev/stderr)
            inner = inner_head["rest"]
        message = _PHP_MESSAGE.match(inner)
        if message is None and _TRACE.match(inner):
            # Children interleave: the trace goes to this child's last error, if we saw it.
            owner = self.children.get(key)
            if owner is not None:
                owner.lines.append(inner)
            return
        level = _php_level(message["label"]) if message else _FPM_LEVELS[fpm["level"]]
        entry = _Open(when, "php-fpm", level, [inner], child=key)
        self.children[key] = entry
        self._open(entry)

    def _open(self, entry: _Open) -> None:
        if self.current is not None:
            self.done.append(self.current)
        self.current = entry

    def entries(self) -> list[Entry]:
        if self.current is not None:
            self.done.append(self.current)
            self.current = None
        return [_entry(item) for item in self.done]


def _php_level(label: str) -> Level:
    return _PHP_LEVELS.get(label.lower(), "error")


def _php_time(head: re.Match[str], tz: dt.tzinfo) -> dt.datetime | None:
    month = _MONTHS.get(head["mon"])
    if month is None:
        return None
    zone: dt.tzinfo = tz
    if head["zone"] in ("UTC", "GMT", "Z"):
        zone = dt.UTC
    elif head["zone"]:
        try:
            zone = ZoneInfo(head["zone"])
        except (ZoneInfoNotFoundError, ValueError):
            return None
    hour, minute, second = (int(part) for part in head["t"].split(":"))
    try:
        return dt.datetime(int(head["y"]), month, int(head["d"]), hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def _nginx_time(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y/%m/%d %H:%M:%S").replace(tzinfo=tz)
    except ValueError:
        return None


def _entry(item: _Open) -> Entry:
    text = "\n".join(item.lines)
    level, message = item.level, _message(item)
    if item.source == "nginx" and _FASTCGI in text:
        level, message = _fastcgi(text, level)
    return Entry(item.when, item.source, level, message, text, fingerprint(level, message))


def _message(item: _Open) -> str:
    first = item.lines[0]
    if item.source == "nginx":
        head = _NGINX_HEAD.fullmatch(first)
        rest = head["rest"] if head else first
        # Who asked (client address, request line) is not part of the problem.
        return rest.split(", client: ", 1)[0]
    if item.source == "php":
        head = _PHP_HEAD.fullmatch(first)
        first = head["rest"] if head else first
    elif item.child is None:  # an FPM line of its own: "WARNING: [pool demo] server reached ..."
        head = _PHP_HEAD.fullmatch(first)
        fpm = _FPM.fullmatch(head["rest"]) if head else None
        if fpm is not None:
            first = f"[pool {fpm['pool']}] {fpm['rest']}" if fpm["pool"] else fpm["rest"]
    message = _PHP_MESSAGE.match(first)
    return message["message"].strip() if message else first.strip()


def _fastcgi(text: str, level: Level) -> tuple[Level, str]:
    """The most severe PHP message inside nginx's ``FastCGI sent in stderr: "..."``."""
    inner = text.split(_FASTCGI, 1)[1]
    for tail in ('" while ', '", client: '):
        cut = inner.rfind(tail)
        if cut >= 0:
            inner = inner[:cut]
            break
    else:
        inner = inner.removesuffix('"')
    found: list[tuple[Level, str]] = []
    for part in inner.split("PHP message: ")[1:]:
        message = _PHP_MESSAGE.match(part.strip())
        if message is not None:
            first = message["message"].split("\n", 1)[0].strip().rstrip(";")
            found.append((_php_level(message["label"]), first))
    if not found:
        return level, inner.split("\n", 1)[0].strip()
    return min(found, key=lambda pair: LEVELS.index(pair[0]))


_RELEASE = re.compile(r"/releases/[^/\s]+/")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_NUMBER = re.compile(r"\d+")


def fingerprint(level: str, message: str) -> str:
    """12 hex digits naming the problem: numbers (lines, ids, sizes) and release dirs evened out.

    >>> fingerprint("fatal", "boom in /srv/a/releases/20261123/x.php:12") == fingerprint(
    ...     "fatal", "boom in /srv/a/releases/20261201/x.php:40")
    True
    """
    normal = _RELEASE.sub("/releases/*/", message)
    normal = _NUMBER.sub("N", _HEX.sub("0xN", normal))
    normal = " ".join(normal.split())
    return hashlib.sha1(f"{level}\0{normal}".encode(), usedforsecurity=False).hexdigest()[:12]
