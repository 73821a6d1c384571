"""A newcomer's first steps: what the README promises after its first command holds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def test_the_readme_says_where_the_upkeep_command_is_and_bootstrap_puts_it_there() -> None:
    head = (REPO / "README.md").read_text().split("\n## ", 1)[0]
    assert "`.venv/bin/upkeep`" in head and "source .venv/bin/activate" in head
    assert "pip_install -e ." in (REPO / "scripts" / "bootstrap").read_text()
    command = REPO / ".venv" / "bin" / "upkeep"
    if not (REPO / ".venv").is_dir():
        pytest.fail("no .venv: the tests run after scripts/bootstrap (README, CI)")
    done = subprocess.run([str(command), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("upkeep ")


def test_what_the_demo_does_lists_every_command_the_demo_runs() -> None:
    import re

    readme = (REPO / "README.md").read_text()
    listed = readme.split("## What the demo does", 1)[1].split("```", 2)[1]
    noxfile = (REPO / "noxfile.py").read_text()
    demo = noxfile.split("def demo(", 1)[1]
    runs = re.findall(r'session\.run\(\s*"upkeep",\s*((?:"[^"]*",?\s*)+)', demo)
    commands = [" ".join(re.findall(r'"([^"]*)"', args)) for args in runs]
    assert len(commands) >= 10
    for command in commands:
        assert f"upkeep {command}" in listed, command
