"""The ``checks:`` section of an inventory: what to watch, per project and environment.

Every environment gets the default set (``default_checks``). The project's
``checks:`` list, then the environment's own ``checks:`` list, change it by
name: an entry with a new name adds a check, one with a default's name
replaces that check whole, and ``{name: X, enabled: false}`` switches X off.
Conditions are parsed when the inventory loads, so a typo fails ``upkeep
inventory check``, not the first night's run.

    >>> declared = CHECKS.validate_python([
    ...     {"name": "home", "kind": "http", "path": "/", "conditions": ["[STATUS] == 200"]},
    ...     {"name": "error_page", "enabled": False},
    ... ])
    >>> [c.name for c in effective(declared, (), health_path="/health.php", php_line="8.2")]
    ['health', 'certificate', 'php_build', 'services', 'disk', 'database', 'logs', 'home']

TLS tiers, in days left on the certificate: above ``notice`` all is well; at
or below it the check stays OK but says renewal is overdue (ACME clients renew
30 days ahead, so a certificate this close means renewal has not happened);
at or below ``warning`` WARNING; at or below ``critical`` CRITICAL. None of
these is downtime; an expired certificate is (browsers refuse the site).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    Strict,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from upkeep.inventory import identifiers as ids
from upkeep.inventory.base import Model
from upkeep.inventory.conditions import Condition, ConditionError, parse, parse_path
from upkeep.inventory.durations import parse_duration
from upkeep.inventory.priority import Priority
from upkeep.versions import InvalidBuild, PhpBuild

# Most severe first. The PHP ones are PHP's own words, nginx's "warn" is "warning".
Level = Literal[
    "emerg",
    "alert",
    "crit",
    "fatal",
    "parse",
    "error",
    "warning",
    "notice",
    "deprecated",
    "info",
    "debug",
]
LEVELS: tuple[Level, ...] = get_args(Level)
# What stops a request or the server: what the logs check reports by default.
FATAL: tuple[Level, ...] = ("fatal", "parse", "crit", "alert", "emerg")
Kind = Literal["http", "tls", "php_build", "services", "disk", "database", "logs", "error_page"]
KINDS: tuple[str, ...] = get_args(Kind)
# Our branded error page (templates/error-pages/page.html.j2) carries this; a
# raw PHP error, nginx's own page or a blank one does not.
DEFAULT_MARKER = '<div class="code">'

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
# systemd unit names as systemctl takes them: nothing a shell would read.
_UNIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._:-]{0,99}")
_ABSOLUTE = re.compile(r"/[A-Za-z0-9._/-]{0,255}")


def _quoted(value: str) -> str:
    return repr(value[:60])


_name = ids.pattern_rule(
    _NAME,
    "a check name (use 1-40 letters, digits, '_', '.' and '-', starting with a letter or digit)",
    show=_quoted,
)
# The app's health_path is one of these (upkeep.inventory.identifiers.health_path).
_url_path = ids.pattern_rule(ids.URL_PATH, ids.URL_PATH_RULE, show=_quoted)


def _interval(value: Any) -> Any:
    """``30s``, ``5m``, ``1h`` (or whole seconds) as whole seconds, between 10 s and a day."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected a duration like 5m, got {type(value).__name__}")
    seconds = value if isinstance(value, int) else parse_duration(value).total_seconds()
    if not 10 <= seconds <= 86400:
        raise ValueError(f"{value!r} is out of range (use between 10s and 1d)")
    return int(seconds)


def _condition(value: Any) -> Condition:
    if isinstance(value, Condition):
        return value
    try:
        return parse(value)
    except ConditionError as error:
        raise ValueError(str(error)) from None


def _url(value: str) -> str:
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError(f"{value[:60]!r} is not a URL (no spaces or control characters)")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value[:60]!r} is not an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("put no credentials in a check URL (it ends up in logs and reports)")
    return value


_unit = ids.pattern_rule(
    _UNIT, "a systemd unit name (letters, digits and @ . _ : - only)", show=_quoted
)


def _absolute(value: str) -> str:
    if not _ABSOLUTE.fullmatch(value) or ".." in value.split("/"):
        raise ValueError(
            f"{value[:60]!r} is not an absolute path (start with '/', use letters, digits "
            "and . _ / - only, no '..')"
        )
    return value


