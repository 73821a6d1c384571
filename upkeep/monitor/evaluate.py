"""Judging facts against checks: pure functions from what was read to a CheckResult.

Whoever reads the facts (HTTP requests, pyinfra facts over SSH, log bytes)
calls one function per check with them; nothing here touches the network.
A check whose facts could not be read at all is ``could_not_check`` (UNKNOWN),
never a guess.

    >>> import datetime as dt
    >>> run = Run("demo", "production", at=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC))
    >>> check = TlsCheck(name="certificate")
    >>> result = evaluate_tls(check, dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), run)
    >>> result.status.name, result.summary, result.affects_availability
    ('WARNING', 'expires in 8d 0h, on 2026-12-01 (warning at 14 days)', False)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

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
from upkeep.inventory.conditions import (
    Missing,
    Response,
    evaluate_all,
    glob,
    human_duration,
    lookup,
    mask_secrets,
    parse_path,
)
from upkeep.monitor.logscan import Entry
from upkeep.monitor.result import CheckResult, Metric, Status
from upkeep.versions import InvalidBuild, PhpBuild


@dataclass(frozen=True)
class Run:
    """Where and when a check ran: what every result carries besides the verdict."""

    project: str
    environment: str
    at: dt.datetime  # aware, when the check finished
    seconds: float = 0.0  # how long reading the facts took


def _result(
    check: Check,
    run: Run,
    status: Status,
    summary: str,
    *,
    metrics: Mapping[str, Metric] | None = None,
    details: Sequence[str] = (),
    affects_availability: bool | None = None,
    headline: str = "",
) -> CheckResult:
    affects = check.affects_availability if affects_availability is None else affects_availability
    return CheckResult(
        project=run.project,
        environment=run.environment,
        check=check.name,
        status=status,
        summary=one_line(summary),
        at=run.at,
        seconds=run.seconds,
        kind=check.kind,
        affects_availability=affects,
        metrics=MappingProxyType(dict(metrics or {})),
        details=tuple(one_line(line, 300) for line in details),
        headline=one_line(headline),
    )


def one_line(text: str, limit: int = 200) -> str:
    """Text for a summary or detail line: one line, shortened, secrets masked.

    >>> one_line("db said:\\n  password=hunter2 refused")
    'db said: password=*** refused'
    """
    flat = " ".join(mask_secrets(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def could_not_check(check: Check, reason: str, run: Run, *, headline: str = "") -> CheckResult:
    """UNKNOWN: the facts could not be read (no SSH, a command failed), so no verdict.

    ``headline``: the same in words, when ``reason`` is a tool's own output.
    """
    return _result(check, run, Status.UNKNOWN, f"could not check: {reason}", headline=headline)


# ---- http -------------------------------------------------------------------------


def evaluate_http(check: HttpCheck, response: Response, run: Run) -> CheckResult:
    """CRITICAL if any condition fails, naming the first and what it saw."""
    metrics = {}
    if response.response_time_ms is not None:
        metrics["time"] = Metric(round(response.response_time_ms / 1000, 6), "s", minimum=0)
    if response.error is not None:
        where = check.url or check.path or "/"
        return _result(
            check,
            run,
            Status.CRITICAL,
            f"no response: {response.error}",
            headline=f"the site does not answer on {where}",
        )
    outcomes = evaluate_all(check.conditions, response)
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if failed:
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        return _result(
            check,
            run,
            Status.CRITICAL,
            f"{failed[0]}{more}",
            metrics=metrics,
            details=[str(outcome) for outcome in failed],
        )
    timing = f" in {round(response.response_time_ms)} ms" if response.response_time_ms else ""
    passed = f"{len(outcomes)} condition{'s' if len(outcomes) != 1 else ''} met"
    return _result(check, run, Status.OK, f"{response.status}{timing}, {passed}", metrics=metrics)


# ---- tls --------------------------------------------------------------------------


def evaluate_tls(
    check: TlsCheck, not_after: dt.datetime | None, run: Run, *, error: str | None = None
) -> CheckResult:
    """Days left on the certificate by the check's tiers (see upkeep.inventory.checks)."""
    if not_after is None:
        return could_not_check(check, error or "no certificate was read", run)
    left = not_after - run.at
    days = left / dt.timedelta(days=1)
    tiers = check.tiers
    metric = Metric(
        round(days, 2),
        warn=tiers.warning,
        crit=tiers.critical,
        lower_is_worse=True,
    )
    metrics = {"days_left": metric}
    on = f"on {not_after.astimezone(dt.UTC):%Y-%m-%d}"
    if left <= dt.timedelta(0):
        summary = f"expired {human_duration(-left)} ago, {on}: browsers refuse the site"
        return _result(
            check, run, Status.CRITICAL, summary, metrics=metrics, affects_availability=True
        )
    when = f"expires in {human_duration(left)}, {on}"
    if days <= tiers.critical:
        status, summary = Status.CRITICAL, f"{when} (critical at {tiers.critical} days)"
    elif days <= tiers.warning:
        status, summary = Status.WARNING, f"{when} (warning at {tiers.warning} days)"
    elif tiers.notice is not None and days <= tiers.notice:
        # Still OK, but a renewal that should have happened has not.
        status, summary = Status.OK, f"{when}: renewal overdue (notice at {tiers.notice} days)"
    else:
        status, summary = Status.OK, when
    return _result(check, run, status, summary, metrics=metrics)


