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

Then upkeep.monitor.evaluate judges each check. A host that cannot be reached
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
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import gevent
from pyinfra.api import FactBase
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.facts import get_fact
from pyinfra.context import ctx_host, ctx_state

from tasks.error_pages import TRIGGER_URL_PATH
from upkeep import credentials
from upkeep.inventory import Environment, Host, Project
from upkeep.inventory.checks import (
    Check,
    DatabaseCheck,
    DiskCheck,
    ErrorPageCheck,
    HttpCheck,
    LogsCheck,
    PhpBuildCheck,
    ServicesCheck,
    TlsCheck,
    effective,
)
from upkeep.inventory.conditions import Response
from upkeep.inventory.pins import Pins
from upkeep.layout import SiteLayout, php_fpm_log
from upkeep.monitor import facts as host_facts
from upkeep.monitor import web
from upkeep.monitor.evaluate import (
    DiskSpace,
    Run,
    could_not_check,
    evaluate_database,
    evaluate_disk,
    evaluate_error_page,
    evaluate_http,
    evaluate_logs,
    evaluate_php_build,
    evaluate_services,
    evaluate_tls,
    one_line,
    worst_status,
)
from upkeep.monitor.logscan import Cursor, Entry, scan
from upkeep.monitor.result import CheckResult, Status
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


def cursor_key(project: str, environment: str, host: str, path: str) -> str:
    return f"logs:{project}:{environment}:{host}:{path}"


def load_cursor(text: str | None) -> Cursor | None:
    """A kept cursor, or None (never read, or unreadable: read as a first look).

    >>> load_cursor('{"inode": 7, "offset": 120}'), load_cursor("junk")
    (Cursor(inode=7, offset=120), None)
    """
    if not text:
        return None
    try:
        data = json.loads(text)
        inode, offset = data["inode"], data["offset"]
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(inode, int) and isinstance(offset, int)) or offset < 0:
        return None
    return Cursor(inode, offset)


def dump_cursor(cursor: Cursor) -> str:
    return json.dumps({"inode": cursor.inode, "offset": cursor.offset}, sort_keys=True)


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
        read = _read_hosts(plans, memory, say)
        fetched = {key: future.result() for key, future in requests.items()}
    results: list[CheckResult] = []
    for env in plans:
        run = Run(env.project, env.environment, at=now())
        results += [_judge(check, env, run, fetched, read) for check in env.checks]
    return Collected(tuple(results), read.cursors)


# ---- from here: HTTP(S) and certificates ----------------------------------------------

# (kind, address or "", URL or host name); the same request is made once per run.
RequestKey = tuple[str, str, str]


def _start_requests(
    plans: Sequence[EnvPlan], pool: ThreadPoolExecutor
) -> dict[RequestKey, Future[tuple[web.Fetched, float]]]:
    futures: dict[RequestKey, Future[tuple[web.Fetched, float]]] = {}

    def get(key: RequestKey, timeout: float, ca_file: Path | None) -> None:
        if key in futures:
            return
        kind, address, target = key
        if kind == "get":
            call = partial(
                web.fetch, target, address=address or None, timeout=timeout, ca_file=ca_file
            )
        else:
            call = partial(web.certificate, address, 443, target, timeout=timeout, ca_file=ca_file)
        futures[key] = pool.submit(_timed, call)

    for env in plans:
        for check in env.checks:
            if isinstance(check, HttpCheck):
                url = check.url_for(env.domain, https=env.https)
                for address in [""] if check.url else [h.address for h in env.hosts]:
                    get(("get", address, url), check.timeout, env.ca_file)
            elif isinstance(check, PhpBuildCheck):
                for host in env.hosts:
                    get(("get", host.address, env.url(check.path or "/")), 10.0, env.ca_file)
            elif isinstance(check, TlsCheck) and env.https:
                for host in env.hosts:
                    get(("tls", host.address, env.domain), 10.0, env.ca_file)
    return futures


def _timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    value = call()
    return value, time.monotonic() - started


