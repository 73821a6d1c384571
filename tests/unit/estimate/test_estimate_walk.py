"""The fast walk sees what a plain walk over every node's children sees.

The walker takes shortcuts for speed (a tree cursor, subtrees no detector
looks into, labels read from field names). The reference below takes none:
it visits every child of every node, in document order, with the labels
computed from the children. Both must give identical hits, facts and errors
on a generated legacy tree, the fixture corpus and a few constructs the
shortcuts touch. Likewise a repaired file's tree, re-parsed incrementally,
is the tree a fresh parse of the repaired source gives, and the tokens a
repair finds from the bytes are those a query over the whole tree finds.
"""

from __future__ import annotations

import random

import pytest
from tree_sitter import Node, Query, QueryCursor, Tree

from benchmarks.bench_estimate import php_class, php_template
from tests.unit.estimate.conftest import FIXTURES
from upkeep.estimate.catalogue import load_catalogue
from upkeep.estimate.files import is_php
from upkeep.estimate.matchers import compile_matchers
from upkeep.estimate.phpast import language, parser
from upkeep.estimate.repair import _tokens, offset_owner, repair
from upkeep.estimate.scanner import scan_source
from upkeep.estimate.walker import SKIP, Ctx, Walker

MATCHERS = compile_matchers(load_catalogue())

# Constructs next to the walk's shortcuts: strings, named arguments,
# instanceof, subscripts in and out of strings, constants, nesting.
SNIPPETS = [
    b"<?php\nnamespace App;\nuse function lib\\q;\nuse Foo\\Bar as Baz;\n"
    b"function f($a, $b = 1, $c) { $a = 2; return func_get_args(); }\n"
    b"$x = q(name: PHP_EOL, value: $y instanceof Baz);\n"
    b"echo 'each($a)', \"$row[id] {$row[key]} ${name}\", $row[id], E_STRICT;\n",
    b"<?php\nclass Old { var $a; function Old() { $s = 'x'; return $s{0} . $this->b; }\n"
    b"  static function s() { return $this; } const C = SELF; }\n"
    b"$r = $o instanceof Old ? SELF : PARENT; $$v['k'] = 1; $o->$p['k']();\n",
    b"<?php\nswitch ($a) { case FOO: continue; default: break; default: }\n"
    b"for (;;) { break 1; } global $$x->y; $a = <<<EOT\n$row[id] ${x}\nEOT;\n"
    b"$b = <<<'EOT'\n$row[id]\nEOT;\n#[Attr] function g(?int $i = null, int $j = null) {}\n",
    b"<html><?php if ($a): ?><b><?= mysql_query($q) ?></b><?php endif; ?>\n"
    b"<?php $f = static fn($x) => $this; $g = function () { return $this; };\n"
    b"new class extends Base { function m() { $this->p = (real) $q; } };\n",
]


_RELABELLED = frozenset({"subscript_expression", "const_element", "binary_expression", "argument"})


def _child_labels(node: Node, kind: str, children: list[Node]) -> list[str]:
    if kind == "subscript_expression":
        # the first child is what is indexed; the index follows (between brackets)
        labels = []
        inside = False
        for position, child in enumerate(children):
            if child.type in ("]", "}"):
                inside = False
            labels.append("subscript_index" if inside or (position and child.is_named) else kind)
            if child.type in ("[", "{"):
                inside = True
        return labels
    if kind == "const_element":
        return ["const_name" if i == 0 else kind for i in range(len(children))]
    if kind == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is not None and operator.type == "instanceof":
            right = node.child_by_field_name("right")
            return ["instanceof_class" if c == right else kind for c in children]
    if kind == "argument":
        named = node.child_by_field_name("name")
        if named is not None:
            return ["argument_name" if c == named else kind for c in children]
    return [kind] * len(children)


class ReferenceWalker(Walker):
    """Every child of every node, in document order, labels from the children."""

    def _walk(self, top: Node, ctx: Ctx, label: str) -> None:
        pending: list[tuple[Node, Ctx, str]] = [(top, ctx, label)]
        while pending:
            node, ctx, label = pending.pop()
            child_ctx = ctx
            handler = self.handlers.get(node.type)
            if handler is not None:
                outcome = handler(self, node, ctx, label)
                if outcome is SKIP:
                    continue
                if isinstance(outcome, Ctx):
                    child_ctx = outcome
            children = node.children
            if node.type in _RELABELLED:
                labels = _child_labels(node, node.type, children)
            else:
                labels = [node.type] * len(children)
            pending.extend(
                reversed([(c, child_ctx, role) for c, role in zip(children, labels, strict=True)])
            )


