"""What the checks read on a host, as pyinfra facts: a shell command, a ``process()``, a default.

Each command exits 0 whatever it finds and reports problems in its output, so a
missing unit, a full disk or a refused database login is a value, never a
failed fact; a fact that still returns its default (None) could not be read at
all (sudo refused, the connection dropped), and its checks say UNKNOWN. The
commands are POSIX sh (pyinfra runs them with ``sh -c``, as root through sudo).

    >>> UnitStates().process(["unit=nginx", "LoadState=loaded", "ActiveState=active",
    ...                       "unit=nope", "LoadState=not-found", "ActiveState=inactive"])
    {'nginx': 'active', 'nope': None}
    >>> DiskFree().process(["path=/", "4096 1000 250"])
    {'/': DiskSpace(free=1024000, total=4096000)}
"""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pyinfra.api import FactBase

from upkeep.monitor.evaluate import DiskSpace

# A log grows by at most this much per look; more waits for the next run (no entry is lost).
LOG_READ_LIMIT = 4 * 1024 * 1024
# Of a page fetched on the host: enough for any error page, never a whole download.
BODY_LIMIT = 256 * 1024


def _q(value: str | int) -> str:
    return shlex.quote(str(value))


def _each(name: str, label: str, values: Sequence[str], command: str) -> str:
    """``command`` for each of ``values`` (as ``$name``), after a ``label=value`` line.

    >>> _each("u", "unit", ["nginx"], 'echo "$u"')
    'for u in nginx; do [ -n "$u" ] || continue; echo "unit=$u"; echo "$u"; done'
    """
    loop = " ".join(_q(value) for value in values) or "''"
    return (
        f'for {name} in {loop}; do [ -n "${name}" ] || continue; echo "{label}=${name}"; '
        f"{command}; done"
    )


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class UnitStates(FactBase[dict[str, str | None] | None]):
    """Each systemd unit's ActiveState; None for a unit that is not installed."""

    def command(self, units: Sequence[str] = ()) -> str:
        return _each(
            "u", "unit", units, 'systemctl show -p LoadState -p ActiveState -- "$u" 2>&1 || true'
        )

    @staticmethod
    def default() -> dict[str, str | None] | None:
        return None

    def process(self, output: Iterable[str]) -> dict[str, str | None]:
        states: dict[str, str | None] = {}
        unit, load, active = None, None, None

        def done() -> None:
            if unit is not None:
                states[unit] = None if load in (None, "not-found") or not active else active

        for line in output:
            key, _, value = line.strip().partition("=")
            if key == "unit":
                done()
                unit, load, active = value, None, None
            elif key == "LoadState":
                load = value
            elif key == "ActiveState":
                active = value
        done()
        return states


class DiskFree(FactBase[dict[str, DiskSpace | None] | None]):
    """Space available to unprivileged users and the size of each path's filesystem."""

    def command(self, paths: Sequence[str] = ()) -> str:
        return _each(
            "p", "path", paths, "stat -f -c '%S %b %a' -- \"$p\" 2>/dev/null || echo missing"
        )

    @staticmethod
    def default() -> dict[str, DiskSpace | None] | None:
        return None

    def process(self, output: Iterable[str]) -> dict[str, DiskSpace | None]:
        space: dict[str, DiskSpace | None] = {}
        path = None
        for line in output:
            line = line.strip()
            if line.startswith("path="):
                path = line.removeprefix("path=")
                space[path] = None
                continue
            parts = line.split()
            if path is None or len(parts) != 3 or not all(p.isdigit() for p in parts):
                continue
            block, blocks, available = (int(p) for p in parts)
            space[path] = DiskSpace(free=available * block, total=blocks * block)
        return space


@dataclass(frozen=True)
class DatabaseProbe:
    reachable: bool
    error: str | None = None  # what the client said (no credentials: they never leave the host)


# A KEY=VALUE line's value as the application's dotenv reads it (templates/app/env.j2
# writes it): "double quotes" with backslash escapes, 'single quotes' as written, else
# as it is. POSIX sh, as pyinfra runs facts; the value is printed, never evaluated.
_DOTENV_VALUE = (
    'value() { v=${1#*=}; case "$v" in '
    '\\"*\\") v=${v#?}; printf %s "${v%?}" | sed \'s/\\\\\\(.\\)/\\1/g\';; '
    "\\'*\\') v=${v#?}; printf %s \"${v%?}\";; "
    '*) printf %s "$v";; esac; }; '
)


class SiteDatabase(FactBase[DatabaseProbe | None]):
    """Whether the site's own database user connects and runs ``SELECT 1``.

    The credentials are read on the host from the site's env file (as the
    application reads them) and handed to the client in ``MYSQL_PWD``: never
    on a command line, never sent back.
    """

    def command(self, env_file: str = "/nonexistent") -> str:
        return (
            f"f={_q(env_file)}; "
            'if [ ! -r "$f" ]; then echo "error=no env file at $f (provision the environment)"; '
            "exit 0; fi; "
            "DB_HOST=localhost; DB_PORT=3306; DB_NAME=; DB_USER=; DB_PASSWORD=; "
            f"{_DOTENV_VALUE}"
            'while IFS= read -r line || [ -n "$line" ]; do case "$line" in '
            'DB_HOST=*) DB_HOST=$(value "$line");; DB_PORT=*) DB_PORT=$(value "$line");; '
            'DB_NAME=*) DB_NAME=$(value "$line");; DB_USER=*) DB_USER=$(value "$line");; '
            'DB_PASSWORD=*) DB_PASSWORD=$(value "$line");; esac; done < "$f"; '
            # As PHP's PDO does: localhost is the socket, anything else TCP on the port.
            'if [ "$DB_HOST" = localhost ]; then set -- -h localhost; '
            'else set -- -h "$DB_HOST" -P "$DB_PORT"; fi; '
            'out=$(MYSQL_PWD="$DB_PASSWORD" mariadb --connect-timeout=10 "$@" '
            '-u "$DB_USER" -N -B -e "SELECT 1" -- "$DB_NAME" 2>&1); '
            'if [ "$out" = 1 ]; then echo ok; else echo "error=$(printf %s "$out" | head -c 400 '
            "| tr '\\n' ' ')\"; fi"
        )

    @staticmethod
    def default() -> DatabaseProbe | None:
        return None

    def process(self, output: Iterable[str]) -> DatabaseProbe:
        lines = [line.strip() for line in output if line.strip()]
        if lines == ["ok"]:
            return DatabaseProbe(True)
        for line in lines:
            if line.startswith("error="):
                return DatabaseProbe(False, _one_line(line.removeprefix("error=")) or "no answer")
        return DatabaseProbe(False, _one_line(" ".join(lines)) or "no answer")


