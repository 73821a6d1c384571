"""The whole transformer on real dumps: nothing personal out, every URL moved, all else as it was."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.refresh.conftest import (
    FIXTURES,
    SALT,
    SOURCE,
    TARGET,
    feed_in_pieces,
    needs_php,
    php_unserialize_check,
)
from upkeep.inventory import load_file
from upkeep.inventory.model import Sanitize
from upkeep.refresh.leaks import LeakReport, scan
from upkeep.refresh.pseudonyms import EMAIL, Fakes
from upkeep.refresh.sanitize import RuleSet
from upkeep.refresh.serialized import loads, looks_serialized
from upkeep.refresh.sqldump import (
    DumpFormatError,
    DumpRewriter,
    TablePlan,
    quote,
    split_row,
    unquote,
)
from upkeep.refresh.transform import Transformer, TransformReport, for_refresh

URL_MAP = [(SOURCE, TARGET)]


def transformer(section: dict[str, Any], salt: bytes = SALT) -> Transformer:
    return Transformer(RuleSet.from_section(Sanitize.model_validate(section)), URL_MAP, salt)


def transform(
    name: str, section: dict[str, Any], size: int = 1 << 20, salt: bytes = SALT
) -> tuple[bytes, TransformReport, bytes]:
    data = (FIXTURES / name).read_bytes()
    t = transformer(section, salt)
    out = feed_in_pieces(t, data, size)
    return out, t.report(), data


def rows_of(dump: bytes, table: str) -> list[list[bytes | None]]:
    """The decoded rows of ``table`` (MariaDB's layout: one row per line)."""
    start = dump.index(f"INSERT INTO `{table}` VALUES\n".encode())
    rows = []
    for line in dump[start:].split(b"\n")[1:]:
        values, _ = split_row(line)
        rows.append([unquote(v) for v in values])
        if line.endswith(b";"):
            return rows
    raise AssertionError("unterminated INSERT")


# ---- the demo site ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["demo.sql", "demo-one-row-per-insert.sql"])
def test_the_demo_dump_leaves_no_personal_data_and_no_production_url(name: str) -> None:
    out, report, data = transform(name, {"preset": "demo"}, size=4096)
    source_emails = set(EMAIL.findall(data))
    source_names = {row[1] for row in _users(data)}
    assert len(source_emails) >= 30 and len(source_names) > 10
    for email in source_emails:
        assert email not in out
    for person in source_names:
        assert person not in out
    assert b"www.demo.lab" not in out
    assert b"signed up as" not in out  # activity_log emptied
    assert scan([out], SALT, report.email_fingerprints).clean
    assert report.completed


def _users(dump: bytes) -> list[list[bytes | None]]:
    if b"INSERT INTO `users` VALUES\n" in dump:
        return rows_of(dump, "users")
    return [
        [unquote(v) for v in split_row(line, line.index(b"("))[0]]
        for line in dump.split(b"\n")
        if line.startswith(b"INSERT INTO `users`")
    ]


def test_the_report_counts_rows_values_and_urls() -> None:
    _, report, _ = transform("demo.sql", {"preset": "demo"})
    assert report.rows_in() == {"activity_log": 30, "orders": 60, "settings": 6, "users": 30}
    assert report.rows_out() == {"activity_log": 0, "orders": 60, "settings": 6, "users": 30}
    assert report.truncated == {"activity_log"}
    assert report.tables["users"].values_sanitized == 60  # a name and an address each
    assert report.tables["orders"].values_sanitized == 60
    assert report.values_sanitized == 120
    assert report.serialized_rewritten == 3 and report.serialized_failed == 0
    assert report.urls_rewritten > 10
    assert len(report.email_fingerprints) == 30
    assert report.bytes_in == len((FIXTURES / "demo.sql").read_bytes()) > report.bytes_out


def test_only_the_rows_with_something_to_change_change() -> None:
    out, _, data = transform("demo.sql", {"preset": "demo"})
    # The keys of orders move after its rows (upkeep.refresh.keys), whatever the rules.
    data = DumpRewriter(lambda table, columns: TablePlan(), defer_keys=True).feed(data)
    before = [
        line for line in data.split(b"\n") if not line.startswith(b"(") or b"signed up" not in line
    ]
    before = [line for line in before if not line.startswith(b"INSERT INTO `activity_log`")]
    after = out.split(b"\n")
    assert len(before) == len(after)
    changed = {i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b}
    # users (30) and orders (60) rows, and 5 of the 6 settings (site_name has no URL).
    assert len(changed) == 30 + 60 + 5
    assert all(after[i].startswith(b"(") for i in changed)


def test_the_same_person_gets_the_same_fake_and_every_address_stays_unique() -> None:
    out, _, data = transform("demo.sql", {"preset": "demo"})
    before, after = rows_of(data, "users"), rows_of(out, "users")
    fakes = Fakes(SALT)
    assert [row[2] for row in after] == [fakes.email(row[2] or b"") for row in before]
    assert len({row[2] for row in after}) == len(after)
    assert [row[0] for row in after] == [row[0] for row in before]  # ids, dates kept
    assert [row[3] for row in after] == [row[3] for row in before]


def test_output_depends_on_the_salt_and_not_on_the_chunks() -> None:
    whole, _, _ = transform("demo.sql", {"preset": "demo"})
    for size in (1, 7, 1000):
        assert transform("demo.sql", {"preset": "demo"}, size)[0] == whole
    other, _, _ = transform("demo.sql", {"preset": "demo"}, salt=b"a-different-salt-0123456789")
    assert other != whole


def test_the_serialized_settings_are_still_valid_and_point_at_staging() -> None:
    out, _, _ = transform("demo.sql", {"preset": "demo"})
    settings = {row[0]: row[1] for row in rows_of(out, "settings")}
    serialized = {k: v for k, v in settings.items() if v and looks_serialized(v)}
    assert set(serialized) == {b"mailer", b"theme_options", b"widget_banners"}
    for value in serialized.values():
        assert loads(value) is not None
        assert b"https://staging.demo.lab/" in value
    assert b's:23:"orders@staging.demo.lab"' in settings[b"mailer"]  # type: ignore[operator]
    assert settings[b"social_json"] == (
        b'{"homepage":"https:\\/\\/staging.demo.lab\\/","share_image":"https:\\/\\/staging.demo.lab'
        b'\\/uploads\\/logo.png","feed":"https:\\/\\/staging.demo.lab\\/feed.xml"}'
    )


@needs_php
def test_php_unserializes_the_rewritten_settings() -> None:
    out, _, _ = transform("demo.sql", {"preset": "demo"})
    wordpress_out, _, _ = transform("wordpress.sql", {"preset": "wordpress"})
    values = [row[1] for row in rows_of(out, "settings")]
    values += [row[2] for row in rows_of(wordpress_out, "wp_options")]
    stored = [v for v in values if v and looks_serialized(v) and b"staging" in v]
    assert len(stored) == 3 + 4
    verdicts = php_unserialize_check((value, value) for value in stored)
    assert verdicts == ["ok"] * len(stored)


def test_without_rules_only_urls_change() -> None:
    out, report, data = transform("demo.sql", {})
    assert report.values_sanitized == 0 and report.truncated == frozenset()
    assert out.replace(b"staging.demo.lab", b"www.demo.lab") != data  # lengths moved in s:N:
    assert EMAIL.findall(out) == [
        e.replace(b"www.demo.lab", b"staging.demo.lab") for e in EMAIL.findall(data)
    ]
    assert report.rows_in() == report.rows_out()


# ---- WordPress -------------------------------------------------------------------------


def test_wordpress_people_are_replaced_consistently_across_tables() -> None:
    out, report, data = transform("wordpress.sql", {"preset": "wordpress"}, size=333)
    fakes = Fakes(SALT)
    anna, ben = fakes.email(b"anna.mueller@example.com"), fakes.email(b"ben.oneill@example.net")
    users = rows_of(out, "wp_users")
    assert users[0][4] == anna and users[1][4] == ben
    assert users[0][1] != b"anna" and re.fullmatch(rb"[0-9a-f]{32}", users[0][1] or b"")
    meta = {(row[1], row[2]): row[3] for row in rows_of(out, "wp_usermeta")}
    assert meta[(b"1", b"billing_email")] == anna
    assert (
        meta[(b"1", b"first_name")]
        == meta[(b"1", b"billing_first_name")]
        == fakes.first_name(b"Anna")
    )
    assert meta[(b"1", b"billing_phone")] == b"" and meta[(b"1", b"session_tokens")] == b""
    assert meta[(b"1", b"wp_capabilities")] == b'a:1:{s:8:"customer";b:1;}'  # not personal
    comments = rows_of(out, "wp_comments")
    assert comments[0][3] == anna and comments[0][5] == b"127.0.0.1"
    assert comments[0][2] == users[0][9]  # "Anna Müller" is one fake name everywhere
    postmeta = {row[2]: row[3] for row in rows_of(out, "wp_postmeta")}
    assert postmeta[b"_billing_email"] == ben and postmeta[b"_order_total"] == b"19.99"
    assert rows_of(out, "wp_wc_order_addresses")[0][12] == ben
    assert report.truncated == {"wp_woocommerce_sessions"}
    assert b"wp_woocommerce_sessions` VALUES" not in out
    for person in (b"Anna", b"O\\'Neill", "Müller".encode(), b"Hauptstra", b"203.0.113"):
        assert person not in out, person
    assert data.count(b"Anna") > 0


def test_wordpress_options_are_rewritten_in_every_layer() -> None:
    out, report, data = transform("wordpress.sql", {"preset": "wordpress"})
    options = {row[1]: row[2] for row in rows_of(out, "wp_options")}
    assert options[b"siteurl"] == options[b"home"] == b"https://staging.demo.lab"
    inner = loads(options[b"double_serialized"] or b"")
    assert isinstance(inner, bytes) and b"https://staging.demo.lab/wp-content/" in inner
    loads(inner)
    assert (
        options[b"json_urls"]
        == b'{"home":"https:\\/\\/staging.demo.lab\\/","api":"https:\\/\\/staging.demo.lab\\/wp-json\\/"}'
    )
    assert b'src=\\"//staging.demo.lab/logo.png' not in options[b"widget_text"]  # type: ignore[operator]
    assert b'src="//staging.demo.lab/logo.png' in options[b"widget_text"]  # type: ignore[operator]
    # A value that only looks serialized (its length is wrong) is left alone, and counted.
    before = {row[1]: row[2] for row in rows_of(data, "wp_options")}
    assert options[b"broken_serialized"] == before[b"broken_serialized"]
    assert report.serialized_failed == 1


def test_wordpress_administrators_address_in_the_options_is_replaced() -> None:
    # On a real WordPress it is the first user's address too: left, the leak check fails.
    out, _, _ = transform("wordpress.sql", {"preset": "wordpress"})
    options = {row[1]: row[2] for row in rows_of(out, "wp_options")}
    assert options[b"admin_email"] == Fakes(SALT).email(b"webmaster@example.com")


def test_the_leak_check_finds_an_address_the_rules_missed() -> None:
    """The preset keeps comment texts; one names a commenter's address."""
    out, report, data = transform("wordpress.sql", {"preset": "wordpress"})
    assert scan([out], SALT, report.email_fingerprints) == LeakReport(
        addresses_checked=12, leaks={"wp_comments": 1}
    )
    assert not scan([data], SALT, report.email_fingerprints).clean
    # With another salt the fingerprints mean nothing: no false alarm either way.
    assert scan([out], b"another-salt-0123456789", report.email_fingerprints).clean
    fixed, fixed_report, _ = transform(
        "wordpress.sql",
        {"preset": "wordpress", "tables": {"wp_comments": {"comment_content": {"fixed": "..."}}}},
    )
    assert scan(
        [fixed[i : i + 100] for i in range(0, len(fixed), 100)],
        SALT,
        fixed_report.email_fingerprints,
    ).clean


# ---- odd dumps ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["edge.sql", "edge-complete-insert.sql"])
def test_odd_tables_keep_every_byte_but_their_urls(name: str) -> None:
    out, report, data = transform(name, {})
    lines = list(zip(data.split(b"\n"), out.split(b"\n"), strict=True))
    assert all(a == b for a, b in lines if b"www.demo.lab" not in a)
    moved = [b for a, b in lines if b"www.demo.lab" in a]
    assert len(moved) == 4 and not any(b"www.demo.lab" in b for b in moved)
    assert b"https:\\\\/\\\\/staging.demo.lab\\\\/x" in out  # JSON inside the SQL literal
    assert report.serialized_rewritten == 2
    assert report.rows_in() == {"odd table": 3, "wp_options": 3}


def test_a_misshapen_row_in_a_sanitized_table_stops_the_stream() -> None:
    data = (FIXTURES / "demo.sql").read_bytes().replace(b"(5,'Fran", b"(5,'Fran'',x'", 1)
    t = transformer({"preset": "demo"})
    with pytest.raises(DumpFormatError, match=r"table users"):
        t.feed(data)


def test_truncated_tables_are_known_before_and_after_the_stream() -> None:
    t = transformer({"preset": "demo", "truncate": ["*_cache"]})
    assert t.truncated_tables == {"activity_log"}
    t.feed(b"INSERT INTO `page_cache` VALUES (1,'x');\n")
    assert t.truncated_tables == {"activity_log", "page_cache"}
    assert t.rules.truncated(["page_cache", "users", "activity_log"]) == {
        "page_cache",
        "activity_log",
    }


def test_a_refresh_of_the_demo_project_uses_its_inventory_and_domains() -> None:
    project = load_file(FIXTURES.parents[2] / "inventories" / "demo.yml")
    t = for_refresh(project, project.environment("production"), project.environment("dev"), SALT)
    out = feed_in_pieces(t, (FIXTURES / "demo.sql").read_bytes(), 1 << 16)
    assert b"https://dev.demo.lab/uploads/logo.png" in out and b"www.demo.lab" not in out
    assert t.report().truncated == {"activity_log"}


# ---- the quick ways give what the row-by-row way gives ------------------------------------
# A table's rules with a row rule that matches no row are applied row by row, value by value
# (the general way); without it, by column (constant and fake columns, blocks without a URL)
# and by whole blocks of row lines (tables without rules).

COLUMNS = ("a", "b", "c", "d", "e")
BY_COLUMN = {"tables": {"t": {"b": {"fixed": "x@y.example"}, "c": "null", "d": "fake_email"}}}
NO_ROW = {"table": "t", "where": {"a": "-1"}, "set": {"e": "null"}}
TRICKY = ["a", "'", "\\", '"', "\n", "\r", "),(", "),\n(", ";", ",", "@", "ann@example.com", "é"]
URLS = ["www.demo.lab", "https://www.demo.lab/x", "\\/\\/www.demo.lab", "%2F%2Fwww.demo.lab"]
SERIALIZED = ['s:22:"https://www.demo.lab/";', 'a:1:{i:0;s:12:"www.demo.lab";}']


def literals(fragments: list[str]) -> st.SearchStrategy[bytes]:
    text = st.lists(st.sampled_from(fragments), max_size=6).map(lambda p: "".join(p).encode())
    return st.one_of(
        text.map(quote),
        st.sampled_from([b"NULL", b"12", b"-1.5", b"''", b"'x@y.example'", b"0x41"]),
    )


def dump_of(rows: list[tuple[bytes, ...]], glued: list[bool]) -> bytes:
    """Table t's rows in one INSERT; where ``glued`` says so, two rows share a line."""
    create = "".join(f"  `{column}` text,\n" for column in COLUMNS)
    lines = [f"CREATE TABLE `t` (\n{create});\nINSERT INTO `t` VALUES\n".encode()]
    for number, row in enumerate(rows):
        lines.append(b"(%d," % number + b",".join(row) + b")")
        last = number == len(rows) - 1
        lines.append(b";\n" if last else b"," if glued[number % len(glued)] else b",\n")
    return b"".join(lines) + b"-- Dump completed\n"


def both_ways(fast: dict[str, Any], slow: dict[str, Any], data: bytes) -> None:
    quick, general = transformer(fast), transformer(slow)
    assert quick.feed(data) + quick.close() == general.feed(data) + general.close()
    one, other = quick.report(), general.report()
    assert (one.rows_in(), one.rows_out(), one.values_sanitized) == (
        other.rows_in(),
        other.rows_out(),
        other.values_sanitized,
    )
    assert (one.urls_rewritten, one.serialized_rewritten, one.serialized_failed) == (
        other.urls_rewritten,
        other.serialized_rewritten,
        other.serialized_failed,
    )
    assert one.email_fingerprints == other.email_fingerprints


@given(
    st.lists(st.tuples(*[literals(TRICKY)] * 4), min_size=1, max_size=6),
    st.lists(st.booleans(), min_size=1, max_size=3),
)
@example([(b"'a@b.example'", b"'x@y.example'", b"NULL", b"'c\\'),(d@e.example'")], [False])
def test_constant_and_fake_columns_are_rewritten_by_column_as_row_by_row(
    rows: list[tuple[bytes, ...]], glued: list[bool]
) -> None:
    both_ways(BY_COLUMN, {**BY_COLUMN, "rows": [NO_ROW]}, dump_of(rows, glued))


@given(
    st.lists(st.tuples(*[literals(TRICKY + URLS + SERIALIZED)] * 4), min_size=1, max_size=6),
    st.lists(st.booleans(), min_size=1, max_size=3),
)
@example([(b"'www.demo.lab'", b"'x\\nwww.demo.lab'", b"'%2F%2Fwww.demo.lab.x'", b"NULL")], [True])
def test_urls_are_rewritten_in_whole_blocks_as_value_by_value(
    rows: list[tuple[bytes, ...]], glued: list[bool]
) -> None:
    both_ways({}, {"rows": [NO_ROW]}, dump_of(rows, glued))
    both_ways(BY_COLUMN, {**BY_COLUMN, "rows": [NO_ROW]}, dump_of(rows, glued))
