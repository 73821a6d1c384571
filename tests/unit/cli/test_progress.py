"""Progress goes to stderr only where someone reads it, through the CLI's main():

- without a terminal (cron, CI, a monitoring system merging the streams) stderr gets
  no progress lines unless asked (``--progress`` or ``UPKEEP_PROGRESS=1``);
- on a terminal it keeps them;
- ``check --nagios`` prints the plugin's output alone, even when progress is asked.

The hosts are 127.0.0.1 on a port nothing listens on: real refusals, no stand-ins.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from tests.unit.local_servers import free_port
from tests.unit.run_cli import run_cli as run

SSH_PORT = free_port()  # nothing listens there: SSH is refused at once

INVENTORY = f"""\
project: shop
app: {{kind: generic, repository: /srv/git/shop}}
php: {{line: "8.2"}}
database: {{name: shop, user: shop, password: {{secret: shop_db}}, dump_user: shop_dump,
            dump_password: {{secret: shop_dump}}}}
environments:
  staging:
    domain: staging.shop.test
    tls: manual
    hosts: [{{name: shop-staging, address: 127.0.0.1, port: {SSH_PORT}}}]
    database: {{name: shop_staging, user: shop_staging, dump_user: shop_staging_dump}}
  production:
    domain: www.shop.test
    tls: manual
    hosts: [{{name: shop-production, address: 127.0.0.1, port: {SSH_PORT}}}]
"""

PROGRESS_LINE = "  … reading facts from 1 host over SSH\n"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("UPKEEP_PROGRESS", raising=False)
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return workspace


def test_check_nagios_prints_the_plugin_output_alone(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "check", "shop", "staging", "--nagios", "--no-history")
    assert code == 2 and out.startswith("UPKEEP CRITICAL - shop staging: ")
    assert err == ""


def test_check_nagios_stays_alone_even_when_progress_is_asked(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(capsys, "--progress", "check", "shop", "staging", "--nagios")
    assert code == 2 and out.startswith("UPKEEP CRITICAL") and err == ""
    monkeypatch.setenv("UPKEEP_PROGRESS", "1")
    code, out, err = run(capsys, "check", "shop", "staging", "--nagios")
    assert code == 2 and out.startswith("UPKEEP CRITICAL") and err == ""
    monkeypatch.setattr(sys, "stderr", _Terminal())  # even on a terminal
    code, out, _ = run(capsys, "check", "shop", "staging", "--nagios")
    assert code == 2 and sys.stderr.getvalue() == ""  # type: ignore[attr-defined]


def test_without_a_terminal_no_progress_unless_asked(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(capsys, "check", "shop", "staging", "--no-history")
    assert code == 2 and "health" in out
    assert err == ""
    code, out, err = run(capsys, "--progress", "check", "shop", "staging", "--no-history")
    assert code == 2 and err == PROGRESS_LINE
    monkeypatch.setenv("UPKEEP_PROGRESS", "1")
    code, out, err = run(capsys, "check", "shop", "staging", "--no-history")
    assert code == 2 and err == PROGRESS_LINE


def test_a_terminal_gets_progress_unless_turned_off(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run(capsys, "check", "shop", "staging", "--no-history")[0] == 2
    assert terminal.getvalue() == PROGRESS_LINE
    monkeypatch.setenv("UPKEEP_PROGRESS", "0")
    assert run(capsys, "check", "shop", "staging", "--no-history")[0] == 2
    assert terminal.getvalue() == PROGRESS_LINE  # nothing more


def test_the_plain_progress_lines_follow_the_same_rule(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `upkeep drift` says its steps through upkeep.cli.output.progress().
    code, _, quiet = run(capsys, "drift", "shop")
    code_asked, _, said = run(capsys, "--progress", "drift", "shop")
    assert (code, code_asked) == (2, 2), (quiet, said)  # the host is unreachable
    assert quiet == "" and said.startswith("  … reading facts from "), said


def test_a_bad_progress_variable_is_one_line_and_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPKEEP_PROGRESS", "yes please")
    code, out, err = run(capsys, "check", "shop", "staging", "--no-history")
    assert code == 2 and out == ""
    assert err == (
        "upkeep: UPKEEP_PROGRESS='yes please': use 1 (progress on stderr even without a "
        "terminal), 0 (no progress) or leave it unset (progress on a terminal only)\n"
    )
    # A Nagios plugin's run does not read it: its output is the status line whatever it says.
    code, out, err = run(capsys, "check", "shop", "staging", "--nagios", "--no-history")
    assert code == 2 and out.startswith("UPKEEP CRITICAL") and err == ""


def test_a_notice_of_what_was_done_stays_without_a_terminal_but_not_under_nagios(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. `update minor` saying its report was NOT sent by mail: a cron log must keep it.
    from upkeep import progress
    from upkeep.cli.output import notice

    monkeypatch.delenv("UPKEEP_PROGRESS", raising=False)
    progress.configure(False)
    notice("report NOT sent by mail to client@shop.example: connection refused")
    assert capsys.readouterr().err == (
        "  … report NOT sent by mail to client@shop.example: connection refused\n"
    )
    progress.configure(False, muted=True)
    try:
        notice("report sent by webhook")
        assert capsys.readouterr().err == ""
    finally:
        progress.configure(False, {})