def _sources() -> list[tuple[str, bytes]]:
    rng = random.Random(16)
    generated = [
        (f"gen{index}.php", (php_template if index % 10 == 9 else php_class)(rng, index))
        for index in range(300)
    ]
    sources = [(name, text.encode()) for name, text in generated]
    sources += [
        (path.name, path.read_bytes())
        for path in sorted(FIXTURES.rglob("*"))
        if path.is_file() and is_php(path.name)
    ]
    return sources + [(f"snippet{index}.php", text) for index, text in enumerate(SNIPPETS)]


SOURCES = _sources()


@pytest.mark.parametrize("chunk", range(4))
def test_the_walk_finds_what_a_walk_over_every_child_finds(chunk: int):
    for name, source in SOURCES[chunk::4]:
        fast = scan_source(source, MATCHERS)
        reference = scan_source(source, MATCHERS, walker_class=ReferenceWalker)
        assert fast == reference, name


def test_the_comparison_covers_findings_facts_and_errors():
    scans = [scan_source(source, MATCHERS) for _, source in SOURCES]
    assert sum(len(scan.hits) for scan in scans) > 1000
    assert sum(len(scan.facts) for scan in scans) > 1000
    assert any(scan.parse_errors for scan in scans)
    rules = {hit.rule for scan in scans for hit in scan.hits}
    assert len(rules) > 40, sorted(rules)


def _nodes(tree: Tree) -> list[tuple[str, int, int, bool, str | None]]:
    """Every node of a tree (tokens included) in document order, with its field."""
    found = []
    cursor = tree.walk()
    while True:
        node = cursor.node
        assert node is not None
        found.append(
            (node.type, node.start_byte, node.end_byte, node.is_missing, cursor.field_name)
        )
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return found


def test_an_incrementally_repaired_tree_is_the_tree_a_fresh_parse_gives():
    repaired = 0
    for name, source in SOURCES:
        fixed, tree, _ = repair(source)
        if fixed != source:
            repaired += 1
            assert _nodes(tree) == _nodes(parser().parse(fixed)), name
    assert repaired > 20


# Next to the byte search's edges: blanks (ASCII and Unicode) and comments
# before "{", names ending in a digit or a multi-byte character, "]{", keywords
# in any case and inside longer words or strings.
TOKEN_SNIPPETS = [
    "<?php $s{0}; $s {1}; $s\t\n{2}; $s\u00a0{3}; $s /* c */ {4}; $s // c\n{5};",
    "<?php $a1{0}; $é{0}; $a[1]{0}; $o->p{0}; $o->p [0]{1}; ${'x'}{0}; \"$s{0}\";",
    "<?php class A { const X = SELF; function f() { return Parent::g() + self::$x + $selfish{0}; } }",
    "<?php if (PARENT == 'parent' || $a->self{0}) { $x = <<<E\n{$s{0}} self\nE;\n}",
]


def _query_tokens(root: Node) -> tuple[list[int], list[int]]:
    """Curly-offset braces and self/parent keywords, by a query capturing every one."""
    query = Query(language(), '"{" @brace\n["self" "parent"] @keyword\n')
    captures = QueryCursor(query).captures(root)
    braces = sorted(b.start_byte for b in captures.get("brace", ()) if offset_owner(b))
    return braces, sorted(k.start_byte for k in captures.get("keyword", ()))


def test_a_repair_finds_the_tokens_a_query_over_the_tree_finds():
    sources = SOURCES + [(f"tokens{i}.php", text.encode()) for i, text in enumerate(TOKEN_SNIPPETS)]
    braces = keywords = 0
    for name, source in sources:
        root = parser().parse(source).root_node
        found = _tokens(root, source)
        from_bytes = (
            sorted(b.start_byte for b in found["brace"] if offset_owner(b)),
            [k.start_byte for k in found["keyword"]],
        )
        assert from_bytes == _query_tokens(root), name
        braces += len(from_bytes[0])
        keywords += len(from_bytes[1])
    assert braces > 100 and keywords > 5
