"""Reading what each check needs and judging it: the impure half of monitoring.

For every environment asked for, its effective checks (upkeep.inventory.checks)
are planned, then read two ways at once:

- from here, as a visitor would: the HTTP(S) checks and the PHP build page on
  each host's address with the domain as TLS name and Host header, and each
  host's certificate (upkeep.monitor.web), in a few threads;
- on the hosts, as pyinfra facts over SSH (upkeep.monitor.facts, one round per
  fact for all hosts): systemd units' ActiveState, disk free, the database as
  the site's user, the log bytes written since the last look, and the error
  page requested from the host itself (its trigger answers to 127.0.0.1 only).

What a kind reads and how it is judged is its entry in upkeep.monitor.kinds;
this module only plans, reads and hands over. A host that cannot be reached
over SSH makes its host checks UNKNOWN (never a traceback); the HTTP checks
still say what a visitor gets. Several hosts in one environment give one
result per check, the worst host deciding, each host named.

Log cursors (inode and offset per file and host) come from the history's
key/value state and go back through ``Collected.cursors``; the caller keeps
them once the results are recorded.

The paths the host checks read (logs, the env file) come from the site's
layout (upkeep.layout.SiteLayout), as the tasks that write them have them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

import gevent
from pyinfra.api import FactBase
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.facts import get_fact
from pyinfra.context import ctx_host, ctx_state

from upkeep import credentials
from upkeep.inventory import Environment, Host, Project
from upkeep.inventory.checks import Check, LogsCheck, effective
from upkeep.inventory.pins import Pins
from upkeep.layout import SiteLayout, php_fpm_log
from upkeep.monitor import web
from upkeep.monitor.evaluate import Run, could_not_check
from upkeep.monitor.kinds import REGISTRY, Reads, RequestKey, round_name
from upkeep.monitor.result import CheckResult
from upkeep.runner import Runner, Target
from upkeep.workspace import state_home

Say = Callable[[str], None]
T = TypeVar("T")

HTTP_WORKERS = 8
FACT_TIMEOUT = 120  # seconds for one fact's command on one host


class Memory(Protocol):
    """Where checks' own state is kept between runs (upkeep.monitor.history.History)."""

    def get_state(self, key: str) -> str | None: ...


class NoMemory:
    """No history: every log is looked at for the first time (read from its end)."""

    def get_state(self, key: str) -> str | None:
        return None


@dataclass(frozen=True)
class EnvPlan:
    """One environment's checks and what running them needs."""

    project: str
    environment: str
    domain: str
    https: bool
    hosts: tuple[Host, ...]
    checks: tuple[Check, ...]
    pin: str | None  # the pinned PHP build
    php_line: str
    paths: SiteLayout
    ca_file: Path | None  # the lab CA for tls: lab; else the system's trust store only

    @property
    def port(self) -> int:
        return 443 if self.https else 80

    def url(self, path: str) -> str:
        return f"{'https' if self.https else 'http'}://{self.domain}{path}"

    def of_kind(self, kind: type[T]) -> list[T]:
        return [check for check in self.checks if isinstance(check, kind)]

    def log_files(self) -> tuple[str, ...]:
        """The logs its logs checks read, in a fixed order."""
        sources = {source for check in self.of_kind(LogsCheck) for source in check.sources}
        files = []
        if "php" in sources:
            files += [self.paths.php_error_log, php_fpm_log(self.php_line)]
        if "nginx" in sources:
            files.append(self.paths.nginx_error_log)
        return tuple(files)


def plan(project: Project, pins: Pins, environments: Sequence[str]) -> list[EnvPlan]:
    """The environments' checks, in the order asked (dev, staging, production by default)."""
    plans = []
    for name in environments:
        environment: Environment = project.environment(name)
        https = environment.tls != "none"
        checks = effective(
            project.checks,
            environment.checks,
            health_path=project.app.health_path,
            php_line=project.php.line,
            https=https,
        )
        ca = state_home() / "lab" / "ca.crt" if environment.tls == "lab" else None
        plans.append(
            EnvPlan(
                project=project.name,
                environment=str(environment.name),
                domain=environment.domain,
                https=https,
                hosts=tuple(environment.hosts),
                checks=checks,
                pin=pins.get(str(environment.name)).php_build,
                php_line=project.php.line,
                paths=SiteLayout.of(project.name, str(environment.name)),
                ca_file=ca,
            )
        )
    return plans


