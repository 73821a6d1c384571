"""``upkeep dev up | status | shell | down``: a developer environment on this machine.

``up`` is a pipeline of named steps, each idempotent, so a second ``up``
changes nothing and prints the same URL (``up_pipeline`` lists them):

check → engine and image → container (keys, ports, boot) → lock → provision
(the site deploy at production's pins, then the local extras) → seed the
database (refresh from production: sanitized, URLs rewritten, verified) →
answer (the health page over the published port, on production's PHP build)

The database is seeded once per container: later ``up`` runs keep what the
programmer did to it. ``down`` removes the container and the state, nothing
else (never the working copy).

    >>> up_pipeline().names()
    ['check', 'image', 'container', 'lock', 'provision', 'database', 'answer']
    >>> result = up(workspace, project, pins, "~/src/demo-site", say=print)  # doctest: +SKIP
    >>> result.url                                                            # doctest: +SKIP
    'http://localhost:40123'
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import shlex
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import docker
import git
from docker.models.containers import Container

from upkeep import credentials
from upkeep.desired import SiteState
from upkeep.dev import container as box
from upkeep.dev.deploy import dev_site
from upkeep.dev.environment import (
    DELIBERATE,
    LOCAL,
    MAIL_DIR,
    local_environment,
    local_files,
    local_site,
    mount_path,
    own_checkout,
    production_pins,
    project_working_copy,
    shell_rc_path,
)
from upkeep.dev.state import (
    HOME_LABEL,
    HTTP_PORT,
    LABEL,
    LOOPBACK,
    SSH_PORT,
    DevPaths,
    DevState,
    checked_project,
    container_name,
    dev_home,
    free_port,
    local_url,
    parse_ports,
    projects_here,
)
from upkeep.dev.state import load as load_state
from upkeep.dev.state import save as save_state
from upkeep.envlocks import environment_lock
from upkeep.errors import LabError, RunFailed, UpkeepError, UsageError
from upkeep.inventory import Environment, Project, load_project
from upkeep.inventory.pins import Pins, load_pins
from upkeep.lab import engine, image
from upkeep.lab.lab import ssh_open
from upkeep.locks import Lock
from upkeep.pipeline import Pipeline, Step
from upkeep.progress import Tick
from upkeep.refresh.workflow import refresh
from upkeep.runner import OpStatus, Runner, Target
from upkeep.ssh import ssh_options
from upkeep.versions import PhpBuild
from upkeep.workspace import Workspace

Say = Callable[[str], None]


def up_pipeline() -> Pipeline[_Up]:
    """``dev up`` as the list of its steps."""
    return Pipeline(
        "dev up",
        # The local environment's lock lives in its container: what finds or makes the
        # container comes before the lock, as checks (the first one alone changes nothing).
        checks=(Step("check", _check), Step("image", _image), Step("container", _container)),
        steps=(Step("provision", _provision), Step("database", _seed), Step("answer", _answer)),
        locked=True,
    )


@dataclass(frozen=True)
class SeedSummary:
    """What the database went through on its way from production; counts only."""

    rows: int
    tables: int
    values_sanitized: int
    urls_rewritten: int
    truncated: tuple[str, ...]
    addresses_checked: int
    seconds: float


@dataclass(frozen=True)
class DevUpResult:
    project: str
    url: str
    http_port: int
    ssh_port: int
    container: str
    working_copy: str
    mount: str
    php_build: str  # production's pin, which the container runs
    php_served: str  # what the health page says
    commit: str  # production's, for reference: the container runs the working copy
    created: bool
    changed: int  # operations that changed something on the container
    changed_operations: tuple[str, ...]  # their names
    seeded_at: str | None
    seed: SeedSummary | None = None  # set when this run seeded the database
    actions: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def changed_nothing(self) -> bool:
        return not self.created and not self.changed and self.seed is None and not self.actions

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": LOCAL,
            **asdict(self),
            "changed_nothing": self.changed_nothing,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class _Up:
    """What the steps of ``up`` share while they run."""

    workspace: Workspace
    project: Project
    pins: Pins
    path: str | None
    say: Say
    tick: Tick
    paths: DevPaths = field(init=False)
    php_build: str = ""
    commit: str = ""
    working_copy: Path = field(init=False)
    state: DevState | None = None
    client: docker.DockerClient | None = None
    host_image: str = ""
    container: Container | None = None
    created: bool = False
    environment: Environment | None = None
    site: SiteState | None = None
    changed: list[str] = field(default_factory=list)
    seed: SeedSummary | None = None
    php_served: str = ""
    actions: list[str] = field(default_factory=list)

    def did(self, action: str | None) -> None:
        if action:
            self.actions.append(action)
            self.say(action)

    @property
    def current(self) -> DevState:
        assert self.state is not None
        return self.state


def up(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    path: str | None = None,
    *,
    say: Say = lambda _: None,
    tick: Tick = lambda _: None,
) -> DevUpResult:
    """Make (or find) the project's developer environment; what it is and what was done."""
    started = time.monotonic()
    run = _Up(workspace, project, pins, path, say, tick)
    job = up_pipeline()
    job.run(run, job.start(project.name), locks=lambda: [_lock(run)], say=say, raising=True)
    state = run.current
    return DevUpResult(
        project=project.name,
        url=state.url,
        http_port=state.http_port,
        ssh_port=state.ssh_port,
        container=state.container,
        working_copy=state.working_copy,
        mount=mount_path(project.name),
        php_build=run.php_build,
        php_served=run.php_served,
        commit=run.commit,
        created=run.created,
        changed=len(run.changed),
        changed_operations=tuple(run.changed),
        seeded_at=state.seeded_at,
        seed=run.seed,
        actions=tuple(run.actions),
        seconds=time.monotonic() - started,
    )