# ---- services -----------------------------------------------------------------------

_GOOD_STATES = ("active", "reloading")


def evaluate_services(
    check: ServicesCheck, states: Mapping[str, Mapping[str, str | None]], run: Run
) -> CheckResult:
    """``states``: per host, each unit's systemd ActiveState (None: no such unit).

    active or reloading is OK; activating is WARNING (starting, may settle);
    anything else (inactive, failed, deactivating, missing) is CRITICAL.
    """
    units = check.units or ()
    if not states:
        return could_not_check(check, "no host reported its services", run)
    several = len(states) > 1
    problems: list[tuple[Status, str]] = []
    for host, host_states in states.items():
        where = f" on {host}" if several else ""
        for unit in units:
            state = host_states.get(unit)
            if state in _GOOD_STATES:
                continue
            if state == "activating":
                problems.append((Status.WARNING, f"{unit} activating{where}"))
            else:
                problems.append((Status.CRITICAL, f"{unit} {state or 'not installed'}{where}"))
    if not problems:
        hosts = f" on {len(states)} hosts" if several else ""
        return _result(check, run, Status.OK, f"{', '.join(units)} active{hosts}")
    worst = worst_status(status for status, _ in problems)
    return _result(
        check,
        run,
        worst,
        ", ".join(text for _, text in problems),
        details=[text for _, text in problems] if len(problems) > 1 else (),
    )


# ---- disk -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DiskSpace:
    free: int  # bytes available to unprivileged users (df's "Avail")
    total: int  # bytes


def evaluate_disk(check: DiskCheck, space: Mapping[str, DiskSpace], run: Run) -> CheckResult:
    """Free space per host on the check's path; the worst host decides."""
    if not space:
        return could_not_check(check, f"no host reported the space on {check.path}", run)
    several = len(space) > 1
    verdicts: list[tuple[Status, str]] = []
    metrics: dict[str, Metric] = {}
    for host, usage in space.items():
        prefix = f"{host} " if several else ""
        if usage.total <= 0 or not 0 <= usage.free <= usage.total:
            verdicts.append(
                (Status.UNKNOWN, f"{prefix}odd figures ({usage.free} of {usage.total})")
            )
            continue
        percent = usage.free / usage.total * 100
        metrics[f"{prefix}free"] = Metric(
            round(percent, 2), "%", check.warning, check.critical, 0, 100, lower_is_worse=True
        )
        metrics[f"{prefix}free_bytes"] = Metric(usage.free, "B", minimum=0, maximum=usage.total)
        if percent < check.critical:
            status = Status.CRITICAL
        elif percent < check.warning:
            status = Status.WARNING
        else:
            status = Status.OK
        text = f"{percent:.1f} % free on {check.path} ({_size(usage.free)} of {_size(usage.total)})"
        verdicts.append((status, f"{host}: {text}" if several else text))
    worst = worst_status(status for status, _ in verdicts)
    shown = [text for status, text in verdicts if status is worst] or [verdicts[0][1]]
    return _result(
        check,
        run,
        worst,
        "; ".join(shown),
        metrics=metrics,
        details=[text for _, text in verdicts] if several else (),
    )


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"


# ---- php_build ----------------------------------------------------------------------


def evaluate_php_build(
    check: PhpBuildCheck, response: Response, run: Run, *, pin: str | None
) -> CheckResult:
    """The build the page reports (check.field) against check.expected or the pin.

    PHP reports its upstream version (8.2.36), the pin is Debian's build
    (8.2.36-1~deb12u1): they match on the upstream part; a served value with a
    revision must match whole. A mismatch is WARNING (FPM not restarted after
    an update, or someone installed another build): the site still works.
    """
    expected = check.expected or pin
    if expected is None:
        return could_not_check(check, "no pin for this environment (provision it first)", run)
    if response.error is not None:
        return could_not_check(check, f"no response: {response.error}", run)
    value = lookup(response.json, parse_path(check.field))
    if isinstance(value, Missing) or not isinstance(value, str | int | float):
        why = value.reason if isinstance(value, Missing) else f"{check.field} is not text"
        return could_not_check(check, f"the page ({response.status}) gave no version: {why}", run)
    served = str(value)
    try:
        want, got = PhpBuild.parse(expected), PhpBuild.parse(served)
    except InvalidBuild as error:
        return could_not_check(check, str(error), run)
    same = got == want if got.revision else got.upstream == want.upstream
    if same:
        return _result(check, run, Status.OK, f"serving {served} (pinned {expected})")
    return _result(check, run, Status.WARNING, f"serving {served}, pinned {expected}")


