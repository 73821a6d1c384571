"""Sanitize rules: an inventory's ``sanitize:`` section and its preset, as one rule set.

``RuleSet.from_project`` gathers the rules; ``check`` compares them with the
source database's real tables and columns before anything runs (a rule for a
table or column that is not there is a problem, with the inventory line);
``for_table`` gives the transformer one table's rules by column position.

Order decides between rules for the same column: the preset's, then the
inventory's; within each, patterns (``*_log``) before exact names; a later
rule wins. Row rules (``rows:``) come after the column rules of their table
and apply to the rows whose ``where`` columns match.

A preset is lenient: its rules for tables or columns the database lacks are
skipped (not every WordPress runs WooCommerce), but the tables it ``requires``
must be there, so a wrong ``table_prefix`` cannot silently sanitize nothing.
The inventory's own rules are strict.

    >>> from upkeep.inventory.model import Sanitize
    >>> rules = RuleSet.from_section(Sanitize.model_validate({"preset": "demo"}))
    >>> rules.check({"users": ["id", "name", "email"], "orders": ["id", "shipping_address"]})
    []
    >>> [(i, str(kind)) for i, kind, _ in rules.for_table("users", ("id", "name", "email")).columns]
    [(1, 'fake_name'), (2, 'fake_email')]
    >>> rules.check({"users": ["id", "name"]})
    ['sanitize rules: sanitize.preset: preset demo needs table orders, which the database ...']
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from upkeep.errors import InventoryError
from upkeep.inventory import yamldoc
from upkeep.inventory.files import display
from upkeep.inventory.model import Project, Sanitize, SanitizeAction, SanitizeKind
from upkeep.inventory.problems import Problem, sort_lines
from upkeep.inventory.yamldoc import Path as KeyPath
from upkeep.refresh.sqldump import DumpFormatError

Schema = Mapping[str, Sequence[str]]  # table → its columns, in order
Action = tuple[SanitizeKind, str | None]  # the kind, and the value of a fixed one


@dataclass(frozen=True)
class Origin:
    """Where a rule was written: its key path in the inventory, or the preset."""

    path: KeyPath
    preset: str | None = None  # rules of a preset are lenient

    @property
    def strict(self) -> bool:
        return self.preset is None


@dataclass(frozen=True)
class ColumnRule:
    table: str  # a name or an fnmatch pattern
    column: str
    action: Action
    origin: Origin


@dataclass(frozen=True)
class RowRule:
    table: str
    where: tuple[tuple[str, tuple[str, ...]], ...]  # column, the values it may hold
    set: tuple[tuple[str, Action], ...]
    origin: Origin


@dataclass(frozen=True)
class TableRule:
    """A table to truncate, or one a preset requires."""

    table: str
    origin: Origin


@dataclass(frozen=True)
class RowMatch:
    """A row rule for one table: the columns it reads, a matcher each, what it sets."""

    where: tuple[tuple[int, re.Pattern[bytes]], ...]
    set: tuple[tuple[int, SanitizeKind, str | None], ...]


@dataclass(frozen=True)
class TableRules:
    """One table's rules by column position, ready for the transformer."""

    table: str
    columns: tuple[tuple[int, SanitizeKind, str | None], ...]  # (position, kind, fixed value)
    rows: tuple[RowMatch, ...]

    @property
    def empty(self) -> bool:
        return not self.columns and not self.rows