def _lock(run: _Up) -> Lock:
    """The local environment's lock, as every run that changes an environment takes one."""
    run.environment = _environment(run)
    return environment_lock(run.project.name, run.environment, f"dev up {run.project.name}")


def _check(run: _Up) -> str:
    """Everything that can be refused before anything changes (exit 2)."""
    run.php_build, run.commit = production_pins(run.project, run.pins)
    run.paths = DevPaths.of(run.project.name)
    run.state = load_state(run.paths)
    given: str | Path
    if run.path is not None:
        given = run.path
    elif run.state is not None:
        given = run.state.working_copy
    else:  # a working copy of upkeep's own, made once
        given, action = own_checkout(run.project, run.commit)
        run.did(action)
        run.say(f"working copy: {given}")
    run.working_copy = project_working_copy(run.project, given)
    if run.state and Path(run.state.working_copy) != run.working_copy:
        raise UsageError(
            f"{run.project.name}'s developer environment runs from {run.state.working_copy}; "
            f"`upkeep dev down {run.project.name}` first to use {run.working_copy}"
        )
    return f"production's PHP {run.php_build}, working copy {run.working_copy}"


def _image(run: _Up) -> str:
    run.client = engine.connect(dev_home())
    base, action = image.ensure_base(run.client, run.say)
    run.did(action)
    run.host_image, action = image.ensure_host_image(run.client, base, run.say)
    run.did(action)
    return run.host_image


