"""Gatus-style conditions: what parses, what is refused and why, how they judge a response."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from upkeep.errors import UsageError
from upkeep.inventory.conditions import (
    ConditionError,
    Op,
    Placeholder,
    Response,
    evaluate_all,
    human_duration,
    lookup,
    mask_secrets,
    parse,
    parse_path,
)
from upkeep.inventory.durations import parse_duration

HEALTH = json.dumps(
    {"status": "ok", "php_version": "8.2.36", "items": [{"id": 7}, {"id": 9}], "up": True}
).encode()


def ok(text: str, response: Response) -> bool:
    return parse(text).evaluate(response).ok


# ---- parsing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "placeholder", "path", "function", "op", "values"),
    [
        ("[STATUS] == 200", Placeholder.STATUS, (), None, Op.EQ, ("200",)),
        ("[BODY] == pat(*users*)", Placeholder.BODY, (), None, Op.EQ, ("*users*",)),
        ("[RESPONSE_TIME] < 800", Placeholder.RESPONSE_TIME, (), None, Op.LT, ("800",)),
        ("[BODY].status == ok", Placeholder.BODY, ("status",), None, Op.EQ, ("ok",)),
        ("[BODY].items[1].id >= 3", Placeholder.BODY, ("items", 1, "id"), None, Op.GE, ("3",)),
        ("[BODY][0] != x", Placeholder.BODY, (0,), None, Op.NE, ("x",)),
        ("len([BODY].items) <= 5", Placeholder.BODY, ("items",), "len", Op.LE, ("5",)),
        ("has([BODY].errors) == false", Placeholder.BODY, ("errors",), "has", Op.EQ, ("false",)),
        (
            "[CERTIFICATE_EXPIRATION] > 48h",
            Placeholder.CERTIFICATE_EXPIRATION,
            (),
            None,
            Op.GT,
            ("48h",),
        ),
        (
            "[STATUS] == any(200, 301 ,302)",
            Placeholder.STATUS,
            (),
            None,
            Op.EQ,
            ("200", "301", "302"),
        ),
        ("  [STATUS]!=500  ", Placeholder.STATUS, (), None, Op.NE, ("500",)),
        (
            "[BODY].message == all good, thanks",
            Placeholder.BODY,
            ("message",),
            None,
            Op.EQ,
            ("all good, thanks",),
        ),
    ],
)
def test_parses(text, placeholder, path, function, op, values) -> None:
    condition = parse(text)
    assert condition.left.placeholder is placeholder
    assert condition.left.path == path
    assert condition.left.function == function
    assert condition.op is op
    assert condition.right.values == values
    assert str(condition) == text.strip()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("[STATUS] = 200", "'=' is not an operator (use ==)"),
        ("[STATUS] 200", "expected an operator (==, !=, <, <=, >, >=) after [STATUS], found '200'"),
        ("[STATUS] ==", "nothing to compare with after =="),
        ("[status] == 200", "unknown placeholder [status] (did you mean [STATUS]?)"),
        ("[HEADERS] == x", "unknown placeholder [HEADERS] (use [STATUS], [BODY]"),
        ("200 == [STATUS]", "the left side must be a placeholder"),
        ("[STATUS] == ok", "[STATUS] must be compared with a number, not 'ok'"),
        ("[STATUS].code == 1", "only [BODY] takes a path, not [STATUS]"),
        (
            "[RESPONSE_TIME] < fast",
            "must be compared with a duration like 800ms or 72h, not 'fast'",
        ),
        ("[RESPONSE_TIME] == pat(1*)", "pat() does not apply to [RESPONSE_TIME]"),
        ("[BODY].count > many", "[BODY].count must be compared with a number, not 'many'"),
        ("[BODY].count > 1h", "[BODY].count must be compared with a number, not '1h'"),
        ("[BODY] < pat(*x*)", "pat() works only with == and !=, not <"),
        ("[STATUS] == any(200,,301)", "any() needs values separated by commas"),
        ("[BODY] == pat()", "pat() needs a pattern"),
        ("[BODY] == pat(*x*", "pat( is not closed with ')'"),
        ("len([STATUS]) == 3", "len() takes [BODY] or a [BODY] path, not [STATUS]"),
        ("len([BODY] == 3", "len( is not closed with ')'"),
        ("has([BODY]) == true", "has() takes a [BODY] path"),
        ("has([BODY].a) == yes", "has() is compared with == true or == false"),
        ("has([BODY].a) < 1", "has() is compared with == true or == false"),
        ("count([BODY]) == 1", "unknown function count() on the left (use len() or has())"),
        ("[BODY].a.[0] == 1", "cannot read the path at '.[0] == 1'"),
        ("[BODY] == [STATUS]", "[STATUS] on the right reads as a placeholder"),
        ("[BODY].php == [PHP_BUILD]", "its own check kind, php_build"),
        ("[STATUS] == 200\n[BODY] == x", "more than one line"),
    ],
)
def test_refuses_with_the_condition_and_the_reason(text: str, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(text)
    assert str(caught.value).startswith(f"condition {text.strip()!r}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, UsageError)  # exit 2: bad input


def test_a_long_condition_is_shortened_in_the_message() -> None:
    text = "[STATUS] = " + "9" * 200
    with pytest.raises(ConditionError, match=r"condition '\[STATUS\] = 9+\.\.\.': '='"):
        parse(text)


def test_not_text_is_refused() -> None:
    with pytest.raises(ConditionError, match="a condition must be text, got int"):
        parse(200)  # type: ignore[arg-type]


# ---- evaluating ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[STATUS] == 200", True),
        ("[STATUS] != 200", False),
        ("[STATUS] < 300", True),
        ("[STATUS] >= 400", False),
        ("[STATUS] == any(301, 200)", True),
        ("[STATUS] != any(500, 502)", True),
        ("[STATUS] == pat(2*)", True),
        ("[STATUS] == pat(3??)", False),
        ("[BODY].status == ok", True),
        ("[BODY].status != ok", False),
        ("[BODY].status == OK", False),  # case matters, as in Gatus
        ("[BODY].php_version == pat(8.2.*)", True),
        ("[BODY].items[1].id == 9", True),
        ("[BODY].items[1].id == 9.0", True),  # numbers compare as numbers
        ("[BODY].items[1].id > 8", True),
        ("[BODY].items[0].id < 7", False),
        ("[BODY].up == true", True),
        ("len([BODY].items) == 2", True),
        ("len([BODY].status) == 2", True),
        ("len([BODY].items[0]) == 1", True),
        ("has([BODY].items) == true", True),
        ("has([BODY].errors) == false", True),
        ("has([BODY].errors) != false", False),
        ("[BODY] == pat(*php_version*)", True),
        ("[BODY] == pat(*[{*)", True),  # brackets are literal, not classes
        ("[BODY] == pat(status*)", False),  # a whole-body match
        ("[RESPONSE_TIME] < 800", True),
        ("[RESPONSE_TIME] < 1s", True),
        ("[RESPONSE_TIME] < 200ms", False),
        ("[RESPONSE_TIME] <= 230", True),
        ("[CERTIFICATE_EXPIRATION] > 48h", True),
        ("[CERTIFICATE_EXPIRATION] > 3d", False),
        ("[CERTIFICATE_EXPIRATION] > 2d23h", True),
    ],
)
def test_evaluates(text: str, expected: bool) -> None:
    response = Response(
        status=200,
        body=HEALTH,
        response_time_ms=230,
        certificate_expires_in=dt.timedelta(days=2, hours=23, minutes=30),
    )
    assert ok(text, response) is expected


@pytest.mark.parametrize(
    ("text", "actual"),
    [
        ("[STATUS] == 200", "503"),
        ("[BODY].status == ok", "'error'"),
        ("[BODY].missing == ok", "no key 'missing' in the body"),
        ("[BODY].items[5].id == 1", "no [5] in items"),
        ("[BODY].items.x == 1", "no key 'x' in items"),
        ("[RESPONSE_TIME] < 800", "1235 ms"),
        ("[CERTIFICATE_EXPIRATION] > 30d", "no certificate (plain HTTP?)"),
        ("len([BODY].items) > 3", "0"),
        ("has([BODY].status) == false", "true"),
    ],
)
def test_a_failure_says_what_the_value_was(text: str, actual: str) -> None:
    response = Response(
        status=503, body=b'{"status": "error", "items": []}', response_time_ms=1234.6
    )
    outcome = parse(text).evaluate(response)
    assert not outcome.ok
    assert outcome.actual == actual
    assert str(outcome) == f"{text} (got {actual})"


def test_a_missing_value_fails_every_operator() -> None:
    response = Response(status=200, body=b'{"a": 1}')
    for text in ("[BODY].b == 1", "[BODY].b != 1", "[BODY].b < 1", "[BODY].b >= 1"):
        assert not ok(text, response), text


def test_a_body_that_is_not_json_fails_path_conditions_but_not_body_ones() -> None:
    response = Response(status=200, body=b"<html>Welcome</html>")
    outcome = parse("[BODY].status == ok").evaluate(response)
    assert (outcome.ok, outcome.actual) == (False, "the body is not JSON")
    assert ok("[BODY] == pat(*Welcome*)", response)
    assert ok("len([BODY]) == 20", response)


def test_no_response_fails_everything_with_the_reason() -> None:
    response = Response(error="connection refused by 10.0.0.1:443")
    outcomes = evaluate_all([parse("[STATUS] == 200"), parse("has([BODY].a) == false")], response)
    assert [o.ok for o in outcomes] == [False, False]
    assert outcomes[0].actual == "no response: connection refused by 10.0.0.1:443"


def test_a_number_is_not_compared_with_text_by_order() -> None:
    assert not ok("[BODY].v > 1", Response(body=b'{"v": "high"}'))
    assert not ok("[BODY].v > 1", Response(body=b'{"v": true}'))
    assert ok("[BODY].v > 1", Response(body=b'{"v": "2"}'))  # numeric text counts


def test_a_long_body_is_shown_short_on_one_line() -> None:
    body = "<html>\n" + "x" * 500 + "\n</html>"
    outcome = parse("[BODY] == pat(*welcome*)").evaluate(Response(status=200, body=body))
    assert outcome.actual.startswith("'<html> xxx")
    assert outcome.actual.endswith("…', 515 characters")
    assert "\n" not in outcome.actual


def test_secrets_are_never_shown() -> None:
    body = b'{"db_password": "hunter2", "dsn": "mysql://u:x@h", "debug": "password=hunter2 ok"}'
    response = Response(status=200, body=body)
    assert parse("[BODY].db_password == x").evaluate(response).actual == (
        "*** (a secret-looking key)"
    )
    shown = parse("[BODY].debug == x").evaluate(response).actual
    assert "hunter2" not in shown and "password=***" in shown
    whole = parse("[BODY] == x").evaluate(response).actual
    assert "hunter2" not in whole
    error = Response(error="auth failed: token=abc123 rejected")
    assert "abc123" not in parse("[STATUS] == 200").evaluate(error).actual


def test_mask_secrets_forms() -> None:
    assert mask_secrets("password=hunter2&user=a") == "password=***&user=a"
    assert mask_secrets("'api_key': 'k-123', x") == "'api_key': ***, x"
    assert mask_secrets("Authorization: Bearer") == "Authorization: ***"
    assert mask_secrets("nothing to hide") == "nothing to hide"


# ---- pieces ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("800ms", 0.8),
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("72h", 259200),
        ("30d", 2592000),
        ("1.5s", 1.5),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "5x", "m5", "1h 30m", "-5s", "5S", "99999999999d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_paths() -> None:
    assert parse_path("php_version") == ("php_version",)
    assert parse_path("data.items[2].id") == ("data", "items", 2, "id")
    assert parse_path("[0].id") == (0, "id")
    for bad in ("", "a..b", "a.", "a[x]", "a b"):
        with pytest.raises(ValueError, match="is not a JSON path"):
            parse_path(bad)


def test_lookup_walks_lists_and_objects() -> None:
    document = {"a": [{"b": None}]}
    assert lookup(document, ("a", 0, "b")) is None  # a JSON null is there
    assert lookup(document, ("a", 0, "c")).reason == "no key 'c' in a[0]"
    assert lookup(document, ("a", "b")).reason == "no key 'b' in a"
    assert lookup([1], (0,)) == 1


def test_human_durations() -> None:
    assert human_duration(dt.timedelta(days=12, hours=5)) == "12d 5h"
    assert human_duration(dt.timedelta(hours=5, minutes=7)) == "5h 7m"
    assert human_duration(dt.timedelta(minutes=2, seconds=5)) == "2m 5s"
    assert human_duration(dt.timedelta(seconds=-90000)) == "-1d 1h"


# ---- properties ------------------------------------------------------------------

_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789-", min_size=1, max_size=8)
_paths = st.lists(st.one_of(_keys, st.integers(0, 99)), min_size=1, max_size=5)


@given(_paths, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), st.integers(-1000, 1000))
def test_printed_conditions_parse_back_the_same(path, op, number) -> None:
    left = "[BODY]" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    condition = parse(f"{left} {op} {number}")
    again = parse(str(condition))
    assert (again.left, again.op, again.right) == (condition.left, condition.op, condition.right)
    assert condition.left.path == tuple(path)


@given(st.integers(100, 599), st.integers(100, 599))
def test_status_comparisons_agree_with_python(actual: int, limit: int) -> None:
    response = Response(status=actual)
    assert ok(f"[STATUS] == {limit}", response) is (actual == limit)
    assert ok(f"[STATUS] != {limit}", response) is (actual != limit)
    assert ok(f"[STATUS] < {limit}", response) is (actual < limit)
    assert ok(f"[STATUS] <= {limit}", response) is (actual <= limit)
    assert ok(f"[STATUS] > {limit}", response) is (actual > limit)
    assert ok(f"[STATUS] >= {limit}", response) is (actual >= limit)


@given(st.text(max_size=40), st.text(alphabet="ab*?[]().", max_size=8))
def test_pat_is_a_glob_of_star_and_question_mark_only(text: str, pattern: str) -> None:
    import fnmatch

    assume(pattern)  # pat() needs a pattern; refused at parse time
    # The reference: fnmatch with every character other than * and ? escaped.
    reference = "".join(c if c in "*?" else f"[{c}]" for c in pattern)
    expected = fnmatch.fnmatchcase(text, reference)
    assert ok(f"[BODY] == pat({pattern})", Response(body=text)) is expected


@given(st.text(max_size=200))
def test_anything_either_parses_or_is_refused_with_a_condition_error(text: str) -> None:
    try:
        condition = parse(text)
    except ConditionError as error:
        assert "\n" not in str(error)
    else:
        condition.evaluate(Response(status=200, body=text, response_time_ms=1))
