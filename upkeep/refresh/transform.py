"""The transformer in the middle of a refresh's database stream: sanitize, rewrite URLs.

It reads the dump as ``upkeep.refresh.sqldump`` does and plans each table:
truncated tables lose their rows; tables with sanitize rules have every row
looked at (when the rules are one action per column, a column of a block of
rows at a time); in all tables a quoted value holding the source host is
rewritten (``upkeep.refresh.urls``), inside PHP-serialized data with its
lengths recomputed (``upkeep.refresh.serialized``). Everything else passes
through byte for byte, at the cost of a substring test per line. Row lines
that can hold no serialized value, and whose values hold no backslash, are
rewritten whole without unquoting a value (``UrlRewriter.sub_sql``), a block
of them at once: the common case (HTML and plain text), and most of the
rewriting's speed.

The layers of one value, outside in: the SQL literal (mysqldump's escaping,
undone first and redone last) → maybe PHP-serialized (strings rewritten one by
one, also inside strings that are serialized again) → maybe JSON or HTML text
(``https:\\/\\/`` spellings included in the URL rules).

No personal value is kept: the report holds counts, and keyed fingerprints
of the e-mail addresses found in sanitized columns, which
``upkeep.refresh.leaks`` uses to prove none of them reached the target.

    >>> from upkeep.refresh.sanitize import RuleSet
    >>> from upkeep.inventory.model import Sanitize
    >>> rules = RuleSet.from_section(Sanitize.model_validate({"preset": "demo"}))
    >>> t = Transformer(rules, [("https://www.demo.lab", "https://staging.demo.lab")], b"s" * 32)
    >>> out = t.feed(b"CREATE TABLE `users` (\\n  `id` int,\\n  `name` text,\\n  `email` text\\n);\\n"
    ...              b"INSERT INTO `users` VALUES (1,'Ann Lee','ann@example.com');\\n")
    >>> out.splitlines()[-1]
    b"INSERT INTO `users` VALUES (1,'... ...','user-...@example.invalid');"
    >>> t.feed(b"INSERT INTO `settings` VALUES ('url','s:20:\\\\\\"https://www.demo.lab\\\\\\";');\\n")
    b'INSERT INTO `settings` VALUES (\\'url\\',\\'s:24:\\\\"https://staging.demo.lab\\\\";\\');\\n'
    >>> report = t.report()
    >>> report.tables["users"].values_sanitized, report.serialized_rewritten, len(report.email_fingerprints)
    (2, 1, 1)
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from upkeep.inventory.model import Environment, Project, SanitizeKind
from upkeep.refresh import serialized
from upkeep.refresh.pseudonyms import Fakes, Fingerprints
from upkeep.refresh.sanitize import RuleSet, Schema, TableRules
from upkeep.refresh.sqldump import (
    ColumnFunction,
    DumpRewriter,
    RowFunction,
    TablePlan,
    quote,
    unquote,
)
from upkeep.refresh.urls import UrlRewriter, site_url


def for_refresh(
    project: Project,
    source: Environment,
    target: Environment,
    salt: bytes,
    *,
    schema: Schema | None = None,
) -> Transformer:
    """The transformer of one refresh: the project's rules, the source's URL to the target's.

    Check the rules against the source's schema first (``RuleSet.require``).
    """
    url_map = [(site_url(source.domain, source.tls), site_url(target.domain, target.tls))]
    return Transformer(RuleSet.from_project(project), url_map, salt, schema=schema)


@dataclass(frozen=True)
class TableReport:
    rows_in: int
    rows_out: int
    values_sanitized: int
    truncated: bool


@dataclass(frozen=True)
class TransformReport:
    """What the transformer did; counts and fingerprints only, never a value."""

    tables: Mapping[str, TableReport]
    bytes_in: int
    bytes_out: int
    values_sanitized: int
    urls_rewritten: int
    serialized_rewritten: int  # serialized values with a string changed
    serialized_failed: int  # values that look serialized but are not valid: left as they were
    completed: bool  # the dump's "-- Dump completed" line went through
    email_fingerprints: Fingerprints = field(repr=False)

    def rows_in(self) -> dict[str, int]:
        return {name: table.rows_in for name, table in self.tables.items()}

    def rows_out(self) -> dict[str, int]:
        return {name: table.rows_out for name, table in self.tables.items()}

    @property
    def truncated(self) -> frozenset[str]:
        return frozenset(name for name, table in self.tables.items() if table.truncated)

    @classmethod
    def merged(cls, reports: Sequence[TransformReport]) -> TransformReport:
        """The reports of streams that carried one dump between them (each its own tables).

        >>> from upkeep.inventory.model import Sanitize
        >>> one = Transformer(RuleSet.from_section(Sanitize()), [], b"s" * 32)
        >>> _ = one.feed(b"INSERT INTO `a` VALUES (1);\\n-- Dump completed\\n")
        >>> two = Transformer(RuleSet.from_section(Sanitize()), [], b"s" * 32)
        >>> _ = two.feed(b"INSERT INTO `b` VALUES (1),(2);\\n-- Dump completed\\n")
        >>> both = TransformReport.merged([one.report(), two.report()])
        >>> both.rows_in(), both.completed
        ({'a': 1, 'b': 2}, True)
        """
        seen = (value for report in reports for value in report.email_fingerprints)
        return cls(
            tables=MappingProxyType({n: t for r in reports for n, t in r.tables.items()}),
            bytes_in=sum(report.bytes_in for report in reports),
            bytes_out=sum(report.bytes_out for report in reports),
            values_sanitized=sum(report.values_sanitized for report in reports),
            urls_rewritten=sum(report.urls_rewritten for report in reports),
            serialized_rewritten=sum(report.serialized_rewritten for report in reports),
            serialized_failed=sum(report.serialized_failed for report in reports),
            completed=all(report.completed for report in reports),
            email_fingerprints=Fingerprints.of(seen),
        )


@dataclass
class _Counters:
    urls: int = 0
    serialized: int = 0
    serialized_failed: int = 0
    sanitized: dict[str, int] = field(default_factory=dict)


class Transformer:
    """``feed`` it the dump in chunks, ``close`` it at the end, then read its ``report``.

    ``salt`` is the refresh's secret (random, at least 16 bytes, never stored
    with the data): fakes and fingerprints are keyed with it. ``schema``
    (table → columns, from the source's information_schema) is only needed
    when the dump has no CREATE TABLE statements.
    """

    def __init__(
        self,
        rules: RuleSet,
        url_map: Sequence[tuple[str, str]],
        salt: bytes,
        *,
        schema: Schema | None = None,
    ) -> None:
        self.rules = rules
        self._urls = UrlRewriter(url_map)
        self._fakes = Fakes(salt)
        self._counters = _Counters()
        # Packed as they come (8 bytes each; the same address may come often), sorted at the end.
        self._seen = array("Q")
        self._truncated: set[str] = set()
        self._dump = DumpRewriter(self._plan, schema or {}, defer_keys=True)

    def feed(self, chunk: bytes) -> bytes:
        return self._dump.feed(chunk)

    def close(self) -> bytes:
        return self._dump.close()

    def rows_read(self) -> int:
        """Rows of the dump read so far, for progress."""
        return sum(counts.rows_in for counts in self._dump.counts().values())

    @property
    def truncated_tables(self) -> frozenset[str]:
        """Tables whose rows are dropped: those named in the rules, and those seen so far
        that a pattern matched (``RuleSet.truncated(tables)`` answers for any list)."""
        named = {
            rule.table for rule in self.rules.truncate if not any(c in rule.table for c in "*?[")
        }
        return frozenset(named | self._truncated)

    def report(self) -> TransformReport:
        counts = self._dump.counts()
        sanitized = self._counters.sanitized
        tables = {
            name: TableReport(
                c.rows_in, c.rows_out, sanitized.get(name, 0), name in self._truncated
            )
            for name, c in counts.items()
        }
        return TransformReport(
            tables=MappingProxyType(tables),
            bytes_in=self._dump.bytes_in,
            bytes_out=self._dump.bytes_out,
            values_sanitized=sum(sanitized.values()),
            urls_rewritten=self._counters.urls,
            serialized_rewritten=self._counters.serialized,
            serialized_failed=self._counters.serialized_failed,
            completed=self._dump.completed,
            email_fingerprints=Fingerprints.of(self._seen),
        )

    # ---- plans ---------------------------------------------------------------------

    def _plan(self, table: str, columns: tuple[str, ...] | None) -> TablePlan:
        if self.rules.truncates(table):
            self._truncated.add(table)
            return TablePlan(truncate=True)
        needles = self._urls.needles
        string = self._rewrite_literal if needles else None
        rules = self.rules.for_table(table, columns)
        row = None if rules.empty else self._row_function(rules)
        line = self._rewrite_line if needles else None
        by_column = self._column_functions(rules) if row is not None and not rules.rows else ()
        return TablePlan(row=row, string=string, needles=needles, line=line, columns=by_column)

    def _row_function(self, rules: TableRules) -> RowFunction:
        action = self._action
        base = {index: action(kind, value) for index, kind, value in rules.columns}
        matches = [
            (match.where, [(i, action(kind, value)) for i, kind, value in match.set])
            for match in rules.rows
        ]
        counts = self._counters.sanitized
        table = rules.table
        counts.setdefault(table, 0)

        def row(values: list[bytes]) -> bool:
            actions = base
            if matches:
                read: dict[int, bytes | None] = {}  # each where column unquoted once per row
                for where, sets in matches:
                    for i, pattern in where:
                        if i not in read:
                            read[i] = unquote(values[i])
                        raw = read[i]
                        if raw is None or pattern.match(raw) is None:
                            break
                    else:
                        if actions is base:
                            actions = dict(base)
                        actions.update(sets)
            changed = 0
            for index, apply in actions.items():
                new = apply(values[index])
                if new is not None:
                    values[index] = new
                    changed += 1
            if changed:
                counts[table] += changed
            return bool(changed)

        return row

    def _column_functions(self, rules: TableRules) -> tuple[tuple[int, ColumnFunction], ...]:
        """The row function's work column by column: the same actions, counted the same."""
        counts = self._counters.sanitized
        table = rules.table

        def column(kind: SanitizeKind, fixed: str | None) -> ColumnFunction:
            apply = self._action(kind, fixed)
            if kind is SanitizeKind.null or kind is SanitizeKind.fixed:
                return constant(apply, _constant(kind, fixed))

            def each(literals: list[bytes]) -> list[bytes] | None:
                new = [apply(literal) for literal in literals]
                changed = len(new) - new.count(None)
                if not changed:
                    return None
                counts[table] += changed
                return [
                    old if value is None else value
                    for old, value in zip(literals, new, strict=True)
                ]

            return each

        def constant(apply: Callable[[bytes], bytes | None], replacement: bytes) -> ColumnFunction:
            # What ``apply`` would do to each, by list methods: a call only where an '@' is.
            def each(literals: list[bytes]) -> list[bytes] | None:
                kept = literals.count(b"NULL")
                if replacement != b"NULL":
                    kept += literals.count(replacement)
                if kept == len(literals):
                    return None
                counts[table] += len(literals) - kept
                if b"@" in b"".join(literals):
                    for literal in literals:
                        if b"@" in literal:
                            apply(literal)  # fingerprints it, unless it is kept
                if b"NULL" in literals:
                    return [b"NULL" if old == b"NULL" else replacement for old in literals]
                return [replacement] * len(literals)

            return each

        return tuple((index, column(kind, value)) for index, kind, value in rules.columns)

    # ---- values --------------------------------------------------------------------

    def _action(self, kind: SanitizeKind, fixed: str | None) -> Callable[[bytes], bytes | None]:
        """One column's action on a literal: its new literal, or None to keep it.

        NULL stays NULL (there is nothing personal in it). Every address in a
        value that is replaced is fingerprinted first, for the leak check.
        """
        seen = self._seen
        fakes = self._fakes

        def keep(literal: bytes) -> bytes | None:
            return None

        if kind is SanitizeKind.keep:
            return keep
        if kind is SanitizeKind.null or kind is SanitizeKind.fixed:
            replacement = _constant(kind, fixed)

            def constant(literal: bytes) -> bytes | None:
                if literal == b"NULL" or literal == replacement:
                    return None
                if b"@" in literal:
                    seen.extend(fakes.fingerprints_in(unquote(literal) or b""))
                return replacement

            return constant
        fake = {
            SanitizeKind.fake_email: fakes.email,
            SanitizeKind.fake_name: fakes.name,
            SanitizeKind.fake_first_name: fakes.first_name,
            SanitizeKind.fake_last_name: fakes.last_name,
            SanitizeKind.hash: fakes.hash,
        }[kind]

        def derived(literal: bytes) -> bytes | None:
            if literal == b"NULL":
                return None
            raw = unquote(literal) or b""
            if b"@" in raw:
                seen.extend(fakes.fingerprints_in(raw))
            new = fake(raw)
            # A fake is plain ASCII (names, hex digits): nothing to escape.
            return None if new == raw else b"'" + new + b"'"

        return derived

    def _rewrite_line(self, line: bytes) -> bytes | None:
        """A row line's URLs rewritten without unquoting its values, where that gives what
        ``_rewrite_literal`` would (no serialized value to parse); else None."""
        if serialized.may_be_in(line):
            return None
        rewritten = self._urls.sub_sql(line)
        if rewritten is None:
            return None
        new, count = rewritten
        self._counters.urls += count
        return new

    def _rewrite_literal(self, literal: bytes) -> bytes | None:
        """A quoted value with the source host in it, rewritten; None when nothing changed."""
        prefix = b""
        if literal[:1] == b"_":  # _binary '...': the introducer stays
            cut = literal.index(b"'")
            prefix, literal = literal[:cut], literal[cut:]
        raw = unquote(literal)
        assert raw is not None
        new = self._rewrite_value(raw)
        return None if new == raw else prefix + quote(new)

    def _rewrite_value(self, raw: bytes) -> bytes:
        if serialized.looks_serialized(raw):
            new = serialized.try_rewrite(raw, self._replace)
            if new is None:
                self._counters.serialized_failed += 1
                return raw
            if new != raw:
                # Read back before it is written: a broken value must never reach the target.
                # (Few values are rewritten, so the second parse costs little.)
                if serialized.try_rewrite(new, _same) is None:
                    self._counters.serialized_failed += 1
                    return raw
                self._counters.serialized += 1
            return new
        return self._replace(raw)

    def _replace(self, text: bytes) -> bytes:
        new, count = self._urls.sub(text)
        self._counters.urls += count
        return new


def _constant(kind: SanitizeKind, fixed: str | None) -> bytes:
    """The literal that a ``null`` or ``fixed`` action writes."""
    return b"NULL" if kind is SanitizeKind.null else quote((fixed or "").encode())


def _same(text: bytes) -> bytes:
    return text