# ---- on the hosts: pyinfra facts over SSH ---------------------------------------------


@dataclass
class HostReads:
    """What the hosts said, per fact and host name; why a host could not be asked."""

    unreachable: dict[str, str]
    units: dict[str, dict[str, str | None] | None]
    disks: dict[str, dict[str, DiskSpace | None] | None]
    databases: dict[str, host_facts.DatabaseProbe | None]
    logs: dict[str, list[Entry] | None]  # per host, every new entry of its environment's logs
    pages: dict[tuple[str, str], host_facts.LocalResponse | None]  # (check, host)
    seconds: dict[str, float]  # per fact name, how long its round took
    cursors: dict[str, str]


def _read_hosts(plans: Sequence[EnvPlan], memory: Memory, say: Say) -> HostReads:
    reads = HostReads({}, {}, {}, {}, {}, {}, {}, {})
    kinds = (ServicesCheck, DiskCheck, DatabaseCheck, LogsCheck, ErrorPageCheck)
    wanted = [env for env in plans if any(isinstance(c, kinds) for c in env.checks)]
    if not wanted:
        return reads
    targets = [Target(env.environment, host) for env in wanted for host in env.hosts]
    by_host = {host.name: env for env in wanted for host in env.hosts}
    say(f"reading facts from {len(targets)} host{'s' if len(targets) != 1 else ''} over SSH")
    with _quiet_greenlets(), Runner(targets, require_all=False) as runner:
        reads.unreachable = {u.host: u.reason for u in runner.unreachable}
        reads.unreachable.update(_not_connected(runner, reads.unreachable))

        def ask(
            name: str, fact: type[FactBase[Any]], kwargs: dict[str, dict[str, Any]]
        ) -> dict[str, Any]:
            started = time.monotonic()
            asked = {host: value for host, value in kwargs.items() if host not in reads.unreachable}
            found = facts_per_host(runner, fact, asked, reads.unreachable)
            reads.seconds[name] = time.monotonic() - started
            return found

        units = {
            host: {
                "units": tuple(
                    sorted({u for c in env.of_kind(ServicesCheck) for u in c.units or ()})
                )
            }
            for host, env in by_host.items()
            if env.of_kind(ServicesCheck)
        }
        reads.units = ask("services", host_facts.UnitStates, units) if units else {}
        disks = {
            host: {"paths": tuple(sorted({c.path for c in env.of_kind(DiskCheck)}))}
            for host, env in by_host.items()
            if env.of_kind(DiskCheck)
        }
        reads.disks = ask("disk", host_facts.DiskFree, disks) if disks else {}
        databases = {
            host: {"env_file": env.paths.env_file}
            for host, env in by_host.items()
            if env.of_kind(DatabaseCheck)
        }
        reads.databases = ask("database", host_facts.SiteDatabase, databases) if databases else {}
        _read_logs(reads, by_host, memory, ask)
        for env in wanted:
            for check in env.of_kind(ErrorPageCheck):
                url = env.url(check.path or TRIGGER_URL_PATH)
                asked = {
                    host.name: {"url": url, "domain": env.domain, "port": env.port}
                    for host in env.hosts
                }
                for host_name, page in ask("error_page", host_facts.LocalGet, asked).items():
                    reads.pages[(check.name, host_name)] = page
    return reads


def _read_logs(
    reads: HostReads,
    by_host: Mapping[str, EnvPlan],
    memory: Memory,
    ask: Callable[[str, type[FactBase[Any]], dict[str, dict[str, Any]]], dict[str, Any]],
) -> None:
    previous: dict[tuple[str, str], Cursor | None] = {}
    asked: dict[str, dict[str, Any]] = {}
    for host, env in by_host.items():
        files = env.log_files()
        if not files:
            continue
        wanted = []
        for path in files:
            kept = memory.get_state(cursor_key(env.project, env.environment, host, path))
            cursor = load_cursor(kept)
            previous[(host, path)] = cursor
            wanted.append((path, cursor.inode if cursor else -1, cursor.offset if cursor else 0))
        asked[host] = {"files": tuple(wanted)}
    if not asked:
        return
    found = ask("logs", host_facts.LogChunks, asked)
    for host, chunks in found.items():
        env = by_host[host]
        if chunks is None:
            reads.logs[host] = None
            continue
        new: list[Entry] = []
        for path in env.log_files():
            key = cursor_key(env.project, env.environment, host, path)
            entries, cursor = read_chunk(chunks.get(path), previous.get((host, path)))
            new += entries
            if cursor is not None:
                reads.cursors[key] = dump_cursor(cursor)
        reads.logs[host] = new


