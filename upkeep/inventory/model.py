"""The inventory model: what exists, as frozen values.

One ``Project`` per ``inventories/<project>.yml``. Models mirror the YAML key
for key (unknown keys are errors); every identifier that reaches a shell, SQL
or nginx is checked by ``upkeep.inventory.identifiers`` on the way in.
Relative paths are resolved against the inventory file's directory, which the
loader passes as validation context ``{"base_dir": Path}``.

    >>> from pathlib import Path
    >>> from upkeep.inventory import load_file
    >>> project = load_file(Path("inventories/demo.yml"))  # doctest: +SKIP
    >>> project.environment("staging").hosts[0].address  # doctest: +SKIP
    '10.89.77.12'
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    PrivateAttr,
    Strict,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

from upkeep.credentials import SecretRef
from upkeep.errors import UsageError
from upkeep.inventory import identifiers as ids
from upkeep.inventory.alerts import Alerts
from upkeep.inventory.base import Model
from upkeep.inventory.care import Care
from upkeep.inventory.checks import Checks
from upkeep.inventory.files import SERVERS_FILE
from upkeep.inventory.maintenance import MaintenanceWindow
from upkeep.inventory.notify import Notify
from upkeep.inventory.sla import SlaPolicy


class EnvName(StrEnum):
    """The environments a project may have, in promotion order."""

    dev = "dev"
    staging = "staging"
    production = "production"


K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V], Generic[K, V]):
    """A read-only mapping that still copies and pickles (MappingProxyType does not).

    >>> FrozenMap({"a": 1})["a"]
    1
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __eq__(self, other: object) -> bool:
        return dict(self._data) == other if isinstance(other, Mapping) else NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))


def _base_dir(info: ValidationInfo) -> Path | None:
    context = info.context if isinstance(info.context, dict) else {}
    base = context.get("base_dir")
    return base if isinstance(base, Path) else None


def _local_path(value: Any, info: ValidationInfo) -> Path | None:
    """A path on the operator's machine: ~ expanded, relative to the inventory."""
    if value is None or isinstance(value, Path):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a file path, got {type(value).__name__}")
    return _resolve(Path(ids.local_path(value)), info)


def _resolve(path: Path, info: ValidationInfo) -> Path:
    """~ expanded, relative to the inventory's directory, ``..`` folded (no symlinks followed)."""
    path = path.expanduser()
    base = _base_dir(info)
    if base is not None and not path.is_absolute():
        path = base / path
    return Path(os.path.normpath(path)) if path.is_absolute() else path


def _ini_text(value: Any) -> Any:
    """php.ini takes text; YAML gives bools and numbers, rendered the way PHP reads them."""
    if isinstance(value, bool):
        return "On" if value else "Off"
    if isinstance(value, int | float) and value == value and abs(value) != float("inf"):
        return str(value)
    if value is None:
        raise ValueError('no value given (write "" for an empty one)')
    if isinstance(value, list | dict):
        raise ValueError("expected one value, not a list or mapping")
    return value


