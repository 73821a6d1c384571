"""Legacy syntax the grammar no longer knows, rewritten before the rules run.

tree-sitter-php reads PHP 8. After a construct it does not know, its error
recovery can lose the rest of a class: the methods after ``$s{0}`` become
functions of no class, a PHP 4 constructor further down is missed and the
file is billed as "manual review". So, while a tree has errors, the
constructs below are rewritten at the same byte length (every line and
column stays true) and the source is parsed again, incrementally (the old
tree, told where bytes changed, lends every subtree the edits did not touch,
so a repaired file costs little more than one parse):

- curly-brace offsets ``$s{$i}`` become ``$s[$i]`` (a finding: removed in 8.0);
- a constant named like a keyword (``SELF``, ``PARENT``), valid PHP the
  grammar misreads, becomes a plain name of the same length (no finding).

Brackets are matched on the grammar's own tokens, never on raw text.

    >>> source = b"<?php class A { function f($s) { return $s{0}; } function A() {} }"
    >>> fixed, tree, repairs = repair(source)
    >>> fixed[source.index(b"{0") :][:3], tree.root_node.has_error
    (b'[0]', False)
    >>> [(r.detector, r.shown) for r in repairs]
    [('curly-offset', '$s{0}')]
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node, Point, Tree

from upkeep.estimate.phpast import parser
from upkeep.estimate.walker import previous_token

MAX_ROUNDS = 4  # a repair can reveal another one; each round re-parses the file
MAX_OFFSET_BYTES = 400  # an offset expression longer than this is not one

# Where a "{" after a variable is no offset: interpolation, PHP 8.4 property hooks
_NOT_OFFSETS = frozenset(
    {"encapsed_string", "heredoc_body", "string", "heredoc", "nowdoc", "property_hook_list"}
)
_CURLY_OWNERS = frozenset(
    {"variable_name", "member_access_expression", "nullsafe_member_access_expression"}
)
_KEYWORD_CONSTANTS = frozenset({"self", "parent"})


@dataclass(frozen=True)
class Repair:
    """One rewritten construct: where it starts, as written, and what it is."""

    detector: str | None  # the finding it is (None: valid PHP the grammar misreads)
    start: int  # byte offset of the construct in the original source
    shown: str  # the construct as written


@dataclass(frozen=True)
class _Edit:
    offset: int
    start_point: Point  # (row, byte column) of offset, as tree-sitter counts
    replacement: bytes  # as long as the bytes it replaces, and no line break
    repair: Repair | None = None


def repair(source: bytes) -> tuple[bytes, Tree, list[Repair]]:
    """Parse, repairing while there are errors: the source, its tree, what was rewritten."""
    repairs: list[Repair] = []
    tree = parser().parse(source)
    for _ in range(MAX_ROUNDS):
        if not tree.root_node.has_error:
            break
        tokens = _tokens(tree.root_node, source)
        edits = _curly_offsets(source, tokens["brace"]) + _keyword_constants(tokens["keyword"])
        del tokens
        if not edits:
            break
        patched = bytearray(source)
        for edit in edits:
            end_byte = edit.offset + len(edit.replacement)
            patched[edit.offset : end_byte] = edit.replacement
            # same length, no line break: the new bytes end where the old ones did
            row, column = edit.start_point
            end_point = (row, column + len(edit.replacement))
            tree.edit(edit.offset, end_byte, end_byte, edit.start_point, end_point, end_point)
            if edit.repair is not None:
                repairs.append(edit.repair)
        source = bytes(patched)
        del edits
        tree = parser().parse(source, tree)
    repairs.sort(key=lambda r: r.start)
    return source, tree, repairs


# Where a "{" may open a curly offset: right after a name's last character (ASCII
# word or any byte of a multi-byte character) or a "]", across blanks only. A
# comment in between is a token of its own, so that "{" is no offset; Unicode
# blanks the grammar skips end in a byte >= 0x80 and so count as the character.
_NAME_END = frozenset(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_]"
) | frozenset(range(0x80, 0x100))
_BLANKS = frozenset(b" \t\n\r\f\v")


def _tokens(root: Node, source: bytes) -> dict[str, list[Node]]:
    """The tokens a repair looks at, by kind, in document order.

    Found in the bytes and confirmed on the tree (a query capturing every "{"
    of the tree cost more than the repair's re-parse): every "{" that follows
    a name or "]", and every ``self`` / ``parent`` keyword (in any case).
    """
    braces = [
        token
        for offset in _braces_after_names(source)
        if (token := _token_at(root, offset, offset + 1, ("{",))) is not None
    ]
    lowered = source.lower()  # ASCII only, as the grammar's keywords
    starts = sorted(
        (offset, offset + len(word))
        for word in (b"self", b"parent")
        for offset in _occurrences(lowered, word)
    )
    keywords = [
        token
        for start, end in starts
        if (token := _token_at(root, start, end, _KEYWORD_CONSTANTS)) is not None
    ]
    return {"brace": braces, "keyword": keywords}


def _occurrences(source: bytes, word: bytes) -> list[int]:
    found = []
    offset = source.find(word)
    while offset != -1:
        found.append(offset)
        offset = source.find(word, offset + 1)
    return found


def _braces_after_names(source: bytes) -> list[int]:
    found = []
    for offset in _occurrences(source, b"{"):
        before = offset - 1
        while before >= 0 and source[before] in _BLANKS:
            before -= 1
        if before >= 0 and source[before] in _NAME_END:
            found.append(offset)
    return found


def _token_at(
    root: Node, start: int, end: int, kinds: tuple[str, ...] | frozenset[str]
) -> Node | None:
    """The token of one of ``kinds`` spanning exactly ``start``..``end``, if there is one."""
    node = root.descendant_for_byte_range(start, end)
    if node is None or node.type not in kinds or node.start_byte != start or node.end_byte != end:
        return None
    return node


def next_token(node: Node) -> Node | None:
    """The token after ``node`` in the source (zero-width MISSING tokens skipped)."""
    current: Node | None = node
    while current is not None:
        sibling = current.next_sibling
        if sibling is None:
            current = current.parent
            continue
        while sibling.child_count:
            sibling = sibling.children[0]
        if not sibling.is_missing:
            return sibling
        current = sibling
    return None


def offset_owner(brace: Node) -> Node | None:
    """What a ``{`` indexes, if it opens a curly-brace offset (``$s{0}``, ``$a[1]{0}``)."""
    parent = brace.parent
    if parent is not None and parent.type in _NOT_OFFSETS:
        return None
    before = previous_token(brace)
    if before is None or before.parent is None:
        return None
    owner = before.parent.type
    after_name = before.type == "name" and owner in _CURLY_OWNERS
    after_subscript = before.type == "]" and owner == "subscript_expression"
    return before.parent if after_name or after_subscript else None


def _closing_brace(brace: Node) -> Node | None:
    """The ``}`` that closes ``brace``, counting the grammar's brace tokens."""
    depth = 0
    token = next_token(brace)
    while token is not None and token.start_byte - brace.end_byte <= MAX_OFFSET_BYTES:
        if token.type == "{":
            depth += 1
        elif token.type == "}":
            if depth == 0:
                return token
            depth -= 1
        elif token.type == ";":
            return None  # a statement ended: this was no offset
        token = next_token(token)
    return None


def _curly_offsets(source: bytes, braces: list[Node]) -> list[_Edit]:
    edits: list[_Edit] = []
    for brace in braces:
        owner = offset_owner(brace)
        if owner is None:
            continue
        close = _closing_brace(brace)
        if close is None or source[close.start_byte : close.end_byte] != b"}":
            continue
        shown = source[owner.start_byte : close.end_byte].decode("utf-8", "replace")
        found = Repair("curly-offset", owner.start_byte, " ".join(shown.split()))
        edits.append(_Edit(brace.start_byte, brace.start_point, b"[", found))
        edits.append(_Edit(close.start_byte, close.start_point, b"]"))
    return edits


def _keyword_constants(keywords: list[Node]) -> list[_Edit]:
    """``SELF`` or ``PARENT`` used as a constant: the grammar only knows ``self::``."""
    edits: list[_Edit] = []
    for keyword in keywords:
        parent = keyword.parent
        if parent is not None and parent.type == "relative_scope":
            parent = parent.parent  # `== SELF)`: read as the start of `self::`
        following = next_token(keyword)
        if parent is None or parent.type != "ERROR":
            continue
        if following is not None and following.type == "::":
            continue
        width = keyword.end_byte - keyword.start_byte
        edits.append(_Edit(keyword.start_byte, keyword.start_point, b"_" * width))
    return edits
