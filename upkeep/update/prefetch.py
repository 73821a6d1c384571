"""The new PHP build fetched before the window, and installed from apt's cache inside it.

``prefetch``: one pyinfra run over the hosts that will move (``tasks.prefetch``):
the .debs downloaded and verified into apt's cache, nothing installed, so
nothing a site sees changes; run again, it finds them cached and does nothing.
``install_prefetched``: on every host at once, the pin written, the packages
unpacked from the cache (never the network), PHP-FPM reloaded gracefully and
waited for. A window is then the unpack and the reload, not the download.

    >>> site = site_at(project, "production", "8.2.36-1~deb12u1")   # doctest: +SKIP
    >>> prefetch([Target("production", h) for h in hosts], site)    # doctest: +SKIP
    'PHP 8.2.36-1~deb12u1 fetched into apt's cache on production-1'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from tasks.php import package_guard_files
from tasks.prefetch import CACHED, php_build_prefetched
from upkeep import credentials
from upkeep.desired import SiteState
from upkeep.errors import RunFailed
from upkeep.inventory import Host, Project
from upkeep.provision.plan import site_state
from upkeep.runner import OpStatus, Runner, RunResult, Target
from upkeep.ssh import check_root
from upkeep.update import packages


def site_at(project: Project, environment: str, build: str) -> SiteState:
    """``environment``'s desired state at ``build`` (what the prefetch and the pin read)."""
    return site_state(project, project.environment(environment), php_build=build, release=None)


def prefetch(targets: Sequence[Target], site: SiteState, *, required: bool = True) -> str:
    """``site``'s build in apt's cache on each target (a host shared by two targets once).

    ``required``: a host not reached, or a download that fails, raises RunFailed;
    otherwise it is only said (that host's window then downloads as it always did).
    """
    unique = list({target.host.address: target for target in targets}.values())
    with Runner(unique, require_all=required) as runner:
        result = runner.run_deploy(php_build_prefetched, site)
    if required and not result.ok:
        raise RunFailed(
            f"prefetching PHP {site.php_build} failed: {credentials.redact('; '.join(result.problems))}"
        )
    return _said(result, site.php_build)


def _said(result: RunResult, build: str) -> str:
    downloads = [op for op in result.ops if op.operation.endswith(CACHED)]
    fetched = [op.host for op in downloads if op.status is OpStatus.CHANGED]
    cached = [op.host for op in downloads if op.status is OpStatus.NO_CHANGE]
    parts = [f"PHP {build} fetched into apt's cache on {', '.join(fetched)}"] if fetched else []
    if cached:
        parts.append(f"already cached on {', '.join(cached)}")
    return "; ".join([*parts, *result.problems]) or f"PHP {build}: no host to prefetch on"


def install_prefetched(
    hosts: Sequence[Host], site: SiteState, installed: Mapping[str, Iterable[str]]
) -> None:
    """``site``'s build on every host at once, from the cache: the packages each host had
    (``installed``, by host name), its pin first, PHP-FPM reloaded gracefully."""
    guards = package_guard_files(site)

    def install(host: Host) -> None:
        script = packages.install_prefetched_script(
            site.php_line, site.php_build, installed[host.name], guards
        )
        check_root(host, script, f"installing PHP {site.php_build} from apt's cache")

    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        for done in [pool.submit(install, host) for host in hosts]:
            done.result()  # the first failure, once every host has finished