def read_chunk(
    chunk: host_facts.LogRead | None, previous: Cursor | None
) -> tuple[list[Entry], Cursor | None]:
    """The entries in one file's new bytes and the cursor to keep (None: keep the old one).

    A missing file keeps inode 0, so when it appears it is read from its start.

    >>> read_chunk(None, None)
    ([], Cursor(inode=0, offset=0))
    """
    if chunk is None:
        return [], Cursor(0, 0)
    start = Cursor(chunk.inode, chunk.start)
    found = scan(chunk.data, start)
    cursor = found.cursor
    if cursor.offset == start.offset and len(chunk.data) >= host_facts.LOG_READ_LIMIT:
        # One line longer than a whole read would stop the cursor for good: step over it.
        cursor = Cursor(chunk.inode, start.offset + len(chunk.data))
    return list(found.entries), cursor


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


def _judge(
    check: Check,
    env: EnvPlan,
    run: Run,
    fetched: Mapping[RequestKey, tuple[web.Fetched, float]],
    reads: HostReads,
) -> CheckResult:
    if isinstance(check, HttpCheck):
        url = check.url_for(env.domain, https=env.https)
        if check.url:
            answer, took = fetched[("get", "", url)]
            return evaluate_http(check, answer.response, replace(run, seconds=took))
        return combine(
            check,
            run,
            [
                (host.name, evaluate_http(check, answer.response, replace(run, seconds=took)))
                for host in env.hosts
                for answer, took in [fetched[("get", host.address, url)]]
            ],
        )
    if isinstance(check, PhpBuildCheck):
        url = env.url(check.path or "/")
        return combine(
            check,
            run,
            [
                (
                    host.name,
                    evaluate_php_build(
                        check, answer.response, replace(run, seconds=took), pin=env.pin
                    ),
                )
                for host in env.hosts
                for answer, took in [fetched[("get", host.address, url)]]
            ],
        )
    if isinstance(check, TlsCheck):
        if not env.https:
            return could_not_check(check, "the site is plain HTTP (tls: none): no certificate", run)
        return combine(
            check,
            run,
            [
                (host.name, judge_certificate(check, answer, replace(run, seconds=took)))
                for host in env.hosts
                for answer, took in [fetched[("tls", host.address, env.domain)]]
            ],
        )
    return _judge_on_hosts(check, env, replace(run, seconds=_seconds_of(check, reads)), reads)


def _seconds_of(check: Check, reads: HostReads) -> float:
    return round(reads.seconds.get(check.kind, 0.0), 3)