def _build(value: str) -> str:
    try:
        PhpBuild.parse(value)
    except InvalidBuild as error:
        raise ValueError(f"{error} (or a PHP version like 8.2.36)") from None
    return value


def _json_path(value: str) -> str:
    parse_path(value)  # raises ValueError with the value quoted
    return value


def _marker(value: str) -> str:
    if not value.strip() or "\n" in value or len(value) > 200:
        raise ValueError("the marker must be one line of 1-200 characters found in the page")
    return value


def _no_repeats(value: tuple[str, ...]) -> tuple[str, ...]:
    repeated = sorted({item for item in value if value.count(item) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)} (keep one of each)")
    return value


CheckName = Annotated[str, AfterValidator(_name)]
Interval = Annotated[int | None, BeforeValidator(_interval)]
ConditionText = Annotated[
    Condition, PlainValidator(_condition), PlainSerializer(str, return_type=str)
]
UrlPath = Annotated[str, AfterValidator(_url_path)]
Url = Annotated[str, AfterValidator(_url)]
Unit = Annotated[str, AfterValidator(_unit)]
AbsolutePath = Annotated[str, AfterValidator(_absolute)]
Days = Annotated[int, Strict(), Field(ge=1, le=365)]
Percent = Annotated[float, Field(gt=0, lt=100)]
Seconds = Annotated[float, Field(gt=0, le=120)]
Marker = Annotated[str, AfterValidator(_marker)]
Glob = Annotated[str, Field(min_length=1, max_length=200)]


class Check(Model):
    """What every kind of check has. A kind's defaults come with its class."""

    name: CheckName
    kind: str
    priority: Priority = Priority.P2
    interval: Interval = None  # a hint for schedulers, in seconds; None: every run
    enabled: Annotated[bool, Strict()] = True

    # Whether a failure of this kind is downtime for the SLA (a TLS check
    # decides per result: only an expired certificate is).
    affects_availability: ClassVar[bool] = True


class HttpCheck(Check):
    """A request on the environment's domain (``path``) or anywhere (``url``), judged by conditions."""

    kind: Literal["http"] = "http"
    priority: Priority = Priority.P1
    path: UrlPath | None = None
    url: Url | None = None
    conditions: Annotated[tuple[ConditionText, ...], Field(min_length=1)]
    timeout: Seconds = 10.0

    @model_validator(mode="after")
    def _path_or_url(self) -> HttpCheck:
        if (self.path is None) == (self.url is None):
            raise ValueError(
                "give either path: /... (on the environment's domain) or url: https://..., "
                "not both and not neither"
            )
        return self

    def url_for(self, domain: str, *, https: bool) -> str:
        """The URL to request in an environment served at ``domain``.

        >>> check = HttpCheck(name="home", path="/", conditions=["[STATUS] == 200"])
        >>> check.url_for("www.demo.lab", https=True)
        'https://www.demo.lab/'
        """
        if self.url is not None:
            return self.url
        return f"{'https' if https else 'http'}://{domain}{self.path}"


class Tiers(Model):
    notice: Days | None = 30
    warning: Days = 14
    critical: Days = 7

    @model_validator(mode="after")
    def _shrinking(self) -> Tiers:
        if self.critical >= self.warning:
            raise ValueError(
                f"critical ({self.critical} days) must be fewer days than warning "
                f"({self.warning} days)"
            )
        if self.notice is not None and self.notice < self.warning:
            raise ValueError(
                f"notice ({self.notice} days) must be at least warning ({self.warning} days)"
            )
        return self


class TlsCheck(Check):
    """Days left on the certificate the environment's domain serves, by tiers."""

    kind: Literal["tls"] = "tls"
    priority: Priority = Priority.P2
    tiers: Tiers = Tiers()
    affects_availability: ClassVar[bool] = False  # except when expired; see module docs


class PhpBuildCheck(Check):
    """The PHP build serving the site (a JSON field of a page) against the pin."""

    kind: Literal["php_build"] = "php_build"
    priority: Priority = Priority.P3
    path: UrlPath | None = None  # None: the app's health_path
    field: Annotated[str, AfterValidator(_json_path)] = "php_version"
    expected: Annotated[str, AfterValidator(_build)] | None = None  # None: the environment's pin
    affects_availability: ClassVar[bool] = False


