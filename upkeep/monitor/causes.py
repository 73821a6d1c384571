"""One outage, one incident: which failing checks only follow from a more basic failure.

When nginx stops, the site stops answering, and with it the certificate, the
PHP build page and the error page cannot be read: five checks fail for one
reason. Within one run of one environment (results with the same project,
environment and time), the most basic failure is the *root* and the problem
results that depend on it are its *consequences* (``CheckResult.cause`` names
the root). A consequence opens no incident of its own, is listed under the
root's, and costs no SLA time of its own. The rule, most basic first:

1. services CRITICAL (a unit is down): the site's web checks (http, tls,
   php_build, error_page) and the database check that fail with it follow
   from it;
2. else the ``health`` check CRITICAL (the site does not answer): the other web
   checks that fail with it follow from it, and so do host checks (services,
   disk, database, logs, error_page) that are UNKNOWN (they could not tell,
   as when the host does not answer over SSH either);
3. else services UNKNOWN (the host could not be read over SSH): the other host
   checks that are UNKNOWN follow from it.

A check that fails on its own (a full disk while nginx is down) keeps its own
incident.

    >>> import datetime as dt
    >>> at = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    >>> run = [
    ...     CheckResult("demo", "production", "health", Status.CRITICAL, "no response", at, kind="http"),
    ...     CheckResult("demo", "production", "services", Status.CRITICAL, "nginx inactive", at,
    ...                 kind="services"),
    ...     CheckResult("demo", "production", "certificate", Status.UNKNOWN, "no answer", at, kind="tls"),
    ...     CheckResult("demo", "production", "disk", Status.WARNING, "9 % free", at, kind="disk"),
    ... ]
    >>> [(r.check, r.cause) for r in attribute(run)]
    [('health', 'services'), ('services', ''), ('certificate', 'services'), ('disk', '')]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from upkeep.monitor.result import CheckResult, Status

HEALTH = "health"  # the check that says whether the site answers at all
WEB_KINDS = frozenset({"http", "tls", "php_build", "error_page"})  # need the site to answer
HOST_KINDS = frozenset({"services", "disk", "database", "logs", "error_page"})  # read over SSH

RunKey = tuple[str, str, dt.datetime]


def attribute(results: Iterable[CheckResult]) -> tuple[CheckResult, ...]:
    """The results in their order, each consequence with its root's name in ``cause``."""
    results = tuple(results)
    runs: dict[RunKey, list[CheckResult]] = {}
    for result in results:
        runs.setdefault(_run_of(result), []).append(result)
    roots = {key: root_of(run) for key, run in runs.items()}
    return tuple(_attributed(result, roots[_run_of(result)]) for result in results)


def root_of(run: Sequence[CheckResult]) -> CheckResult | None:
    """The most basic failure of one run of one environment, if any (the module's rule)."""
    return (
        _first(run, lambda r: r.kind == "services" and r.status is Status.CRITICAL)
        or _first(run, lambda r: _is_health(r) and r.status is Status.CRITICAL)
        or _first(run, lambda r: r.kind == "services" and r.status is Status.UNKNOWN)
    )


def follows_from(result: CheckResult, root: CheckResult) -> bool:
    """Whether ``result``, in the same run, fails only because ``root`` did."""
    if result is root or result.check == root.check or not result.status.is_problem:
        return False
    unknown_on_host = result.kind in HOST_KINDS and result.status is Status.UNKNOWN
    if root.kind == "services" and root.status is Status.CRITICAL:
        return result.kind in WEB_KINDS or result.kind == "database"
    if _is_health(root):
        return result.kind in WEB_KINDS or unknown_on_host
    return unknown_on_host


def _attributed(result: CheckResult, root: CheckResult | None) -> CheckResult:
    cause = root.check if root is not None and follows_from(result, root) else ""
    return result if result.cause == cause else replace(result, cause=cause)


def _run_of(result: CheckResult) -> RunKey:
    return (result.project, result.environment, result.at)


def _is_health(result: CheckResult) -> bool:
    return result.check == HEALTH and result.kind == "http"


def _first(run: Sequence[CheckResult], wanted: Callable[[CheckResult], bool]) -> CheckResult | None:
    return next((r for r in run if wanted(r)), None)