ProjectName = Annotated[str, AfterValidator(ids.project_name)]
DbName = Annotated[str, AfterValidator(ids.db_name)]
DbUser = Annotated[str, AfterValidator(ids.db_user)]
HostName = Annotated[str, AfterValidator(ids.host_name)]
Address = Annotated[str, AfterValidator(ids.address)]
SshUser = Annotated[str, AfterValidator(ids.ssh_user)]
Domain = Annotated[str, AfterValidator(ids.domain)]
GitRef = Annotated[str, AfterValidator(ids.git_ref)]
PhpLine = Annotated[str, AfterValidator(ids.php_line)]
PhpExtension = Annotated[str, AfterValidator(ids.php_extension)]
IniKey = Annotated[str, AfterValidator(ids.ini_key)]
IniValue = Annotated[str, BeforeValidator(_ini_text), AfterValidator(ids.ini_value)]
RelativePath = Annotated[str, AfterValidator(ids.relative_path)]
DocRoot = Annotated[str, AfterValidator(lambda v: ids.relative_path(v, allow_dot=True))]
HealthPath = Annotated[str, AfterValidator(ids.health_path)]
LocalPath = Annotated[Path | None, BeforeValidator(_local_path)]
Port = Annotated[int, Strict(), Field(ge=1, le=65535)]
TablePattern = Annotated[str, AfterValidator(ids.table_pattern)]
ColumnName = Annotated[str, AfterValidator(ids.column_name)]
TablePrefix = Annotated[str, AfterValidator(ids.table_prefix)]
MatchValue = Annotated[str, AfterValidator(ids.match_value)]
ExcludePattern = Annotated[str, AfterValidator(ids.exclude_pattern)]
LabelKey = Annotated[str, AfterValidator(ids.label_key)]
LabelValue = Annotated[str, AfterValidator(ids.label_value)]
# Free labels (role: web, client: acme) on servers and projects, for selectors.
Labels = Annotated[
    Mapping[LabelKey, LabelValue], AfterValidator(lambda v: FrozenMap(v)), PlainSerializer(dict)
]


class App(Model):
    kind: Literal["generic", "wordpress", "laravel", "symfony"]
    repository: str  # a git URL, or an absolute local path once loaded
    docroot: DocRoot = "public"
    health_path: HealthPath = "/health.php"
    keep_releases: Annotated[int, Strict(), Field(ge=1, le=50)] = 5
    # Run in each new release as the site user before it goes live (migrations, caches).
    commands: tuple[Annotated[str, AfterValidator(ids.release_command)], ...] = ()

    @field_validator("repository")
    @classmethod
    def _resolve_repository(cls, value: str, info: ValidationInfo) -> str:
        ids.repository(value)
        if is_git_url(value):
            return value
        return str(_resolve(Path(value), info))

    @property
    def repository_is_local(self) -> bool:
        return not is_git_url(self.repository)


def is_git_url(value: str) -> bool:
    """Whether git reads ``value`` as a URL (``scheme://`` or scp-like ``host:path``).

    >>> is_git_url("git@github.com:acme/site.git"), is_git_url("~/src/site")
    (True, False)
    """
    if "://" in value:
        return True
    colon = value.find(":")
    # git's own rule: a colon before any slash makes it host:path.
    return colon > 0 and "/" not in value[:colon]


