"""pyinfra's testing habit: facts in, commands out, no server.

Hand-written tests use ``FakeHost`` and ``run_operation``; the data cases in
tests/unit/tasks/cases/ (pyinfra's own tests/operations/<op>/*.json, in YAML)
go through ``operation_case`` and ``fact_case``.

>>> host = FakeHost({"ReleaseState": ReleaseInfo()})
>>> commands = run_operation(release_deployed, host, ...)   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import shlex
import typing
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

from pydantic import TypeAdapter
from pyinfra.api import Config, FactBase, FileUploadCommand, Inventory, ShortFactBase, State
from pyinfra.api import host as pyinfra_host
from pyinfra.api.deploy import add_deploy
from pyinfra.api.host import Host
from pyinfra.api.state import StateStage
from pyinfra.api.util import get_kwargs_str
from pyinfra.context import ctx_host, ctx_state

from tasks.conditions import foreseen


class FakeHost:
    """Answers get_fact from a dict keyed by fact class name; records noops."""

    name = "fakehost"

    def __init__(self, facts: dict[str, Any]) -> None:
        self.facts = facts
        self.noops: list[str] = []
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def get_fact(self, fact: type, *args: Any, **kwargs: Any) -> Any:
        self.asked.append((fact.__name__, kwargs))
        return self.facts[fact.__name__]

    def noop(self, description: str) -> None:
        self.noops.append(description)


def run_operation(op: Callable[..., Any], host: FakeHost, **kwargs: Any) -> list[str]:
    """The commands an operation yields for the given facts."""
    with ctx_host.use(host):
        return [str(command) for command in op._inner(**kwargs)]  # type: ignore[attr-defined]


# -- data cases ---------------------------------------------------------------------


def fact_type(fact: type[FactBase[Any]]) -> Any:
    """The value type a fact declares (``FactBase[ReleaseInfo]`` → ``ReleaseInfo``), or Any."""
    for base in getattr(fact, "__orig_bases__", ()):
        declared = typing.get_args(base)
        if declared:
            return declared[0]
    return Any


def as_data(fact: type[FactBase[Any]], value: Any) -> Any:
    """A fact's value as YAML holds it: dataclasses as mappings, tuples as lists."""
    return TypeAdapter(fact_type(fact)).dump_python(value, mode="json")


def from_data(fact: type[FactBase[Any]], data: Any) -> Any:
    """A fact's value from its YAML form (the reverse of ``as_data``)."""
    return TypeAdapter(fact_type(fact)).validate_python(data)