# ---- database -------------------------------------------------------------------------


def evaluate_database(
    check: DatabaseCheck, reachable: bool, run: Run, *, error: str | None = None
) -> CheckResult:
    """Whether the site's own database user could connect and run a query."""
    if reachable:
        return _result(check, run, Status.OK, "the site user connects")
    return _result(
        check,
        run,
        Status.CRITICAL,
        f"the site user cannot connect: {error or 'no reason given'}",
        headline="the site's database user cannot connect to the database",
    )


# ---- logs -------------------------------------------------------------------------------

_SOURCES = {"php": ("php", "php-fpm"), "nginx": ("nginx",)}
_DETAIL_LINES = 10


def evaluate_logs(check: LogsCheck, entries: Sequence[Entry], run: Run) -> CheckResult:
    """New entries of the check's levels, grouped by fingerprint, most frequent first."""
    sources = {source for name in check.sources for source in _SOURCES[name]}
    ignored = [glob(pattern) for pattern in check.ignore]
    found = [
        entry
        for entry in entries
        if entry.source in sources
        and entry.level in check.levels
        and not any(pattern.fullmatch(entry.message) for pattern in ignored)
    ]
    groups: dict[str, list[Entry]] = {}
    for entry in found:
        groups.setdefault(entry.fingerprint, []).append(entry)
    metrics = {"entries": Metric(len(found), minimum=0), "problems": Metric(len(groups), minimum=0)}
    levels = "/".join(check.levels)
    if not found:
        return _result(check, run, Status.OK, f"no new {levels} entries", metrics=metrics)
    ranked = sorted(groups.values(), key=len, reverse=True)  # stable: first seen first among equals
    top = ranked[0][0]
    entries_word = "entry" if len(found) == 1 else "entries"
    problems_word = "problem" if len(groups) == 1 else "problems"
    summary = f"{len(found)} new {entries_word} ({len(groups)} {problems_word}): {top.level}: {top.message}"
    details = [
        f"{len(group)}× {group[0].level} [{group[0].fingerprint}] {group[0].message}"
        for group in ranked[:_DETAIL_LINES]
    ]
    if len(ranked) > _DETAIL_LINES:
        details.append(f"… and {len(ranked) - _DETAIL_LINES} more problems")
    status = Status.CRITICAL if check.status == "critical" else Status.WARNING
    return _result(check, run, status, summary, metrics=metrics, details=details)


# ---- error_page -------------------------------------------------------------------------

# What PHP prints when display_errors is on, in text and in HTML.
_RAW_PHP = re.compile(
    r"<b>(?:Fatal error|Parse error|Warning|Notice|Deprecated)</b>:|(?:Fatal|Parse) error:|"
    r"Stack trace:|Uncaught [A-Za-z\\_]+:|\.php(?:</b>)? on line (?:<b>)?\d+"
)


def evaluate_error_page(check: ErrorPageCheck, response: Response, run: Run) -> CheckResult:
    """What a visitor sees when the site fails: the branded page with a 5xx status.

    CRITICAL for raw PHP output (it leaks paths and code) or a blank page;
    WARNING for a page that is not ours (nginx's default, the app's own) or a
    non-5xx status (caches and search engines would keep the error page).
    """
    if response.error is not None or response.status is None:
        # response.error is curl's own message on the host ("curl: (7) Failed to connect ...").
        return could_not_check(
            check,
            f"no response: {response.error or 'no status'}",
            run,
            headline="the error page could not be fetched on the host",
        )
    status, body = response.status, response.text
    raw = _RAW_PHP.search(body)
    if raw is not None:
        return _result(
            check, run, Status.CRITICAL, f"status {status} shows raw PHP output ({raw.group()!r})"
        )
    if not body.strip():
        return _result(check, run, Status.CRITICAL, f"status {status} with a blank page")
    problems = []
    if not 500 <= status <= 599:
        problems.append(f"status {status}, not a 5xx")
    if check.marker not in body:
        problems.append(f"not the branded page ({check.marker!r} not found)")
    if problems:
        return _result(check, run, Status.WARNING, "; ".join(problems))
    return _result(check, run, Status.OK, f"branded page with status {status}")


# ---- several results ----------------------------------------------------------------------


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


# The Monitoring Plugins' max_state_alt: a known problem outranks not knowing.
_SEVERITY = {Status.OK: 0, Status.UNKNOWN: 1, Status.WARNING: 2, Status.CRITICAL: 3}


def worst_status(statuses: Iterable[Status]) -> Status:
    """CRITICAL > WARNING > UNKNOWN > OK; OK for none.

    >>> worst_status([Status.UNKNOWN, Status.WARNING]).name
    'WARNING'
    """
    return max(statuses, key=severity, default=Status.OK)


def severity(status: Status) -> int:
    """How bad a state is, for ordering: OK 0, UNKNOWN 1, WARNING 2, CRITICAL 3."""
    return _SEVERITY[status]
