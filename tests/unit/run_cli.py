"""Running the CLI in a test, as a user's shell would: exit code, stdout and stderr."""

from __future__ import annotations

import pytest

from upkeep.cli.main import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The exit code (argparse's own errors exit from inside main), stdout and stderr."""
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
