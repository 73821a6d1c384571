"""YAML read node by node, so every value keeps the line it came from.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two
equal keys. Here the text is composed into nodes and walked by hand: each key
path gets its line, duplicate keys become problems, and aliases cannot blow up
(self-reference, exponential expansion, runaway nesting).

    >>> doc = parse("a:\\n  b: [1, 2]\\n  a: x\\n")
    >>> doc.data
    {'a': {'b': [1, 2], 'a': 'x'}}
    >>> doc.lines[("a", "b", 1)], doc.lines[("a", "a")]
    (2, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
MAX_NODES = 20_000  # far above any real inventory, far below an alias bomb
MAX_DEPTH = 40


@dataclass
class Document:
    """The plain data, where each key path starts, and what went wrong reading it."""

    data: Any = None
    lines: dict[Path, int] = field(default_factory=dict)
    raw: dict[Path, str] = field(default_factory=dict)  # scalar source text by path
    problems: list[tuple[int | None, Path, str]] = field(default_factory=list)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path`` or of its nearest parent that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


class _TooBig(Exception):
    pass


def parse(text: str) -> Document:
    """Compose ``text`` and walk it; syntax errors end up in ``problems``."""
    doc = Document()
    try:
        # The reader checks the characters already here, so this is inside the try.
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, max(error.position, 0)) + 1
        doc.problems.append(
            (line, (), f"character {error.character:#06x} is not allowed in YAML (remove it)")
        )
        return doc
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.lines[()] = node.start_mark.line + 1
            doc.data = _Walker(loader, doc).walk(node, (), 0, ())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = ": ".join(part for part in (error.context, error.problem) if part)
        doc.problems.append(
            (mark.line + 1 if mark else None, (), f"invalid YAML: {what} (fix the syntax)")
        )
    except yaml.YAMLError as error:
        doc.problems.append((None, (), f"invalid YAML: {error} (fix the file)"))
    except RecursionError:
        doc.problems.append((None, (), "nested too deeply to read (flatten the structure)"))
    except _TooBig:
        doc.problems.append(
            (None, (), f"more than {MAX_NODES} values after expanding aliases (simplify the file)")
        )
    finally:
        loader.dispose()
    return doc


class _Walker:
    def __init__(self, loader: yaml.SafeLoader, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.count = 0

    def problem(self, node: Node, path: Path, message: str) -> None:
        self.doc.problems.append((node.start_mark.line + 1, path, message))

    def walk(self, node: Node, path: Path, depth: int, active: tuple[int, ...]) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig
        if id(node) in active:
            self.problem(node, path, "an alias refers to the value that contains it (remove it)")
            return None
        if depth > MAX_DEPTH:
            self.problem(node, path, f"nested more than {MAX_DEPTH} levels deep (flatten it)")
            return None
        active = (*active, id(node))
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                self.problem(node, path, f"YAML tag {node.tag} is not supported (remove it)")
            return self.mapping(node, path, depth, active)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                self.problem(node, path, f"YAML tag {node.tag} is not supported (remove it)")
            items = []
            for index, item in enumerate(node.value):
                self.doc.lines[(*path, index)] = item.start_mark.line + 1
                items.append(self.walk(item, (*path, index), depth + 1, active))
            return items
        return self.scalar(node, path)

    def scalar(self, node: Node, path: Path) -> Any:
        self.doc.raw[path] = str(node.value)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            self.problem(node, path, f"cannot read this value: {problem} (write it as plain text)")
        except Exception:  # a bad explicit tag such as !!int x: PyYAML raises what it likes
            self.problem(
                node, path, f"cannot read {node.value!r:.60} as {node.tag} (remove the tag)"
            )
        return None

    def mapping(self, node: MappingNode, path: Path, depth: int, active: tuple[int, ...]) -> Any:
        result: dict[str, Any] = {}
        pairs = [(k, v) for k, v in node.value if k.tag != _MERGE]
        # Merged mappings first, so explicit keys then win over them (as YAML
        # says) and their lines are the ones remembered.
        for merge in (v for k, v in node.value if k.tag == _MERGE):
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, MappingNode):
                    self.problem(merge, path, "'<<' must merge a mapping or a list of mappings")
                    continue
                merged = self.walk(source, path, depth + 1, active)
                for key, value in merged.items() if isinstance(merged, dict) else ():
                    result.setdefault(key, value)
        first_line: dict[str, int] = {}
        for key_node, value_node in pairs:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "a key must be a plain name, not a list or mapping")
                continue
            # The source text, not the YAML 1.1 reading: `on:` is the key "on", not True.
            key = str(key_node.value)
            if key in first_line:
                self.problem(
                    key_node,
                    (*path, key),
                    f"duplicate key (already on line {first_line[key]}; keep only one)",
                )
            else:
                first_line[key] = line
            self.doc.lines[(*path, key)] = line
            result[key] = self.walk(value_node, (*path, key), depth + 1, active)
        return result
