"""The inventory's `sanitize:` section through `upkeep inventory check`, good and broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.inventory.test_cli import GOOD as BASE
from tests.unit.inventory.test_cli import assert_reported, write
from upkeep.cli.main import main
from upkeep.inventory import load_file
from upkeep.inventory.model import SanitizeKind

# The good inventory of the inventory CLI tests (32 lines) with a sanitize section.
# Line numbers in the cases refer to this text (after the replacement).
GOOD = (
    BASE
    + """\
sanitize:
  preset: wordpress
  table_prefix: wp_
  tables:
    users: {email: fake_email, name: fake_name}
    orders:
      shipping_address: {fixed: "1 Example Street"}
      notes: null
  rows:
    - table: wp_usermeta
      where: {meta_key: [first_name, "billing_*"]}
      set: {meta_value: fake_first_name}
  truncate: [activity_log, "*_log"]
  exclude_files: ["cache/*", "*.tmp"]
"""
)

BROKEN = [
    (
        "action-typo",
        "email: fake_email",
        "email: fake_mail",
        "37: sanitize.tables.users.email: 'fake_mail' is not a sanitize action (did you mean "
        "'fake_email'?)",
    ),
    (
        "fixed-without-value",
        "name: fake_name}",
        "name: fixed}",
        "37: sanitize.tables.users.name: fixed needs its value",
    ),
    (
        "fixed-misspelt",
        '{fixed: "1 Example Street"}',
        '{fix: "1 Example Street"}',
        "39: sanitize.tables.orders.shipping_address: expected {fixed: VALUE}, got a mapping of fix",
    ),
    (
        "table-name-injection",
        "    users: {",
        "    'users`; DROP TABLE x; --': {",
        "37: sanitize.tables[\"users`; DROP TABLE x; --\"]: 'users`; DROP TABLE x; --' is not a "
        "table name or pattern",
    ),
    (
        "column-name-quote",
        "      notes: null\n",
        '      "no\'tes": null\n',
        '40: sanitize.tables.orders["no\'tes"]: "no\'tes" is not a column name',
    ),
    (
        "preset-unknown",
        "  preset: wordpress\n",
        "  preset: drupal\n",
        "34: sanitize.preset: 'drupal' is not one of 'wordpress' or 'demo'",
    ),
    (
        "prefix-invalid",
        "  table_prefix: wp_\n",
        "  table_prefix: wp-\n",
        "35: sanitize.table_prefix: 'wp-' is not a table prefix",
    ),
    (
        "unknown-key",
        "  truncate: [",
        "  truncat: [",
        "45: sanitize.truncat: unknown key (did you mean 'truncate'?)",
    ),
    (
        "where-empty",
        '[first_name, "billing_*"]',
        "[]",
        "43: sanitize.rows[0].where.meta_key: empty (give at least one entry)",
    ),
    (
        "where-value-injection",
        '[first_name, "billing_*"]',
        '[first_name, "x\' OR 1=1"]',
        '43: sanitize.rows[0].where.meta_key[1]: "x\' OR 1=1" is not a value to match rows by',
    ),
    (
        "row-rule-without-set",
        "      set: {meta_value: fake_first_name}\n",
        "",
        "42: sanitize.rows[0].set: missing (add 'set:' under sanitize.rows[0])",
    ),
    (
        "truncate-not-a-list",
        'truncate: [activity_log, "*_log"]',
        "truncate: activity_log",
        "45: sanitize.truncate: expected a list",
    ),
    (
        "exclude-option",
        '["cache/*", "*.tmp"]',
        '["--delete", "*.tmp"]',
        "46: sanitize.exclude_files[0]: '--delete' is not a usable exclude pattern",
    ),
    (
        "action-as-list",
        "email: fake_email",
        "email: [fake_email]",
        "37: sanitize.tables.users.email: expected an action (use fake_email",
    ),
    (
        "table-without-columns",
        "    users: {email: fake_email, name: fake_name}\n",
        "    users: {}\n",
        "37: sanitize.tables.users: empty (give at least one entry)",
    ),
]


def test_the_good_section_passes_and_reads_as_written(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(workspace, GOOD)
    assert main(["--root", str(workspace), "inventory", "check"]) == 0
    assert capsys.readouterr().out.strip() == "ok: 1 inventories"
    sanitize = load_file(path).sanitize
    assert sanitize.preset == "wordpress"
    assert sanitize.tables["orders"]["notes"].kind is SanitizeKind.null  # YAML's null
    assert sanitize.tables["orders"]["shipping_address"].value == "1 Example Street"
    assert sanitize.rows[0].where["meta_key"] == ("first_name", "billing_*")
    assert sanitize.truncate == ("activity_log", "*_log")
    assert sanitize.model_dump()["tables"]["users"] == {"email": "fake_email", "name": "fake_name"}


def test_an_inventory_without_the_section_is_still_valid(workspace: Path) -> None:
    path = write(workspace, BASE)
    assert load_file(path).sanitize.model_dump() == {
        "preset": None,
        "table_prefix": "wp_",
        "tables": {},
        "rows": (),
        "truncate": (),
        "exclude_files": (),
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_a_broken_section_is_reported_with_line_and_key_path(
    workspace: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    assert_reported(workspace, capsys, GOOD, old, new, expected)
