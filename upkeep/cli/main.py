"""``upkeep``: the entry point.

Each command lives in its own module under ``upkeep.cli`` and exposes
``register(subparsers)``; its handler takes the parsed arguments and returns an
exit code. ``UpkeepError`` becomes a message and its exit code here, so no
command prints a traceback for a user's mistake.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from upkeep import __version__, progress
from upkeep.cli.output import print_error, print_json
from upkeep.cli.record import run_recorded
from upkeep.errors import UpkeepError
from upkeep.exitcodes import ExitCode

# One line per command module; each adds its own sub-commands.
COMMANDS = (
    "upkeep.cli.inventory",
    "upkeep.cli.lab",
    "upkeep.cli.ping",
    "upkeep.cli.provision",
    "upkeep.cli.drift",
    "upkeep.cli.release",
    "upkeep.cli.refresh",
    "upkeep.cli.update",
    "upkeep.cli.estimate",
    "upkeep.cli.schedule",
    "upkeep.cli.check",
    "upkeep.cli.sla",
    "upkeep.cli.care",
    "upkeep.cli.dev",
    "upkeep.cli.fleet",
    "upkeep.cli.warranty",
    "upkeep.cli.propose",
    "upkeep.cli.dashboard",
    "upkeep.cli.runs",
    "upkeep.cli.state",
)


class UsageExit(SystemExit):
    """argparse refused the command line: exit USAGE, the line already on stderr."""

    def __init__(self, message: str) -> None:
        super().__init__(int(ExitCode.USAGE))
        self.message = message


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit with our USAGE code and one line."""

    def error(self, message: str) -> NoReturn:
        line = f"{message} (see {self.prog} --help)"
        sys.stderr.write(f"upkeep: error: {line}\n")
        raise UsageExit(line)


def leaf_commands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every runnable command under ``parser``, as typed after ``upkeep`` (``update minor``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases map to one parser
                yield from leaf_commands(sub)
            return
    yield parser.prog.removeprefix("upkeep").strip(), parser


def _words(argv: Sequence[str]) -> list[str]:
    """The words of ``argv`` that are not options (nor ``--root``'s directory)."""
    words, found = iter(argv), []
    for word in words:
        if word == "--root":
            next(words, None)
        elif not word.startswith("-"):
            found.append(word)
    return found


def typed_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str:
    """As much of a command as ``argv`` names, e.g. ``update minor`` (``""``: none).

    >>> typed_command(build_parser(), ["--root", "x", "update", "minor", "shop", "--bad"])
    'update minor'
    """
    names = [name for name, _ in leaf_commands(parser)]
    words = _words(argv)
    typed = ""
    for count in range(1, len(words) + 1):
        candidate = " ".join(words[:count])
        if not any(name == candidate or name.startswith(f"{candidate} ") for name in names):
            break
        typed = candidate
    return typed


def _only_module(argv: Sequence[str]) -> str | None:
    """The one command module ``argv`` needs, when its command is named like its module.

    Importing every command module costs most of a second (pyinfra, docker,
    the inventory model); a run needs only its own. ``None`` (help, a typo, a
    command named otherwise) loads them all, so usage and errors stay complete.
    """
    words = _words(argv)
    if not words:
        return None
    module = f"upkeep.cli.{words[0]}"
    return module if module in COMMANDS else None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="upkeep",
        description="Keep client PHP sites healthy: environments, refreshes, PHP updates, "
        "estimates and monitoring.",
        epilog="Exit codes: 0 success or nothing to do, 1 the job failed or found problems, "
        "2 bad input (nothing changed), 3 Nagios UNKNOWN.",
    )
    parser.add_argument("--version", action="version", version=f"upkeep {__version__}")
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="the operator repository holding inventories/ (default: UPKEEP_ROOT, "
        "else the current directory or a parent)",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="progress lines on stderr even without a terminal, e.g. in a CI log "
        f"(or {progress.VARIABLE}=1; {progress.VARIABLE}=0: none; default: only on a terminal; "
        "never with check --nagios)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for name in (only,) if only else COMMANDS:
        importlib.import_module(name).register(commands)
    for command, leaf in leaf_commands(parser):
        leaf.set_defaults(command_name=command)  # what a --json envelope names
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_only_module(arguments))
    try:
        args = parser.parse_args(arguments)
    except UsageExit as refused:
        if "--json" in arguments:  # asked for JSON: the refusal comes as an envelope too
            print_json(
                argparse.Namespace(command_name=typed_command(parser, arguments)),
                None,
                ExitCode.USAGE,
                errors=[refused.message],
            )
        raise
    try:
        # A Nagios plugin's output is its status line alone: monitoring systems that
        # merge the streams read the first line they get as the status.
        progress.configure(args.progress, muted=getattr(args, "nagios", False))
        code = run_recorded(args)  # on record in the state store (upkeep.cli.record)
    except UpkeepError as error:
        print_error(error)
        if getattr(args, "json", False):  # the same lines, in the envelope, on stdout
            return print_json(args, None, error.exit_code, errors=error.lines())
        return int(error.exit_code)
    except KeyboardInterrupt:
        print("upkeep: interrupted", file=sys.stderr)
        return int(ExitCode.FAILED)
    finally:
        progress.configure(False, {})  # the next command (in this process) decides afresh
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
