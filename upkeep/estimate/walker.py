"""One pass over a file's syntax tree, with the context detectors need.

The walk is iterative (deeply nested expressions would overflow Python's
stack) and visits nodes in document order. Each node arrives with a ``Ctx``:
its namespace and ``use`` imports, the class and function around it, and
whether the innermost ``break`` target is a loop or a switch. Detectors are
plain functions registered per node type; they record ``Hit``s and project
``facts`` (functions, constants, classes and methods the file declares).

A hit may depend on the whole project: ``unless`` facts cancel it (a site's
own ``mysql_query()`` polyfill), an ``only_if`` fact is required for it (a
static call is only wrong if the class declares that method non-static). The
resolve step applies them once every file is scanned.

    >>> from upkeep.estimate.catalogue import load_catalogue
    >>> from upkeep.estimate.matchers import compile_matchers
    >>> walker = Walker(b"", compile_matchers(load_catalogue()), {}, {})
    >>> ctx = Ctx(namespace="App", imports=Imports(functions={"q": "lib\\\\query"}))
    >>> walker.resolve_function("each", ctx)  # App\\each if the site has one, else each
    ('app\\\\each', 'each')
    >>> walker.resolve_function("q", ctx), walker.resolve_class("Model", ctx)
    (('lib\\\\query', None), 'app\\\\model')
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tree_sitter import Node, Query, QueryCursor

from upkeep.estimate.matchers import Matchers
from upkeep.estimate.phpast import ColumnIndex, language, text


@dataclass(frozen=True)
class Hit:
    rule: str
    line: int
    column: int
    name: str
    unless: tuple[str, ...] = ()
    only_if: str | None = None
    review: bool = False  # a finding to look at, never a certain break
    review_if: str | None = None  # ... or only when the project declares this fact too


@dataclass(frozen=True)
class FileScan:
    """What one file contains, independent of path and of the upgrade range."""

    hits: tuple[Hit, ...]
    facts: tuple[str, ...]
    lines: int
    parse_errors: tuple[tuple[int, int], ...]  # (line, column) of errors no rule explains


@dataclass
class Imports:
    """``use`` statements of one namespace block: alias (lower case) → qualified name."""

    classes: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClassInfo:
    kind: str  # class, interface, trait, enum
    name: str
    fqn: str  # lower case
    has_parent: bool
    dynamic_ok: bool  # a parent, __set, #[AllowDynamicProperties] or traits: cannot tell
    declared: frozenset[str]  # property names declared in the class body


@dataclass
class Scope:
    """The function, method or closure around a node, as far as the walk has seen it.

    ``kind`` says where ``$this`` can come from: ``method`` and ``closure``
    (bound to an object, or bindable later) have one; ``function``,
    ``static-method`` and ``static-closure`` never do.
    """

    kind: str
    title: str  # how a finding names it: "static method Foo::bar()"
    parameters: tuple[str, ...] = ()  # names with the $ (set when the walk reaches them)
    changed: dict[str, int] = field(default_factory=dict)  # parameter → end byte of 1st change


@dataclass(frozen=True)
class Ctx:
    namespace: str = ""  # as written, without leading backslash
    imports: Imports = field(default_factory=Imports)
    klass: ClassInfo | None = None
    has_this: bool = False  # inside a non-static method or a closure within one
    breakable: str | None = None  # "loop" or "switch": what a bare break/continue targets
    string_key: bool = False  # inside "$a[key]": the unquoted key is a string, not a constant
    scope: Scope | None = None  # the function around the node; None at file level

    @property
    def ns_prefix(self) -> str:
        return f"{self.namespace.lower()}\\" if self.namespace else ""

    def but(self, **changes: Any) -> Ctx:
        """A copy with some fields changed (``dataclasses.replace``, without its field lookups).

        >>> Ctx(namespace="App").but(breakable="loop")
        Ctx(namespace='App', imports=Imports(classes={}, functions={}, constants={}), \
klass=None, has_this=False, breakable='loop', string_key=False, scope=None)
        """
        return Ctx(**{**self.__dict__, **changes})


class _Skip:
    """Returned by a handler that dealt with a node's whole subtree itself."""


