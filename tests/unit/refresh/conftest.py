"""Shared pieces of the refresh transformer's tests: the real dumps, PHP, a salt."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "refresh"
DUMPS = sorted(FIXTURES.glob("*.sql"))
REAL_DUMPS = [
    path for path in DUMPS if path.name not in ("edge-source.sql", "wordpress-schema.sql")
]
SALT = b"test-salt-0123456789abcdef"
SOURCE = "https://www.demo.lab"
TARGET = "https://staging.demo.lab"
PHP = shutil.which("php")

needs_php = pytest.mark.skipif(
    PHP is None, reason="php is not installed (apt-get install -y php-cli) to unserialize for real"
)

# Reads base64 lines "rewritten expected", prints one verdict per line.
_PHP_CHECK = r"""
$n = 0;
while (($line = fgets(STDIN)) !== false) {
    [$a, $b] = array_map('base64_decode', explode(' ', trim($line)));
    $x = @unserialize($a);
    $y = @unserialize($b);
    if ($x === false && $a !== 'b:0;') { echo "invalid $n\n"; }
    elseif (serialize($x) !== serialize($y)) { echo "differs $n\n"; }
    else { echo "ok $n\n"; }
    $n++;
}
"""


def php_unserialize_check(pairs: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """PHP's verdict on each (rewritten, expected) pair: 'ok', 'invalid' or 'differs'."""
    assert PHP is not None
    text = "".join(
        f"{base64.b64encode(a).decode()} {base64.b64encode(b).decode()}\n" for a, b in pairs
    )
    result = subprocess.run(
        [PHP, "-d", "error_reporting=0", "-r", _PHP_CHECK],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return [line.split()[0] for line in result.stdout.splitlines()]


def feed_in_pieces(transform: object, data: bytes, size: int) -> bytes:
    """Everything ``transform`` makes of ``data`` fed in pieces of ``size`` bytes."""
    feed = transform.feed  # type: ignore[attr-defined]
    out = [feed(data[i : i + size]) for i in range(0, len(data), size)]
    return b"".join(out) + transform.close()  # type: ignore[attr-defined]


def processes_alive(marker: str, wait: float = 3.0) -> list[str]:
    """The command lines holding ``marker`` of the processes still running (not zombies)
    after up to ``wait`` seconds (a killed process takes a moment to end on a busy machine)."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            try:
                line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if marker in line and state != "Z":
                found.append(line)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
