"""Check kinds as a registry: per kind its schema, what is read for it, and its judge.

Each entry of ``REGISTRY`` names a kind's schema class (upkeep.inventory.checks)
and how its checks are read: requests made from here (an HTTP GET or a
certificate, per host, ``requests``) or a pyinfra fact its environment's hosts
are asked once for all its checks there (``fact``: the fact class and the
arguments). ``judge`` turns what was read into one CheckResult with an
evaluator of upkeep.monitor.evaluate. upkeep.monitor.collect goes through this
table only, so a new kind is its schema, its evaluator and one entry here.

    >>> REGISTRY["disk"].fact.fact.__name__, REGISTRY["disk"].check.__name__
    ('DiskFree', 'DiskCheck')
    >>> REGISTRY["http"].fact is None
    True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pyinfra.api import FactBase

from tasks.error_pages import TRIGGER_URL_PATH
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
)
from upkeep.inventory.conditions import Response
from upkeep.inventory.model import Host
from upkeep.monitor import facts as host_facts
from upkeep.monitor import web
from upkeep.monitor.evaluate import (
    Run,
    combine,
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
)
from upkeep.monitor.logscan import Cursor, Entry, scan
from upkeep.monitor.result import CheckResult, Status

if TYPE_CHECKING:  # collect imports this module; these are its types only
    from upkeep.monitor.collect import EnvPlan, Memory

C = TypeVar("C", bound=Check)

# (kind, address or "", URL or host name); the same request is made once per run.
RequestKey = tuple[str, str, str]


@dataclass(frozen=True)
class Request:
    """One request made from here for a check, and the call that makes it."""

    key: RequestKey
    call: Callable[[], web.Fetched]


@dataclass
class Reads:
    """What a run read: answers from here, and per fact round what each host said."""

    fetched: dict[RequestKey, tuple[web.Fetched, float]]
    unreachable: dict[str, str]  # host name -> why it could not be asked
    facts: dict[str, dict[str, Any]]  # per round (see round_name), per host; None: unread
    seconds: dict[str, float]  # per kind, how long its fact rounds took
    cursors: dict[str, str]  # state key -> value, to keep once the results are recorded

    def said(self, round_name: str, host: str) -> Any:
        return self.facts.get(round_name, {}).get(host)


def no_reads() -> Reads:
    return Reads({}, {}, {}, {}, {})


def _as_read(env: EnvPlan, host: str, value: Any, memory: Memory) -> tuple[Any, dict[str, str]]:
    return value, {}


@dataclass(frozen=True)
class HostFact(Generic[C]):
    """A pyinfra fact the hosts are asked for a kind's checks."""

    fact: type[FactBase[Any]]
    # One host's arguments for its environment's checks of the kind (one check
    # when per_check); None: nothing to ask that host.
    arguments: Callable[[EnvPlan, Sequence[C], str, Memory], dict[str, Any] | None]
    # What the host said, as the judge takes it, and state to keep (log cursors).
    received: Callable[[EnvPlan, str, Any, Memory], tuple[Any, dict[str, str]]] = _as_read
    # A round per check (its arguments differ per check), not one per kind.
    per_check: bool = False


def _no_requests(check: Any, env: EnvPlan) -> Sequence[Request]:
    return ()


@dataclass(frozen=True)
class Kind(Generic[C]):
    """A check kind: its schema class, what is read for a check, and how it is judged."""

    check: type[C]
    judge: Callable[[C, EnvPlan, Run, Reads], CheckResult]
    requests: Callable[[C, EnvPlan], Sequence[Request]] = _no_requests
    fact: HostFact[C] | None = None


def round_name(check: Check, *, per_check: bool = False) -> str:
    """Where a check's fact answers are kept in Reads.facts: per kind, or per check.

    >>> round_name(ErrorPageCheck(name="error_page"), per_check=True)
    'error_page:error_page'
    """
    return f"{check.kind}:{check.name}" if per_check else check.kind


# ---- judging per host --------------------------------------------------------------------


def unreachable_hosts(
    check: Check, env: EnvPlan, run: Run, reads: Reads
) -> list[tuple[str, CheckResult]]:
    """UNKNOWN for each host SSH could not reach, naming why."""
    missing = []
    for host in env.hosts:
        if host.name in reads.unreachable:
            why = f"{host.name} cannot be reached over SSH ({reads.unreachable[host.name]})"
            # In words for an incident's title; the SSH client's own text stays in details.
            words = f"{host.name} cannot be reached over SSH"
            missing.append(
                (host.name, could_not_check(check, one_line(why, 160), run, headline=words))
            )
    return missing


