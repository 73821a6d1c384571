"""The effort model: grouping, automation discount, fixed parts, range."""

from __future__ import annotations

from upkeep.estimate.catalogue import Severity, Tier
from upkeep.estimate.effort import (
    AUTOMATED,
    CONTINGENCY,
    LIBRARY,
    EffortModel,
    estimate_effort,
    split_hours,
)
from upkeep.estimate.model import ComposerFinding, ComposerReport, Finding, ParseProblem

NO_COMPOSER = ComposerReport(False, None, None, 0, ())


def finding(
    path="a.php",
    line=1,
    rule="ext.mysql",
    tier=Tier.LARGE,
    rector=False,
    category="Removed extensions",
    severity=Severity.BREAKS,
) -> Finding:
    return Finding(path, line, 1, rule, severity, category, tier, rector, "x()", "m", "h")


def effort(findings, **kw):
    options = {"lines_of_code": 1000, "has_tests": True, "majors_crossed": 1}
    options.update(kw)
    problems = options.pop("problems", ())
    composer = options.pop("composer", NO_COMPOSER)
    return estimate_effort(tuple(findings), tuple(problems), composer, **options)


def code_hours(estimate, category="Removed extensions"):
    return next(line.expected for line in estimate.lines if line.category == category)


def test_identical_findings_in_one_file_are_not_multiplied():
    one = effort([finding()])
    two_hundred = effort([finding(line=n) for n in range(1, 201)])
    assert code_hours(one) == 2.0  # 120 minutes for the first
    # 120 + 20 × 25 (capped) minutes, far below 200 × 2 h
    assert code_hours(two_hundred) == round((120 + 20 * 25) / 60, 1)


def test_the_same_rule_in_two_files_is_two_pieces_of_work():
    single = effort([finding(path="a.php")])
    double = effort([finding(path="a.php"), finding(path="b.php")])
    assert code_hours(double) == 2 * code_hours(single)


def test_automated_fixes_cost_less_and_stand_apart_with_their_set_up():
    manual = effort([finding(tier=Tier.LARGE, category="Language and syntax")])
    rector = effort([finding(tier=Tier.LARGE, category="Language and syntax", rector=True)])
    setup = EffortModel().rector_setup_hours
    assert code_hours(rector, AUTOMATED) - setup < code_hours(manual, "Language and syntax")
    assert "Language and syntax" not in {line.category for line in rector.lines}
    assert "set Rector up" in next(
        line.detail for line in rector.lines if line.category == AUTOMATED
    )


def test_fixed_parts_scale_with_code_size_and_tests():
    small = effort([], lines_of_code=1_000, has_tests=True)
    large = effort([], lines_of_code=100_000, has_tests=True)
    untested = effort([], lines_of_code=100_000, has_tests=False)
    testing = {
        e: next(line for line in e.lines if line.category == "Regression testing").expected
        for e in (small, large, untested)
    }
    assert testing[small] < testing[large] < testing[untested]
    assert {line.category for line in small.lines} == {
        "Rehearsal and rollout",
        "Regression testing",
    }


def test_crossing_two_majors_needs_a_longer_rehearsal():
    one = effort([], majors_crossed=1)
    two = effort([], majors_crossed=2)

    def rehearsal(estimate):
        return next(line for line in estimate.lines if line.category == "Rehearsal and rollout")

    assert (
        rehearsal(two).expected == rehearsal(one).expected + EffortModel().rehearsal_per_extra_major
    )


def test_parse_problems_and_composer_findings_are_priced():
    composer = ComposerReport(
        True,
        "^7.2",
        None,
        40,
        (
            ComposerFinding("php-constraint", "composer.json", Severity.BREAKS, "m", "h"),
            ComposerFinding("locked-package", "a/b 1.0", Severity.BREAKS, "m", "h"),
        ),
    )
    estimate = effort(
        [], problems=[ParseProblem("x.php", 2, 1), ParseProblem("x.php", 9, 1)], composer=composer
    )
    lines = {line.category: line for line in estimate.lines}
    assert lines["Manual review"].expected == 1.0  # one file, 60 minutes
    # base 1 h + 40 × 2 min + 15 min + 45 min
    assert lines["Composer dependencies"].expected == round(1 + (80 + 15 + 45) / 60, 1)


def test_low_expected_high_are_ordered_and_totals_add_up():
    estimate = effort(
        [finding(), finding(path="b.php", tier=Tier.TRIVIAL, rule="r", category="Functions")]
    )
    assert estimate.low < estimate.expected < estimate.high
    total = sum(line.expected for line in estimate.lines)
    assert abs(estimate.expected - total) <= 0.25
    assert estimate.top_files[0].path == "a.php"


def test_the_model_is_documented_in_the_estimate():
    items = dict(effort([]).assumptions)
    assert "large 120+20" in items["Minutes per rule and file (first + each further finding)"]


# -- pricing like an engineer: libraries, own code, contingency, automation -------


def _library(name="SimplePie", files=("lib/simplepie/a.php", "lib/simplepie/b.php")):
    from upkeep.estimate.libraries import Library

    return Library(name, ("lib/simplepie/",), tuple(files), "path")


def test_a_bundled_library_is_one_upgrade_line_not_its_findings_one_by_one():
    library = _library()
    inside = [finding(path="lib/simplepie/a.php", line=n, rule=f"r{n}") for n in range(1, 40)]
    own = [finding(path="index.php")]
    estimate = effort(
        inside + own,
        libraries=(library,),
        file_lines={"lib/simplepie/a.php": 8000, "lib/simplepie/b.php": 2000, "index.php": 100},
    )
    (line,) = [line for line in estimate.lines if line.category == LIBRARY]
    assert line.detail.startswith("Upgrade or replace SimplePie (lib/simplepie/; 2 files")
    assert "39 findings" in line.detail
    model = EffortModel()
    assert line.expected == model.library_hours + model.library_hours_per_kloc * 10
    # only the application's own finding is priced by rule and file
    assert code_hours(estimate) == 2.0
    assert [f.path for f in estimate.top_files] == ["index.php"]


def test_a_library_without_findings_costs_a_check_only():
    estimate = effort([], libraries=(_library(),), file_lines={})
    (line,) = [line for line in estimate.lines if line.category == LIBRARY]
    assert line.expected == EffortModel().library_check_hours
    assert line.detail.startswith("Confirm it runs: SimplePie")


def test_runtime_only_risks_carry_a_stated_contingency():
    estimate = effort(
        [],
        lines_of_code=20_000,
        runtime_risks=("string-number-comparison", "null-to-internal-parameters", "foreach"),
    )
    lines = [line for line in estimate.lines if line.category == CONTINGENCY]
    assert [line.expected for line in lines] == [2.0 + 0.1 * 20, 2.0 + 0.1 * 20]
    assert "8.0 string to number comparison: 2 h + 0.1 h per 1,000 application lines" in (
        lines[0].detail
    )
    assert "Contingency: 8.2 dynamic properties where the type is unknown" in dict(
        estimate.assumptions
    )


def test_hours_split_into_automatable_and_manual():
    rector = finding(rule="cast.real", tier=Tier.SMALL, rector=True, category="Language and syntax")
    estimate = effort([rector, finding(path="b.php")])
    automatable, manual = split_hours(estimate)
    model = EffortModel()
    assert automatable == round(model.rector_setup_hours + 15 * model.rector_factor / 60, 1)
    assert abs(automatable + manual - estimate.expected) < 0.05
    assert manual > code_hours(estimate)  # the manual share holds the fixed parts too
