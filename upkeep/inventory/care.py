"""Care plans: what a client bought, defined once and named by the projects.

``inventories/plans.yml`` (one file, beside the projects and servers.yml)::

    sla:                          # SLA policies by name, in the sla: section's shape
      business-hours:
        target: 99.9
        calendar: {timezone: Europe/Warsaw, hours: {mon-fri: "09:00-17:00"}, holidays: PL}
    plans:
      standard:
        monitoring: true
        sla: business-hours       # a policy above; none: no SLA in the package
        environments: [dev, staging, production]   # the environments kept for the client
        minor_updates: true       # newer builds of the PHP line, within the fee
        major_proposals: true     # a scoped estimate when a newer PHP line is offered
        support: business-hours   # none, business-hours or 24/7
        warranty_days: 90         # from the signed acceptance protocol

A project's ``care:`` section names its plan, the acceptance date and the
client, and may change any part of the plan for itself::

    care:
      plan: standard
      accepted: 2026-10-01
      client: {name: ACME sp. z o.o., contact: it@acme.example, language: pl}
      warranty_days: 120          # this client's contract says so

A project without its own ``sla:`` section gets its plan's SLA policy, so a
policy written once serves every project on the plan.

    >>> plans = parse(
    ...     "plans:\\n  basic: {sla: null, environments: [production]}\\n",
    ...     Path("inventories/plans.yml"),
    ... )
    >>> care = Care.model_validate(
    ...     {"plan": "basic", "accepted": "2026-10-01", "warranty_days": 30,
    ...      "client": {"name": "ACME", "contact": "it@acme.example"}},
    ...     context=plans.context(),
    ... )
    >>> care.environments, care.warranty_days, care.client.language
    (('production',), 30, 'en')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from upkeep.inventory.base import EnvironmentName, Model
from upkeep.inventory.beside import Beside, named_like, parse_beside, read_beside
from upkeep.inventory.files import PLANS_FILE, display
from upkeep.inventory.identifiers import label_value
from upkeep.inventory.notify import Address
from upkeep.inventory.problems import Problem, from_validation
from upkeep.inventory.service_calendar import parse_timezone
from upkeep.inventory.sla import ClosedDay, SlaPolicy

DEFAULT_WARRANTY_DAYS = 90

# A plan's or a policy's name: what a project writes after `plan:` or `sla:`.
Name = Annotated[str, AfterValidator(label_value)]
Language = Literal["pl", "en"]  # what the client's reports are written in
Support = Literal["none", "business-hours", "24/7"]


def _one_line(value: str) -> str:
    if not value.strip() or any(ord(c) < 32 for c in value):
        raise ValueError("expected one line of text")
    if len(value) > 200:
        raise ValueError("longer than 200 characters (shorten it)")
    return value.strip()


def _timezone(value: str) -> str:
    return parse_timezone(value).key


class Client(Model):
    """Who bought the plan: a name for the reports, a contact, their language."""

    name: Annotated[str, AfterValidator(_one_line)]
    contact: Address
    language: Language = "en"


class PlanParts(Model):
    """The package's parts: a named plan in plans.yml, or one project's changes to it."""

    monitoring: Annotated[bool, Strict()] = True
    sla: Name | None = None  # a policy in plans.yml's sla: section
    environments: tuple[EnvironmentName, ...] = ("dev", "staging", "production")
    minor_updates: Annotated[bool, Strict()] = True
    major_proposals: Annotated[bool, Strict()] = False
    support: Support = "business-hours"
    warranty_days: Annotated[int, Strict(), Field(ge=0, le=3650)] = DEFAULT_WARRANTY_DAYS


class Care(PlanParts):
    """A project's ``care:`` section, its plan's parts filled in (the project's own win)."""

    plan: Name
    accepted: ClosedDay | None = None  # None: no acceptance protocol signed yet
    client: Client
    timezone: Annotated[str, AfterValidator(_timezone)] | None = None  # default: the SLA's

    @model_validator(mode="before")
    @classmethod
    def _with_plan(cls, data: Any, info: ValidationInfo) -> Any:
        """The plan's parts under the project's own; an unknown plan is the field's to report."""
        if not isinstance(data, Mapping):
            return data
        plan = _plans(info).get(str(data.get("plan")))
        if plan is None:
            return data
        return {**plan.model_dump(), **data}

    @field_validator("plan")
    @classmethod
    def _known_plan(cls, value: str, info: ValidationInfo) -> str:
        plans = _plans(info)
        if value not in plans:
            known = ", ".join(sorted(plans)) or "none defined"
            raise ValueError(
                f"unknown care plan {value!r} (define it in {PLANS_FILE} beside the projects; "
                f"known plans: {known})"
            )
        if plans[value] is None:
            raise ValueError(f"care plan {value!r} has problems in {PLANS_FILE} (fix them there)")
        return value

    @field_validator("sla")
    @classmethod
    def _known_policy(cls, value: str | None, info: ValidationInfo) -> str | None:
        policies = _policies(info)
        if value is not None and value not in policies:
            known = ", ".join(sorted(policies)) or "none defined"
            raise ValueError(
                f"unknown SLA policy {value!r} (define it under sla: in {PLANS_FILE}; "
                f"known policies: {known})"
            )
        return value

    def policy(self, policies: Mapping[str, SlaPolicy]) -> SlaPolicy | None:
        """The SLA policy the plan names, from ``policies`` (None: the plan has no SLA)."""
        return None if self.sla is None else policies.get(self.sla)


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


def _plans(info: ValidationInfo) -> Mapping[str, PlanParts | None]:
    plans = _context(info).get("care_plans")
    return plans if isinstance(plans, Mapping) else {}


def _policies(info: ValidationInfo) -> Mapping[str, SlaPolicy]:
    policies = _context(info).get("sla_policies")
    return policies if isinstance(policies, Mapping) else {}


class PlansFile(Model):
    """The file's shape, for its problem lines."""

    sla: Mapping[Name, SlaPolicy] = Field(default_factory=dict)
    plans: Mapping[Name, PlanParts]


@dataclass(frozen=True)
class CarePlans:
    """The named plans and SLA policies of plans.yml: the good ones, and the names with problems."""

    source: Path
    plans: Mapping[str, PlanParts] = field(default_factory=dict)
    policies: Mapping[str, SlaPolicy] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()  # plans with problems
    problems: tuple[Problem, ...] = ()

    def context(self) -> dict[str, Any]:
        """What a project's validation needs to resolve ``care.plan`` and the plan's SLA."""
        plans: dict[str, PlanParts | None] = {name: None for name in self.broken}
        plans.update(self.plans)
        return {"care_plans": plans, "sla_policies": dict(self.policies)}


def plans_path(inventories: Path) -> Path:
    return inventories / PLANS_FILE


def is_plans_file(path: Path) -> bool:
    """Whether ``path`` is named like the care plans file (plans.yml, or plans.yaml)."""
    return named_like(path, PLANS_FILE)


def load_plans(inventories: Path) -> CarePlans:
    """The plans defined in ``inventories``; none when there is no plans.yml."""
    path = plans_path(inventories)
    return _plans_in(path, read_beside(path, "care plans", "expected 'plans:' and a plan per name"))


def parse(text: str, path: Path) -> CarePlans:
    """The plans in ``text`` (the file at ``path``), each problem with its line."""
    return _plans_in(path, parse_beside(text, path, "expected 'plans:' and a plan per name"))


def _plans_in(path: Path, found: Beside) -> CarePlans:
    if found.data is None:
        return CarePlans(path, problems=found.problems)
    data, doc, problems, shown = found.data, found.doc, list(found.problems), display(path)
    try:
        PlansFile.model_validate(data)
    except ValidationError as error:
        problems += from_validation(shown, doc, error, PlansFile)
    policies = {
        name: policy
        for name, entry in _entries(data, "sla").items()
        if (policy := _valid(SlaPolicy, entry)) is not None
    }
    plans: dict[str, PlanParts] = {}
    broken = set()
    for name, entry in _entries(data, "plans").items():
        plan = _valid(PlanParts, entry)
        if plan is not None and plan.sla is not None and plan.sla not in _entries(data, "sla"):
            where = ("plans", name, "sla")
            known = ", ".join(sorted(_entries(data, "sla"))) or "none defined"
            message = f"unknown SLA policy {plan.sla!r} (define it under sla:; known: {known})"
            problems.append(Problem(shown, doc.line_of(where), where, message))
            plan = None
        if plan is None or (plan.sla is not None and plan.sla not in policies):
            broken.add(name)  # its own problems, or its policy's, are reported with their lines
        else:
            plans[name] = plan
    return CarePlans(path, plans, policies, frozenset(broken), tuple(problems))


def _entries(data: dict[str, Any], key: str) -> dict[str, Any]:
    entries = data.get(key)
    return entries if isinstance(entries, dict) else {}


def _valid(model: type[Model], entry: Any) -> Any:
    try:
        return model.model_validate(entry)
    except ValidationError:
        return None  # reported with its line by the whole file's validation
