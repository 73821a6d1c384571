"""The host facts the checks read: their output parsed (pyinfra style: output in, value out),
and their commands run for real by ``sh`` (dash, as pyinfra runs them) on local files,
the local mariadb client and curl against a local server."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.unit.local_servers import WebhookServer
from upkeep.monitor.evaluate import DiskSpace
from upkeep.monitor.facts import (
    DatabaseProbe,
    DiskFree,
    LocalGet,
    LocalResponse,
    LogChunks,
    LogRead,
    SiteDatabase,
    UnitStates,
)
from upkeep.monitor.logscan import Cursor, resume_at


def sh(command: str, env: dict[str, str] | None = None) -> list[str]:
    """Run a fact's command as pyinfra does (sh -c); it must always exit 0."""
    done = subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


# ---- units -----------------------------------------------------------------------------


def test_unit_states_from_systemctl_show_blocks() -> None:
    output = [
        "unit=nginx",
        "ActiveState=active",
        "LoadState=loaded",
        "unit=php8.2-fpm",
        "LoadState=loaded",
        "ActiveState=inactive",
        "unit=mariadb",
        "LoadState=loaded",
        "ActiveState=failed",
        "unit=ghost",
        "LoadState=not-found",
        "ActiveState=inactive",
        "unit=cron",
        "Failed to connect to bus: Host is down",
    ]
    assert UnitStates().process(output) == {
        "nginx": "active",
        "php8.2-fpm": "inactive",
        "mariadb": "failed",
        "ghost": None,  # not installed
        "cron": None,  # nothing known: not a guess
    }
    assert UnitStates().default() is None  # the fact could not be read at all


def test_unit_states_command_quotes_and_never_fails() -> None:
    command = UnitStates().command(units=("nginx", "php8.2-fpm"))
    assert '-- "$u"' in command and "|| true" in command
    # systemd does not run here: every unit is reported, none is guessed.
    lines = sh(command)
    assert [line for line in lines if line.startswith("unit=")] == ["unit=nginx", "unit=php8.2-fpm"]
    assert UnitStates().process(lines) == {"nginx": None, "php8.2-fpm": None}


# ---- disk ------------------------------------------------------------------------------


def test_disk_free_reads_statfs(tmp_path: Path) -> None:
    lines = sh(DiskFree().command(paths=(str(tmp_path), "/no/such/path")))
    found = DiskFree().process(lines)
    space = found[str(tmp_path)]
    assert isinstance(space, DiskSpace)
    expected = os.statvfs(tmp_path)
    assert space.total == expected.f_blocks * expected.f_frsize
    assert 0 <= space.free <= space.total
    assert found["/no/such/path"] is None


def test_disk_free_output_parsed() -> None:
    assert DiskFree().process(["path=/", "4096 1000 250", "path=/srv", "missing"]) == {
        "/": DiskSpace(free=250 * 4096, total=1000 * 4096),
        "/srv": None,
    }


# ---- database --------------------------------------------------------------------------

PASSWORD = "pw-that-must-stay-on-the-host"


def _env_file(tmp_path: Path) -> Path:
    path = tmp_path / "shared" / ".env"
    path.parent.mkdir()
    path.write_text(
        "# Managed by upkeep\nAPP_ENV=staging\nDB_HOST=localhost\nDB_PORT=3306\n"
        f"DB_NAME=demo\nDB_USER=demo\nDB_PASSWORD={PASSWORD}"  # no final newline: still read
    )
    return path