def _container(run: _Up) -> str:
    assert run.client is not None
    for action in run.paths.ensure_keys():
        run.did(action)
    run.paths.database_password()  # made once, before anything can need it
    home = dev_home()
    name = container_name(run.project.name)
    mount = mount_path(run.project.name)
    container = box.find(run.client, name)
    if container is not None:
        labels = container.labels or {}
        if labels.get(LABEL) != run.project.name or labels.get(HOME_LABEL) != str(home):
            raise LabError(
                f"a container named {name} exists and is not this developer environment's; "
                "remove it first"
            )
        mounted = box.mounted_working_copy(container, mount)
        if mounted is not None and Path(mounted) != run.working_copy:
            raise UsageError(
                f"{name} runs the working copy {mounted}; "
                f"`upkeep dev down {run.project.name}` first to use {run.working_copy}"
            )
        run.did(box.ensure_running(container, run.say))
    else:
        http_port, ssh_port = _ports_for(run.state)
        spec = box.ContainerSpec(
            name,
            run.project.name,
            home,
            run.host_image,
            run.working_copy,
            mount,
            http_port,
            ssh_port,
        )
        run.say(f"starting {name} from {run.host_image}")
        container = box.create(run.client, spec, run.paths)
        run.created = True
        run.did(f"started {name}: the working copy {run.working_copy} mounted at {mount}")
    ports = parse_ports((container.attrs.get("NetworkSettings") or {}).get("Ports"))
    if HTTP_PORT not in ports or SSH_PORT not in ports:
        raise LabError(
            f"{name} has no ports {HTTP_PORT} and {SSH_PORT} published on {LOOPBACK} "
            f"(it has {ports or 'none'}): `upkeep dev down {run.project.name}` and up again"
        )
    before = run.state
    run.state = DevState(
        project=run.project.name,
        container=name,
        working_copy=str(run.working_copy),
        http_port=ports[HTTP_PORT],
        ssh_port=ports[SSH_PORT],
        container_id=container.id,
        seeded_container=before.seeded_container if before else None,
        seeded_at=before.seeded_at if before else None,
        seeded_url=before.seeded_url if before else None,
    )
    if run.state != before:
        save_state(run.paths, run.state)
    if run.paths.write_known_hosts(run.state.ssh_port) and before is not None:
        run.did(f"{name}: SSH now on port {run.state.ssh_port}")
    run.container = container
    box.wait_until_booted(container, run.state.ssh_port)
    return f"{name} up: HTTP on {run.state.http_port}, SSH on {run.state.ssh_port}"


def _ports_for(previous: DevState | None) -> tuple[int, int]:
    """The earlier ports when they are free (the database's URLs hold the HTTP one), else new."""
    if previous is not None and not any(
        _listening(port) for port in (previous.http_port, previous.ssh_port)
    ):
        return previous.http_port, previous.ssh_port
    http_port = free_port()
    ssh_port = free_port()
    while ssh_port == http_port:
        ssh_port = free_port()
    return http_port, ssh_port


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((LOOPBACK, port)) == 0


def _environment(run: _Up) -> Environment:
    return local_environment(run.project, run.current.ssh_port, run.paths)


def _site(run: _Up) -> SiteState:
    environment = _environment(run)
    return local_site(
        run.project,
        environment,
        run.php_build,
        run.paths.database_password(),
        run.current.http_port,
    )


def _provision(run: _Up) -> str:
    run.environment = _environment(run)
    run.site = _site(run)
    host = run.environment.hosts[0]
    with Runner([Target(LOCAL, host)], progress=run.tick) as runner:
        result = runner.run_deploy(dev_site, run.site, run.current.url)
    if not result.ok:
        failed = result.failed[0] if result.failed else None
        detail = f"{failed.operation}: {failed.output[-500:]}" if failed else "unreachable"
        raise RunFailed(
            f"provisioning {run.project.name} {LOCAL} failed — {detail} "
            f"(the container stays for a look: upkeep dev shell {run.project.name})"
        )
    run.changed = [op.operation for op in result.ops if op.status is OpStatus.CHANGED]
    return f"{result.changed} operations changed something, PHP {run.php_build}"


def _seed(run: _Up) -> str:
    """Production's database, sanitized and with the local URL, once per container."""
    state = run.current
    if state.seeded:
        return f"seeded {state.seeded_at}; kept as it is"
    assert run.environment is not None
    report = refresh(
        run.workspace,
        run.project,
        run.pins,
        source="production",
        target=LOCAL,
        db_only=True,
        target_environment=run.environment,
        target_url=state.url,
        say=run.say,
        tick=run.tick,
    )
    data = report.data
    run.seed = SeedSummary(
        rows=data.rows,
        tables=data.tables,
        values_sanitized=data.values_sanitized,
        urls_rewritten=data.urls_rewritten,
        truncated=data.truncated,
        addresses_checked=data.addresses_checked,
        seconds=round(sum(step.seconds or 0 for step in report.steps), 2),
    )
    run.state = state.with_changes(
        seeded_container=state.container_id,
        seeded_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        seeded_url=state.url,
    )
    save_state(run.paths, run.state)
    run.did(f"database seeded from production, sanitized, URLs → {state.url}")
    return f"{run.seed.rows} rows in {run.seed.tables} tables, sanitized"


