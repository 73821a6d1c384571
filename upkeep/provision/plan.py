"""From the inventory and the pins to a ``SiteState`` the tasks can apply.

The control side does what needs the control side: it resolves the release's
commit and packs it (gitpython), issues the lab certificate and reveals the
database secrets. Nothing here touches a host.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from upkeep import credentials
from upkeep.desired import Certificate, Release, SiteState
from upkeep.inventory import Environment, Project
from upkeep.inventory.pins import EnvPin
from upkeep.source import Source
from upkeep.tls import lab_certificate
from upkeep.workspace import Workspace, state_home


def site_url(environment: Environment) -> str:
    scheme = "http" if environment.tls == "none" else "https"
    return f"{scheme}://{environment.domain}"


def release_for(
    project: Project,
    environment: Environment,
    pin: EnvPin,
    workspace: Workspace,
    deploy_ref: str | None = None,
) -> Release:
    """The code to run: ``deploy_ref`` when deploying, else the pinned commit (or, on a
    first provision, the inventory's ref), packed."""
    ref = deploy_ref or pin.ref or environment.ref
    source = Source.open(project.app.repository, workspace.cache)
    commit = source.resolve(ref)
    return Release(
        commit=commit,
        ref=ref,
        archive=str(source.archive(commit)),
        keep_releases=project.app.keep_releases,
        commands=tuple(project.app.commands),
    )


@dataclass(frozen=True)
class DatabaseLogin:
    """The database a site uses and how its users log in (passwords revealed)."""

    name: str
    user: str
    password: str = field(repr=False)
    dump_user: str = ""  # none: no read-only dump user is made
    dump_password: str = field(default="", repr=False)

    @classmethod
    def of(cls, project: Project, environment_name: str) -> DatabaseLogin:
        """The inventory's, for one of its environments, its secrets revealed."""
        database = project.database_of(environment_name)
        return cls(
            name=database.name,
            user=database.user,
            password=credentials.reveal(database.password),
            dump_user=database.dump_user,
            dump_password=credentials.reveal(database.dump_password),
        )


def site_state(
    project: Project,
    environment: Environment,
    *,
    php_build: str,
    release: Release | None,
    login: DatabaseLogin | None = None,
) -> SiteState:
    """The desired state of ``environment``; its database login is the inventory's unless
    ``login`` is given (a developer environment makes its own)."""
    database = login or DatabaseLogin.of(project, str(environment.name))
    return SiteState(
        project=project.name,
        environment=str(environment.name),
        domain=environment.domain,
        tls=environment.tls,
        app_kind=project.app.kind,
        docroot=project.app.docroot,
        health_path=project.app.health_path,
        php_line=project.php.line,
        php_build=php_build,
        php_extensions=tuple(project.php.extensions),
        php_ini=tuple(sorted(project.php.ini.items())),
        db_name=database.name,
        db_user=database.user,
        db_password=database.password,
        dump_user=database.dump_user,
        dump_password=database.dump_password,
        shared_paths=tuple(project.shared_paths),
        release=release,
        certificate=_certificate(environment),
    )


def pinned_site(project_name: str, environment_name: str) -> tuple[SiteState, str]:
    """The desired state of an environment at its pins, for the plain pyinfra CLI."""
    from upkeep.errors import UsageError
    from upkeep.inventory import load_project
    from upkeep.inventory.pins import load_pins
    from upkeep.workspace import find_workspace

    workspace = find_workspace()
    project = load_project(workspace, project_name)
    environment = project.environment(environment_name)
    pin = load_pins(workspace, project.name).get(environment_name)
    if not pin.php_build:
        raise UsageError(
            f"{project.name} {environment_name} has no pins yet: run `upkeep provision` once"
        )
    release = release_for(project, environment, pin, workspace)
    state = site_state(project, environment, php_build=pin.php_build, release=release)
    return state, site_url(environment)


def _certificate(environment: Environment) -> Certificate | None:
    if environment.tls != "lab":
        return None  # acme and manual certificates are placed on the host, not by us
    issued = lab_certificate(environment.domain, state_home() / "lab")
    return Certificate(issued.certificate_pem.decode(), issued.key_pem.decode())
