"""Columns are counted in characters, incrementally, however long the line."""

from __future__ import annotations

from upkeep.estimate.catalogue import load_catalogue
from upkeep.estimate.matchers import compile_matchers
from upkeep.estimate.phpast import ColumnIndex, char_column
from upkeep.estimate.scanner import scan_source

MATCHERS = compile_matchers(load_catalogue())


def _char_starts(source: bytes) -> list[int]:
    """Every offset where a character starts (where tree-sitter nodes can start)."""
    return [i for i, byte in enumerate(source) if byte & 0xC0 != 0x80]


def test_columns_on_a_long_multibyte_line_match_counting_from_the_line_start():
    # blocks of the index are 4096 bytes: the line crosses many, with 2-, 3-
    # and 4-byte characters straddling block boundaries
    line = "".join(f"$v{i} = 'é€𝄞'; " for i in range(2000))
    source = f"<?php\n{line}\n$end = 'ü';\n".encode()
    index = ColumnIndex(source)
    offsets = _char_starts(source)
    assert len(source) > 8 * ColumnIndex.BLOCK
    assert [index.column(o) for o in offsets] == [char_column(source, o) for o in offsets]


def test_columns_on_ascii_lines_are_byte_distances_from_the_line_start():
    source = b"<?php\n" + b"$a = 1; " * 2000 + b"\nfoo();\n"
    index = ColumnIndex(source)
    assert index.column(0) == 1
    assert index.column(6) == 1  # first byte of line 2
    assert index.column(6 + 8 * 1999) == 8 * 1999 + 1
    assert index.column(len(source) - 7) == 1  # "foo" on line 3


def test_hits_far_into_a_one_line_file_have_true_columns():
    unit = "$x = 'ünïcödé'; "  # 16 characters, 20 bytes
    source = f"<?php {unit * 3000}each($a);".encode()
    (hit,) = scan_source(source, MATCHERS).hits
    assert (hit.rule, hit.line, hit.column) == ("function.each", 1, 7 + 16 * 3000)
