"""Scan one PHP file: parse it, run every detector, explain its parse errors.

>>> from upkeep.estimate.catalogue import load_catalogue
>>> from upkeep.estimate.matchers import compile_matchers
>>> tables = compile_matchers(load_catalogue())
>>> scan = scan_source(b"<?php\\n$r = mysql_query($sql);\\n$o->each($a);\\n", tables)
>>> [(hit.rule, hit.line, hit.column, hit.name) for hit in scan.hits]
[('ext.mysql', 2, 6, 'mysql_query()')]
"""

from __future__ import annotations

from upkeep.estimate import detect_calls, detect_decls, detect_syntax
from upkeep.estimate.matchers import Matchers
from upkeep.estimate.repair import repair
from upkeep.estimate.walker import FileScan, Handler, TokenHandler, Walker

# Bump when a detector changes what it reports: it is part of every cache key.
SCANNER_VERSION = "4"

HANDLERS: dict[str, Handler] = {
    **detect_calls.HANDLERS,
    **detect_decls.HANDLERS,
    **detect_syntax.HANDLERS,
}
TOKEN_HANDLERS: dict[str, TokenHandler] = {
    **detect_decls.TOKEN_HANDLERS,
    **detect_syntax.TOKEN_HANDLERS,
}


def scan_source(source: bytes, matchers: Matchers, walker_class: type[Walker] = Walker) -> FileScan:
    # legacy syntax the grammar does not know is rewritten (same length) and
    # reported as written; the walk then sees the classes and functions whole
    _, tree, repairs = repair(source)
    walker = walker_class(source, matchers, HANDLERS, TOKEN_HANDLERS)
    for found in repairs:
        if found.detector is not None:
            walker.hit_at(found.detector, found.start, found.shown)
    walker.run(tree.root_node)
    hits = sorted(set(walker.hits), key=lambda h: (h.line, h.column, h.rule, h.name))
    lines = source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0)
    return FileScan(
        hits=tuple(hits),
        facts=tuple(sorted(walker.facts)),
        lines=lines,
        parse_errors=_unexplained_errors(walker),
    )


def _unexplained_errors(walker: Walker) -> tuple[tuple[int, int], ...]:
    """Errors no detector recognised, one per line, outermost error node first."""
    explained_lines = {line for _, _, line in walker.explained}
    ranges = [(start, end) for start, end, _ in walker.explained]
    reported: dict[int, tuple[int, int]] = {}
    covered_until = -1
    for start, end, line in sorted(walker.errors, key=lambda e: (e[0], -e[1])):
        if end <= covered_until and start < covered_until:
            continue  # nested inside an error already considered
        covered_until = max(covered_until, end)
        if line in explained_lines or any(start <= e and s <= end for s, e in ranges):
            continue
        if line not in reported:
            reported[line] = (line, walker.columns.column(start))
    return tuple(sorted(reported.values()))
