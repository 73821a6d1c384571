"""Finding and loading inventory files, reporting every problem of a file at once.

>>> from pathlib import Path
>>> from upkeep.workspace import Workspace
>>> [p.name for p in discover(Workspace(Path(".")))]  # doctest: +SKIP
['demo.yml']
>>> check_files([Path("inventories/demo.yml")])  # doctest: +SKIP
[]
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from upkeep.errors import InventoryError, UsageError
from upkeep.inventory import crosscheck, pins, yamldoc
from upkeep.inventory import identifiers as ids
from upkeep.inventory.files import display, present, read_text
from upkeep.inventory.model import Project
from upkeep.inventory.problems import (
    Problem,
    from_document,
    from_validation,
    sort_lines,
)
from upkeep.workspace import Workspace

SUFFIXES = (".yml", ".yaml")


def discover(workspace: Workspace) -> list[Path]:
    """Every inventory file of the workspace (not the machine-written pins files), sorted."""
    return [path for path in named_like_inventories(workspace) if path.is_file()]


def named_like_inventories(workspace: Workspace) -> list[Path]:
    """Everything in inventories/ named like an inventory, files or not, sorted.

    What `inventory check` looks at: a directory or FIFO called shop.yml is
    then refused by name, not passed over in silence.
    """
    folder = workspace.inventories
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir() if path.suffix in SUFFIXES and not pins.is_pins_file(path)
    )


def load_file(path: Path) -> Project:
    """The project in ``path``, or an InventoryError listing every problem in it."""
    project, problems = _load(path)
    if project is None:
        raise InventoryError(sort_lines(problems))
    return project


def load_project(workspace: Workspace, name: str) -> Project:
    """The project in inventories/<name>.yml, or a UsageError naming the known ones."""
    try:
        ids.project_name(name)
    except ValueError as error:
        raise UsageError(str(error)) from None
    candidates = [workspace.inventories / f"{name}{suffix}" for suffix in SUFFIXES]
    found = [path for path in candidates if present(path)]  # read_text refuses non-files
    if len(found) > 1:
        raise UsageError(
            f"project {name} has two inventories ({found[0].name}, {found[1].name}); keep one"
        )
    if not found:
        known = ", ".join(path.stem for path in discover(workspace)) or "none yet"
        raise UsageError(
            f"no project {name!r:.60} in {workspace.inventories} (known projects: {known})"
        )
    project = load_file(found[0])
    pinned = pins.pins_path(workspace, name)  # moved from its old name first, if need be
    if present(pinned):  # its pins must be builds of the project's PHP line
        problems = pins.check_pins_file(pinned, project.name, project.php.line)
        if problems:
            raise InventoryError(sort_lines(problems))
    return project


def check_files(paths: Iterable[Path]) -> list[str]:
    """Problem lines for the given inventories and their pins files; empty when all are good."""
    problems: list[Problem] = []
    stems: dict[str, Path] = {}
    for path in paths:
        if pins.is_pins_file(path):  # given by name on the command line
            problems.extend(pins.check_pins_file(path, pins.project_of_pins_file(path)))
            continue
        project, found = _load(path)
        problems.extend(found)
        if path.stem in stems:
            problems.append(
                Problem(
                    display(path),
                    None,
                    ("project",),
                    f"project {path.stem} also has {display(stems[path.stem])} (keep one)",
                )
            )
        stems[path.stem] = path
        line = project.php.line if project is not None else None
        problems.extend(pins.check_beside(path, path.stem, line))
    return sort_lines(problems)


def _load(path: Path) -> tuple[Project | None, list[Problem]]:
    shown = display(path)
    text, problems = read_text(path)
    if text is None:
        return None, problems
    doc = yamldoc.parse(text)
    problems = from_document(shown, doc)
    data = doc.data
    if data is None and not problems:
        return None, [Problem(shown, 1, (), "the file is empty (start with 'project: <name>')")]
    if not isinstance(data, dict):
        if data is not None:
            problems.append(
                Problem(
                    shown,
                    doc.line_of(()),
                    (),
                    f"expected 'key: value' lines at the top, got a {type(data).__name__} "
                    "(start with 'project: <name>')",
                )
            )
        return None, problems
    problems += [
        Problem(shown, doc.line_of(key_path), key_path, message)
        for key_path, message in crosscheck.check(path.stem, data)
    ]
    source = path.absolute()
    try:
        project = Project.model_validate(
            data, context={"base_dir": source.parent, "source": source}
        )
    except ValidationError as error:
        problems += from_validation(shown, doc, error, Project)
        return None, problems
    return (None if problems else project), problems
