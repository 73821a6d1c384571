"""pyinfra facts read many at a time: one shell command per host carries every fact asked.

pyinfra reads each fact with its own command over SSH, and an operation asks
again each time it is evaluated: a no-op provision spent its time in ~400
round trips per host. Here the facts an evaluation asks for are collected,
read together in one command (each in its own subshell, its exit status kept)
and answered from memory, exactly as pyinfra's ``get_fact`` would have
answered them (same command, same ``process()``, same default). File facts
of many paths share one ``stat`` and one ``sha1sum`` (upkeep.provision.file_facts).

    >>> script, read = batch_script(["echo a", "printf b; exit 3"], nonce="n")
    >>> read(["a", "", "n 0 0", "b", "n 1 3"])
    [(0, ['a']), (3, ['b'])]
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyinfra.api import FactBase, ShortFactBase, StringCommand
from pyinfra.api.arguments import CONNECTOR_ARGUMENT_KEYS
from pyinfra.api.facts import (  # pyinfra's own steps of get_fact, so the answers are its answers
    _MISSING_COMMAND_MARKER,
    _handle_fact_kwargs,
    _make_command,
)
from pyinfra.api.host import Host as PyinfraHost
from pyinfra.context import ctx_host, ctx_state

from upkeep.provision import file_facts, mysql_facts, systemd_facts

# Connector arguments that change how the batch runs, not what a fact's command is.
_PER_FACT = {"_timeout", "_success_exit_codes", "_retries", "_retry_delay", "_retry_until"}


class FactMissing(Exception):
    """Raised into an evaluation that asked a fact not read yet; it is read, then retried."""


class FactUnreadable(Exception):
    """A fact's command failed on the host: pyinfra itself would fail the host here."""


@dataclass(frozen=True)
class FactRequest:
    """One fact asked of a host, with the exact command pyinfra would run for it."""

    fact: FactBase[Any]  # the instance whose command() ran: some keep what process() reads
    key: str
    command: str
    executor: dict[str, Any] = field(compare=False, hash=False)
    group: str = ""
    tool: str | None = None  # the tool that reads this fact with others of its kind
    item: Any = None  # what the tool is given for it: a path, a statement