@dataclass(frozen=True)
class Collected:
    results: tuple[CheckResult, ...]
    cursors: Mapping[str, str]  # state key -> value, to keep once the results are recorded


# ---- running ---------------------------------------------------------------------------


def collect(
    plans: Sequence[EnvPlan],
    memory: Memory,
    *,
    say: Say = lambda _: None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Collected:
    """Run every planned check; results in plan order, and the log cursors to keep."""
    with ThreadPoolExecutor(max_workers=HTTP_WORKERS, thread_name_prefix="upkeep-http") as pool:
        requests = _start_requests(plans, pool)
        reads = _read_hosts(plans, memory, say)
        reads.fetched.update({key: future.result() for key, future in requests.items()})
    results: list[CheckResult] = []
    for env in plans:
        run = Run(env.project, env.environment, at=now())
        results += [judge(check, env, run, reads) for check in env.checks]
    return Collected(tuple(results), reads.cursors)


# ---- from here: HTTP(S) and certificates ----------------------------------------------


def _start_requests(
    plans: Sequence[EnvPlan], pool: ThreadPoolExecutor
) -> dict[RequestKey, Future[tuple[web.Fetched, float]]]:
    """Every request the plans' checks make from here, once each, started in ``pool``."""
    futures: dict[RequestKey, Future[tuple[web.Fetched, float]]] = {}
    for env in plans:
        for check in env.checks:
            kind = REGISTRY.get(check.kind)
            for request in kind.requests(check, env) if kind is not None else ():
                if request.key not in futures:
                    futures[request.key] = pool.submit(_timed, request.call)
    return futures


def _timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    value = call()
    return value, time.monotonic() - started


# ---- on the hosts: pyinfra facts over SSH ---------------------------------------------


@dataclass(frozen=True)
class FactRound:
    """One round of a fact over SSH: each host asked with its own arguments."""

    name: str  # where the answers go in Reads.facts (upkeep.monitor.kinds.round_name)
    kind: str
    fact: type[FactBase[Any]]
    asked: dict[str, dict[str, Any]]  # host name -> the fact's arguments


def fact_rounds(plans: Sequence[EnvPlan], memory: Memory) -> list[FactRound]:
    """The fact rounds the plans' host checks need, in the registry's order of kinds."""
    rounds: list[FactRound] = []
    for kind_name, kind in REGISTRY.items():
        fact = kind.fact
        if fact is None:
            continue
        shared: dict[str, dict[str, Any]] = {}
        for env in plans:
            checks = env.of_kind(kind.check)
            groups = [[check] for check in checks] if fact.per_check else [checks] if checks else []
            for group in groups:
                asked = {
                    host.name: arguments
                    for host in env.hosts
                    if (arguments := fact.arguments(env, group, host.name, memory)) is not None
                }
                if fact.per_check:
                    name = round_name(group[0], per_check=True)
                    rounds.append(FactRound(name, kind_name, fact.fact, asked))
                else:
                    shared.update(asked)
        if shared:
            rounds.append(FactRound(kind_name, kind_name, fact.fact, shared))
    return rounds


def _read_hosts(plans: Sequence[EnvPlan], memory: Memory, say: Say) -> Reads:
    """What the hosts said to every fact round (the answers from here come later)."""
    reads = Reads({}, {}, {}, {}, {})
    rounds = fact_rounds(plans, memory)
    if not rounds:
        return reads
    asked_hosts = {host for round_ in rounds for host in round_.asked}
    wanted = [env for env in plans if any(host.name in asked_hosts for host in env.hosts)]
    targets = [Target(env.environment, host) for env in wanted for host in env.hosts]
    by_host = {host.name: env for env in wanted for host in env.hosts}
    say(f"reading facts from {len(targets)} host{'s' if len(targets) != 1 else ''} over SSH")
    with _quiet_greenlets(), Runner(targets, require_all=False) as runner:
        reads.unreachable = {u.host: u.reason for u in runner.unreachable}
        reads.unreachable.update(_not_connected(runner, reads.unreachable))
        for round_ in rounds:
            started = time.monotonic()
            asked = {h: kw for h, kw in round_.asked.items() if h not in reads.unreachable}
            found = facts_per_host(runner, round_.fact, asked, reads.unreachable)
            reads.seconds[round_.kind] = time.monotonic() - started
            received = reads.facts.setdefault(round_.name, {})
            for host, value in found.items():
                received[host], keep = (
                    _received(round_.kind, by_host[host], host, value, memory)
                    if value is not None
                    else (None, {})
                )
                reads.cursors.update(keep)
    return reads


def _received(
    kind: str, env: EnvPlan, host: str, value: Any, memory: Memory
) -> tuple[Any, dict[str, str]]:
    fact = REGISTRY[kind].fact
    assert fact is not None
    return fact.received(env, host, value, memory)


def _not_connected(runner: Runner, known: Mapping[str, str]) -> dict[str, str]:
    """Hosts pyinfra left out without saying why (its connect raised), with the reason."""
    active = {host.name for host in runner.state.inventory.get_active_hosts()}
    reasons = {}
    for host in runner.state.inventory:
        if host.name in active or host.name in known:
            continue
        try:
            host.connect(raise_exceptions=True)
            reason = "pyinfra did not connect it"
        except Exception as error:
            reason = credentials.redact(str(error)) or type(error).__name__
        reasons[host.name] = reason
    return reasons


@contextmanager
def _quiet_greenlets() -> Iterator[None]:
    """gevent prints a failed greenlet's traceback (pyinfra's connect, say); the failure
    reaches us as a value anyway, and a user's mistake must not look like a crash."""
    hub = gevent.get_hub()
    saved = hub.exception_stream
    hub.exception_stream = None
    try:
        yield
    finally:
        hub.exception_stream = saved


def facts_per_host(
    runner: Runner,
    fact: type[FactBase[T]],
    kwargs: Mapping[str, dict[str, Any]],
    unreachable: dict[str, str] | None = None,
) -> dict[str, T | None]:
    """``fact`` on each reachable host named in ``kwargs``, with that host's arguments.

    (Runner.facts asks every host the same.) A fact whose command fails leaves
    the host usable for the next one and reads as None; a host that cannot be
    connected to reads as None and is added to ``unreachable`` with the reason.
    """
    state = runner.state

    def one(host: Any) -> Any:
        with ctx_host.use(host):
            return get_fact(
                state,
                host,
                fact,
                kwargs={**kwargs[host.name], "_ignore_errors": True, "_timeout": FACT_TIMEOUT},
            )

    hosts = [host for host in state.inventory.get_active_hosts() if host.name in kwargs]
    results: dict[str, T | None] = {}
    with ctx_state.use(state):
        jobs = {state.pool.spawn(one, host): host.name for host in hosts}
        gevent.joinall(list(jobs))
    for job, name in jobs.items():
        try:
            results[name] = job.get()
        except (PyinfraError, OSError) as error:
            results[name] = None
            if unreachable is not None:
                unreachable[name] = credentials.redact(str(error)) or type(error).__name__
    return results


# ---- judging ---------------------------------------------------------------------------


def judge(check: Check, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    """One check's result from what was read, by its kind's judge (upkeep.monitor.kinds)."""
    kind = REGISTRY.get(check.kind)
    if kind is None:  # a kind in upkeep.inventory.checks without its entry in the registry
        return could_not_check(check, f"upkeep cannot collect {check.kind} checks yet", run)
    if kind.fact is not None:
        run = replace(run, seconds=round(reads.seconds.get(check.kind, 0.0), 3))
    return kind.judge(check, env, run, reads)