def _judge_on_hosts(check: Check, env: EnvPlan, run: Run, reads: HostReads) -> CheckResult:
    missing: list[tuple[str, CheckResult]] = []
    for host in env.hosts:
        if host.name in reads.unreachable:
            why = f"{host.name} cannot be reached over SSH ({reads.unreachable[host.name]})"
            # In words for an incident's title; the SSH client's own text stays in details.
            words = f"{host.name} cannot be reached over SSH"
            missing.append(
                (host.name, could_not_check(check, one_line(why, 160), run, headline=words))
            )
    reachable = [h for h in env.hosts if h.name not in reads.unreachable]

    def unread(host: Host, what: str) -> tuple[str, CheckResult]:
        return host.name, could_not_check(check, f"{what} could not be read on {host.name}", run)

    parts: list[tuple[str, CheckResult]] = []
    if isinstance(check, ServicesCheck):
        for h in reachable:
            states = reads.units.get(h.name)
            if states is None:
                parts.append(unread(h, "the units' states"))
            else:
                parts.append((h.name, evaluate_services(check, {h.name: states}, run)))
    elif isinstance(check, DiskCheck):
        for h in reachable:
            disks = reads.disks.get(h.name)
            space = disks.get(check.path) if disks is not None else None
            if space is None:
                what = "free space" if disks is None else f"{check.path} (no such path)"
                parts.append(unread(h, what))
            else:
                parts.append((h.name, evaluate_disk(check, {h.name: space}, run)))
    elif isinstance(check, DatabaseCheck):
        for h in reachable:
            probe = reads.databases.get(h.name)
            if probe is None:
                parts.append(unread(h, "the database probe"))
            else:
                parts.append(
                    (h.name, evaluate_database(check, probe.reachable, run, error=probe.error))
                )
    elif isinstance(check, LogsCheck):
        entries: list[Entry] = []
        for h in reachable:
            found = reads.logs.get(h.name)
            if found is None:
                parts.append(unread(h, "the logs"))
            else:
                entries += found
        if len(parts) < len(reachable):
            parts.append(("", evaluate_logs(check, entries, run)))
    elif isinstance(check, ErrorPageCheck):
        for h in reachable:
            page = reads.pages.get((check.name, h.name))
            if page is None:
                parts.append(unread(h, "the error page"))
                continue
            response = Response(
                status=page.status,
                body=page.body,
                response_time_ms=page.seconds * 1000,
                error=page.error,
            )
            parts.append((h.name, evaluate_error_page(check, response, run)))
    else:  # a kind added to checks.py without its collection here
        return could_not_check(check, f"upkeep cannot collect {check.kind} checks yet", run)
    return combine(check, run, parts + missing)


def judge_certificate(check: TlsCheck, answer: web.Fetched, run: Run) -> CheckResult:
    """The expiry tiers; a certificate browsers would refuse is CRITICAL whatever its dates."""
    result = evaluate_tls(check, answer.not_after, run, error=answer.tls_error)
    if answer.untrusted is None or answer.not_after is None or result.status is Status.CRITICAL:
        return result
    return replace(
        result,
        status=Status.CRITICAL,
        summary=one_line(f"{answer.untrusted}; {result.summary}"),
        affects_availability=True,
    )


def combine(check: Check, run: Run, parts: Sequence[tuple[str, CheckResult]]) -> CheckResult:
    """One result from per-host ones (host "" for a result that already names its hosts).

    The worst host decides the status; its summary leads, every host's is a
    detail line; metrics are prefixed with their host when there are several.
    """
    if not parts:
        return could_not_check(check, "no host to check", run)
    if len(parts) == 1:
        return parts[0][1]
    worst = worst_status(result.status for _, result in parts)

    def named(host: str, text: str) -> str:
        return f"{host}: {text}" if host else text

    leading = [(host, r) for host, r in parts if r.status is worst]
    if worst is Status.OK:
        summary = f"{leading[0][1].summary} (on all {len(parts)} hosts)"
    else:
        summary = "; ".join(named(host, r.summary) for host, r in leading)
    worded = any(r.headline for _, r in leading)
    headline = "; ".join(named(host, r.title) for host, r in leading) if worded else ""
    details = [named(host, r.summary) for host, r in parts]
    details += [named(host, d) for host, r in leading for d in r.details]
    metrics = {
        (f"{host} {name}" if host else name): metric
        for host, r in parts
        for name, metric in r.metrics.items()
    }
    return CheckResult(
        project=run.project,
        environment=run.environment,
        check=check.name,
        status=worst,
        summary=one_line(summary),
        at=run.at,
        seconds=max(r.seconds for _, r in parts),
        kind=check.kind,
        affects_availability=any(r.affects_availability for _, r in leading),
        metrics=MappingProxyType(metrics),
        details=tuple(one_line(d, 300) for d in details),
        headline=one_line(headline),
    )
