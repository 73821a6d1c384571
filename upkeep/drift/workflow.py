"""``upkeep drift``: observe every host of a project, compare, report.

A developer environment of the project on this machine (``upkeep dev up``) is
compared too, as the ``local`` environment: with its desired state, and with
production but for what it changes on purpose (its code, its php.ini for
development). When it is not running it is left out and the report says so.

>>> report = drift(project, pins)   # doctest: +SKIP
>>> report.in_sync                      # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Callable

from pyinfra.facts.deb import DebPackages

from tasks.facts import EffectivePhpIni, FileChecksums, ReleaseState
from tasks.managed import managed_files
from tasks.php import php_ini_pairs
from upkeep.desired import SiteState
from upkeep.dev.environment import LOCAL
from upkeep.dev.workflow import local_for_drift
from upkeep.drift.compare import (
    DriftItem,
    DriftReport,
    Expected,
    Observed,
    compare_environments,
    compare_host,
    matrix_of,
    sha256_text,
)
from upkeep.inventory import Project
from upkeep.inventory.pins import Pins
from upkeep.provision import plan
from upkeep.runner import Runner, Target

Say = Callable[[str], None]


def expected_state(project: Project, pins: Pins) -> dict[str, tuple[Expected, SiteState] | None]:
    """Per environment, what it must look like; None for one never provisioned."""
    wanted: dict[str, tuple[Expected, SiteState] | None] = {}
    for name, environment in project.environments.items():
        pin = pins.get(str(name))
        if not pin.php_build:
            wanted[str(name)] = None
            continue
        site = plan.site_state(project, environment, php_build=pin.php_build, release=None)
        wanted[str(name)] = (_expected(str(name), site, pin.ref), site)
    return wanted


def _expected(
    name: str, site: SiteState, commit: str | None, extra_files: dict[str, str] | None = None
) -> Expected:
    files = {**managed_files(site), **(extra_files or {})}
    return Expected(
        environment=name,
        php_line=site.php_line,
        php_build=site.php_build,
        php_packages=site.php_packages,
        files={path: sha256_text(text) for path, text in sorted(files.items())},
        commit=commit,
        file_copies=php_ini_pairs(site),
    )


def drift(project: Project, pins: Pins, say: Say = lambda _: None) -> DriftReport:
    """How the project's hosts (and a developer environment here) differ from what they should be."""
    wanted = expected_state(project, pins)
    targets = [Target(str(env), host) for env, host in project.hosts()]
    environments = [str(env) for env in project.environments]
    local, skipped = local_for_drift(project, pins)
    deliberate: dict[str, frozenset[str]] = {}
    if local is not None:
        # The working copy is the release: no commit is expected of it.
        wanted[LOCAL] = (_expected(LOCAL, local.site, None, local.extra_files), local.site)
        targets.append(Target(LOCAL, local.environment.hosts[0]))
        environments.append(LOCAL)
        deliberate[LOCAL] = local.deliberate
    paths = sorted(
        {path for entry in wanted.values() if entry for path in entry[0].files}
        | {
            p
            for entry in wanted.values()
            if entry
            for pair in entry[0].file_copies.items()
            for p in pair
        }
    )
    base_dirs = {str(env): entry[1].base_dir for env, entry in wanted.items() if entry}
    observed: list[Observed] = []
    with Runner(targets, require_all=False) as runner:
        say(f"reading facts from {len(targets) - len(runner.unreachable)} hosts")
        packages = runner.facts(DebPackages)
        sums = runner.facts(FileChecksums, paths=tuple(paths))
        ini = runner.facts(EffectivePhpIni, line=project.php.line)
        releases = runner.facts_each(
            ReleaseState,
            {
                target.name: {"base_dir": base_dirs[target.environment]}
                for target in targets
                if target.environment in base_dirs
            },
        )
        unreachable = tuple(f"{u.host} ({u.environment}): {u.reason}" for u in runner.unreachable)
    for target in targets:
        if target.name not in packages:
            continue
        release = releases.get(target.name)
        commit = release.commit if release else None
        if target.environment == LOCAL and local is not None:
            commit = local.commit  # the working copy's HEAD, shown beside the others
        observed.append(
            Observed(
                environment=target.environment,
                host=target.name,
                packages={
                    name: sorted(versions)[-1]
                    for name, versions in (packages[target.name] or {}).items()
                },
                checksums=sums.get(target.name) or {},
                commit=commit,
                effective_ini=ini.get(target.name) or {},
            )
        )
    items: list[DriftItem] = []
    for item in observed:
        entry = wanted.get(item.environment)
        if entry is None:
            items.append(
                DriftItem(item.environment, item.host, "provisioned", "yes", "never (no pins)")
            )
            continue
        items.extend(compare_host(entry[0], item))
    provisioned = [item for item in observed if wanted.get(item.environment)]
    items.extend(compare_environments(provisioned, project.php.line, deliberate))
    return DriftReport(
        project=project.name,
        environments=tuple(environments),
        items=tuple(items),
        matrix=matrix_of(observed, project.php.line),
        unreachable=unreachable,
        skipped=(skipped,) if skipped else (),
    )
