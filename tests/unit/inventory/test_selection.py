"""The selector grammar (upkeep.inventory.selection): names, --all, --where, environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.inventory.test_servers import write_fleet
from upkeep.errors import UsageError
from upkeep.inventory.selection import select_projects
from upkeep.workspace import Workspace


def names(workspace: Path, *given: str, **options: object) -> list[str]:
    selection = select_projects(Workspace(workspace), list(given), **options)  # type: ignore[arg-type]
    return [project.name for project in selection.projects]


def refused(workspace: Path, *given: str, **options: object) -> str:
    with pytest.raises(UsageError) as caught:
        names(workspace, *given, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_names_come_back_sorted_and_each_once(workspace: Path) -> None:
    write_fleet(workspace)
    assert names(workspace, "shop", "blog", "shop") == ["blog", "shop"]


def test_all_selects_every_project(workspace: Path) -> None:
    write_fleet(workspace)
    assert names(workspace, every=True) == ["blog", "shop"]


def test_where_matches_project_labels_and_all_clauses_must_match(workspace: Path) -> None:
    write_fleet(workspace)
    assert names(workspace, where=["client=acme"]) == ["shop"]
    assert names(workspace, where=["tier=gold"]) == ["blog", "shop"]
    assert names(workspace, where=["tier=gold", "client=globex"]) == ["blog"]
    assert names(workspace, "shop", where=["tier=gold"]) == ["shop"]


def test_where_matches_server_labels_of_the_selected_environments_only(workspace: Path) -> None:
    write_fleet(workspace)
    assert names(workspace, where=["role=staging"]) == ["blog", "shop"]
    assert names(workspace, where=["role=staging"], environments=["staging"]) == ["blog", "shop"]
    message = refused(workspace, where=["role=staging"], environments=["production"])
    assert message.startswith("no project matches role=staging")


def test_refusals_are_one_line_each(workspace: Path) -> None:
    write_fleet(workspace)
    assert "no project selected" in refused(workspace)
    assert "not both" in refused(workspace, "shop", every=True)
    assert "no project 'nope'" in refused(workspace, "nope")
    assert "write KEY=VALUE" in refused(workspace, where=["client"])
    assert "is not a label name" in refused(workspace, where=["Client=acme"])
    assert "is not a label value" in refused(workspace, where=["client="])
    assert "no project matches client=initech" in refused(workspace, where=["client=initech"])


def test_an_environment_a_selected_project_lacks_is_refused(workspace: Path) -> None:
    write_fleet(workspace)
    assert "has no environment 'dev'" in refused(workspace, "shop", environments=["dev"])


def test_environments_of_all_is_every_environment(workspace: Path) -> None:
    write_fleet(workspace)
    selection = select_projects(Workspace(workspace), ["shop"], environments=["all"])
    assert selection.environments_of(selection.projects[0]) == ["staging", "production"]
    assert selection.single
