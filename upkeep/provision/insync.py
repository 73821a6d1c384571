"""Which hosts already are what a deploy makes them: each of its operations asked, facts batched.

The check is the deploy itself: the same ``@deploy`` queued for the same hosts,
every operation's own comparison (pyinfra's, or ours in tasks/) evaluated
against the host, only the facts read in a few batched commands instead of
one round trip each (upkeep.provision.batched_facts). A host is in sync when
no operation would yield a command; an operation that only follows a change
(``_if=after_change(...)``) runs only when one of those would, so it is in
sync with them. Anything the check cannot decide — a fact that failed, a
condition that is not ours, an operation that raised — sends the host to the
full run, which does what pyinfra always did there. So nothing provision
manages can be missed: there is no second list of what it manages.

    >>> with Runner(targets) as runner:                    # doctest: +SKIP
    ...     checks = check_hosts(runner, site, state, url)
    >>> checks["web1"].in_sync, checks["web1"].checked      # doctest: +SKIP
    (True, 62)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Generator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, cast

import gevent
from pyinfra.api.deploy import add_deploy
from pyinfra.api.host import Host as PyinfraHost
from pyinfra.api.state import State
from pyinfra.context import ctx_host, ctx_state

from tasks.conditions import AfterChange
from upkeep.provision.batched_facts import (
    FactArguments,
    FactMissing,
    FactRequest,
    FactUnreadable,
    HostFacts,
)
from upkeep.runner import OpResult, OpStatus, Runner, operation_name

WOULD_CHANGE = " would change"
# Enough for the deepest chain of facts one operation asks one after another.
MAX_ROUNDS = 8


@dataclass(frozen=True)
class HostCheck:
    """Whether one host needs its deploy run, and how that was found."""

    host: str
    environment: str
    in_sync: bool
    checked: int  # operations evaluated against the host
    reads: int  # commands sent to read their facts
    changes: tuple[
        str, ...
    ] = ()  # not in sync: each operation that would change, or what was unknown
    operations: tuple[str, ...] = ()  # in sync: what was checked, by name, in the deploy's order
    facts: tuple[str, ...] = field(default=(), repr=False)  # every fact read, as keyed

    @property
    def reason(self) -> str:
        shown = "; ".join(self.changes[:3])
        return shown + (f" and {len(self.changes) - 3} more" if len(self.changes) > 3 else "")

    def results(self, *, dry_run: bool) -> tuple[OpResult, ...]:
        """The host's operations as a run reports them: checked, nothing to change."""
        status = OpStatus.NOT_RUN if dry_run else OpStatus.NO_CHANGE
        return tuple(
            OpResult(
                self.host, self.environment, name, status, will_change=False if dry_run else None
            )
            for name in self.operations
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "environment": self.environment,
            "in_sync": self.in_sync,
            "checked": self.checked,
            "reads": self.reads,
            "changes": list(self.changes),
        }


class _Verdict(Enum):
    SAME = "same"
    CHANGES = "changes"
    ASKED = "asked"  # a fact it needs is being read


def check_hosts(
    runner: Runner,
    deploy: Callable[..., Any],
    *args: Any,
    serving_others: Collection[str] = (),
    **kwargs: Any,
) -> dict[str, HostCheck]:
    """Each reachable host of ``runner``: is ``deploy`` a no-op there? Nothing is changed.

    Operations named in ``serving_others`` only serve the others (a package lists'
    refresh serves installs): alone, they do not take a host out of sync.
    """
    environments = {name: target.environment for name, target in runner.targets.items()}
    return check_state(
        runner.state, environments, deploy, *args, serving_others=serving_others, **kwargs
    )