def _answer(run: _Up) -> str:
    """The health page through the published port, on production's PHP build."""
    state = run.current
    path = run.project.app.health_path
    status, body = http_get(state.http_port, path)
    try:
        health = json.loads(body)
    except ValueError:
        health = None
    if status != 200 or not isinstance(health, dict):
        raise RunFailed(f"{state.url}{path} answered {status}: {credentials.redact(body[:200])!r}")
    run.php_served = str(health.get("php_version") or "")
    expected = str(PhpBuild.parse(run.php_build).upstream)
    if run.php_served != expected:
        raise RunFailed(
            f"{state.url}{path} runs PHP {run.php_served}, production's pin is {run.php_build}"
        )
    return f"{state.url}{path} on PHP {run.php_served}"


def http_get(port: int, path: str, timeout: float = 20) -> tuple[int, str]:
    """GET ``path`` from the container's published HTTP port, as a browser at
    ``http://localhost:<port>`` would ask."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": f"localhost:{port}"})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except OSError as error:
        raise RunFailed(f"{local_url(port)}{path} did not answer: {error}") from None
    finally:
        connection.close()


# -- status -------------------------------------------------------------------
@dataclass(frozen=True)
class DevStatus:
    project: str
    container: str
    state: str  # the engine's word (running, exited, ...), or missing
    url: str | None
    working_copy: str | None
    php_build: str | None  # what the container has installed
    production_pin: str | None
    mails: int | None  # captured messages
    seeded_at: str | None

    @property
    def php_matches(self) -> bool | None:
        if self.php_build is None or self.production_pin is None:
            return None
        return self.php_build == self.production_pin

    def to_dict(self) -> dict[str, Any]:
        return {"environment": LOCAL, **asdict(self), "php_matches": self.php_matches}


def status(workspace: Workspace, project_name: str | None = None) -> tuple[DevStatus, ...]:
    """The developer environments of this machine (this state home), or one project's."""
    home = dev_home()
    if project_name is not None:
        load_project(workspace, checked_project(project_name))  # unknown: exit 2
    client = engine.connect(home)
    containers = {
        (c.labels or {}).get(LABEL, ""): c for c in box.listed(client, home, project_name)
    }
    names = sorted(
        set(containers) | set(projects_here() if project_name is None else [project_name])
    )
    found = []
    for name in names:
        if not name:
            continue
        state = load_state(DevPaths.of(name))
        if state is None and name not in containers:
            continue
        found.append(_status_of(workspace, name, state, containers.get(name)))
    return tuple(found)


def _status_of(
    workspace: Workspace, name: str, state: DevState | None, container: Container | None
) -> DevStatus:
    line, pin = None, None
    try:
        project = load_project(workspace, name)
        line = project.php.line
        pin = load_pins(workspace, project.name).get("production").php_build
    except UpkeepError:
        pass  # the project left the inventory: its environment is still listed, to remove
    if container is None:
        return DevStatus(
            name,
            state.container if state else "-",
            "missing",
            None,
            state.working_copy if state else None,
            None,
            pin,
            None,
            state.seeded_at if state else None,
        )
    running = box.alive(container)
    ports = parse_ports((container.attrs.get("NetworkSettings") or {}).get("Ports"))
    php_build = mails = None
    if running:
        if line is not None:
            code, out = box.exec_text(
                container, f"dpkg-query -W -f '${{Version}}' php{shlex.quote(line)}-fpm"
            )
            php_build = out.strip() if code == 0 and out.strip() else None
        code, out = box.exec_text(
            container, f"find {MAIL_DIR} -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l"
        )
        mails = int(out.strip()) if code == 0 and out.strip().isdigit() else None
    engine_state = container.status or "unknown"
    if not running and engine_state == "running":
        engine_state = "stopped"  # Podman's record says running; its processes are gone
    return DevStatus(
        project=name,
        container=container.name or "",
        state=engine_state,
        url=local_url(ports[HTTP_PORT]) if HTTP_PORT in ports else None,
        working_copy=state.working_copy if state else None,
        php_build=php_build,
        production_pin=pin,
        mails=mails,
        seeded_at=state.seeded_at if state else None,
    )