SKIP = _Skip()
Handler = Callable[["Walker", Node, Ctx, str], "Ctx | _Skip | None"]
TokenHandler = Callable[["Walker", Node, str], None]  # (walker, token, its parent's type)


@lru_cache(maxsize=4)
def _token_query(tokens: tuple[str, ...]) -> Query:
    alternatives = " ".join(json.dumps(token) for token in tokens)
    source = f"(ERROR) @error\n(MISSING) @missing\n[{alternatives}] @token\n"
    return Query(language(), source)


def previous_token(node: Node) -> Node | None:
    """The token before ``node`` in the source (zero-width MISSING tokens skipped)."""
    current: Node | None = node
    while current is not None:
        sibling = current.prev_sibling
        if sibling is None:
            current = current.parent
            continue
        while sibling.child_count:
            sibling = sibling.children[-1]
        if not sibling.is_missing:
            return sibling
        current = sibling
    return None


class Walker:
    def __init__(
        self,
        source: bytes,
        matchers: Matchers,
        handlers: dict[str, Handler],
        token_handlers: dict[str, TokenHandler],
    ):
        self.source = source
        self.columns = ColumnIndex(source)
        self.m = matchers
        self.handlers = handlers
        self.token_handlers = token_handlers
        self.dispatch = _dispatch(handlers)
        self.variables_as_written = frozenset(b"$" + name.encode() for name in matchers.variables)
        self.hits: list[Hit] = []
        self.facts: set[str] = set()
        self.errors: list[tuple[int, int, int]] = []  # start byte, end byte, start line
        self.explained: list[tuple[int, int, int]] = []  # (start, end, line) explained by hits
        self.seen: set[str] = set()  # for detectors that report once per key
        self.tree_has_error = False  # without errors, no node has an ERROR ancestor
        # hits that hold only in a library file (one declaring a class or a
        # function), not in a template that a method may include
        self.library_only: list[tuple[str, Node, str]] = []

    # -- recording ---------------------------------------------------------------

    def hit(
        self,
        detector_or_rules: str | tuple[str, ...],
        node: Node,
        name: str,
        *,
        unless: tuple[str, ...] = (),
        only_if: str | None = None,
        review: bool = False,
        review_if: str | None = None,
        explains_error: bool = False,
        explains_until: int | None = None,
    ) -> None:
        """Record a hit for a detector (by name) or for explicit rule ids.

        A hit that ``explains_error`` accounts for parse errors on its line and
        in its node (or up to byte ``explains_until``): old syntax the grammar
        rejects is a finding, not an unreadable file.
        """
        if isinstance(detector_or_rules, str):
            rules = self.m.detectors.get(detector_or_rules, ())
        else:
            rules = detector_or_rules
        if not rules:
            return
        line = node.start_point[0] + 1
        column = self.columns.column(node.start_byte)
        for rule in rules:
            self.hits.append(Hit(rule, line, column, name, unless, only_if, review, review_if))
        if explains_error:
            end = max(node.end_byte, explains_until or 0)
            self.explained.append((node.start_byte, end, line))

    def hit_at(self, detector: str, offset: int, name: str) -> None:
        """Record a hit for a construct the tree no longer shows (it was repaired)."""
        for rule in self.m.detectors.get(detector, ()):
            line, column = self.columns.line(offset), self.columns.column(offset)
            self.hits.append(Hit(rule, line, column, name))

    def wants(self, detector: str) -> bool:
        return detector in self.m.detectors

    def excerpt(self, node: Node, limit: int = 60) -> str:
        """The node's code as written (before any repair), on one line."""
        written = self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")
        value = " ".join(written.split())
        return value if len(value) <= limit else value[: limit - 1] + "…"

    # -- names ---------------------------------------------------------------------

    def resolve_class(self, name: str, ctx: Ctx) -> str:
        """Fully qualified class name in lower case (``self``/``static``/``parent`` as is)."""
        lowered = name.lower()
        if lowered in ("self", "static", "parent"):
            return lowered
        if lowered.startswith("\\"):
            return lowered[1:]
        if lowered.startswith("namespace\\"):
            return ctx.ns_prefix + lowered[len("namespace\\") :]
        first, _, rest = lowered.partition("\\")
        imported = ctx.imports.classes.get(first)
        if imported is not None:
            return f"{imported}\\{rest}" if rest else imported
        return ctx.ns_prefix + lowered

    def resolve_function(self, name: str, ctx: Ctx) -> tuple[str, str | None]:
        """(qualified name, global fallback): unqualified calls in a namespace fall back."""
        lowered = name.lower()
        if lowered.startswith("\\"):
            return lowered[1:], None
        if lowered.startswith("namespace\\"):
            return ctx.ns_prefix + lowered[len("namespace\\") :], None
        if "\\" in lowered:
            first, _, rest = lowered.partition("\\")
            imported = ctx.imports.classes.get(first)  # namespace aliases live with classes
            prefix = imported if imported is not None else ctx.ns_prefix + first
            return f"{prefix}\\{rest}", None
        imported = ctx.imports.functions.get(lowered)
        if imported is not None:
            return imported, None
        if ctx.namespace:
            return ctx.ns_prefix + lowered, lowered
        return lowered, None

    def global_function(self, name: str, ctx: Ctx) -> tuple[str | None, tuple[str, ...]]:
        """The global function a call reaches (if any) and the facts that would cancel it."""
        qualified, fallback = self.resolve_function(name, ctx)
        if fallback is not None:
            return fallback, (f"function:{qualified}", f"function:{fallback}")
        if "\\" in qualified:
            return None, ()
        return qualified, (f"function:{qualified}",)

    # -- walking -------------------------------------------------------------------

    def run(self, root: Node) -> None:
        """Walk the tree once, in document order, calling the handlers.

        A tree cursor visits every node (tokens included) far more cheaply
        than asking each node for its children; it does not enter a subtree a
        handler skipped, nor one where no handler can find anything (a
        single-quoted string). A query over the tree in C measured slower than
        this walk: it visits as many nodes, and the context (namespace, class,
        function, loop) would still have to be rebuilt in Python. Punctuation
        and keywords only matter for old syntax the grammar rejects ($str{0},
        reserved words as names), so they are looked at only in trees with
        errors, by a query for exactly those tokens (``token_pass``).
        """
        self.tree_has_error = root.has_error
        for node, ctx in self._top_level(root):
            self._walk(node, ctx, "program")
        if any(fact.startswith(("class:", "function:")) for fact in self.facts):
            for detector, node, name in self.library_only:
                self.hit(detector, node, name)
        if root.has_error:
            self.token_pass(root)

    def _walk(self, top: Node, ctx: Ctx, label: str) -> None:
        dispatch = self.dispatch
        cursor = top.walk()
        first_child, next_sibling, parent = (
            cursor.goto_first_child,
            cursor.goto_next_sibling,
            cursor.goto_parent,
        )
        # Entering a node saves the level above (its context and label) in a
        # frame and leaving it restores them, so a step to the next sibling
        # (most steps) touches neither.
        frames: list[tuple[Ctx, str]] = []
        push, pop = frames.append, frames.pop
        while True:
            # a cursor on a tree always stands on a node (no assert: it runs per node)
            node: Node = cursor.node  # type: ignore[assignment]
            kind, handler, enters = dispatch[node.kind_id]
            child_ctx = ctx
            if handler is not None:
                outcome = handler(self, node, ctx, label)
                if outcome is SKIP:
                    enters = False
                elif outcome is not None:
                    child_ctx = outcome  # type: ignore[assignment]
            if enters and first_child():
                push((ctx, label))
                ctx, label = child_ctx, kind
                continue
            while not next_sibling():
                if not frames:
                    return
                parent()
                ctx, label = pop()
            if not frames:
                return  # the cursor never leaves ``top``; kept as a guard

    def token_pass(self, root: Node) -> None:
        """Errors, missing tokens, and the tokens the token handlers look at."""
        captures = QueryCursor(_token_query(tuple(sorted(self.token_handlers)))).captures(root)
        for node in captures.get("error", ()):
            self.errors.append((node.start_byte, node.end_byte, node.start_point[0] + 1))
        for node in captures.get("missing", ()):
            self.errors.append((node.start_byte, node.end_byte, node.start_point[0] + 1))
        for node in captures.get("token", ()):
            parent = node.parent
            self.token_handlers[node.type](self, node, parent.type if parent else "")

    def _top_level(self, root: Node) -> list[tuple[Node, Ctx]]:
        """Top-level statements with their namespace and imports, in document order."""
        items: list[tuple[Node, Ctx]] = []
        current = Ctx()
        for node in root.children:
            if node.type == "namespace_definition":
                name_node = node.child_by_field_name("name")
                namespace = text(name_node) if name_node is not None else ""
                body = node.child_by_field_name("body")
                scoped = Ctx(namespace=namespace, imports=Imports())
                if body is None:
                    current = scoped
                    items.append((node, current))
                else:
                    items.append((node, scoped))  # its body is walked with this context
            else:
                items.append((node, current))
        return items


