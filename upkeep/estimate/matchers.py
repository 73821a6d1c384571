"""The catalogue compiled into lookup tables the scanner consults per node.

Function and class names are case-insensitive in PHP and keyed in lower case;
constants and variables are case-sensitive and keyed as written. Every rule of
the catalogue is compiled in, whatever the upgrade: the scan result of a file
then depends only on its bytes and the catalogue, which is what the cache keys
on, and the (from, to] range is applied afterwards.

    >>> from upkeep.estimate.catalogue import load_catalogue
    >>> tables = compile_matchers(load_catalogue())
    >>> tables.functions["mysql_query"]
    ('ext.mysql',)
    >>> tables.detectors["nested-ternary"]
    ('syntax.nested-ternary',)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from upkeep.estimate.catalogue import CallCondition, Catalogue, Kind


@dataclass(frozen=True)
class Matchers:
    functions: dict[str, tuple[str, ...]]  # function or "class::method" → rule ids (any use)
    calls: dict[str, tuple[tuple[str, CallCondition], ...]]  # function → (rule id, condition)
    ini: dict[str, tuple[str, ...]]
    constants: dict[str, tuple[str, ...]]  # NAME or "class::NAME" (class part lower case)
    classes: dict[str, tuple[str, ...]]  # fully qualified, lower case, no leading backslash
    variables: dict[str, tuple[str, ...]]
    reserved_class_names: dict[str, tuple[str, ...]]
    reserved_function_names: dict[str, tuple[str, ...]]
    detectors: dict[str, tuple[str, ...]]  # detector name → rule ids


def _class_constant_key(name: str) -> str:
    if "::" in name:
        owner, constant = name.split("::", 1)
        return f"{owner.lstrip(chr(92)).lower()}::{constant}"
    return name


def compile_matchers(catalogue: Catalogue) -> Matchers:
    functions: dict[str, list[str]] = defaultdict(list)
    calls: dict[str, list[tuple[str, CallCondition]]] = defaultdict(list)
    ini: dict[str, list[str]] = defaultdict(list)
    constants: dict[str, list[str]] = defaultdict(list)
    classes: dict[str, list[str]] = defaultdict(list)
    variables: dict[str, list[str]] = defaultdict(list)
    reserved_class: dict[str, list[str]] = defaultdict(list)
    reserved_function: dict[str, list[str]] = defaultdict(list)
    detectors: dict[str, list[str]] = defaultdict(list)
    for rule in catalogue.rules:
        if rule.kind in (Kind.FUNCTION, Kind.EXTENSION):
            for name in rule.names:
                functions[name.lstrip("\\").lower()].append(rule.id)
        if rule.kind is Kind.EXTENSION:
            for name in rule.constants:
                constants[name].append(rule.id)
            for name in rule.classes:
                classes[name.lstrip("\\").lower()].append(rule.id)
        elif rule.kind is Kind.CALL:
            for name in rule.names:
                calls[name.lower()].extend((rule.id, condition) for condition in rule.when)
        elif rule.kind is Kind.INI:
            for name in rule.names:
                ini[name].append(rule.id)
        elif rule.kind is Kind.CONSTANT:
            for name in rule.names:
                constants[_class_constant_key(name)].append(rule.id)
        elif rule.kind is Kind.CLASS:
            for name in rule.names:
                classes[name.lstrip("\\").lower()].append(rule.id)
        elif rule.kind is Kind.VARIABLE:
            for name in rule.names:
                variables[name].append(rule.id)
        elif rule.kind is Kind.SYNTAX:
            assert rule.detector is not None
            detectors[rule.detector].append(rule.id)
            if rule.detector == "reserved-class-name":
                for name in rule.names:
                    reserved_class[name.lower()].append(rule.id)
            elif rule.detector == "reserved-function-name":
                for name in rule.names:
                    reserved_function[name.lower()].append(rule.id)

    def freeze(table: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
        return {key: tuple(value) for key, value in sorted(table.items())}

    return Matchers(
        functions=freeze(functions),
        calls={key: tuple(value) for key, value in sorted(calls.items())},
        ini=freeze(ini),
        constants=freeze(constants),
        classes=freeze(classes),
        variables=freeze(variables),
        reserved_class_names=freeze(reserved_class),
        reserved_function_names=freeze(reserved_function),
        detectors=freeze(detectors),
    )
