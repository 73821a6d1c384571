"""The files beside the projects that hold what they share (servers.yml, plans.yml): read
the same way, with the same problems for a misnamed, unreadable or shapeless file.

    >>> found = parse_beside("- a\\n", Path("inventories/plans.yml"), "expected 'plans:'")
    >>> found.data, [str(p) for p in found.problems]
    (None, ["inventories/plans.yml:1: (file): expected 'plans:'"])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upkeep.inventory import yamldoc
from upkeep.inventory.files import display, present, read_text
from upkeep.inventory.problems import Problem, from_document


@dataclass(frozen=True)
class Beside:
    """The file's document, its top-level mapping (None: absent or unusable), its problems."""

    doc: yamldoc.Document
    data: dict[str, Any] | None
    problems: tuple[Problem, ...]


def named_like(path: Path, name: str) -> bool:
    """Whether ``path`` is named like the file ``name`` (servers.yml), or its .yaml twin."""
    return path.stem == Path(name).stem and path.suffix in (".yml", ".yaml")


def read_beside(path: Path, kind: str, expected: str) -> Beside:
    """The file at ``path`` (the ``kind`` file: "fleet", "care plans"); nothing at all when
    it is absent, and a problem when its name ends in .yaml instead."""
    misnamed = path.with_suffix(".yaml")
    problems = []
    if present(misnamed):
        message = f"the {kind} file is {path.name} (rename it)"
        problems.append(Problem(display(misnamed), None, (), message))
    if not present(path):
        return Beside(yamldoc.Document(), None, tuple(problems))
    text, unreadable = read_text(path)
    if text is None:
        return Beside(yamldoc.Document(), None, (*problems, *unreadable))
    found = parse_beside(text, path, expected)
    return Beside(found.doc, found.data, (*problems, *found.problems))


def parse_beside(text: str, path: Path, expected: str) -> Beside:
    """``text`` (the file at ``path``) as YAML: ``expected`` is the problem when its top is
    not a mapping."""
    shown = display(path)
    doc = yamldoc.parse(text)
    problems = from_document(shown, doc)
    if isinstance(doc.data, dict):
        return Beside(doc, doc.data, tuple(problems))
    if doc.data is not None or not problems:
        problems.append(Problem(shown, doc.line_of(()), (), expected))
    return Beside(doc, None, tuple(problems))