# -- shell ----------------------------------------------------------------------
def shell_argv(
    workspace: Workspace, project_name: str, command: Sequence[str], tty: bool
) -> list[str]:
    """ssh into the container as the site's user, at the working copy, with the app's
    settings in the environment: an interactive shell, or ``command``."""
    project = load_project(workspace, checked_project(project_name))
    paths = DevPaths.of(project.name)
    state = load_state(paths)
    if state is None:
        raise UsageError(
            f"{project.name} has no developer environment here: `upkeep dev up {project.name}`"
        )
    environment = local_environment(project, state.ssh_port, paths)
    site = local_site(project, environment, "", "")
    rc = shell_rc_path(site)
    sudo = f"sudo -H -u {shlex.quote(site.app_user)} bash"
    if command:
        script = f'. {shlex.quote(rc)} && exec "$@"'
        words = " ".join(shlex.quote(part) for part in command)
        remote = f"{sudo} -c {shlex.quote(script)} upkeep-dev-shell {words}"
    else:
        remote = f"exec {sudo} --rcfile {shlex.quote(rc)} -i"
    host = environment.hosts[0]
    return [*ssh_options(host), "-t" if tty else "-T", f"{host.user}@{host.address}", remote]


# -- down -----------------------------------------------------------------------
@dataclass(frozen=True)
class DevDownResult:
    project: str
    removed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def down(workspace: Workspace, project_name: str, say: Say = lambda _: None) -> DevDownResult:
    """Remove the project's container (and anything with its labels) and its state."""
    name = checked_project(project_name)
    paths = DevPaths.of(name)
    if not paths.state_file.is_file():
        # Nothing of it here: an unknown project is a mistake (exit 2), not "nothing to do".
        load_project(workspace, name)
    home = dev_home()
    removed = box.remove(engine.connect(home), home, name)
    if paths.remove():
        removed.append(f"removed {paths.root}")
    for line in removed:
        say(line)
    return DevDownResult(name, tuple(removed))


# -- drift ----------------------------------------------------------------------
@dataclass(frozen=True)
class LocalForDrift:
    """The local environment as drift compares it, when one runs on this machine."""

    environment: Environment
    site: SiteState
    extra_files: dict[str, str]  # what only the local environment has, by remote path
    deliberate: frozenset[str]  # aspects meant to differ from production
    commit: str | None  # the working copy's HEAD, for the side-by-side table


def local_for_drift(project: Project, pins: Pins) -> tuple[LocalForDrift | None, str | None]:
    """The local environment to compare, or None and why it is left out (None: no
    developer environment of this project on this machine, nothing to say)."""
    paths = DevPaths.of(project.name)
    try:
        state = load_state(paths)
    except UsageError as error:
        return None, f"{LOCAL}: {error}"
    if state is None:
        return None, None
    try:
        php_build, _ = production_pins(project, pins)
    except UsageError:
        return None, f"{LOCAL}: production has no pins to compare the developer environment with"
    if not ssh_open(LOOPBACK, state.ssh_port):
        return None, (
            f"{LOCAL}: the developer environment is not running "
            f"(upkeep dev up {project.name}; upkeep dev down {project.name} to forget it)"
        )
    environment = local_environment(project, state.ssh_port, paths)
    site = local_site(project, environment, php_build, paths.database_password(), state.http_port)
    found = LocalForDrift(
        environment, site, local_files(site), DELIBERATE, working_copy_commit(state.working_copy)
    )
    return found, None


def working_copy_commit(path: str) -> str | None:
    try:
        return git.Repo(path).head.commit.hexsha
    except (git.GitError, ValueError, OSError):
        return None
