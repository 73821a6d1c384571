"""Sanitize rules: presets, precedence, wildcards, row matching, fakes, and the schema check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.refresh.conftest import SALT
from upkeep.errors import InventoryError
from upkeep.inventory import load_file
from upkeep.inventory.model import Sanitize, SanitizeKind
from upkeep.refresh.pseudonyms import EMAIL, FIRST_NAMES, LAST_NAMES, Fakes
from upkeep.refresh.sanitize import RuleSet
from upkeep.refresh.sqldump import DumpFormatError

REPO = Path(__file__).resolve().parents[3]
WP = {
    "wp_users": [
        "ID",
        "user_login",
        "user_pass",
        "user_nicename",
        "user_email",
        "user_url",
        "user_registered",
        "user_activation_key",
        "user_status",
        "display_name",
    ],
    "wp_usermeta": ["umeta_id", "user_id", "meta_key", "meta_value"],
    "wp_options": ["option_id", "option_name", "option_value", "autoload"],
}
DEMO = {
    "users": ["id", "name", "email", "created_at"],
    "orders": ["id", "user_id", "total_cents", "status", "shipping_address", "created_at"],
    "settings": ["name", "value"],
    "activity_log": ["id", "message", "created_at"],
}


def rules(section: dict[str, Any]) -> RuleSet:
    return RuleSet.from_section(Sanitize.model_validate(section))


def kinds(rule_set: RuleSet, table: str, columns: list[str]) -> dict[str, str]:
    found = rule_set.for_table(table, columns).columns
    return {columns[index]: str(kind) for index, kind, _ in found}


# ---- rules -------------------------------------------------------------------------


def test_the_demo_preset_covers_the_demo_sites_personal_data() -> None:
    demo = rules({"preset": "demo"})
    assert kinds(demo, "users", DEMO["users"]) == {"name": "fake_name", "email": "fake_email"}
    assert kinds(demo, "orders", DEMO["orders"]) == {"shipping_address": "fixed"}
    assert demo.truncated(DEMO) == {"activity_log"}
    assert demo.check(DEMO) == []


def test_the_wordpress_preset_follows_the_table_prefix() -> None:
    prefixed = {name.replace("wp_", "site2_"): columns for name, columns in WP.items()}
    wordpress = rules({"preset": "wordpress", "table_prefix": "site2_"})
    assert wordpress.check(prefixed) == []
    assert kinds(wordpress, "site2_users", prefixed["site2_users"])["user_email"] == "fake_email"
    assert wordpress.for_table("wp_users", WP["wp_users"]).empty
    # The wrong prefix: the required tables are missing, so it cannot silently do nothing.
    problems = rules({"preset": "wordpress"}).check(prefixed)
    assert problems == [
        "sanitize rules: sanitize.preset: preset wordpress needs table wp_users, which the "
        "database does not have (did you mean 'site2_users'?) (is this the right preset and "
        "table_prefix?)",
        "sanitize rules: sanitize.preset: preset wordpress needs table wp_usermeta, which the "
        "database does not have (did you mean 'site2_usermeta'?) (is this the right preset and "
        "table_prefix?)",
    ]


def test_the_wordpress_preset_skips_what_a_site_without_woocommerce_lacks() -> None:
    wordpress = rules({"preset": "wordpress"})
    assert wordpress.check(WP) == []
    assert wordpress.for_table("wp_wc_orders", ["id"]).empty


def test_usermeta_rows_are_matched_by_their_key() -> None:
    usermeta = rules({"preset": "wordpress"}).for_table("wp_usermeta", WP["wp_usermeta"])
    assert usermeta.columns == ()

    def action(key: bytes) -> str | None:
        chosen = None
        for match in usermeta.rows:
            if all(pattern.match(key) for _, pattern in match.where):
                chosen = str(match.set[-1][1])  # later rules win
        return chosen

    assert action(b"first_name") == "fake_first_name"
    assert action(b"billing_first_name") == "fake_first_name"
    assert action(b"billing_email") == "fake_email"
    assert action(b"billing_phone") == "fixed"  # billing_*
    assert action(b"nickname") == "fake_name"
    assert action(b"wp_capabilities") is None
    assert action(b"xbilling_phone") is None  # patterns match whole values


def test_the_inventory_overrides_the_preset_and_exact_names_beat_patterns() -> None:
    custom = rules(
        {
            "preset": "demo",
            "tables": {
                "users": {"name": "keep", "created_at": "null"},
                "*s": {"email": "hash"},
                "orders": {"status": {"fixed": "paid"}},
            },
        }
    )
    assert kinds(custom, "users", DEMO["users"]) == {"email": "hash", "created_at": "null"}
    users = custom.for_table("users", DEMO["users"])
    assert [str(kind) for _, kind, _ in users.columns] == ["hash", "null"]
    assert kinds(custom, "orders", DEMO["orders"]) == {
        "shipping_address": "fixed",
        "status": "fixed",
    }
    exact_after = rules({"tables": {"users": {"email": "null"}, "u*": {"email": "hash"}}})
    assert kinds(exact_after, "users", DEMO["users"]) == {"email": "null"}


def test_wildcards_truncate_and_match_tables() -> None:
    wild = rules({"truncate": ["*_log", "cache_??"], "tables": {"wp_*": {"meta_value": "null"}}})
    assert wild.truncated(["activity_log", "cache_de", "cache_eng", "log"]) == {
        "activity_log",
        "cache_de",
    }
    assert kinds(wild, "wp_postmeta", ["meta_id", "meta_value"]) == {"meta_value": "null"}
    assert kinds(wild, "posts", ["meta_value"]) == {}


def test_rules_for_a_table_need_its_columns() -> None:
    with pytest.raises(DumpFormatError, match="does not name its columns"):
        rules({"preset": "demo"}).for_table("users", None)
    assert rules({"preset": "demo"}).for_table("settings", None).empty


# ---- the schema check ------------------------------------------------------------------


BROKEN_AGAINST_DEMO = [
    (
        {"tables": {"user": {"email": "fake_email"}}},
        "sanitize.tables.user: no table user in the database (did you mean 'users'?)",
    ),
    (
        {"tables": {"users": {"emial": "fake_email"}}},
        "sanitize.tables.users.emial: table users has no column emial (did you mean 'email'?)",
    ),
    (
        {"tables": {"*_archive": {"email": "null"}}},
        "sanitize.tables[\"*_archive\"]: no table in the database matches '*_archive'",
    ),
    (
        {"tables": {"*s": {"email": "null"}}},
        "sanitize.tables[\"*s\"].email: no column email in orders, settings (matched by '*s')",
    ),
    (
        {"truncate": ["activity_logs"]},
        "sanitize.truncate[0]: no table activity_logs in the database (did you mean 'activity_log'?)",
    ),
    (
        {"rows": [{"table": "settings", "where": {"key": "x"}, "set": {"value": "null"}}]},
        "sanitize.rows[0].where.key: table settings has no column key",
    ),
    (
        {"rows": [{"table": "settings", "where": {"name": "x"}, "set": {"valeu": "null"}}]},
        "sanitize.rows[0].set.valeu: table settings has no column valeu (did you mean 'value'?)",
    ),
    (
        {"rows": [{"table": "setting", "where": {"name": "x"}, "set": {"value": "null"}}]},
        "sanitize.rows[0].table: no table setting in the database (did you mean 'settings'?)",
    ),
]


@pytest.mark.parametrize(("section", "problem"), BROKEN_AGAINST_DEMO)
def test_a_rule_that_does_not_fit_the_schema_is_a_problem(
    section: dict[str, Any], problem: str
) -> None:
    found = rules(section).check(DEMO)
    assert [line.removeprefix("sanitize rules: ") for line in found] == [problem]
    with pytest.raises(InventoryError):
        rules(section).require(DEMO)


INVENTORY = """\
project: shop
app:
  kind: generic
  repository: git@example.com:acme/shop.git
