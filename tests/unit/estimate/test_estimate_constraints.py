"""Composer constraints: Composer's own semantics, by example and by property."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upkeep.estimate.composer_constraints import parse_constraint, parse_version
from upkeep.estimate.errors import BadConstraint


@pytest.mark.parametrize(
    ("constraint", "line", "allowed"),
    [
        ("^7.4 || ^8.0", (8, 2), True),
        ("^7.4 | ^8.0", (8, 4), True),
        ("^7.2", (8, 0), False),
        ("^5.6 || ^7.0", (7, 4), True),
        ("~7.1", (7, 4), True),
        ("~7.1", (8, 0), False),
        ("~7.1.0", (7, 2), False),
        ("7.4.*", (7, 4), True),
        ("7.4.*", (8, 0), False),
        ("7.*", (7, 1), True),
        ("7.x", (8, 0), False),
        ("*", (8, 4), True),
        (">=5.3.3", (8, 4), True),
        (">=7.2 <8.1", (8, 0), True),
        (">=7.2 <8.1", (8, 1), False),
        (">= 7.2, < 8.0", (7, 4), True),
        (">= 7.2, < 8.0", (8, 0), False),
        ("7.1 - 7.4", (7, 4), True),
        ("7.1 - 7.4", (8, 0), False),
        ("7.1 - 8", (8, 4), True),
        ("7.1 - 8", (9, 0), False),
        ("7.1 - 7.4.0", (7, 4), True),
        ("^8.0.2", (8, 0), True),
        ("^8.0.2", (9, 0), False),
        ("v8.1.*", (8, 1), True),
        (">=7.4@dev", (8, 0), True),
        ("^7.4-dev", (7, 4), True),
        ("8.2", (8, 2), True),
        ("8.2", (8, 3), False),
        ("!=8.0.0", (8, 0), True),
        ("<8", (8, 0), False),
        ("<=8", (8, 0), True),
        (">8.4", (8, 4), True),
        ("^0.3", (0, 4), False),
    ],
)
def test_lines_allowed_by_constraints(constraint, line, allowed):
    assert parse_constraint(constraint).allows_line(*line) is allowed


@pytest.mark.parametrize(
    ("constraint", "version", "allowed"),
    [
        ("^1.2.3", "1.2.3", True),
        ("^1.2.3", "1.9.0", True),
        ("^1.2.3", "2.0.0", False),
        ("^1.2.3", "2.0.0-beta1", False),  # the upper bound excludes 2.0's pre-releases
        ("^0.3", "0.3.9", True),
        ("^0.3", "0.4.0", False),
        ("^0.0.3", "0.0.4", False),
        ("~1.2", "1.9.9", True),
        ("~1.2.3", "1.3.0", False),
        (">=1.0", "1.0.0-RC1", True),  # >= without stability includes the pre-releases
        (">1.0", "1.0.0", False),
        ("<2.0", "2.0.0-alpha", False),
        ("1.0.0 - 2.1.0", "2.1.0", True),
        ("1.0 - 2.1", "2.1.5", True),
        ("1.0 - 2.1", "2.2.0", False),
        ("!=1.5", "1.5.0", False),
        ("!=1.5", "1.5.1", True),
        ("^1.0 || ^3.0", "2.5", False),
        ("^1.0 || ^3.0", "3.1", True),
    ],
)
def test_versions_allowed_by_constraints(constraint, version, allowed):
    assert parse_constraint(constraint).allows(version) is allowed


@pytest.mark.parametrize(
    "text", ["", "   ", "^", ">=", "||", "^7 ||", "dev-master", "~>1.2", "abc", "8.0.*.*x"]
)
def test_unparseable_constraints_raise_bad_constraint(text):
    with pytest.raises(BadConstraint):
        parse_constraint(text)


def test_version_order_follows_stability():
    order = [
        "1.0.0-dev",
        "1.0.0-alpha1",
        "1.0.0-beta2",
        "1.0.0-RC1",
        "1.0.0",
        "1.0.0-patch1",
        "1.0.1",
    ]
    parsed = [parse_version(v) for v in order]
    assert parsed == sorted(parsed)


numbers = st.integers(min_value=0, max_value=30)
versions = st.tuples(numbers, numbers, numbers)


def _text(version: tuple[int, int, int]) -> str:
    return ".".join(map(str, version))


@given(versions)
def test_caret_allows_itself_and_stops_at_the_next_major(version):
    major, minor, _patch = version
    constraint = parse_constraint(f"^{_text(version)}")
    assert constraint.allows(_text(version))
    if major > 0:
        assert constraint.allows(f"{major}.{minor + 1}.0")
        assert not constraint.allows(f"{major + 1}.0.0")


@given(versions)
def test_tilde_with_three_numbers_stays_on_the_minor(version):
    major, minor, patch = version
    constraint = parse_constraint(f"~{_text(version)}")
    assert constraint.allows(f"{major}.{minor}.{patch + 3}")
    assert not constraint.allows(f"{major}.{minor + 1}.0")


@given(versions, versions)
def test_greater_or_equal_matches_tuple_order(bound, candidate):
    assert parse_constraint(f">={_text(bound)}").allows(_text(candidate)) is (candidate >= bound)


@given(versions, versions, versions)
def test_or_is_union_and_comma_is_intersection(a, b, candidate):
    left, right = f">={_text(a)}", f"<{_text(b)}"
    v = _text(candidate)
    either = parse_constraint(f"{left} || {right}").allows(v)
    both = parse_constraint(f"{left}, {right}").allows(v)
    both_spaced = parse_constraint(f"{left} {right}").allows(v)
    l_ok, r_ok = parse_constraint(left).allows(v), parse_constraint(right).allows(v)
    assert either is (l_ok or r_ok)
    assert both is (l_ok and r_ok)
    assert both_spaced is both


@given(st.integers(0, 9), st.integers(0, 9), versions)
def test_wildcard_is_the_same_as_a_tilde_on_two_numbers(major, minor, candidate):
    v = _text(candidate)
    wildcard = parse_constraint(f"{major}.{minor}.*").allows(v)
    assert wildcard is (candidate[0] == major and candidate[1] == minor)


@given(versions)
def test_allows_line_agrees_with_allows_on_the_line_s_releases(version):
    major, minor, _ = version
    constraint = parse_constraint(f"^{_text(version)}")
    some_release = any(constraint.allows(f"{major}.{minor}.{p}") for p in range(0, 40))
    assert constraint.allows_line(major, minor) is some_release


@given(st.text(max_size=30))
def test_arbitrary_text_either_parses_or_raises_bad_constraint(text):
    with contextlib.suppress(BadConstraint):
        parse_constraint(text)