def unread(check: Check, host: Host, what: str, run: Run) -> tuple[str, CheckResult]:
    return host.name, could_not_check(check, f"{what} could not be read on {host.name}", run)


def per_host(
    check: C,
    env: EnvPlan,
    run: Run,
    reads: Reads,
    verdict: Callable[[Host, Any], CheckResult | str],
    *,
    per_check: bool = False,
) -> CheckResult:
    """Each reachable host's answer judged (``verdict`` gives a result, or what could
    not be read), the unreachable ones UNKNOWN; the worst host decides."""
    said = round_name(check, per_check=per_check)
    parts: list[tuple[str, CheckResult]] = []
    for host in env.hosts:
        if host.name in reads.unreachable:
            continue
        found = verdict(host, reads.said(said, host.name))
        parts.append(
            unread(check, host, found, run) if isinstance(found, str) else (host.name, found)
        )
    return combine(check, run, parts + unreachable_hosts(check, env, run, reads))


def _per_address(
    check: Check,
    env: EnvPlan,
    run: Run,
    reads: Reads,
    key: Callable[[Host], RequestKey],
    verdict: Callable[[web.Fetched, Run], CheckResult],
) -> CheckResult:
    """Each host's answer to a request made from here, judged; the worst host decides."""
    return combine(
        check,
        run,
        [
            (host.name, verdict(answer, replace(run, seconds=took)))
            for host in env.hosts
            for answer, took in [reads.fetched[key(host)]]
        ],
    )


# ---- http, php_build, tls: from here --------------------------------------------------------


def _http_requests(check: HttpCheck, env: EnvPlan) -> Sequence[Request]:
    url = check.url_for(env.domain, https=env.https)
    addresses = [""] if check.url else [host.address for host in env.hosts]
    return [
        Request(
            ("get", address, url),
            partial(
                web.fetch, url, address=address or None, timeout=check.timeout, ca_file=env.ca_file
            ),
        )
        for address in addresses
    ]


