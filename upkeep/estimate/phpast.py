"""Small helpers over tree-sitter-php nodes: text, literals, arguments, names.

The parser is built once per process (tree-sitter objects do not cross
process boundaries) and reused for every file that process scans.

    >>> tree = parser().parse(b"<?php strlen('a\\\\'b');")
    >>> call = tree.root_node.children[1].children[0]
    >>> [literal_string(arg) for arg in call_arguments(call)[0]]
    ["a'b"]
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

import tree_sitter_php
from tree_sitter import Language, Node, Parser

STRING_TYPES = frozenset({"string", "encapsed_string"})


@lru_cache(maxsize=1)
def language() -> Language:
    return Language(tree_sitter_php.language_php())


@lru_cache(maxsize=1)
def parser() -> Parser:
    return Parser(language())


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def literal_string(node: Node) -> str | None:
    """The value of a string literal without interpolation, else None."""
    if node.type not in STRING_TYPES:
        return None
    single = node.type == "string"
    parts: list[str] = []
    for child in node.named_children:
        if child.type == "string_content":
            parts.append(text(child))
        elif child.type == "escape_sequence":
            raw = text(child)
            if single:
                parts.append(raw[1:] if raw in ("\\'", "\\\\") else raw)
            else:
                parts.append(_DOUBLE_ESCAPES.get(raw, raw))
        else:
            return None  # a variable or expression inside the string
    return "".join(parts)


_DOUBLE_ESCAPES = {
    "\\n": "\n",
    "\\t": "\t",
    "\\r": "\r",
    "\\v": "\v",
    "\\f": "\f",
    "\\e": "\x1b",
    "\\\\": "\\",
    '\\"': '"',
    "\\$": "$",
}


def call_arguments(call: Node) -> tuple[list[Node], bool]:
    """The argument expressions of a call, and whether positions are certain.

    Positions are uncertain with named arguments or ``...$spread``; rules that
    count or index arguments then stay silent rather than guess.
    """
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return [], False
    values: list[Node] = []
    certain = True
    for argument in arguments.named_children:
        if argument.type == "variadic_placeholder":  # first-class callable syntax f(...)
            return [], False
        if argument.type != "argument":
            continue
        if argument.child_by_field_name("name") is not None:
            certain = False
        expression = argument.named_children[-1] if argument.named_children else None
        if expression is None:
            continue
        if expression.type == "variadic_unpacking" or text(argument).startswith("..."):
            certain = False
        values.append(expression)
    return values, certain


def identifier_after(source: bytes, offset: int) -> str:
    """The identifier that follows a keyword token (skipping blanks and a ``&``).

    Used only right after a ``class``/``function`` keyword the parser found,
    where a reserved word in the name position makes the parser drop the name.
    """
    size = len(source)
    index = offset
    while index < size and source[index] in b" \t\r\n&":
        index += 1
    start = index
    while index < size and (
        source[index] == 0x5F or source[index] >= 0x80 or chr(source[index]).isalnum()
    ):
        index += 1
    return source[start:index].decode("utf-8", "replace")


def char_column(source: bytes, byte_offset: int) -> int:
    """1-based column in characters (tree-sitter counts bytes).

    Counts from the start of the line: fine for one position, quadratic for
    every node of a long line; a scan uses ``ColumnIndex`` instead.
    """
    line_start = source.rfind(b"\n", 0, byte_offset) + 1
    return len(source[line_start:byte_offset].decode("utf-8", "replace")) + 1


# UTF-8 continuation bytes: a line's characters are its bytes minus these.
_CONTINUATION = bytes(range(0x80, 0xC0))


class ColumnIndex:
    """Character columns of byte offsets in one source, without rescanning lines.

    Line starts are found once and bisected; continuation bytes are counted
    once per block, so a column costs at most one block's count however long
    the line (a 5 MB one-line file has a million nodes).

        >>> source = "<?php\\n$€ = 'é'; each($a);".encode()
        >>> ColumnIndex(source).column(19), char_column(source, 19)  # each(
        (11, 11)
    """

    BLOCK = 4096

    def __init__(self, source: bytes):
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer(b"\n", source)]
        self.ascii = source.isascii()
        self.before_block: list[int] = []  # continuation bytes before each block
        if not self.ascii:
            total = 0
            for start in range(0, len(source), self.BLOCK):
                self.before_block.append(total)
                total += self._count(start, start + self.BLOCK)

    def _count(self, start: int, end: int) -> int:
        part = self.source[start:end]
        return len(part) - len(part.translate(None, _CONTINUATION))

    def _continuations_before(self, offset: int) -> int:
        block = offset // self.BLOCK
        if block >= len(self.before_block):
            block = len(self.before_block) - 1
        start = block * self.BLOCK
        return self.before_block[block] + self._count(start, offset)

    def line(self, byte_offset: int) -> int:
        """1-based line of ``byte_offset``."""
        return bisect_right(self.line_starts, byte_offset)

    def column(self, byte_offset: int) -> int:
        """1-based column in characters of ``byte_offset``."""
        line_start = self.line_starts[bisect_right(self.line_starts, byte_offset) - 1]
        width = byte_offset - line_start
        if not self.ascii:
            width -= self._continuations_before(byte_offset) - self._continuations_before(
                line_start
            )
        return width + 1