class ServicesCheck(Check):
    """systemd units that must be active on every host of the environment."""

    kind: Literal["services"] = "services"
    priority: Priority = Priority.P1
    # None: nginx, php<line>-fpm and mariadb.
    units: Annotated[tuple[Unit, ...], Field(min_length=1), AfterValidator(_no_repeats)] | None = (
        None
    )


class DiskCheck(Check):
    """Free space on a filesystem of every host, in percent of its size."""

    kind: Literal["disk"] = "disk"
    priority: Priority = Priority.P2
    path: AbsolutePath = "/"
    warning: Percent = 10.0  # WARNING below this much free
    critical: Percent = 5.0
    affects_availability: ClassVar[bool] = False

    @model_validator(mode="after")
    def _shrinking(self) -> DiskCheck:
        if self.critical >= self.warning:
            raise ValueError(
                f"critical ({self.critical:g} % free) must be less than warning "
                f"({self.warning:g} % free)"
            )
        return self


class DatabaseCheck(Check):
    """The site's database answers its own user (from the inventory's database section)."""

    kind: Literal["database"] = "database"
    priority: Priority = Priority.P1


class LogsCheck(Check):
    """New entries of these levels in the PHP and nginx error logs since the last run."""

    kind: Literal["logs"] = "logs"
    priority: Priority = Priority.P3
    sources: Annotated[
        tuple[Literal["php", "nginx"], ...], Field(min_length=1), AfterValidator(_no_repeats)
    ] = ("php", "nginx")
    levels: Annotated[
        tuple[Level, ...],
        Field(min_length=1),
        AfterValidator(_no_repeats),
    ] = FATAL
    ignore: tuple[Glob, ...] = ()  # patterns (* and ?) of messages that are known noise
    status: Literal["warning", "critical"] = "warning"
    affects_availability: ClassVar[bool] = False


class ErrorPageCheck(Check):
    """A deliberate server error shows the branded page with a 5xx status."""

    kind: Literal["error_page"] = "error_page"
    priority: Priority = Priority.P4
    path: UrlPath | None = None  # None: the trigger upkeep provisions
    marker: Marker = DEFAULT_MARKER
    affects_availability: ClassVar[bool] = False


class Disabled(Model):
    """``{name: X, enabled: false}``: switches off the check called X."""

    name: CheckName
    enabled: Literal[False]
    kind: Kind | None = None


KIND_CLASSES: dict[str, type[Check]] = {
    "http": HttpCheck,
    "tls": TlsCheck,
    "php_build": PhpBuildCheck,
    "services": ServicesCheck,
    "disk": DiskCheck,
    "database": DatabaseCheck,
    "logs": LogsCheck,
    "error_page": ErrorPageCheck,
}
KIND_WORDS = ", ".join(KINDS)


def _error(loc: tuple[str | int, ...], message: str, value: Any) -> InitErrorDetails:
    # The message goes in the context, so braces in it are never read as a template.
    return InitErrorDetails(
        type=PydanticCustomError("value_error", "{message}", {"message": message}),
        loc=loc,
        input=value,
    )


def _entry(value: Any, info: ValidationInfo) -> Check | Disabled:
    """One list item, validated as the class its kind names, errors at the right keys."""
    if isinstance(value, Check | Disabled):
        return value
    if not isinstance(value, dict):
        raise ValueError(
            f"expected a check ('name:' and 'kind:' lines), got {type(value).__name__}"
        )
    cls: type[Check] | type[Disabled]
    kind = value.get("kind")
    if kind is None:
        if value.get("enabled") is not False:
            raise ValidationError.from_exception_data(
                "Check", [_error(("kind",), f"missing (add 'kind:', one of {KIND_WORDS})", value)]
            )
        cls, label = Disabled, "a switched-off check (write only name and enabled: false)"
    elif not isinstance(kind, str) or kind not in KIND_CLASSES:
        close = difflib.get_close_matches(str(kind), KINDS, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {KIND_WORDS}"
        message = f"{str(kind)[:40]!r} is not a kind of check ({hint})"
        raise ValidationError.from_exception_data("Check", [_error(("kind",), message, kind)])
    elif value.get("enabled") is False and set(value) <= set(Disabled.model_fields):
        # Switching a check off needs none of its kind's required fields.
        cls, label = Disabled, "a switched-off check"
    else:
        cls, label = KIND_CLASSES[kind], f"a {kind} check"
    known = [info_.alias or name for name, info_ in cls.model_fields.items()]
    # Unknown keys are reported here, with the kind's own keys as hints (the
    # inventory's generic wording would only know the base class), and
    # together with the other problems of the entry.
    problems = [
        _error((key,), f"unknown key for {label}{_suggest(str(key), known)}", value[key])
        for key in value
        if key not in known
    ]
    try:
        entry = cls.model_validate(
            {k: v for k, v in value.items() if k in known}, context=info.context
        )
    except ValidationError as error:
        problems += [_again(detail) for detail in error.errors(include_url=False)]
    else:
        if not problems:
            return entry
    raise ValidationError.from_exception_data("Check", problems)


def _again(detail: ErrorDetails) -> InitErrorDetails:
    """A reported error, to be raised once more beside others."""
    again = InitErrorDetails(type=detail["type"], loc=detail["loc"], input=detail["input"])
    if "ctx" in detail:
        again["ctx"] = detail["ctx"]
    return again


def _suggest(given: str, known: list[str]) -> str:
    close = difflib.get_close_matches(given, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(known)})"


