"""The model is loaded once: the CLI loads the project and its pins, the workflows take them.

A spy counts every call of ``load_project`` and ``load_pins``, wherever a module
imported them from, while the CLI dispatches a job that stops before any host
is reached (a refusal: the runs that go further need the lab), and while the
workflows are called with a loaded model: they load nothing themselves.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.dev.test_dev import BUILD, COMMIT, INVENTORY
from tests.unit.run_cli import run_cli
from upkeep.errors import UsageError
from upkeep.inventory import load_project
from upkeep.inventory.pins import Pins, load_pins
from upkeep.inventory.pins import render as render_pins
from upkeep.refresh import workflow as refreshing
from upkeep.update import workflow as updating
from upkeep.update.runs import started, store
from upkeep.workspace import Workspace

OLD, NEW = BUILD, "8.2.36-1~deb12u1"


@pytest.fixture
def shop(workspace: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The shop project, production pinned; the state (journals) in the test's own directory."""
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    pins = Pins(project="shop").with_env("production", php_build=OLD, ref=COMMIT)
    (workspace / "inventories" / "shop.pins.yml").write_text(render_pins(pins))
    return Workspace(workspace)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the project and the pins were loaded, through any module's import of them."""
    counted: Counter[str] = Counter()

    def spy(name: str, loader: Callable[..., Any]) -> Callable[..., Any]:
        def counting(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return loader(*args, **kwargs)

        return counting

    for original in (load_project, load_pins):
        counter = spy(original.__name__, original)
        for module in list(sys.modules.values()):
            if (
                module.__name__.startswith("upkeep")
                and getattr(module, original.__name__, None) is original
            ):
                monkeypatch.setattr(module, original.__name__, counter)
    return counted


def _unfinished_update() -> None:
    store().save(started("shop", OLD, NEW, updating.STEPS))


def test_update_minor_refused_by_an_unfinished_run_loaded_the_model_once(
    shop: Workspace, loads: Counter[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _unfinished_update()
    code, _, err = run_cli(capsys, "update", "minor", "shop", "--yes")
    assert code == 2 and "unfinished" in err
    assert loads == Counter(load_project=1, load_pins=1)


def test_refresh_refused_a_production_target_having_loaded_the_model_once(
    shop: Workspace, loads: Counter[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "refresh", "shop", "--to", "production", "--yes")
    assert code == 2 and "never the target" in err
    assert loads == Counter(load_project=1, load_pins=1)


def test_the_workflows_load_nothing_they_are_given(shop: Workspace, loads: Counter[str]) -> None:
    project, pins = load_project(shop, "shop"), load_pins(shop, "shop")
    loads.clear()
    with pytest.raises(UsageError, match="no unfinished update"):
        updating.resume(shop, project, pins)
    with pytest.raises(UsageError, match="no unfinished update"):
        updating.abort(shop, project, pins)
    assert updating.status(project) is None
    _unfinished_update()
    with pytest.raises(UsageError, match="unfinished"):
        updating.minor(shop, project, pins)
    with pytest.raises(UsageError, match="never the target"):
        refreshing.refresh(shop, project, pins, target="production")
    with pytest.raises(UsageError, match="exclude each other"):
        refreshing.plan(shop, project, pins, db_only=True, files_only=True)
    with pytest.raises(UsageError, match="is not a backup of staging"):
        refreshing.restore(shop, project, "staging", "/tmp/elsewhere")
    assert loads == Counter()


def test_a_shared_host_refusal_reads_the_model_it_was_given(
    shop: Workspace, loads: Counter[str]
) -> None:
    # Staging moved onto production's host in the model only: the file still says otherwise.
    project, pins = load_project(shop, "shop"), load_pins(shop, "shop")
    shared = project.model_copy(
        update={
            "environments": {
                **project.environments,
                "staging": project.environments["staging"].model_copy(
                    update={"hosts": project.environments["production"].hosts}
                ),
            }
        }
    )
    loads.clear()
    with pytest.raises(UsageError, match=r"share host 192\.0\.2\.20"):
        updating.minor(shop, shared, pins)
    assert loads == Counter()
