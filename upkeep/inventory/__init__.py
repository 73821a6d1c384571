"""The inventory: which projects exist and how each environment must look.

>>> from upkeep.workspace import find_workspace
>>> workspace = find_workspace()  # doctest: +SKIP
>>> project = load_project(workspace, "demo")  # doctest: +SKIP
>>> [(env, host.name) for env, host in project.hosts()]  # doctest: +SKIP
[('dev', 'lab-dev'), ('staging', 'lab-staging'), ('production', 'lab-production')]
"""

from upkeep.inventory.loader import check_files, discover, load_all, load_file, load_project
from upkeep.inventory.model import (
    App,
    Database,
    Environment,
    EnvName,
    Host,
    Php,
    Project,
)

__all__ = [
    "App",
    "Database",
    "EnvName",
    "Environment",
    "Host",
    "Php",
    "Project",
    "check_files",
    "discover",
    "load_all",
    "load_file",
    "load_project",
]
