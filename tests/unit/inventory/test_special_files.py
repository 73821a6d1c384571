"""An inventory or lock path that is a directory or a FIFO is refused: exit 2, one line.

Before, a FIFO named on the command line blocked ``inventory check`` until
someone wrote to it, and a directory or FIFO found by name was passed over as
if absent ("ok: 0 inventories", no pins). Each case runs the real CLI in a
thread with a timeout, so a hang fails the test instead of stalling the run.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.inventory.test_cli import GOOD, write
from upkeep.cli.main import main

TIMEOUT = 10.0  # seconds; reading a small file takes milliseconds

KINDS: dict[str, Callable[[Path], None]] = {
    "directory": lambda path: path.mkdir(),
    "FIFO (named pipe)": lambda path: os.mkfifo(path),
}


def release(path: Path) -> None:
    """Open and close the FIFO's writing end, so a reader stuck in open() or read() sees EOF."""
    with contextlib.suppress(OSError):  # nobody is reading: nothing to release
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def run(capsys: pytest.CaptureFixture[str], special: Path, *args: str) -> tuple[int, str, str]:
    """``upkeep ARGS`` through main(); fails the test if it is still running after TIMEOUT."""
    capsys.readouterr()
    done: dict[str, int] = {}
    raised: list[BaseException] = []

    def call() -> None:
        try:
            done["code"] = main(list(args))
        except SystemExit as exit_:
            done["code"] = int(exit_.code or 0)
        except BaseException as error:  # shown in the test's thread, not lost in this one
            raised.append(error)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    if thread.is_alive():
        release(special)
        thread.join(TIMEOUT)
        pytest.fail(f"upkeep {' '.join(args)} still running after {TIMEOUT:g} s ({special})")
    if raised:
        raise raised[0]
    out, err = capsys.readouterr()
    return done["code"], out, err


def assert_refused(code: int, out: str, err: str, shown: str, kind: str) -> None:
    assert code == 2, (out, err)
    assert err == f"upkeep: {shown}: (file): is a {kind}, not a file (give an inventory file)\n"
    assert "ok:" not in out


def test_check_refuses_a_named_path_that_is_not_a_file(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind, make in KINDS.items():
        special = workspace / "inventories" / f"shop-{len(kind)}.yml"
        make(special)
        named = str(special.relative_to(workspace))
        code, out, err = run(capsys, special, "inventory", "check", named)
        assert_refused(code, out, err, f"inventories/{special.name}", kind)


def test_check_refuses_an_inventory_found_by_name_that_is_not_a_file(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind, make in KINDS.items():
        special = workspace / "inventories" / "shop.yml"
        make(special)
        code, out, err = run(capsys, special, "--root", str(workspace), "inventory", "check")
        assert_refused(code, out, err, "inventories/shop.yml", kind)
        (special.rmdir if special.is_dir() else special.unlink)()


def test_a_command_taking_a_project_refuses_its_inventory_if_not_a_file(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind, make in KINDS.items():
        special = workspace / "inventories" / "shop.yml"
        make(special)
        code, out, err = run(capsys, special, "--root", str(workspace), "inventory", "show", "shop")
        assert_refused(code, out, err, "inventories/shop.yml", kind)
        (special.rmdir if special.is_dir() else special.unlink)()


@pytest.mark.parametrize("command", [("inventory", "check"), ("inventory", "show", "shop")])
def test_a_lock_file_that_is_not_a_file_is_refused_not_ignored(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
) -> None:
    monkeypatch.setenv("UPKEEP_SECRETS_FILE", str(workspace / "absent.yml"))
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(workspace / "state"))
    write(workspace, GOOD)
    for kind, make in KINDS.items():
        lock = workspace / "inventories" / "shop.pins.yml"
        make(lock)
        code, out, err = run(capsys, lock, "--root", str(workspace), *command)
        assert_refused(code, out, err, "inventories/shop.pins.yml", kind)
        (lock.rmdir if lock.is_dir() else lock.unlink)()