php:
  line: "8.2"
database:
  name: shop
  user: shop
  password: {secret: shop_db_password}
  dump_user: shop_dump
  dump_password: {secret: shop_db_dump_password}
environments:
  production:
    domain: www.shop.example
    tls: acme
    hosts:
      - name: web
        address: 192.0.2.20
sanitize:
  preset: demo
  tables:
    users:
      email: fake_email
      phone: null
  truncate: ["*_logs"]
"""


def test_schema_problems_name_the_inventory_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "shop.yml"
    path.write_text(INVENTORY)
    rule_set = RuleSet.from_project(load_file(path))
    problems = rule_set.check(DEMO)
    assert [re.sub(r"^.*shop\.yml:", "", p) for p in problems] == [
        "25: sanitize.tables.users.phone: table users has no column phone",
        "26: sanitize.truncate[0]: no table in the database matches '*_logs'",
    ]


def test_the_demo_inventory_fits_the_demo_sites_schema() -> None:
    project = load_file(REPO / "inventories" / "demo.yml")
    assert project.sanitize.preset == "demo"
    assert RuleSet.from_project(project).check(DEMO) == []


# ---- fakes -----------------------------------------------------------------------------


def test_fakes_are_deterministic_per_salt_and_input() -> None:
    one, same, other = Fakes(SALT), Fakes(SALT), Fakes(b"another-salt-0123456789")
    for make in ("email", "name", "first_name", "last_name", "hash"):
        value = b"Anna.Mueller@Example.com"
        assert getattr(one, make)(value) == getattr(same, make)(value)
    assert one.email(b"a@example.com") != other.email(b"a@example.com")
    assert one.hash(b"x") != other.hash(b"x")


def test_fakes_look_the_part_and_hide_the_original() -> None:
    fakes = Fakes(SALT)
    email = fakes.email(b"anna.mueller@example.com")
    assert re.fullmatch(rb"user-[0-9a-f]{16}@example\.invalid", email)
    first, last = fakes.name("Zoë Novák".encode()).split(b" ")
    assert first in FIRST_NAMES and last in LAST_NAMES
    assert fakes.first_name(b"Anna") in FIRST_NAMES and fakes.last_name(b"Anna") in LAST_NAMES
    assert re.fullmatch(rb"[0-9a-f]{32}", fakes.hash(b"$P$Bsecret"))
    assert b"anna" not in email and b"secret" not in fakes.hash(b"$P$Bsecret")
    assert fakes.email(b"") == b"" and fakes.name(b"  ") == b"  "


def test_the_same_address_in_another_spelling_is_the_same_person() -> None:
    fakes = Fakes(SALT)
    assert fakes.email(b" Anna@Example.COM") == fakes.email(b"anna@example.com")
    assert fakes.fingerprint(b"Anna@Example.COM") == fakes.fingerprint(b"anna@example.com")


@settings(max_examples=25)
@given(st.integers(0, 10**6))
def test_distinct_addresses_get_distinct_fakes(start: int) -> None:
    fakes = Fakes(SALT)
    addresses = [f"person{start + i}@example.com".encode() for i in range(5000)]
    assert len({fakes.email(a) for a in addresses}) == len(addresses)


def test_a_short_salt_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        Fakes(b"short")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (b"mail anna.o'neill+shop@example.co.uk now", [b"anna.o'neill+shop@example.co.uk"]),
        (b"'ben@example.net','x'", [b"ben@example.net"]),
        (b"no address @ here", []),
    ],
)
def test_addresses_are_found_in_text(text: bytes, found: list[bytes]) -> None:
    assert EMAIL.findall(text) == found


def test_every_kind_has_a_word_in_the_inventory() -> None:
    assert {kind.value for kind in SanitizeKind} == {
        "fake_email",
        "fake_name",
        "fake_first_name",
        "fake_last_name",
        "fixed",
        "null",
        "hash",
        "keep",
    }