def add_imports(node: Node, imports: Imports) -> None:
    """Record one ``use`` declaration (plain, function, const, or a group)."""
    kind = "class"
    for child in node.children:
        if child.type in ("function", "const"):
            kind = child.type
    prefix = ""
    for child in node.named_children:
        if child.type == "namespace_name":
            prefix = text(child).lower().lstrip("\\") + "\\"
        elif child.type == "namespace_use_clause":
            _add_clause(child, prefix, kind, imports)
        elif child.type == "namespace_use_group":
            for clause in child.named_children:
                if clause.type == "namespace_use_clause":
                    _add_clause(clause, prefix, kind, imports)


def _add_clause(clause: Node, prefix: str, kind: str, imports: Imports) -> None:
    for child in clause.children:
        if child.type in ("function", "const"):
            kind = child.type
    target = next((c for c in clause.named_children if c.type in ("name", "qualified_name")), None)
    if target is None:
        return
    qualified = prefix + text(target).lower().lstrip("\\")
    alias_node = clause.child_by_field_name("alias")
    alias = text(alias_node).lower() if alias_node is not None else qualified.rsplit("\\", 1)[-1]
    table = {"class": imports.classes, "function": imports.functions, "const": imports.constants}
    table[kind][alias] = qualified


# Node types and the named types their subtrees can hold (grammar.js of tree-sitter-php).
_NOTHING_INSIDE: dict[str, frozenset[str]] = {
    "string": frozenset({"string_content", "escape_sequence"}),  # single-quoted: no variables
    "name": frozenset(),  # a leaf: not even worth asking for a first child
}
_ERROR_KIND_ID = 0xFFFF  # tree-sitter's id for ERROR nodes, outside the grammar's own ids