def _plain(value: Any) -> Any:
    """Arguments as YAML writes them: tuples are lists."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class CaseHost(FakeHost):
    """Answers only the facts a case lists, for exactly the arguments it lists them with.

    A fact asked with other arguments fails the case, as pyinfra's own fake host does.
    """

    def __init__(self, facts: list[dict[str, Any]]) -> None:
        super().__init__({})
        self.entries = facts

    def get_fact(self, fact: type, *args: Any, **kwargs: Any) -> Any:
        self.asked.append((fact.__name__, kwargs))
        asked = _plain(kwargs)
        for entry in self.entries:
            if entry["fact"] == fact.__name__ and entry.get("args", {}) == asked:
                return from_data(fact, entry["value"])
        raise AssertionError(f"the case gives no {fact.__name__} fact for {asked}")


def command_data(command: Any, whole_uploads: bool = True) -> Any:
    """A command as a case writes it: a string; ``{bash -c: script}``; ``{upload: ..}``.

    An upload shows its text, or (``whole_uploads=False``: a deploy's rendered
    files, tested with their templates) its sha1, as pyinfra's facts compare it.
    """
    if isinstance(command, FileUploadCommand):
        src = command.src
        if not whole_uploads:
            return {"upload": str(command.dest), "sha1": _sha1(src)}
        text = src.getvalue() if isinstance(src, StringIO) else str(src)
        return {"upload": str(command.dest), "text": text}
    text = str(command)
    words = shlex.split(text) if text.startswith("bash -c ") else []
    if len(words) == 3 and shlex.join(words) == text:
        return {"bash -c": words[2]}  # the script as written, not as quoted for the shell
    return text


@dataclass(frozen=True)
class OperationOutcome:
    commands: list[Any]
    noops: list[str]
    error: dict[str, str] | None = None  # name and message of what the operation raised


def operation_case(op: Callable[..., Any], case: dict[str, Any]) -> OperationOutcome:
    """Run ``op`` with the case's arguments against the case's facts."""
    host = CaseHost(case.get("facts", []))
    inner = op._inner  # type: ignore[attr-defined]
    try:
        with ctx_host.use(host):
            commands = [command_data(command) for command in inner(**case.get("args", {}))]
    except AssertionError:
        raise  # a fact the case does not give: the case is wrong, not the operation
    except Exception as error:  # the case says which error, if any, is expected
        failure = {"name": type(error).__name__, "message": str(error)}
        return OperationOutcome([], host.noops, failure)
    return OperationOutcome(commands, host.noops)


@dataclass(frozen=True)
class FactOutcome:
    command: str
    requires_command: str | None
    value: Any  # as process() returns it


def fact_case(fact: type[FactBase[Any]], case: dict[str, Any]) -> FactOutcome:
    """The command a fact runs for the case's arguments, and what it makes of the output.

    The output goes to process() as given, as pyinfra's own fact tests do (on a
    host, pyinfra returns the fact's default when a command prints nothing).
    """
    instance = fact()
    args = case.get("args", {})
    requires = instance.requires_command(**args)
    return FactOutcome(
        command=str(instance.command(**args)),
        requires_command=None if requires is None else str(requires),
        value=instance.process(case["output"]),
    )


def _sha1(src: Any) -> str:
    if isinstance(src, StringIO):
        return hashlib.sha1(src.getvalue().encode("utf-8")).hexdigest()
    return hashlib.sha1(Path(src).read_bytes()).hexdigest()


def deploy_case(deploy: Callable[..., Any], case: dict[str, Any], *args: Any) -> dict[str, Any]:
    """Each operation a ``@deploy`` adds, by name, with the commands it would run.

    A real pyinfra State prepares the deploy for one host whose facts come from
    the case, in pyinfra's own shape (``files.File: {path=/etc/x: {...}}``); a fact
    the case leaves out has its default, as on a host where its command printed
    nothing. An operation that follows a change (``tasks.conditions.after_change``)
    shows no commands when nothing it follows would change, as a dry run says.
    """
    facts: dict[str, dict[str, Any]] = case.get("facts") or {}

    def get_fact(state: State, host: Host, cls: Any, args: Any = None, kwargs: Any = None) -> Any:
        if issubclass(cls, ShortFactBase):  # a view of another fact, as pyinfra derives it
            return cls().process_data(get_fact(state, host, cls.fact, args, kwargs))
        given = facts.get(cls.name, {})
        key = get_kwargs_str(kwargs or {})
        return from_data(cls, given[key]) if key in given else cls().default()

    inventory = Inventory((["case-host"], {}))
    state = State(inventory, Config())
    state.current_stage = StateStage.Prepare
    host = inventory.get_host("case-host")
    state.activate_host(host)
    operations: dict[str, Any] = {}
    with mock.patch.object(pyinfra_host, "get_fact", get_fact):
        add_deploy(state, deploy, *args)
        with ctx_state.use(state), ctx_host.use(host):
            for op_hash in state.get_op_order():
                [name] = state.get_op_meta(op_hash).names
                data = state.get_op_data_for_host(host, op_hash)
                commands = [command_data(c, whole_uploads=False) for c in data.command_generator()]
                if not foreseen(data.global_arguments.get("_if")):
                    commands = []  # what it follows changes nothing: it will not run
                operations[name.partition(" | ")[2] or name] = commands
    return operations