def check_state(
    state: State,
    environments: Mapping[str, str],
    deploy: Callable[..., Any],
    *args: Any,
    answer: Callable[[list[FactRequest]], list[Any]] | None = None,
    serving_others: Collection[str] = (),
    **kwargs: Any,
) -> dict[str, HostCheck]:
    """``check_hosts`` on a pyinfra state; ``answer`` gives the facts instead of the hosts."""
    hosts = list(state.inventory.get_active_hosts())
    arguments = FactArguments()  # shared: the same operations ask the same facts on each host
    facts = {host: HostFacts(host, answer=answer, arguments=arguments) for host in hosts}

    def queue(host: PyinfraHost) -> None:
        add_deploy(state, deploy, *args, host=host, **kwargs)  # queued only: evaluated next
        host.get_fact = facts[host].get_fact  # type: ignore[method-assign, assignment]

    # Queueing evaluates nothing (and so reads nothing): the evaluation is the check.
    checking, state.check_for_changes = state.check_for_changes, False
    try:
        changes = _evaluate_all(state, hosts, facts, frozenset(serving_others), queue)
    finally:
        state.check_for_changes = checking
        for host in hosts:
            host.__dict__.pop("get_fact", None)
    checks = {}
    for host in hosts:
        names = tuple(operation_name(state, op) for op in _ops_of(state, host))
        found = changes.get(host, (f"undecided after {MAX_ROUNDS} rounds of facts",))
        checks[host.name] = HostCheck(
            host.name,
            environments[host.name],
            in_sync=not found,
            checked=len(names),
            reads=facts[host].reads,
            changes=found,
            operations=names if not found else (),
            facts=tuple(facts[host].known),
        )
    return checks


def _ops_of(state: State, host: PyinfraHost) -> list[str]:
    return [op for op in state.get_op_order() if op in state.ops.get(host, {})]


def _evaluate_all(
    state: State,
    hosts: list[PyinfraHost],
    facts: dict[PyinfraHost, HostFacts],
    serving_others: frozenset[str],
    queue: Callable[[PyinfraHost], None],
) -> dict[PyinfraHost, tuple[str, ...]]:
    """Per host, what would change (nothing: in sync); a host still undecided is left out.

    Each host goes its own way in a greenlet of its own: its deploy queued, evaluated,
    its facts read, evaluated again. So this side queues and evaluates one host while
    the others read theirs, instead of every host waiting for all to be queued and
    then for the slowest read of each round.
    """
    decided: dict[PyinfraHost, tuple[str, ...]] = {}

    def one(host: PyinfraHost) -> None:
        queue(host)
        found = _evaluate_host(state, host, facts[host], serving_others)
        if found is not None:
            decided[host] = found

    gevent.joinall([state.pool.spawn(one, host) for host in hosts], raise_error=True)
    return decided


def _evaluate_host(
    state: State, host: PyinfraHost, facts: HostFacts, serving_others: frozenset[str]
) -> tuple[str, ...] | None:
    """What would change on one host, in rounds until every operation is decided (None: not).

    Every operation is decided, not just up to the first change: the output names
    them all, and the same facts are read in the same rounds either way.
    """
    waiting = _ops_of(state, host)
    found: list[str] = []
    for _ in range(MAX_ROUNDS):
        still: list[str] = []
        for op in waiting:
            verdict, why = _evaluate(state, host, op)
            if verdict is _Verdict.CHANGES:
                found.append(why)
            elif verdict is _Verdict.ASKED:
                still.append(op)
        waiting = still
        if not waiting:
            return _unless_serving_others_only(found, serving_others)
        try:
            facts.read_asked()
        except FactUnreadable as error:
            return (*found, f"could not read its facts: {error}")
    return None


def _unless_serving_others_only(
    changes: list[str], serving_others: frozenset[str]
) -> tuple[str, ...]:
    """No change when every change found serves others only (and so has nothing to serve)."""
    if all(
        change.split(" | ")[-1].removesuffix(WOULD_CHANGE) in serving_others for change in changes
    ):
        return ()
    return tuple(changes)


def _evaluate(state: State, host: PyinfraHost, op: str) -> tuple[_Verdict, str]:
    """Would this operation yield a command on this host? Asked from the facts read so far."""
    data = state.get_op_data_for_host(host, op)
    name = operation_name(state, op)
    conditions = data.global_arguments.get("_if")
    if conditions:
        listed = conditions if isinstance(conditions, list) else [conditions]
        if all(isinstance(condition, AfterChange) for condition in listed):
            # It follows operations of this deploy: if none of them changes, neither does it.
            return _Verdict.SAME, ""
        return _Verdict.CHANGES, f"{name}: a condition the check cannot foresee"
    with ctx_state.use(state), ctx_host.use(host):
        commands = cast(Generator[Any, None, None], data.command_generator())
        try:
            first = next(commands, None)
        except FactMissing:
            return _Verdict.ASKED, ""
        except FactUnreadable as error:
            return _Verdict.CHANGES, f"{name}: {error}"
        except Exception as error:  # the full run meets it too and reports it as pyinfra does
            return _Verdict.CHANGES, f"{name}: {type(error).__name__}"
        finally:
            commands.close()
    return (_Verdict.SAME, "") if first is None else (_Verdict.CHANGES, name + WOULD_CHANGE)