# What the walk does with a node of one kind: its name, its handler, whether to enter it.
DispatchEntry = tuple[str, "Handler | None", bool]
_DISPATCH: dict[int, tuple[dict[str, Handler], list[DispatchEntry]]] = {}


def _dispatch(handlers: dict[str, Handler]) -> list[DispatchEntry]:
    """What the walk does with a node, by its kind id (one table per handlers).

    A kind id costs the walk less than the node's type name (a new string to
    hash for every node), a list indexed by it less than a dict, and one
    lookup answers all three questions.

        >>> table = _dispatch({})
        >>> table[language().id_for_node_kind("name", True)]
        ('name', None, False)
    """
    cached = _DISPATCH.get(id(handlers))
    if cached is not None and cached[0] is handlers:
        return cached[1]
    grammar = language()
    kinds = {
        kind_id: grammar.node_kind_for_id(kind_id) for kind_id in range(grammar.node_kind_count)
    }
    kinds[_ERROR_KIND_ID] = "ERROR"
    # subtrees where no handler can find anything: not entered at all
    opaque = {kind for kind, inside in _NOTHING_INSIDE.items() if not inside & handlers.keys()}
    unknown: DispatchEntry = ("?", None, True)  # no node has such an id
    table = [unknown] * (_ERROR_KIND_ID + 1)
    for kind_id, kind in kinds.items():
        if kind is not None:
            # tokens (anonymous kinds) are leaves: not worth asking for a first child
            enters = kind not in opaque and (
                kind_id == _ERROR_KIND_ID or grammar.node_kind_is_named(kind_id)
            )
            table[kind_id] = (kind, handlers.get(kind), enters)
    _DISPATCH[id(handlers)] = (handlers, table)
    return table