@dataclass(frozen=True)
class RuleSet:
    columns: tuple[ColumnRule, ...] = ()
    rows: tuple[RowRule, ...] = ()
    truncate: tuple[TableRule, ...] = ()
    requires: tuple[TableRule, ...] = ()
    source: Path | None = None  # the inventory file, for problem lines

    @classmethod
    def from_project(cls, project: Project) -> RuleSet:
        """The rules of ``project``'s inventory, its preset included."""
        try:
            source: Path | None = project.source
        except RuntimeError:
            source = None
        return cls.from_section(project.sanitize, source)

    @classmethod
    def from_section(cls, section: Sanitize, source: Path | None = None) -> RuleSet:
        preset = _preset(section.preset, section.table_prefix) if section.preset else RuleSet()
        own = _rules(section, lambda path: Origin(("sanitize", *path)))
        return RuleSet(
            columns=preset.columns + own.columns,
            rows=preset.rows + own.rows,
            truncate=preset.truncate + own.truncate,
            requires=preset.requires,
            source=source,
        )

    @property
    def empty(self) -> bool:
        return not (self.columns or self.rows or self.truncate)

    # ---- at run time -------------------------------------------------------------

    def truncates(self, table: str) -> bool:
        """Whether ``table``'s rows are dropped.

        >>> RuleSet(truncate=(TableRule("*_log", Origin(())),)).truncates("app_log")
        True
        """
        return any(fnmatch.fnmatchcase(table, rule.table) for rule in self.truncate)

    def truncated(self, tables: Iterable[str]) -> set[str]:
        """Which of ``tables`` are truncated (for the row-count check after a refresh)."""
        return {table for table in tables if self.truncates(table)}

    def for_table(self, table: str, columns: Sequence[str] | None) -> TableRules:
        """``table``'s rules by position among ``columns`` (None: the dump did not say).

        A column missing from ``columns`` is skipped: ``check`` has already
        reported it for the inventory's rules, and a preset's are optional.
        """
        applies = [r for r in self.columns if fnmatch.fnmatchcase(table, r.table)]
        rows = [r for r in self.rows if fnmatch.fnmatchcase(table, r.table)]
        if (applies or rows) and columns is None:
            raise DumpFormatError(
                f"table {table} has sanitize rules, but the dump does not name its columns "
                "(dump with CREATE TABLE statements, or give the transformer the schema)"
            )
        position = {name: index for index, name in enumerate(columns or ())}
        chosen: dict[int, Action] = {}
        for rule in sorted(applies, key=_precedence):
            if rule.column in position:
                chosen[position[rule.column]] = rule.action
        matches = []
        for row_rule in rows:
            where = [(position.get(c), _matcher(values)) for c, values in row_rule.where]
            sets = [(position.get(c), kind, value) for c, (kind, value) in row_rule.set]
            if all(index is not None for index, _ in where) and any(
                index is not None for index, _, _ in sets
            ):
                matches.append(
                    RowMatch(
                        tuple((i, m) for i, m in where if i is not None),
                        tuple((i, k, v) for i, k, v in sets if i is not None),
                    )
                )
        return TableRules(
            table,
            tuple(
                (index, kind, value)
                for index, (kind, value) in sorted(chosen.items())
                if kind is not SanitizeKind.keep
            ),
            tuple(matches),
        )

    # ---- before anything runs ------------------------------------------------------

    def check(self, schema: Schema) -> list[str]:
        """Problem lines for rules that do not fit ``schema`` (empty: all fit)."""
        problems: list[tuple[KeyPath, str]] = []
        tables = list(schema)
        for need in self.requires:
            if need.table not in schema:
                problems.append(
                    (
                        need.origin.path,
                        f"preset {need.origin.preset} needs table {need.table}, which the "
                        f"database does not have{_close(need.table, tables)} (is this the "
                        "right preset and table_prefix?)",
                    )
                )
        absent: set[str] = set()  # a missing table is one problem, not one per column
        for rule in self.columns:
            if not rule.origin.strict or rule.table in absent:
                continue
            if not _tables_of(schema, rule.table):
                absent.add(rule.table)
                problems += _missing(schema, rule.table, None, rule.origin.path[:-1])
            else:
                problems += _missing(schema, rule.table, rule.column, rule.origin.path)
        for row_rule in self.rows:
            if not row_rule.origin.strict:
                continue
            path = row_rule.origin.path
            if not _tables_of(schema, row_rule.table):
                problems += _missing(schema, row_rule.table, None, (*path, "table"))
                continue
            for column, _ in row_rule.where:
                problems += _missing(schema, row_rule.table, column, (*path, "where", column))
            for column, _ in row_rule.set:
                problems += _missing(schema, row_rule.table, column, (*path, "set", column))
        for truncate in self.truncate:
            if truncate.origin.strict and not _tables_of(schema, truncate.table):
                problems += _missing(schema, truncate.table, None, truncate.origin.path)
        return self._lines(problems)

    def require(self, schema: Schema) -> None:
        """``check``, raising an InventoryError (nothing changed, exit 2) on any problem."""
        problems = self.check(schema)
        if problems:
            raise InventoryError(problems)

    def _lines(self, problems: list[tuple[KeyPath, str]]) -> list[str]:
        if not problems:
            return []
        if self.source is None:
            return sort_lines(Problem("sanitize rules", None, p, m) for p, m in problems)
        doc = _document(self.source)
        shown = display(self.source)
        return sort_lines(Problem(shown, doc.line_of(p), p, m) for p, m in problems)


