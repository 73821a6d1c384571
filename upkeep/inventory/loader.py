"""Finding and loading inventory files, reporting every problem of a file at once.

Hosts a project names (``hosts: [web-1]``) are resolved here from the servers
declared in servers.yml beside it, so a loaded Project holds Host values
whichever form the file used; its care plan (``care: {plan: standard}``) from
the plans.yml beside it, the same way.

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
from upkeep.inventory import crosscheck, fleetcheck, pins, yamldoc
from upkeep.inventory import identifiers as ids
from upkeep.inventory.care import CarePlans, is_plans_file, load_plans
from upkeep.inventory.files import PLANS_FILE, SERVERS_FILE, display, present, read_text
from upkeep.inventory.fleetcheck import Loaded
from upkeep.inventory.model import Project
from upkeep.inventory.problems import (
    Problem,
    from_document,
    from_validation,
    sort_lines,
)
from upkeep.inventory.servers import Fleet, is_servers_file, load_fleet
from upkeep.workspace import Workspace

SUFFIXES = (".yml", ".yaml")


def discover(workspace: Workspace) -> list[Path]:
    """Every project's inventory file (not the pins, not servers.yml), sorted."""
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
        path
        for path in folder.iterdir()
        if path.suffix in SUFFIXES
        and not pins.is_pins_file(path)
        and not is_servers_file(path)
        and not is_plans_file(path)
    )


def load_file(path: Path, fleet: Fleet | None = None, plans: CarePlans | None = None) -> Project:
    """The project in ``path``, or an InventoryError listing every problem in it.

    Hosts it names are looked up in ``fleet``, by default the servers.yml beside it;
    its care plan in ``plans``, by default the plans.yml beside it.
    """
    project, problems, _ = _load(
        path, fleet or load_fleet(path.parent), plans or load_plans(path.parent)
    )
    if project is None:
        raise InventoryError(sort_lines(problems))
    return project


def load_all(workspace: Workspace) -> tuple[Fleet, list[Project]]:
    """The declared servers and every project of the workspace, or an InventoryError."""
    fleet, plans = load_fleet(workspace.inventories), load_plans(workspace.inventories)
    return fleet, [load_file(path, fleet, plans) for path in discover(workspace)]


def load_project(workspace: Workspace, name: str) -> Project:
    """The project in inventories/<name>.yml, or a UsageError naming the known ones."""
    try:
        ids.project_name(name)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if name == Path(SERVERS_FILE).stem:
        raise UsageError(f"{SERVERS_FILE} declares the servers; it is not a project")
    if name == Path(PLANS_FILE).stem:
        raise UsageError(f"{PLANS_FILE} defines the care plans; it is not a project")
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
    """Problem lines for the given inventories, their pins and the servers.yml beside them,
    then for the fleet they make together (fleetcheck); empty when all are good."""
    problems: list[Problem] = []
    stems: dict[str, Path] = {}
    fleets: dict[Path, Fleet] = {}
    plans: dict[Path, CarePlans] = {}
    loaded: dict[Path, list[Loaded]] = {}
    for path in paths:
        folder = path.parent.absolute()
        if folder not in fleets:
            fleets[folder] = load_fleet(folder)
            plans[folder] = load_plans(folder)
            loaded[folder] = []
            problems.extend(fleets[folder].problems)
            problems.extend(plans[folder].problems)
        if is_servers_file(path) or is_plans_file(path):  # given by name: checked above
            continue
        if pins.is_pins_file(path):  # given by name on the command line
            problems.extend(pins.check_pins_file(path, pins.project_of_pins_file(path)))
            continue
        project, found, doc = _load(path, fleets[folder], plans[folder])
        problems.extend(found)
        if project is not None:
            loaded[folder].append(Loaded(path, doc, project))
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
    for folder, fleet in fleets.items():
        problems.extend(fleetcheck.check(fleet, loaded[folder]))
    return sort_lines(problems)


def _load(
    path: Path, fleet: Fleet, plans: CarePlans
) -> tuple[Project | None, list[Problem], yamldoc.Document]:
    shown = display(path)
    text, problems = read_text(path)
    if text is None:
        return None, problems, yamldoc.Document()
    doc = yamldoc.parse(text)
    problems = from_document(shown, doc)
    data = doc.data
    if data is None and not problems:
        empty = Problem(shown, 1, (), "the file is empty (start with 'project: <name>')")
        return None, [empty], doc
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
        return None, problems, doc
    problems += [
        Problem(shown, doc.line_of(key_path), key_path, message)
        for key_path, message in crosscheck.check(path.stem, data, fleet.endpoints())
    ]
    source = path.absolute()
    context = {
        "base_dir": source.parent,
        "source": source,
        "servers": fleet.hosts(),
        **plans.context(),
    }
    try:
        project = Project.model_validate(data, context=context)
    except ValidationError as error:
        problems += from_validation(shown, doc, error, Project)
        return None, problems, doc
    return (None if problems else project), problems, doc