@dataclass
class HostFacts:
    """The facts read from one host so far, and the ones asked for but not read yet."""

    host: PyinfraHost
    known: dict[str, Any] = field(default_factory=dict)
    keys: dict[tuple[Any, ...], str] = field(default_factory=dict)  # how each was asked: its key
    asked: dict[str, FactRequest] = field(default_factory=dict)
    reads: int = 0  # commands sent to the host
    # Where the values come from instead of the host (tests feed facts in, as pyinfra's do).
    answer: Callable[[list[FactRequest]], list[Any]] | None = None
    # A fact's arguments as pyinfra works them out, shared by the hosts of one check.
    arguments: FactArguments = field(default_factory=lambda: FactArguments())

    def get_fact(self, cls: type[FactBase[Any]], *args: Any, **kwargs: Any) -> Any:
        """``host.get_fact`` answered from memory; a fact not read yet raises FactMissing."""
        if issubclass(cls, ShortFactBase):
            return cls().process_data(self.get_fact(cls.fact, *args, **kwargs))
        # The same question from the same operation, asked again in a later round: pyinfra's
        # argument handling is the costly part, so it is done once.
        asked_as = (cls, repr(args), repr(kwargs), id(self.host.current_op_global_arguments))
        if self.keys.get(asked_as) in self.known:
            return self.known[self.keys[asked_as]]
        state = self.host.state
        fact_kwargs, global_kwargs = self.arguments.of(self.host, cls, args, kwargs)
        key = self.keys[asked_as] = (
            f"{cls.__module__}.{cls.__qualname__}({sorted(fact_kwargs.items())!r})"
        )
        if key in self.known:
            return self.known[key]
        fact = cls()
        if fact.check_preconditions(state, self.host):
            return fact.default()  # pyinfra, before it executes: the default
        command = _command_text(
            _make_command(fact.command, dict(fact_kwargs)),
            _make_command(fact.requires_command, dict(fact_kwargs)),
        )
        executor = {k: v for k, v in global_kwargs.items() if k in CONNECTOR_ARGUMENT_KEYS}
        if fact.shell_executable:
            executor["_shell_executable"] = fact.shell_executable
        group = repr(sorted((k, repr(v)) for k, v in executor.items() if k not in _PER_FACT))
        tool, item = (
            _shared_read(fact, fact_kwargs) if _only_zero_succeeds(executor) else (None, None)
        )
        self.asked[key] = FactRequest(fact, key, command, executor, group, tool, item)
        raise FactMissing(key)

    def read_asked(self) -> None:
        """Read every fact asked for: one command per set of connector arguments (sudo, env)."""
        groups: dict[str, list[FactRequest]] = {}
        for request in self.asked.values():
            groups.setdefault(request.group, []).append(request)
        self.asked = {}
        for requests in groups.values():
            if self.answer is not None:
                self.known.update(
                    zip([r.key for r in requests], self.answer(requests), strict=True)
                )
            else:
                self._read(requests)

    def _read(self, requests: list[FactRequest], *, together: bool = True) -> None:
        """One command for ``requests``; file facts ``together`` where they can be."""
        reads = _reads(requests) if together else [_alone(request) for request in requests]
        script, read = batch_script([each.command for each in reads])
        executor = {k: v for k, v in requests[0].executor.items() if k not in _PER_FACT}
        self.reads += 1
        with ctx_state.use(self.host.state), ctx_host.use(self.host):
            ok, output = self.host.run_shell_command(
                StringCommand(script), print_output=False, print_input=False, **executor
            )
        results = read(output.stdout_lines) if ok else []
        if len(results) != len(reads):
            raise FactUnreadable(f"reading {len(requests)} facts at once failed")
        unsure: list[FactRequest] = []
        for each, (code, lines) in zip(reads, results, strict=True):
            answers = each.split(code, lines)
            if answers is None:  # a shared file read it cannot vouch for: ask each alone
                unsure.extend(each.requests)
                continue
            for request, (status, own) in zip(each.requests, answers, strict=True):
                self.known[request.key] = _processed(request, status, own)
        if unsure:
            self._read(unsure, together=False)


@dataclass(frozen=True)
class _Read:
    """One command of a batch, the facts it answers and how its output splits among them."""

    command: str
    requests: list[FactRequest]
    split: Callable[[int, list[str]], list[tuple[int, list[str]]] | None]


def _alone(request: FactRequest) -> _Read:
    return _Read(request.command, [request], lambda code, lines: [(code, lines)])


def _reads(requests: list[FactRequest]) -> list[_Read]:
    """Each fact its own command, except file, MariaDB and systemd facts: one per tool for
    them all."""
    reads: list[_Read] = []
    by_tool: dict[str, list[FactRequest]] = {}
    for request in requests:
        if request.tool:
            by_tool.setdefault(request.tool, []).append(request)
        else:
            reads.append(_alone(request))
    for tool, asked in by_tool.items():
        if len(asked) == 1:
            reads.append(_alone(asked[0]))
            continue
        items = [request.item for request in asked]
        shared: mysql_facts.MysqlRead | systemd_facts.SystemdRead | file_facts.FileRead
        if tool == mysql_facts.MYSQL:
            shared = mysql_facts.MysqlRead(items)
        elif tool == systemd_facts.SYSTEMCTL:
            shared = systemd_facts.SystemdRead(items)
        else:
            shared = file_facts.FileRead(tool, items)
        reads.append(_Read(shared.command, asked, shared.split))
    return reads


def _shared_read(fact: FactBase[Any], fact_kwargs: dict[str, Any]) -> tuple[str | None, Any]:
    """The tool that can read this fact with others of its kind, and what it is given."""
    path = fact_kwargs.get("path")
    tool = file_facts.tool_for(fact, path)
    if tool:
        return tool, str(path)
    statement = mysql_facts.statement_of(fact, fact_kwargs)
    if statement:
        return mysql_facts.MYSQL, statement
    unit = systemd_facts.unit_of(fact, fact_kwargs)
    return (systemd_facts.SYSTEMCTL, unit) if unit else (None, None)