def _dump(entry: Check | Disabled) -> dict[str, Any]:
    return entry.model_dump(mode="json")


def _unique_names(value: tuple[Check | Disabled, ...]) -> tuple[Check | Disabled, ...]:
    seen: dict[str, int] = {}
    for index, entry in enumerate(value):
        if entry.name in seen:
            raise ValueError(
                f"checks[{index}] repeats the name {entry.name!r} of checks[{seen[entry.name]}] "
                "(give each check its own name; to change a default, use its name once)"
            )
        seen[entry.name] = index
    return value


CheckEntry = Annotated[Check | Disabled, PlainValidator(_entry), PlainSerializer(_dump)]
# The type of a `checks:` section, in a project and in an environment.
Checks = Annotated[tuple[CheckEntry, ...], AfterValidator(_unique_names)]
# For validating a section on its own (tests, tools): CHECKS.validate_python([...]).
CHECKS: TypeAdapter[tuple[Check | Disabled, ...]] = TypeAdapter(Checks)


def default_checks(*, health_path: str, php_line: str) -> tuple[Check, ...]:
    """What every environment is watched for unless its inventory says otherwise.

    >>> [c.name for c in default_checks(health_path="/health.php", php_line="8.2")][:3]
    ['health', 'certificate', 'php_build']
    """
    return (
        HttpCheck(
            name="health",
            path=health_path,
            conditions=(parse("[STATUS] == 200"), parse("[BODY].status == ok")),
        ),
        TlsCheck(name="certificate"),
        PhpBuildCheck(name="php_build", path=health_path),
        ServicesCheck(name="services", units=_default_units(php_line)),
        DiskCheck(name="disk"),
        DatabaseCheck(name="database"),
        LogsCheck(name="logs"),
        ErrorPageCheck(name="error_page"),
    )


def _default_units(php_line: str) -> tuple[str, ...]:
    return ("nginx", f"php{php_line}-fpm", "mariadb")


def effective(
    project: Sequence[Check | Disabled],
    environment: Sequence[Check | Disabled],
    *,
    health_path: str,
    php_line: str,
    https: bool = True,
) -> tuple[Check, ...]:
    """The checks an environment runs: defaults, then the project's list, then its own.

    Later lists replace earlier checks by name; new names are appended in
    order; switched-off names are dropped. Fields left to the environment
    (php_build's path, services' units) are filled in. Without ``https`` the
    certificate check is dropped (there is no certificate to look at).
    """
    merged: dict[str, Check | Disabled] = {
        c.name: c for c in default_checks(health_path=health_path, php_line=php_line)
    }
    if not https:
        del merged["certificate"]
    for layer in (project, environment):
        for entry in layer:
            merged.pop(entry.name, None)  # a replaced check moves to where it is written
            merged[entry.name] = entry
    return tuple(
        _filled(entry, health_path, php_line)
        for entry in merged.values()
        if isinstance(entry, Check) and entry.enabled
    )


def _filled(check: Check, health_path: str, php_line: str) -> Check:
    if isinstance(check, PhpBuildCheck) and check.path is None:
        return check.model_copy(update={"path": health_path})
    if isinstance(check, ServicesCheck) and check.units is None:
        return check.model_copy(update={"units": _default_units(php_line)})
    return check
