"""Drive pyinfra through its Python API and hand back results as values.

A ``Runner`` owns one pyinfra ``State`` for a set of hosts: it connects over
SSH (strict host key checking, always), queues operations or packaged deploys,
runs them and reports, per host and operation, whether anything changed.

    >>> from pyinfra.operations import server
    >>> with Runner(targets) as runner:                       # doctest: +SKIP
    ...     result = runner.run_op(server.shell, commands=["true"])
    >>> result.changed                                        # doctest: +SKIP
    3
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import gevent
from pyinfra.api import Config, Inventory, State
from pyinfra.api.connect import disconnect_all
from pyinfra.api.deploy import add_deploy
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.facts import get_fact, get_facts
from pyinfra.api.host import Host as PyinfraHost
from pyinfra.api.operation import add_op
from pyinfra.api.operations import run_ops
from pyinfra.api.state import BaseStateCallback
from pyinfra.context import ctx_host, ctx_state

from tasks.conditions import foreseen
from upkeep import credentials, pyinfra_once
from upkeep.errors import ConnectionFailed

# pyinfra logs for its own CLI; through the API its lines would be noise on
# stderr. Failures reach the caller as values instead.
logging.getLogger("pyinfra").addHandler(logging.NullHandler())
logging.getLogger("pyinfra").propagate = False
pyinfra_once.use()

# SSH handshakes under way at once, at most (a fleet run can name a hundred hosts).
MAX_CONNECTING = 32


class SshHost(Protocol):
    """What the runner needs of an inventory host."""

    name: str
    address: str
    port: int
    user: str
    key: Path | None
    known_hosts: Path | None
    sudo: bool


@dataclass(frozen=True)
class Target:
    """One host of one environment, as the runner will reach it."""

    environment: str
    host: SshHost

    @property
    def name(self) -> str:
        return self.host.name


class OpStatus(StrEnum):
    CHANGED = "changed"
    NO_CHANGE = "no change"
    FAILED = "failed"
    NOT_RUN = "not run"  # an earlier operation on the host failed, or a dry run


@dataclass(frozen=True)
class OpResult:
    host: str
    environment: str
    operation: str
    status: OpStatus
    commands: int = 0
    output: str = ""  # stdout and stderr of a failed operation, secrets redacted
    will_change: bool | None = None  # what a dry run foresaw


@dataclass(frozen=True)
class Unreachable:
    host: str
    environment: str
    reason: str


@dataclass(frozen=True)
class RunResult:
    ops: tuple[OpResult, ...] = ()
    unreachable: tuple[Unreachable, ...] = ()

    @property
    def changed(self) -> int:
        return sum(op.status is OpStatus.CHANGED for op in self.ops)

    @property
    def failed(self) -> tuple[OpResult, ...]:
        return tuple(op for op in self.ops if op.status is OpStatus.FAILED)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unreachable

    @property
    def problems(self) -> list[str]:
        """What went wrong, a line per failed operation or host not reached."""
        failed = [f"{op.host} ({op.environment}): {op.operation} failed" for op in self.failed]
        return failed + [f"{u.host} ({u.environment}): {u.reason}" for u in self.unreachable]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "changed": self.changed,
            "operations": [
                {
                    "host": op.host,
                    "environment": op.environment,
                    "operation": op.operation,
                    "status": str(op.status),
                    "commands": op.commands,
                    **({"output": op.output} if op.output else {}),
                    **({"will_change": op.will_change} if op.will_change is not None else {}),
                }
                for op in self.ops
            ],
            "unreachable": [
                {"host": u.host, "environment": u.environment, "reason": u.reason}
                for u in self.unreachable
            ],
        }


class _Progress(BaseStateCallback):
    """One line per operation and host as they finish, for long runs."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say

    def operation_host_success(  # type: ignore[override]
        self, state: State, host: PyinfraHost, op_hash: str, retry_count: int = 0
    ) -> None:
        # Called before pyinfra records the result, so "changed" is not known yet.
        self.say(f"{host.name}: {operation_name(state, op_hash)}: done")

    def operation_host_error(  # type: ignore[override]
        self, state: State, host: PyinfraHost, op_hash: str, *args: Any
    ) -> None:
        self.say(f"{host.name}: {operation_name(state, op_hash)}: FAILED")


