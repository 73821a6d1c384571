"""Our pyinfra operations and facts, as data: facts in, commands out (pyinfra's own habit).

Each directory under cases/ is named for what it tests (``tasks.release.release_deployed``)
and holds one YAML file per case, in the shape of pyinfra's tests/operations/<op>/*.json:

- operations: ``args``; ``facts`` (each fact with the exact arguments the operation must
  ask it with, and its value); then either ``commands`` (a string, ``bash -c: <script>``,
  or ``upload:`` with its ``text``) and, when there are none, ``noop`` (why nothing was
  done), or the ``exception`` it raises.
- facts: ``args``, ``output`` (the host's lines), the exact ``command`` (and
  ``requires_command``), and the ``fact`` process() makes of the output.
- deploys (each ``@deploy`` of tasks/, for ``SiteState.example()``): ``facts`` in
  pyinfra's own shape (fact name, then its arguments as pyinfra writes them), and
  ``operations``: every operation the deploy adds, by name, with the commands it would
  run (uploads by sha1; their text is tested with the templates).

Every operation, fact and deploy of our own must have its cases: a "nothing to do" one
(or, for an operation, the refusal it raises instead) and one that changes something.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pyinfra.api import FactBase

import tasks
import tasks.release
from tests.unit.pyinfra_style import as_data, deploy_case, fact_case, from_data, operation_case
from upkeep.desired import Release, SiteState

CASES = Path(__file__).parent / "cases"
# Where our operations and facts live: every tasks module, and the checks' facts.
MODULES = (
    *(f"tasks.{module.name}" for module in pkgutil.iter_modules(tasks.__path__)),
    "upkeep.monitor.facts",
)


def _target(name: str) -> Any:
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def _load(path: Path) -> dict[str, Any]:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict), f"{path}: a case is a mapping"
    return case


def _cases(kind: str) -> list[Any]:
    return [
        pytest.param(path, id=f"{path.parent.name}/{path.stem}")
        for path in sorted((CASES / kind).glob("*/*.yml"))
    ]


@pytest.mark.parametrize("path", _cases("operations"))
def test_operation_case(path: Path) -> None:
    case = _load(path)
    outcome = operation_case(_target(path.parent.name), case)
    if "exception" in case:
        assert outcome.error == case["exception"]
        return
    assert outcome.error is None
    assert outcome.commands == case["commands"]
    # Nothing to do says why (pyinfra's noop); doing something says nothing of the kind.
    assert outcome.noops == ([case["noop"]] if not case["commands"] else [])


@pytest.mark.parametrize("path", _cases("facts"))
def test_fact_case(path: Path) -> None:
    case = _load(path)
    fact = _target(path.parent.name)
    outcome = fact_case(fact, case)
    assert as_data(fact, outcome.value) == case["fact"]
    assert outcome.value == from_data(fact, case["fact"])  # the types too (tuples, dataclasses)
    assert outcome.command == case["command"]
    assert outcome.requires_command == case.get("requires_command")


@pytest.mark.parametrize("path", _cases("deploys"))
def test_deploy_case(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _load(path)
    args: list[Any] = [SiteState.example()]
    if "release" in case:  # tasks.release.release: the code to deploy, and the site's URL
        given = dict(case["release"])
        # A release id is the clock's time: the case fixes it, as pyinfra's tests fix timestamps.
        release_id = given.pop("release_id")
        monkeypatch.setattr(tasks.release, "new_release_id", lambda now=None: release_id)
        given["archive"] = str(path.parent / given["archive"])
        given["commands"] = tuple(given["commands"])
        args += [Release(**given), case["site_url"]]
    assert deploy_case(_target(path.parent.name), case, *args) == case["operations"]


def _ours() -> tuple[list[str], list[str], list[str]]:
    """The dotted names of our operations, facts and deploys."""
    operations, facts, deploys = [], [], []
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if getattr(value, "__module__", None) != name:
                continue  # imported from elsewhere
            if inspect.isclass(value) and issubclass(value, FactBase):
                facts.append(f"{name}.{attribute}")
            elif hasattr(value, "_inner") and hasattr(value, "is_idempotent"):
                operations.append(f"{name}.{attribute}")  # an @operation
            elif hasattr(value, "_inner") and hasattr(value, "deploy_name"):
                deploys.append(f"{name}.{attribute}")  # a @deploy
    return sorted(operations), sorted(facts), sorted(deploys)


def test_every_operation_fact_and_deploy_of_ours_has_its_cases() -> None:
    operations, facts, deploys = _ours()
    assert "tasks.release.release_deployed" in operations and "tasks.facts.ReleaseState" in facts
    assert "tasks.nginx.nginx" in deploys
    missing = []
    for name in operations:
        cases = [_load(path) for path in sorted((CASES / "operations" / name).glob("*.yml"))]
        if not any("exception" in case or not case["commands"] for case in cases):
            missing.append(f"{name}: a nothing-to-do case (or the refusal it raises)")
        if not any(case.get("commands") for case in cases):
            missing.append(f"{name}: a case that changes something")
    for name in facts:
        if len(list((CASES / "facts" / name).glob("*.yml"))) < 2:
            missing.append(f"{name}: two cases (nothing found, something found)")
    for name in deploys:
        outcomes = [_load(path)["operations"] for path in (CASES / "deploys" / name).glob("*.yml")]
        if not any(outcome and not any(outcome.values()) for outcome in outcomes):
            missing.append(f"{name}: a nothing-to-do case (no operation does anything)")
        if not any(any(outcome.values()) for outcome in outcomes):
            missing.append(f"{name}: a case that changes something")
    assert missing == []
    # and no cases for what is gone
    named = {
        path.name
        for kind in ("operations", "facts", "deploys")
        for path in (CASES / kind).iterdir()
    }
    assert named == set(operations) | set(facts) | set(deploys)