def _fake_client(tmp_path: Path, answer: str) -> dict[str, str]:
    """A `mariadb` first on PATH that shows what it was given, as the real one would not."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    client = bin_dir / "mariadb"
    client.write_text(
        "#!/bin/sh\n"
        'echo "argv: $*" > "$ARGV_LOG"\n'
        'if [ "$MYSQL_PWD" = "$WANT" ]; then echo ' + answer + "; else "
        "echo \"ERROR 1045 (28000): Access denied for user 'demo'@'localhost'\" >&2; exit 1; fi\n"
    )
    client.chmod(client.stat().st_mode | stat.S_IEXEC)
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "ARGV_LOG": str(tmp_path / "argv.log"),
        "WANT": PASSWORD,
    }


def test_the_database_is_asked_with_the_sites_own_credentials_never_on_argv(
    tmp_path: Path,
) -> None:
    env = _fake_client(tmp_path, "1")
    lines = sh(SiteDatabase().command(env_file=str(_env_file(tmp_path))), env)
    assert SiteDatabase().process(lines) == DatabaseProbe(True)
    argv = (tmp_path / "argv.log").read_text()
    assert "-u demo" in argv and "-- demo" in argv and "SELECT 1" in argv
    assert "-h localhost" in argv and "-P" not in argv  # the socket, as PDO does for localhost
    assert PASSWORD not in argv  # MYSQL_PWD only: ps never shows it
    assert PASSWORD not in "\n".join(lines)


def test_another_database_host_is_reached_over_tcp_on_its_port(tmp_path: Path) -> None:
    env_file = _env_file(tmp_path)
    env_file.write_text(env_file.read_text().replace("DB_HOST=localhost", "DB_HOST=db.internal"))
    env = _fake_client(tmp_path, "1")
    assert SiteDatabase().process(sh(SiteDatabase().command(env_file=str(env_file)), env)).reachable
    assert "-h db.internal -P 3306" in (tmp_path / "argv.log").read_text()


def test_a_refused_login_is_a_value_with_the_clients_words(tmp_path: Path) -> None:
    env = {**_fake_client(tmp_path, "1"), "WANT": "another"}
    lines = sh(SiteDatabase().command(env_file=str(_env_file(tmp_path))), env)
    probe = SiteDatabase().process(lines)
    assert not probe.reachable and probe.error is not None and "Access denied" in probe.error


def test_the_real_client_with_no_server_says_so(tmp_path: Path) -> None:
    # The mariadb client is on this machine; no server is: the probe says why, safely.
    lines = sh(SiteDatabase().command(env_file=str(_env_file(tmp_path))))
    probe = SiteDatabase().process(lines)
    assert not probe.reachable and probe.error
    assert PASSWORD not in probe.error


def test_no_env_file_means_not_provisioned(tmp_path: Path) -> None:
    probe = SiteDatabase().process(sh(SiteDatabase().command(env_file=str(tmp_path / "x"))))
    assert not probe.reachable and probe.error is not None and "no env file" in probe.error


# ---- logs ------------------------------------------------------------------------------


def _read(path: Path, previous: Cursor | None, limit: int = 1 << 20) -> LogRead | None:
    files = ((str(path), previous.inode if previous else -1, previous.offset if previous else 0),)
    return LogChunks().process(sh(LogChunks().command(files=files, limit=limit)))[str(path)]


def test_a_log_seen_for_the_first_time_is_read_from_its_end(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_bytes(b"old news\n")
    read = _read(log, None)
    assert read is not None and read.data == b"" and read.start == read.size == 9
    assert Cursor(read.inode, read.start) == resume_at(None, inode=read.inode, size=read.size)


def test_only_the_new_bytes_are_read_and_binary_survives(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_bytes(b"old\n")
    inode = log.stat().st_ino
    with log.open("ab") as handle:
        handle.write(b"new \xff\xfe line\r\nand a partial")
    read = _read(log, Cursor(inode, 4))
    assert read is not None
    assert (read.inode, read.start) == (inode, 4)
    assert read.data == b"new \xff\xfe line\r\nand a partial"  # exactly, bytes and all


def test_a_rotated_log_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_bytes(b"before rotation\n")
    old = Cursor(log.stat().st_ino, 16)
    log.rename(tmp_path / "error.log.1")
    log.write_bytes(b"fresh\n")
    read = _read(log, old)
    assert read is not None and read.start == 0 and read.data == b"fresh\n"
    assert resume_at(old, inode=read.inode, size=read.size).offset == 0


def test_a_truncated_log_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_bytes(b"short\n")
    read = _read(log, Cursor(log.stat().st_ino, 500))
    assert read is not None and read.start == 0 and read.data == b"short\n"


def test_a_big_backlog_is_read_in_pieces(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_bytes(b"x" * 100)
    read = _read(log, Cursor(log.stat().st_ino, 10), limit=30)
    assert read is not None and read.data == b"x" * 30 and read.start == 10


def test_a_missing_log_and_several_files_at_once(tmp_path: Path) -> None:
    present = tmp_path / "a.log"
    present.write_bytes(b"a\n")
    files = ((str(tmp_path / "gone.log"), -1, 0), (str(present), present.stat().st_ino, 0))
    found = LogChunks().process(sh(LogChunks().command(files=files)))
    assert found[str(tmp_path / "gone.log")] is None
    got = found[str(present)]
    assert got is not None and got.data == b"a\n"


def test_log_output_with_garbage_is_not_trusted() -> None:
    assert LogChunks().process(["file=/x", "stat=1 2 0", "data=!!notbase64"]) == {"/x": None}
    assert LogChunks().process(["file=/x", "stat=oops", "data="]) == {"/x": None}


def test_a_path_with_quotes_is_quoted(tmp_path: Path) -> None:
    odd = tmp_path / "it's; rm -rf x.log"
    odd.write_bytes(b"1\n")
    read = _read(odd, Cursor(odd.stat().st_ino, 0))
    assert read is not None and read.data == b"1\n"


# ---- a page fetched on the host --------------------------------------------------------


@pytest.fixture
def local_site() -> object:
    server = WebhookServer(status=500, answer=b'<div class="code">demo \xc2\xb7 500</div>')
    yield server
    server.close()


def test_a_page_fetched_with_curl_by_domain_on_localhost(local_site: WebhookServer) -> None:
    port = local_site.port
    command = LocalGet().command(
        url=f"http://staging.demo.test:{port}/.upkeep/fail", domain="staging.demo.test", port=port
    )
    got = LocalGet().process(sh(command))
    assert got.status == 500 and got.error is None
    assert got.body.decode() == '<div class="code">demo · 500</div>'
    assert got.seconds >= 0
    assert local_site.received[0].headers["host"] == f"staging.demo.test:{port}"


def test_nothing_answering_on_the_host_is_a_value() -> None:
    from ..local_servers import free_port

    port = free_port()
    got = LocalGet().process(
        sh(LocalGet().command(url=f"http://x.test:{port}/", domain="x.test", port=port, timeout=3))
    )
    assert got.status is None and got.error is not None
    assert got == LocalResponse(None, got.seconds, b"", got.error)
