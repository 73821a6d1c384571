"""Reading inventory and lock files, and naming them the way an operator would.

>>> from pathlib import Path
>>> read_text(Path("no/such/inventory.yml"))[1][0].message
'no such file (check the path)'
"""

from __future__ import annotations

from pathlib import Path

from upkeep.inventory.problems import Problem

MAX_BYTES = 1_000_000  # an inventory is a page or two; anything bigger is a mistake


def display(path: Path) -> str:
    """The path relative to the current directory when below it, else as given."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_text(path: Path) -> tuple[str | None, list[Problem]]:
    """The file's text, or the problem that stopped us reading it."""
    shown = display(path)

    def problem(message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(shown, None, (), message)]

    try:
        if path.stat().st_size > MAX_BYTES:
            return problem(f"larger than {MAX_BYTES} bytes (is it the right file?)")
        return path.read_text(encoding="utf-8"), []
    except FileNotFoundError:
        return problem("no such file (check the path)")
    except IsADirectoryError:
        return problem("is a directory (give an inventory file)")
    except UnicodeDecodeError as error:
        return problem(f"not UTF-8 text (byte {error.start}; save it as UTF-8)")
    except OSError as error:
        return problem(f"cannot read it ({error.strerror})")