def _precedence(rule: ColumnRule) -> tuple[bool, bool]:
    # Sorted is stable: within one rank, the written order stays.
    exact = not any(c in rule.table for c in "*?[")
    return (rule.origin.strict, exact)


def _tables_of(schema: Schema, pattern: str) -> list[str]:
    return [table for table in schema if fnmatch.fnmatchcase(table, pattern)]


def _missing(
    schema: Schema, pattern: str, column: str | None, path: KeyPath
) -> list[tuple[KeyPath, str]]:
    tables = _tables_of(schema, pattern)
    if not tables:
        if pattern in schema or not any(c in pattern for c in "*?["):
            return [(path, f"no table {pattern} in the database{_close(pattern, list(schema))}")]
        return [(path, f"no table in the database matches {pattern!r}")]
    if column is None:
        return []
    lacking = [table for table in tables if column not in schema[table]]
    if not lacking:
        return []
    if len(tables) == 1:
        table = tables[0]
        return [
            (
                path,
                f"table {table} has no column {column}{_close(column, list(schema[table]))}",
            )
        ]
    return [(path, f"no column {column} in {', '.join(lacking)} (matched by {pattern!r})")]


def _close(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _matcher(values: tuple[str, ...]) -> re.Pattern[bytes]:
    """One regex for a where-list: exact values and fnmatch patterns, matched whole."""
    parts = [fnmatch.translate(value) for value in values]
    return re.compile("|".join(f"(?:{part})" for part in parts).encode())


def _document(source: Path) -> yamldoc.Document:
    # Only to tell the operator which line a rule is on; the rules come from the model.
    try:
        return yamldoc.parse(source.read_text(encoding="utf-8"))
    except OSError:
        return yamldoc.Document()


def _rules(section: Sanitize, origin: Any) -> RuleSet:
    """The rules written in ``section``; ``origin(key path)`` says where each came from."""
    columns = [
        ColumnRule(table, column, _action(action), origin(("tables", table, column)))
        for table, actions in section.tables.items()
        for column, action in actions.items()
    ]
    rows = [
        RowRule(
            rule.table,
            tuple((column, tuple(values)) for column, values in rule.where.items()),
            tuple((column, _action(action)) for column, action in rule.set.items()),
            origin(("rows", index)),
        )
        for index, rule in enumerate(section.rows)
    ]
    truncate = [
        TableRule(table, origin(("truncate", index)))
        for index, table in enumerate(section.truncate)
    ]
    return RuleSet(tuple(columns), tuple(rows), tuple(truncate))


def _action(action: SanitizeAction) -> Action:
    return (action.kind, action.value)


PRESETS = ("wordpress", "demo")


@functools.cache
def _preset(name: str, prefix: str) -> RuleSet:
    """A preset's rules with ``{prefix}`` filled in, read through the inventory's own model."""
    text = resources.files("upkeep.refresh.presets").joinpath(f"{name}.yml").read_text("utf-8")
    data = _fill(yaml.safe_load(text), prefix)
    requires = data.pop("requires", [])
    section = Sanitize.model_validate(data)
    rules = _rules(section, lambda path: Origin(("sanitize", "preset"), preset=name))
    need = tuple(TableRule(t, Origin(("sanitize", "preset"), preset=name)) for t in requires)
    return RuleSet(rules.columns, rules.rows, rules.truncate, need)


def _fill(data: Any, prefix: str) -> Any:
    if isinstance(data, str):
        return data.replace("{prefix}", prefix)
    if isinstance(data, list):
        return [_fill(item, prefix) for item in data]
    if isinstance(data, dict):
        return {_fill(key, prefix): _fill(value, prefix) for key, value in data.items()}
    return data