def operation_name(state: State, op_hash: str) -> str:
    """The operation's name; one operation may carry a name per host (``vhost {domain}``),
    then the part they share."""
    names = sorted(state.get_op_meta(op_hash).names)
    if len(names) <= 1:
        return names[0] if names else "operation"
    shared = os.path.commonprefix(names)  # noqa: RUF071 - text, not paths
    return shared[: shared.rfind(" ") + 1].rstrip() + " …" if " " in shared else names[0]


class _ConnectErrors(BaseStateCallback):
    """Keeps the reason each host could not be reached."""

    def __init__(self) -> None:
        self.reasons: dict[str, str] = {}

    def host_connect_error(self, state: State, host: PyinfraHost, error: Any) -> None:  # type: ignore[override]
        self.reasons[host.name] = credentials.redact(str(error))


def _connect_all(state: State) -> None:
    """pyinfra's ``connect_all``, each host's SSH handshake in a thread of its own.

    pyinfra connects in greenlets, which overlap only under gevent's monkey
    patching (its CLI's, not an API user's): paramiko's wait for the handshake
    blocks the hub, so the hosts were connected one after another (12 lab hosts:
    0.9 s of a 2.9 s no-op). pyinfra's connector is stateless across hosts. The
    threads are daemons: a Ctrl-C stops the run at once, not after the slowest
    handshake's timeout.
    """
    hosts = list(state.inventory)
    slots = threading.BoundedSemaphore(MAX_CONNECTING)
    unexpected: list[BaseException] = []  # pyinfra records a ConnectError itself

    def connect(host: PyinfraHost) -> None:
        with slots:
            try:
                host.connect()
            except BaseException as error:
                unexpected.append(error)

    threads = [threading.Thread(target=connect, args=(host,), daemon=True) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if unexpected:
        raise unexpected[0]
    for host in hosts:
        if host.connected:
            state.activate_host(host)
    state.fail_hosts({host for host in hosts if not host.connected}, activated_count=len(hosts))


def pyinfra_host_data(target: Target) -> dict[str, Any]:
    """The pyinfra host data for one target: SSH with its known_hosts, strictly."""
    host = target.host
    data: dict[str, Any] = {
        "ssh_hostname": host.address,
        "ssh_port": host.port,
        "ssh_user": host.user,
        "ssh_strict_host_key_checking": "yes",
        "ssh_allow_agent": False,
        "ssh_look_for_keys": False,
        "_sudo": host.sudo,
        "upkeep_environment": target.environment,
    }
    if host.key is not None:
        data["ssh_key"] = str(host.key)
    if host.known_hosts is not None:
        data["ssh_known_hosts_file"] = str(host.known_hosts)
    return data


class Runner:
    """A pyinfra state over some targets; use as a context manager.

    ``connect()`` happens on entry; hosts that cannot be reached are recorded
    in ``unreachable`` (or raise ``ConnectionFailed`` when ``require_all``).
    Facts can be read at any time; operations are queued and run once.
    """

    def __init__(
        self,
        targets: Sequence[Target],
        *,
        require_all: bool = True,
        connect_timeout: int = 15,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        if not targets:
            raise ValueError("a Runner needs at least one target")
        self.targets = {target.name: target for target in targets}
        self.require_all = require_all
        self._errors = _ConnectErrors()
        inventory = Inventory(
            ([(t.name, pyinfra_host_data(t)) for t in targets], {}),
        )
        # FAIL_PERCENT=100: one dead host must not abort the others; we report it.
        config = Config(CONNECT_TIMEOUT=connect_timeout, FAIL_PERCENT=100)
        self.state = State(inventory, config)
        self.state.add_callback_handler(self._errors)
        if progress is not None:
            self.state.add_callback_handler(_Progress(progress))
        self.unreachable: tuple[Unreachable, ...] = ()
        self._ran = False

    def __enter__(self) -> Runner:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        disconnect_all(self.state)

    # -- connecting -------------------------------------------------------
    def connect(self) -> tuple[Unreachable, ...]:
        # "No hosts remaining!" is raised when all fail; each is in failed_hosts anyway.
        with contextlib.suppress(PyinfraError):
            _connect_all(self.state)
        self.unreachable = tuple(
            Unreachable(
                host=host.name,
                environment=self.targets[host.name].environment,
                reason=self._errors.reasons.get(host.name, "could not connect"),
            )
            for host in sorted(self.state.failed_hosts, key=lambda h: h.name)
        )
        if self.require_all and self.unreachable:
            raise ConnectionFailed(
                "; ".join(f"{u.host} ({u.environment}): {u.reason}" for u in self.unreachable)
                + " — check the host is up and its entry in known_hosts matches"
            )
        return self.unreachable

    # -- facts ------------------------------------------------------------
    def facts(self, fact: type, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """One fact from every reachable host, by host name."""
        results = get_facts(self.state, fact, args or None, kwargs or None)
        return {host.name: value for host, value in results.items()}

    def facts_each(self, fact: type, arguments: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """One fact from each reachable host named in ``arguments``, with its own arguments.

        The hosts are read at once; a host not named is not asked (``facts`` asks them all).
        """
        hosts = [h for h in self.state.inventory.get_active_hosts() if h.name in arguments]

        def one(host: PyinfraHost) -> Any:
            with ctx_state.use(self.state), ctx_host.use(host):
                return get_fact(self.state, host, fact, kwargs=dict(arguments[host.name]))

        reading = {host.name: self.state.pool.spawn(one, host) for host in hosts}
        gevent.joinall(list(reading.values()), raise_error=True)
        return {name: greenlet.get() for name, greenlet in reading.items()}

    # -- operations -------------------------------------------------------
    def run_op(
        self, op: Callable[..., Any], *args: Any, dry_run: bool = False, **kwargs: Any
    ) -> RunResult:
        """Queue one pyinfra operation on every reachable host and run it."""
        self._foresee(dry_run)
        add_op(self.state, op, *args, **kwargs)
        return self._execute(dry_run)

    def run_deploy(
        self, deploy: Callable[..., Any], *args: Any, dry_run: bool = False, **kwargs: Any
    ) -> RunResult:
        """Queue a packaged deploy (``@deploy``) on every reachable host and run it."""
        self._foresee(dry_run)
        add_deploy(self.state, deploy, *args, **kwargs)
        return self._execute(dry_run)

    def _foresee(self, dry_run: bool) -> None:
        # pyinfra evaluates each operation while queueing it, its facts read one round trip
        # at a time, only to foresee whether it will change; a real run evaluates it again
        # when it runs, from the facts then, and that alone decides what executes. So only a
        # dry run, which reports the foresight, pays for it (a first provision: 20 s and more).
        self.state.check_for_changes = dry_run

    def _execute(self, dry_run: bool) -> RunResult:
        # pyinfra runs every queued operation of a State, so a State runs once:
        # a workflow with phases uses one Runner per phase.
        if self._ran:
            raise RuntimeError("this Runner already ran its operations; use a new one")
        self._ran = True
        if not dry_run:
            # A failing host is recorded per operation below.
            with contextlib.suppress(PyinfraError):
                run_ops(self.state)
        return RunResult(ops=tuple(self._collect(dry_run)), unreachable=self.unreachable)

    def _collect(self, dry_run: bool) -> Iterator[OpResult]:
        """Results of every queued operation, in pyinfra's order."""
        for op_hash in self.state.get_op_order():
            name = operation_name(self.state, op_hash)
            for host in self.state.inventory:
                host_ops = self.state.ops.get(host, {})
                if op_hash in host_ops:
                    yield self._result(host, name, op_hash, dry_run)

    def _result(self, host: PyinfraHost, name: str, op_hash: str, dry_run: bool) -> OpResult:
        environment = self.targets[host.name].environment
        meta = self.state.ops[host][op_hash].operation_meta
        if not dry_run and not meta.is_complete():
            # An earlier operation on the host failed: nothing was foreseen, and the host is
            # no place to ask now.
            return OpResult(host.name, environment, name, OpStatus.NOT_RUN)
        if dry_run:
            conditions = self.state.ops[host][op_hash].global_arguments.get("_if")
            with ctx_state.use(self.state), ctx_host.use(host):
                # A reload that only follows a change is no change when nothing else is.
                will_change = bool(meta.will_change) and foreseen(conditions)
            return OpResult(host.name, environment, name, OpStatus.NOT_RUN, will_change=will_change)
        commands = len(meta._commands or [])
        if meta.did_error():
            output = credentials.redact("\n".join((meta.stdout, meta.stderr)).strip())
            return OpResult(host.name, environment, name, OpStatus.FAILED, commands, output)
        status = OpStatus.CHANGED if meta.did_change() else OpStatus.NO_CHANGE
        return OpResult(host.name, environment, name, status, commands)