@dataclass(frozen=True)
class LogRead:
    """New bytes of one log file: from ``start`` on, as the host's rule chose it."""

    path: str
    inode: int
    size: int
    start: int
    data: bytes


class LogChunks(FactBase[dict[str, LogRead | None] | None]):
    """The bytes each log gained since its cursor: ``files`` are (path, inode, offset), with
    inode -1 for a file never read (it is then read from its end: history is not news).

    The host applies upkeep.monitor.logscan.resume_at's rule: another inode (rotated)
    or a smaller size (truncated) reads from 0. A missing file is None.
    """

    def command(
        self, files: Sequence[tuple[str, int, int]] = (), limit: int = LOG_READ_LIMIT
    ) -> str:
        parts = []
        for path, inode, offset in files:
            parts.append(
                f'p={_q(path)}; pi={_q(inode)}; po={_q(offset)}; echo "file=$p"; '
                'if [ -f "$p" ]; then set -- $(stat -c \'%i %s\' -- "$p"); i=$1; s=$2; '
                'if [ "$pi" = -1 ]; then start=$s; '
                'elif [ "$pi" != "$i" ] || [ "$s" -lt "$po" ]; then start=0; '
                'else start=$po; fi; echo "stat=$i $s $start"; '
                f'echo "data=$(tail -c +$((start + 1)) -- "$p" | head -c {int(limit)} | base64 -w0)"; '
                "else echo missing; fi"
            )
        return "; ".join(parts) or "true"

    @staticmethod
    def default() -> dict[str, LogRead | None] | None:
        return None

    def process(self, output: Iterable[str]) -> dict[str, LogRead | None]:
        reads: dict[str, LogRead | None] = {}
        path: str | None = None
        figures: tuple[int, int, int] | None = None
        for line in output:
            line = line.rstrip("\n")
            if line.startswith("file="):
                path, figures = line.removeprefix("file="), None
                reads[path] = None
            elif path is not None and line.startswith("stat="):
                numbers = line.removeprefix("stat=").split()
                if len(numbers) == 3 and all(n.isdigit() for n in numbers):
                    figures = (int(numbers[0]), int(numbers[1]), int(numbers[2]))
            elif path is not None and figures is not None and line.startswith("data="):
                try:
                    data = base64.b64decode(line.removeprefix("data=").strip(), validate=True)
                except (binascii.Error, ValueError):
                    continue
                inode, size, start = figures
                reads[path] = LogRead(path, inode, size, start, data)
        return reads


@dataclass(frozen=True)
class LocalResponse:
    """What a request made on the host itself brought back."""

    status: int | None
    seconds: float
    body: bytes
    error: str | None = None


class LocalGet(FactBase[LocalResponse | None]):
    """GET ``url`` with curl on the host, its domain resolved to 127.0.0.1 (the vhost's
    own answer, certificate not checked: the TLS check does that from outside)."""

    def requires_command(self, *args: object, **kwargs: object) -> str:
        return "curl"

    def command(
        self,
        url: str = "http://localhost/",
        domain: str = "localhost",
        port: int = 80,
        timeout: float = 10.0,
    ) -> str:
        return (
            "t=$(mktemp) && e=$(mktemp) || exit 0; "
            f"w=$(curl -sS -k --max-time {float(timeout):g} --resolve "
            f'{_q(f"{domain}:{int(port)}:127.0.0.1")} -o "$t" '
            f"-w '%{{http_code}} %{{time_total}}' -- {_q(url)} 2>\"$e\"); "
            'echo "status=$w"; '
            f'echo "body=$(head -c {BODY_LIMIT} "$t" | base64 -w0)"; '
            'echo "error=$(head -c 300 "$e" | tr \'\\n\' \' \')"; rm -f "$t" "$e"'
        )

    @staticmethod
    def default() -> LocalResponse | None:
        return None

    def process(self, output: Iterable[str]) -> LocalResponse:
        status: int | None = None
        seconds = 0.0
        body = b""
        error = None
        for line in output:
            key, _, value = line.rstrip("\n").partition("=")
            if key == "status":
                code, _, took = value.strip().partition(" ")
                status = int(code) if code.isdigit() and int(code) > 0 else None
                try:
                    seconds = float(took)
                except ValueError:
                    seconds = 0.0
            elif key == "body":
                try:
                    body = base64.b64decode(value.strip(), validate=True)
                except (binascii.Error, ValueError):
                    body = b""
            elif key == "error" and value.strip():
                error = _one_line(value)
        if status is None and error is None:
            error = "no answer"
        return LocalResponse(status, seconds, body, None if status is not None else error)