def _judge_http(check: HttpCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    url = check.url_for(env.domain, https=env.https)
    if check.url:
        answer, took = reads.fetched[("get", "", url)]
        return evaluate_http(check, answer.response, replace(run, seconds=took))
    return _per_address(
        check,
        env,
        run,
        reads,
        lambda host: ("get", host.address, url),
        lambda answer, timed: evaluate_http(check, answer.response, timed),
    )


def _php_build_requests(check: PhpBuildCheck, env: EnvPlan) -> Sequence[Request]:
    url = env.url(check.path or "/")
    return [
        Request(
            ("get", host.address, url),
            partial(web.fetch, url, address=host.address, timeout=10.0, ca_file=env.ca_file),
        )
        for host in env.hosts
    ]


def _judge_php_build(check: PhpBuildCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    url = env.url(check.path or "/")
    return _per_address(
        check,
        env,
        run,
        reads,
        lambda host: ("get", host.address, url),
        lambda answer, timed: evaluate_php_build(check, answer.response, timed, pin=env.pin),
    )


def _tls_requests(check: TlsCheck, env: EnvPlan) -> Sequence[Request]:
    if not env.https:
        return ()
    return [
        Request(
            ("tls", host.address, env.domain),
            partial(
                web.certificate, host.address, 443, env.domain, timeout=10.0, ca_file=env.ca_file
            ),
        )
        for host in env.hosts
    ]


def _judge_tls(check: TlsCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    if not env.https:
        return could_not_check(check, "the site is plain HTTP (tls: none): no certificate", run)
    return _per_address(
        check,
        env,
        run,
        reads,
        lambda host: ("tls", host.address, env.domain),
        lambda answer, timed: judge_certificate(check, answer, timed),
    )


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


# ---- services, disk, database: one fact per host ---------------------------------------------


def _units(
    env: EnvPlan, checks: Sequence[ServicesCheck], host: str, memory: Memory
) -> dict[str, Any]:
    return {"units": tuple(sorted({unit for check in checks for unit in check.units or ()}))}


def _judge_services(check: ServicesCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    def verdict(host: Host, states: Any) -> CheckResult | str:
        if states is None:
            return "the units' states"
        return evaluate_services(check, {host.name: states}, run)

    return per_host(check, env, run, reads, verdict)


def _disk_paths(
    env: EnvPlan, checks: Sequence[DiskCheck], host: str, memory: Memory
) -> dict[str, Any]:
    return {"paths": tuple(sorted({check.path for check in checks}))}


def _judge_disk(check: DiskCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    def verdict(host: Host, disks: Any) -> CheckResult | str:
        space = disks.get(check.path) if disks is not None else None
        if space is None:
            return "free space" if disks is None else f"{check.path} (no such path)"
        return evaluate_disk(check, {host.name: space}, run)

    return per_host(check, env, run, reads, verdict)


def _env_file(
    env: EnvPlan, checks: Sequence[DatabaseCheck], host: str, memory: Memory
) -> dict[str, Any]:
    return {"env_file": env.paths.env_file}


def _judge_database(check: DatabaseCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    def verdict(host: Host, probe: Any) -> CheckResult | str:
        if probe is None:
            return "the database probe"
        return evaluate_database(check, probe.reachable, run, error=probe.error)

    return per_host(check, env, run, reads, verdict)


# ---- logs: new bytes since the kept cursors, judged over all hosts together -------------------


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


def _kept_cursor(env: EnvPlan, host: str, path: str, memory: Memory) -> Cursor | None:
    return load_cursor(memory.get_state(cursor_key(env.project, env.environment, host, path)))


def _log_files(
    env: EnvPlan, checks: Sequence[LogsCheck], host: str, memory: Memory
) -> dict[str, Any] | None:
    files = env.log_files()
    if not files:
        return None
    wanted = []
    for path in files:
        cursor = _kept_cursor(env, host, path, memory)
        wanted.append((path, cursor.inode if cursor else -1, cursor.offset if cursor else 0))
    return {"files": tuple(wanted)}


def _log_entries(
    env: EnvPlan, host: str, chunks: Any, memory: Memory
) -> tuple[list[Entry], dict[str, str]]:
    new: list[Entry] = []
    cursors: dict[str, str] = {}
    for path in env.log_files():
        entries, cursor = read_chunk(chunks.get(path), _kept_cursor(env, host, path, memory))
        new += entries
        if cursor is not None:
            cursors[cursor_key(env.project, env.environment, host, path)] = dump_cursor(cursor)
    return new, cursors


def _judge_logs(check: LogsCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    parts: list[tuple[str, CheckResult]] = []
    entries: list[Entry] = []
    reachable = [host for host in env.hosts if host.name not in reads.unreachable]
    for host in reachable:
        found = reads.said(check.kind, host.name)
        if found is None:
            parts.append(unread(check, host, "the logs", run))
        else:
            entries += found
    if len(parts) < len(reachable):
        parts.append(("", evaluate_logs(check, entries, run)))
    return combine(check, run, parts + unreachable_hosts(check, env, run, reads))


# ---- error_page: fetched on each host itself --------------------------------------------------


def _error_page_url(
    env: EnvPlan, checks: Sequence[ErrorPageCheck], host: str, memory: Memory
) -> dict[str, Any]:
    (check,) = checks
    url = env.url(check.path or TRIGGER_URL_PATH)
    return {"url": url, "domain": env.domain, "port": env.port}


def _judge_error_page(check: ErrorPageCheck, env: EnvPlan, run: Run, reads: Reads) -> CheckResult:
    def verdict(host: Host, page: Any) -> CheckResult | str:
        if page is None:
            return "the error page"
        response = Response(
            status=page.status,
            body=page.body,
            response_time_ms=page.seconds * 1000,
            error=page.error,
        )
        return evaluate_error_page(check, response, run)

    return per_host(check, env, run, reads, verdict, per_check=True)


REGISTRY: dict[str, Kind[Any]] = {
    "http": Kind(HttpCheck, _judge_http, requests=_http_requests),
    "tls": Kind(TlsCheck, _judge_tls, requests=_tls_requests),
    "php_build": Kind(PhpBuildCheck, _judge_php_build, requests=_php_build_requests),
    "services": Kind(ServicesCheck, _judge_services, fact=HostFact(host_facts.UnitStates, _units)),
    "disk": Kind(DiskCheck, _judge_disk, fact=HostFact(host_facts.DiskFree, _disk_paths)),
    "database": Kind(
        DatabaseCheck, _judge_database, fact=HostFact(host_facts.SiteDatabase, _env_file)
    ),
    "logs": Kind(
        LogsCheck,
        _judge_logs,
        fact=HostFact(host_facts.LogChunks, _log_files, received=_log_entries),
    ),
    "error_page": Kind(
        ErrorPageCheck,
        _judge_error_page,
        fact=HostFact(host_facts.LocalGet, _error_page_url, per_check=True),
    ),
}