def _only_zero_succeeds(executor: dict[str, Any]) -> bool:
    return set(executor.get("_success_exit_codes") or (0,)) == {0}


@dataclass
class FactArguments:
    """pyinfra's arguments of each fact asked, worked out once for every host alike.

    Inside an operation pyinfra takes a fact's global arguments from the operation's,
    which name them all; the host's data fills in only those missing. So the same
    question under the same arguments gets the same answer on every host, and the
    hosts of a check share it: a fact asked by one operation on 12 hosts costs
    pyinfra's argument handling once, not 12 times. Outside an operation the host's
    data is read, and nothing is shared.
    """

    known: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any]]] = field(
        default_factory=dict
    )

    def of(
        self, host: PyinfraHost, cls: type[FactBase[Any]], args: Any, kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The fact's own arguments and its global ones, as pyinfra's get_fact has them."""
        given = host.current_op_global_arguments
        if given is None:
            return _fact_arguments(host, cls, args, kwargs)
        asked_as = (cls, repr(args), repr(kwargs), repr(sorted(given.items())))
        if asked_as not in self.known:
            self.known[asked_as] = _fact_arguments(host, cls, args, kwargs)
        fact_kwargs, global_kwargs = self.known[asked_as]
        return dict(fact_kwargs), dict(global_kwargs)


def _fact_arguments(
    host: PyinfraHost, cls: type[FactBase[Any]], args: Any, kwargs: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    fact_kwargs, global_kwargs = _handle_fact_kwargs(host.state, host, cls, args, kwargs)
    fact_kwargs.pop("self", None)  # getcallargs names the bound method's instance too
    return fact_kwargs, dict(global_kwargs)


def _command_text(command: Any, requires: Any) -> str:
    text = command.get_raw_value() if isinstance(command, StringCommand) else str(command)
    if not requires:
        return text
    # pyinfra's guard: without the command the fact is its default, not a failure.
    return (
        f"if command -v {requires} >/dev/null 2>&1; then ( {text} ); "
        f"else echo '{_MISSING_COMMAND_MARKER}'; fi"
    )


def _processed(request: FactRequest, code: int, lines: list[str]) -> Any:
    """What pyinfra's get_fact makes of one fact's output and exit status."""
    fact = request.fact
    if code not in set(request.executor.get("_success_exit_codes") or (0,)):
        raise FactUnreadable(f"fact {request.key} exited {code}")
    if not lines or lines == [_MISSING_COMMAND_MARKER]:
        return fact.default()  # no output, or the command it needs is not installed (yet)
    try:
        return fact.process(lines)
    except Exception as error:  # pyinfra fails the host on a fact it cannot process
        raise FactUnreadable(f"fact {request.key}: {error}") from error


def batch_script(
    commands: Sequence[str], nonce: str | None = None
) -> tuple[str, Callable[[Iterable[str]], list[tuple[int, list[str]]]]]:
    """One sh script running ``commands`` each in a subshell, and the reader of its output.

    After each command an empty line and ``<nonce> <index> <status>`` close its output:
    the empty line ends an unterminated last line, and it alone is dropped again.
    """
    mark = nonce or secrets.token_hex(12)
    script = "\n".join(
        f'( {command}\n) </dev/null 2>/dev/null; s=$?; echo; echo "{mark} {i} $s"'
        for i, command in enumerate(commands)
    )

    def read(lines: Iterable[str]) -> list[tuple[int, list[str]]]:
        results: list[tuple[int, list[str]]] = []
        current: list[str] = []
        for line in lines:
            parts = line.split(" ")
            if len(parts) == 3 and parts[0] == mark and parts[1] == str(len(results)):
                if current and current[-1] == "":
                    current.pop()
                results.append((int(parts[2]), current))
                current = []
            else:
                current.append(line)
        return results

    return script + "\ntrue", read
