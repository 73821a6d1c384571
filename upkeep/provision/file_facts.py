"""pyinfra's file facts of many paths in one ``stat`` and one ``sha1sum``, not one each.

A no-op check asks ``File``, ``Directory``, ``Link`` and ``Sha1File`` of some
seventy paths per host. Each of pyinfra's commands forks subshells and starts
``stat`` or ``sha1sum`` for its one path: half of the host's CPU for the whole
check. Here one command tests every path with the shell's builtins, prints
``y`` or ``n`` for each, and then runs the tool once over the paths that exist,
whose lines come out in the same order. Each path gets the output its own
command gives: nothing for a path that is not there, else the tool's line,
which the fact's own ``process()`` reads.

When that cannot be trusted (a path gone between the test and the tool, a
tool that failed or is not GNU's), ``split`` answers None and the caller
reads those facts one by one, as pyinfra does. Paths the shell or the tools
would print in a way of their own (a newline, a backslash, ``~/``) never join.

    >>> read = FileRead(STAT, ["/etc", "/nowhere"])
    >>> read.split(0, ["y", "n", "user=root ..."])
    [(0, ['user=root ...']), (0, [])]
    >>> read.split(0, ["y", "n"]) is None  # /etc's line is missing
    True
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from pyinfra.api import FactBase
from pyinfra.facts.files import LINUX_STAT_COMMAND, Directory, File, Link, Sha1File, Socket

STAT = "stat"
SHA1 = "sha1sum"
# The facts answered from one tool's line per path: exactly these classes (a subclass
# may ask something else).
_TOOL_OF: dict[type[FactBase], str] = {
    File: STAT,
    Directory: STAT,
    Link: STAT,
    Socket: STAT,
    Sha1File: SHA1,
}
# Whether a path gets the tool's line: the test pyinfra's own command makes first.
_EXISTS = {STAT: 'test -e "$p" || test -L "$p"', SHA1: 'test -e "$p"'}
_RUN = {STAT: LINUX_STAT_COMMAND.removeprefix("stat") + " --", SHA1: " --"}


def tool_for(fact: FactBase, path: object) -> str | None:
    """The tool that can answer this fact with others of its kind, or None (read it alone)."""
    tool = _TOOL_OF.get(type(fact))
    if tool is None or not isinstance(path, str) or not path:
        return None
    if "\n" in path or "\\" in path or path.startswith("~"):
        return None
    return tool


@dataclass(frozen=True)
class FileRead:
    """One command answering a file fact for each of ``paths``, and the split of its output."""

    tool: str
    paths: Sequence[str]

    @property
    def command(self) -> str:
        quoted = " ".join(shlex.quote(path) for path in self.paths)
        return (
            f"set --; for p in {quoted}; do "
            f'if {_EXISTS[self.tool]}; then set -- "$@" "$p"; echo y; else echo n; fi; done; '
            f'[ $# -eq 0 ] || {self.tool}{_RUN[self.tool]} "$@"'
        )

    def split(self, code: int, lines: list[str]) -> list[tuple[int, list[str]]] | None:
        """Each path's status and lines as its own command gives them; None if unsure."""
        flags, found = lines[: len(self.paths)], lines[len(self.paths) :]
        if code != 0 or len(flags) != len(self.paths) or set(flags) - {"y", "n"}:
            return None
        if len(found) != flags.count("y"):
            return None
        answers = iter(found)
        return [(0, [next(answers)] if flag == "y" else []) for flag in flags]