class Php(Model):
    line: PhpLine
    extensions: tuple[PhpExtension, ...] = ()
    ini: Mapping[IniKey, IniValue] = Field(default_factory=dict, validate_default=True)

    @field_validator("extensions")
    @classmethod
    def _no_repeats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise ValueError(f"listed more than once: {', '.join(repeated)} (keep one of each)")
        return value

    @field_validator("ini")
    @classmethod
    def _read_only(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        return FrozenMap(value)

    @field_serializer("ini")
    def _as_dict(self, value: Mapping[str, str]) -> dict[str, str]:
        return dict(value)


class Database(Model):
    engine: Literal["mariadb"] = "mariadb"
    name: DbName
    user: DbUser
    password: SecretRef
    dump_user: DbUser
    dump_password: SecretRef


class EnvironmentDatabase(Model):
    """An environment's own database, where it differs from the project's.

    Needed where two environments share a host: each then keeps its own
    database and users, and shares nothing but the server's daemons.

    >>> EnvironmentDatabase(name="demo_staging").name
    'demo_staging'
    """

    name: DbName | None = None
    user: DbUser | None = None
    password: SecretRef | None = None
    dump_user: DbUser | None = None
    dump_password: SecretRef | None = None


class Backups(Model):
    """How many backups of each kind stay on a host, per site (refresh, update)."""

    keep: Annotated[int, Strict(), Field(ge=1, le=100)] = 3


class Connection(Model):
    """How upkeep reaches a server over SSH: a Host adds its name, a declared Server
    (upkeep.inventory.servers) its labels."""

    address: Address
    port: Port = 22
    user: SshUser = "upkeep"
    key: LocalPath = None
    known_hosts: LocalPath = None
    sudo: Annotated[bool, Strict()] = True


class Host(Connection):
    name: HostName


def _named_server(value: Any, info: ValidationInfo) -> Any:
    """A host given by name is the server of that name in servers.yml, as a Host.

    The loader passes the declared servers as validation context ``{"servers":
    {name: Host, or None where its entry has problems}}``.
    """
    if not isinstance(value, str):
        return value
    context = info.context if isinstance(info.context, dict) else {}
    servers = context.get("servers") or {}
    if value not in servers:
        known = ", ".join(sorted(servers)[:10]) or "none declared"
        raise ValueError(
            f"unknown server {value!r:.60} (declare it in {SERVERS_FILE} beside the projects, "
            "or write the host "
            f"inline as name/address; known servers: {known})"
        )
    if servers[value] is None:
        raise ValueError(f"server {value!r} has problems in {SERVERS_FILE} (fix them there)")
    return servers[value]


# A host written inline (name, address, ...) or a declared server's name.
HostOrServer = Annotated[Host, BeforeValidator(_named_server)]


class SanitizeKind(StrEnum):
    """What a refresh writes into a column instead of production's value."""

    fake_email = "fake_email"  # user-<keyed hash>@example.invalid: unique per address
    fake_name = "fake_name"  # "First Last" from a built-in list, the same for the same input
    fake_first_name = "fake_first_name"
    fake_last_name = "fake_last_name"
    fixed = "fixed"  # {fixed: VALUE}
    null = "null"
    hash = "hash"  # a keyed hash (per-refresh secret) of the value, never the value
    keep = "keep"  # leave as it is (e.g. to override a preset)


_ACTION_WORDS = [kind.value for kind in SanitizeKind if kind is not SanitizeKind.fixed]


class SanitizeAction(Model):
    """One column's action, written ``fake_email`` or ``{fixed: "1 Example Street"}``.

    >>> SanitizeAction.model_validate({"fixed": 0}).value
    '0'
    """

    kind: SanitizeKind
    value: str | None = None  # the fixed value

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        if isinstance(data, SanitizeAction):
            return data
        choices = f"use {', '.join(_ACTION_WORDS)} or {{fixed: VALUE}}"
        if data is None:  # `email: null` is YAML's null: read as the action it names
            return {"kind": SanitizeKind.null}
        if isinstance(data, str):
            if data == "fixed":
                raise ValueError('fixed needs its value (write {fixed: "VALUE"})')
            if data not in _ACTION_WORDS:
                close = difflib.get_close_matches(data, _ACTION_WORDS, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else choices
                raise ValueError(f"{data[:60]!r} is not a sanitize action ({hint})")
            return {"kind": data}
        if isinstance(data, dict) and list(data) == ["fixed"]:
            value = data["fixed"]
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValueError(
                    "a fixed value must be text or a number (write null as the action to "
                    'store NULL, or quote it: {fixed: "..."})'
                )
            text = str(value)
            if len(text) > 1000:
                raise ValueError("a fixed value longer than 1000 characters (shorten it)")
            return {"kind": SanitizeKind.fixed, "value": text}
        if isinstance(data, dict):
            given = ", ".join(map(str, data)) or "nothing"
            raise ValueError(f"expected {{fixed: VALUE}}, got a mapping of {given}")
        raise ValueError(f"expected an action ({choices}), got {_what(data)}")

    @model_serializer
    def _as_yaml(self) -> str | dict[str, str | None]:
        return {"fixed": self.value} if self.kind is SanitizeKind.fixed else self.kind.value


def _what(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {str(value)[:60]!r}"


def _one_or_more(value: Any) -> Any:
    """``meta_key: first_name`` reads as ``meta_key: [first_name]``."""
    return [value] if isinstance(value, str) else value


ColumnActions = Annotated[Mapping[ColumnName, SanitizeAction], Field(min_length=1)]
MatchValues = Annotated[tuple[MatchValue, ...], BeforeValidator(_one_or_more), Field(min_length=1)]


def _frozen(value: Mapping[Any, Any]) -> FrozenMap[Any, Any]:
    return FrozenMap({k: _frozen(v) if isinstance(v, Mapping) else v for k, v in value.items()})


class SanitizeRows(Model):
    """Rows of ``table`` whose ``where`` columns hold one of the values get ``set``.

    For key/value tables (WordPress usermeta): ``where: {meta_key: [billing_*]}``
    and ``set: {meta_value: {fixed: ""}}``. Values may be fnmatch patterns.
    """

    table: TablePattern
    where: Annotated[Mapping[ColumnName, MatchValues], Field(min_length=1)]
    set: Annotated[Mapping[ColumnName, SanitizeAction], Field(min_length=1)]

    @field_validator("where", "set")
    @classmethod
    def _read_only(cls, value: Mapping[str, Any]) -> Mapping[str, Any]:
        return _frozen(value)

    @field_serializer("where", "set")
    def _as_dict(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}


class Sanitize(Model):
    """What a refresh scrubs from production's data on its way to staging or dev.

    Empty by default: an inventory without the section refreshes unchanged data
    (URLs are still rewritten). Rule order: a preset's rules, then these; a
    later rule for the same column wins, an exact table name over a pattern.

    >>> Sanitize.model_validate({"tables": {"users": {"email": "fake_email"}}}).tables["users"]
    FrozenMap({'email': SanitizeAction(kind=<SanitizeKind.fake_email: 'fake_email'>, value=None)})
    """

    preset: Literal["wordpress", "demo"] | None = None
    table_prefix: TablePrefix = "wp_"  # for the wordpress preset, as in wp-config.php
    tables: Mapping[TablePattern, ColumnActions] = Field(
        default_factory=dict, validate_default=True
    )
    rows: tuple[SanitizeRows, ...] = ()
    truncate: tuple[TablePattern, ...] = ()
    exclude_files: tuple[ExcludePattern, ...] = ()  # rsync excludes for the shared files

    @field_validator("tables")
    @classmethod
    def _read_only(cls, value: Mapping[str, Any]) -> Mapping[str, Any]:
        return _frozen(value)

    @field_serializer("tables")
    def _as_dict(self, value: Mapping[str, Mapping[str, SanitizeAction]]) -> dict[str, Any]:
        return {table: dict(columns) for table, columns in value.items()}


class Environment(Model):
    domain: Domain
    tls: Literal["lab", "acme", "manual", "none"]
    ref: GitRef = "main"
    hosts: Annotated[tuple[HostOrServer, ...], Field(min_length=1)]
    database: EnvironmentDatabase | None = None  # the project's database, unless set here
    # Changes the project's checks for this environment only (by name, as the
    # project's list changes the defaults; see upkeep.inventory.checks).
    checks: Checks = ()

    # The name is the key under `environments:`, not a YAML field; Project sets it.
    _name: EnvName | None = PrivateAttr(default=None)

    @property
    def name(self) -> EnvName:
        if self._name is None:
            raise RuntimeError("this Environment was not loaded as part of a Project")
        return self._name


class Project(Model):
    """One project: its app, PHP, database and environments."""

    name: ProjectName = Field(alias="project")
    app: App
    php: Php
    database: Database
    labels: Labels = FrozenMap({})  # client: acme, tier: gold: what selectors match on
    shared_paths: tuple[RelativePath, ...] = ()
    environments: Mapping[EnvName, Environment]
    sanitize: Sanitize = Sanitize()  # what a refresh scrubs from production data
    backups: Backups = Backups()  # the newest `keep` of each kind stay; older ones go
    # Monitoring: what `upkeep check` watches (on top of the defaults), the SLA
    # its reports measure, who hears of incidents and when they stay quiet.
    checks: Checks = ()
    sla: SlaPolicy | None = None
    notify: Notify = Notify()
    alerts: Alerts = Alerts()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    # What the client bought (a plan in plans.yml), since when, and who they are.
    care: Care | None = None

    _source: Path | None = PrivateAttr(default=None)
    _sla_from_plan: bool = PrivateAttr(default=False)

    @property
    def sla_from_plan(self) -> bool:
        """The SLA is the care plan's policy (the project wrote no ``sla:`` of its own)."""
        return self._sla_from_plan

    @field_validator("environments")
    @classmethod
    def _production_and_order(
        cls, value: Mapping[EnvName, Environment]
    ) -> Mapping[EnvName, Environment]:
        if EnvName.production not in value:
            raise ValueError("no production environment (add environments.production)")
        ordered = {name: value[name] for name in EnvName if name in value}
        return FrozenMap(ordered)

    @field_serializer("environments")
    def _as_dict(self, value: Mapping[EnvName, Environment]) -> dict[str, Any]:
        return {str(name): environment.model_dump() for name, environment in value.items()}

    @model_validator(mode="after")
    def _attach(self, info: ValidationInfo) -> Project:
        for name, environment in self.environments.items():
            environment._name = name
        self._one_name_per_host()
        context = info.context if isinstance(info.context, dict) else {}
        if self.sla is None and self.care is not None:  # the plan's policy, written once
            object.__setattr__(self, "sla", self.care.policy(context.get("sla_policies") or {}))
            self._sla_from_plan = self.sla is not None
        source = context.get("source")
        if isinstance(source, Path):
            self._source = source
        return self

    def _one_name_per_host(self) -> None:
        """A server named by several environments (staging beside production) is one host of
        each, so within a run each gets a name of its own: ``<server>.<environment>``."""
        seen: dict[str, int] = {}
        for environment in self.environments.values():
            for host in set(h.name for h in environment.hosts):
                seen[host] = seen.get(host, 0) + 1
        for name, environment in self.environments.items():
            if any(seen[host.name] > 1 for host in environment.hosts):
                hosts = tuple(
                    host.model_copy(update={"name": f"{host.name}.{name}"})
                    if seen[host.name] > 1
                    else host
                    for host in environment.hosts
                )
                object.__setattr__(environment, "hosts", hosts)  # frozen: set once, at load

    @property
    def source(self) -> Path:
        """The inventory file this project was loaded from."""
        if self._source is None:
            raise RuntimeError("this Project was not loaded from a file")
        return self._source

    def environment(self, name: str) -> Environment:
        """The environment called ``name``, or a UsageError naming the ones there are."""
        for env_name, environment in self.environments.items():
            if env_name == name:
                return environment
        known = ", ".join(self.environments)
        raise UsageError(f"project {self.name} has no environment {name!r} (it has: {known})")

    def database_of(self, environment: str) -> Database:
        """The database ``environment`` uses: the project's, with the environment's own keys."""
        own = self.environment(environment).database
        if own is None:
            return self.database
        changes = {key: value for key, value in own if value is not None}
        return self.database.model_copy(update=changes)

    def shared_addresses(self, first: str, second: str) -> tuple[str, ...]:
        """The hosts (address:port) both environments run on: their PHP build is shared."""
        if first == second:
            return ()
        theirs = {(host.address, host.port) for host in self.environment(second).hosts}
        return tuple(
            f"{h.address}:{h.port}"
            for h in self.environment(first).hosts
            if (h.address, h.port) in theirs
        )

    def shared_builds(self) -> list[str]:
        """One line per pair of environments on one host: they run that host's PHP build."""
        names = list(self.environments)
        return [
            f"{self.name}: {first} and {second} share host {', '.join(shared)} and so its PHP "
            f"build; `update minor` asks for --shared-host (staging is then no separate trial)"
            for index, first in enumerate(names)
            for second in names[index + 1 :]
            if (shared := self.shared_addresses(first, second))
        ]

    def hosts(self) -> Iterator[tuple[EnvName, Host]]:
        """Every host of the project with its environment, dev first."""
        for name, environment in self.environments.items():
            for host in environment.hosts:
                yield name, host
