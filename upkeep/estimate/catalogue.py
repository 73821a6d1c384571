"""The rule catalogue: PHP's migration appendices as data.

Each ``catalogue/phpXY.yml`` holds the changes the PHP manual lists for line
X.Y (``migrationXY``): removed and deprecated functions, extensions, INI
directives, constants, classes, and language changes. A rule that was
deprecated in one line and removed in a later one lives in the file of the line
that first mentions it. ``risks.yml`` lists what a static scan cannot see.

A rule counts for an upgrade when its deprecation or its removal falls in
(from, to]: it *breaks* when the removal does, otherwise it is *deprecated*.

    >>> from upkeep.estimate.versions import PhpLine
    >>> catalogue = load_catalogue()
    >>> each = catalogue.rule("function.each")
    >>> each.severity(PhpLine.parse("5.6"), PhpLine.parse("7.4")).value
    'deprecated'
    >>> each.severity(PhpLine.parse("7.4"), PhpLine.parse("8.2")).value
    'breaks'
    >>> each.severity(PhpLine.parse("8.0"), PhpLine.parse("8.4")) is None
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from upkeep.estimate.errors import BadVersion, CatalogueError
from upkeep.estimate.versions import PhpLine, in_range

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"


class Kind(StrEnum):
    FUNCTION = "function"  # calls to (and callbacks naming) removed/deprecated functions
    EXTENSION = "extension"  # a removed extension, seen through its functions/constants/classes
    CALL = "call"  # a function called in a way that changed (argument count or value)
    INI = "ini"  # ini_set/ini_get/ini_restore of a removed or deprecated directive
    CONSTANT = "constant"  # global or class constants
    CLASS = "class"  # classes and interfaces by name
    VARIABLE = "variable"  # predefined variables ($HTTP_RAW_POST_DATA ...)
    SYNTAX = "syntax"  # language changes found by a named detector


class Severity(StrEnum):
    BREAKS = "breaks"  # removed or changed within (from, to]: the code fails or misbehaves
    DEPRECATED = "deprecated"  # still works on the target, but logs and will break later
    # someone must look: the project's declarations disagree (two copies of a
    # class), or the change only matters if the code relies on the old behaviour
    REVIEW = "review"


class Tier(StrEnum):
    TRIVIAL = "trivial"  # mechanical rename or cast
    SMALL = "small"  # a local edit with a little thought
    MEDIUM = "medium"  # needs understanding of the surrounding code
    LARGE = "large"  # a rewrite of how a file does something (e.g. its database access)


CATEGORY = {
    Kind.EXTENSION: "Removed extensions",
    Kind.FUNCTION: "Functions",
    Kind.CALL: "Functions",
    Kind.INI: "INI directives",
    Kind.CONSTANT: "Constants, classes and globals",
    Kind.CLASS: "Constants, classes and globals",
    Kind.VARIABLE: "Constants, classes and globals",
    Kind.SYNTAX: "Language and syntax",
}

# The language changes the scanner knows how to find; a syntax rule names one.
DETECTORS = frozenset(
    {
        "curly-offset",
        "nested-ternary",
        "real-cast",
        "unset-cast",
        "php4-constructor",
        "static-call-to-instance-method",
        "dynamic-property",
        "implicitly-nullable",
        "optional-before-required",
        "dollar-brace-interpolation",
        "reserved-class-name",
        "reserved-function-name",
        "variable-variable-syntax",
        "concat-precedence",
        "parent-without-parent",
        "continue-in-switch",
        "this-reassign",
        "new-by-reference",
        "hash-bracket-comment",
        "autoload-function",
        "namespaced-assert",
        "duplicate-parameter",
        "multiple-default",
        "globals-write",
        "serializable-without-magic",
        "bareword-string",
        "relative-callable",
        "void-by-reference",
        "preg-e-modifier",
        "func-get-args-modified",
        "this-outside-object",
        "break-outside-loop",
        "global-indirect-variable",
    }
)

# "expression": anything but a literal (a variable, a call, a property ...); "any": no check
_ARG_KINDS = frozenset(
    {"string", "true", "false", "null", "array", "integer", "negative", "expression", "any"}
)


@dataclass(frozen=True)
class CallCondition:
    """When a CALL rule applies: argument count, or what an argument is.

    Conditions combine with AND. ``arg_is`` and ``arg_constants`` look at
    argument ``arg`` (0-based), and so does ``arg_string`` (case-insensitive);
    ``any_arg_string`` looks at every string literal; ``args_are`` gives the
    kind of each leading argument. A rule may list several conditions
    (``when: [...]``): any one of them is enough.
    """

    args: int | None = None
    min_args: int | None = None
    max_args: int | None = None
    arg: int | None = None
    arg_is: str | None = None
    arg_constants: tuple[str, ...] = ()
    any_arg_string: tuple[str, ...] = ()  # some string literal argument is one of these
    arg_string: tuple[str, ...] = ()  # argument ``arg`` is a string literal, one of these
    args_are: tuple[str, ...] = ()  # kinds of arguments 0, 1, ... (see _ARG_KINDS)


@dataclass(frozen=True)
class Rule:
    id: str
    kind: Kind
    message: str  # may use {name}: what the finding is about (a function, a constant...)
    hint: str
    tier: Tier
    rector: bool  # whether Rector's level sets fix it automatically
    manual: str  # the manual page it comes from, e.g. migration72.deprecated
    deprecated: PhpLine | None = None
    removed: PhpLine | None = None
    names: tuple[str, ...] = ()
    constants: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    extension: str | None = None
    when: tuple[CallCondition, ...] = ()  # any one of them
    detector: str | None = None

    @property
    def category(self) -> str:
        return CATEGORY[self.kind]

    @property
    def first_seen(self) -> PhpLine:
        versions = [v for v in (self.deprecated, self.removed) if v is not None]
        return min(versions)

    def severity(self, from_line: PhpLine, to_line: PhpLine) -> Severity | None:
        """BREAKS if removed in (from, to], DEPRECATED if only deprecated there, else None."""
        if in_range(self.removed, from_line, to_line):
            return Severity.BREAKS
        if in_range(self.deprecated, from_line, to_line):
            return Severity.DEPRECATED
        return None

    def status(self) -> str:
        """``deprecated in PHP 7.2, removed in 8.0`` and the like."""
        if self.deprecated and self.removed:
            return f"deprecated in PHP {self.deprecated}, removed in {self.removed}"
        if self.removed:
            return f"removed or changed in PHP {self.removed}"
        return f"deprecated in PHP {self.deprecated}"

    def describe(self, name: str = "") -> str:
        return f"{self.message.format(name=name)} ({self.status()})"


@dataclass(frozen=True)
class Risk:
    id: str
    since: PhpLine
    title: str
    text: str
    always: bool = False  # true for risks of every upgrade (server configuration ...)


@dataclass(frozen=True)
class Catalogue:
    rules: tuple[Rule, ...]
    risks: tuple[Risk, ...]
    digest: str  # hash of the YAML files: part of every cache key
    _by_id: Mapping[str, Rule] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {rule.id: rule for rule in self.rules})

    def rule(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def has(self, rule_id: str) -> bool:
        return rule_id in self._by_id

    def applicable(self, from_line: PhpLine, to_line: PhpLine) -> dict[str, Severity]:
        """Rule id → severity, for the rules that count in (from, to]."""
        out = {}
        for rule in self.rules:
            severity = rule.severity(from_line, to_line)
            if severity is not None:
                out[rule.id] = severity
        return out

    def risks_for(self, from_line: PhpLine, to_line: PhpLine) -> tuple[Risk, ...]:
        return tuple(
            risk for risk in self.risks if risk.always or in_range(risk.since, from_line, to_line)
        )

    def counts_per_line(self) -> dict[str, dict[str, int]]:
        """For each line, how many rules it deprecates and how many it removes/changes."""
        counts: dict[str, dict[str, int]] = {}
        for rule in self.rules:
            for key, version in (("deprecated", rule.deprecated), ("removed", rule.removed)):
                if version is not None:
                    entry = counts.setdefault(str(version), {"deprecated": 0, "removed": 0})
                    entry[key] += 1
        return dict(sorted(counts.items(), key=lambda item: PhpLine.parse_loose(item[0])))


def _line(value: Any, where: str) -> PhpLine | None:
    if value is None:
        return None
    try:
        return PhpLine.parse_loose(str(value))
    except BadVersion as error:
        raise CatalogueError(f"{where}: {error}") from None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogueError(f"{where}: expected a list of names")
    return tuple(value)


_RULE_KEYS = frozenset(
    {
        "id",
        "kind",
        "message",
        "hint",
        "tier",
        "rector",
        "deprecated",
        "removed",
        "names",
        "constants",
        "classes",
        "extension",
        "when",
        "detector",
    }
)


def _condition(value: Any, where: str) -> CallCondition:
    if not isinstance(value, dict):
        raise CatalogueError(f"{where}: 'when' must be a mapping")
    unknown = set(value) - {
        "args",
        "min_args",
        "max_args",
        "arg",
        "arg_is",
        "arg_constants",
        "any_arg_string",
        "arg_string",
        "args_are",
    }
    if unknown:
        raise CatalogueError(f"{where}: unknown 'when' keys {sorted(unknown)}")
    arg_is = value.get("arg_is")
    if arg_is is not None and arg_is not in _ARG_KINDS:
        raise CatalogueError(f"{where}: arg_is must be one of {sorted(_ARG_KINDS)}")
    args_are = _strings(value.get("args_are"), where)
    if not set(args_are) <= _ARG_KINDS:
        raise CatalogueError(f"{where}: args_are kinds must be among {sorted(_ARG_KINDS)}")
    condition = CallCondition(
        args=value.get("args"),
        min_args=value.get("min_args"),
        max_args=value.get("max_args"),
        arg=value.get("arg"),
        arg_is=arg_is,
        arg_constants=_strings(value.get("arg_constants"), where),
        any_arg_string=tuple(s.lower() for s in _strings(value.get("any_arg_string"), where)),
        arg_string=tuple(s.lower() for s in _strings(value.get("arg_string"), where)),
        args_are=args_are,
    )
    if (
        condition.arg_is or condition.arg_constants or condition.arg_string
    ) and condition.arg is None:
        raise CatalogueError(f"{where}: arg_is/arg_constants/arg_string need 'arg' (its index)")
    return condition


def _conditions(value: Any, where: str) -> tuple[CallCondition, ...]:
    """One ``when`` mapping, or a list of them (alternatives)."""
    if value is None:
        return ()
    if isinstance(value, list):
        if not value:
            raise CatalogueError(f"{where}: 'when' lists no condition")
        return tuple(_condition(item, where) for item in value)
    return (_condition(value, where),)


def _rule(raw: Any, page: str, line: PhpLine, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: a rule must be a mapping")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("id", "kind", "message", "hint", "tier"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CatalogueError(f"{where}: '{key}' is required")
    where = f"{where} ({raw['id']})"
    try:
        kind = Kind(raw["kind"])
        tier = Tier(raw["tier"])
    except ValueError as error:
        raise CatalogueError(f"{where}: {error}") from None
    rule = Rule(
        id=raw["id"],
        kind=kind,
        message=raw["message"].strip(),
        hint=raw["hint"].strip(),
        tier=tier,
        rector=bool(raw.get("rector", False)),
        manual=page,
        deprecated=_line(raw.get("deprecated"), where),
        removed=_line(raw.get("removed"), where),
        names=_strings(raw.get("names"), where),
        constants=_strings(raw.get("constants"), where),
        classes=_strings(raw.get("classes"), where),
        extension=raw.get("extension"),
        when=_conditions(raw.get("when"), where),
        detector=raw.get("detector"),
    )
    _check_rule(rule, line, where)
    return rule


def _check_rule(rule: Rule, line: PhpLine, where: str) -> None:
    if rule.deprecated is None and rule.removed is None:
        raise CatalogueError(f"{where}: needs 'deprecated' or 'removed'")
    if rule.deprecated and rule.removed and rule.removed <= rule.deprecated:
        raise CatalogueError(f"{where}: removed before it was deprecated")
    if line not in (rule.deprecated, rule.removed):
        raise CatalogueError(f"{where}: a rule in the {line} file must change in {line}")
    if rule.kind is Kind.SYNTAX:
        if rule.detector not in DETECTORS:
            raise CatalogueError(f"{where}: unknown detector {rule.detector!r}")
    elif rule.detector is not None:
        raise CatalogueError(f"{where}: only syntax rules name a detector")
    if rule.kind is Kind.EXTENSION and not rule.extension:
        raise CatalogueError(f"{where}: an extension rule names its extension")
    if rule.kind is Kind.CALL and not rule.when:
        raise CatalogueError(f"{where}: a call rule says 'when' it applies")
    if rule.kind not in (Kind.SYNTAX, Kind.EXTENSION) and not rule.names:
        raise CatalogueError(f"{where}: lists no names to look for")
    try:
        rule.message.format(name="x")
    except (KeyError, IndexError, ValueError) as error:
        raise CatalogueError(f"{where}: bad message template ({error})") from None


def _load_file(path: Path) -> tuple[list[Rule], list[Risk]]:
    try:
        # libyaml's safe loader when PyYAML has it: every estimate reads this at start-up
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, yaml.YAMLError) as error:
        raise CatalogueError(f"{path.name}: cannot be read ({error})") from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{path.name}: expected a mapping at the top")
    if path.stem == "risks":
        risks = []
        for index, raw in enumerate(data.get("risks") or []):
            where = f"{path.name} risk {index + 1}"
            since = _line(raw.get("since"), where)
            if since is None or not raw.get("id") or not raw.get("title") or not raw.get("text"):
                raise CatalogueError(f"{where}: needs id, since, title and text")
            text = " ".join(raw["text"].split())
            always = bool(raw.get("always", False))
            risks.append(Risk(raw["id"], since, raw["title"].strip(), text, always))
        return [], risks
    line = _line(data.get("line"), path.name)
    if line is None:
        raise CatalogueError(f"{path.name}: needs 'line: X.Y'")
    page = str(data.get("manual") or f"migration{line.major}{line.minor}")
    rules = [
        _rule(raw, page, line, f"{path.name} rule {index + 1}")
        for index, raw in enumerate(data.get("rules") or [])
    ]
    return rules, []


@lru_cache(maxsize=4)
def load_catalogue(directory: Path = CATALOGUE_DIR) -> Catalogue:
    """Read and check every catalogue file; the digest covers their exact bytes."""
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise CatalogueError(f"{directory}: no catalogue files")
    digest = hashlib.sha256()
    rules: list[Rule] = []
    risks: list[Risk] = []
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        file_rules, file_risks = _load_file(path)
        rules.extend(file_rules)
        risks.extend(file_risks)
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise CatalogueError(f"rule id {rule.id!r} is used twice")
        seen.add(rule.id)
    rules.sort(key=lambda rule: (rule.first_seen, rule.id))
    risks.sort(key=lambda risk: (risk.since, risk.id))
    return Catalogue(tuple(rules), tuple(risks), digest.hexdigest()[:16])
