"""The checks after an import: row counts, leaked addresses, serialized values that parse."""

from __future__ import annotations

from tests.unit.refresh.conftest import SALT, SOURCE, TARGET
from upkeep.inventory.model import Sanitize
from upkeep.refresh.files import parse_stats
from upkeep.refresh.preflight import SourceFacts, TableSize, TargetSpace, parse_sizes
from upkeep.refresh.pseudonyms import Fakes, Fingerprints
from upkeep.refresh.sanitize import RuleSet
from upkeep.refresh.transform import Transformer
from upkeep.refresh.verify import TargetScan, compare_counts

CREATE = b"CREATE TABLE `settings` (\n  `name` varchar(191),\n  `value` longtext\n);\n"


def _scan(dump: bytes, fingerprints: Fingerprints | None = None) -> TargetScan:
    scan = TargetScan(SALT, fingerprints or Fingerprints.of([]), "staging.demo.lab")
    for start in range(0, len(dump), 7):  # chunk borders anywhere
        scan.feed(dump[start : start + 7])
    return scan


def test_counts_match_when_truncated_tables_are_empty_and_the_rest_equal() -> None:
    assert (
        compare_counts(
            {"users": 200, "activity_log": 50}, {"users": 200, "activity_log": 0}, {"activity_log"}
        )
        == []
    )


def test_a_table_the_dump_created_without_rows_may_be_empty_on_the_target() -> None:
    # WordPress's wp_links, wp_termmeta, wp_commentmeta: CREATE TABLE and no INSERT.
    assert compare_counts({"wp_users": 21}, {"wp_users": 21, "wp_links": 0}, set()) == []


def test_counts_name_every_table_that_differs_and_tables_on_one_side_only() -> None:
    wrong = compare_counts(
        {"users": 200, "activity_log": 50, "orders": 10},
        {"users": 199, "activity_log": 3, "extra": 1},
        {"activity_log"},
    )
    assert wrong == [
        "activity_log: none (truncated) in the dump, 3 on the target",
        "extra: None in the dump, 1 on the target",
        "orders: 10 in the dump, None on the target",
        "users: 200 in the dump, 199 on the target",
    ]


def test_a_broken_serialized_value_naming_the_target_is_found_with_its_table() -> None:
    dump = CREATE + (
        b"INSERT INTO `settings` VALUES ('good','s:24:\\\"https://staging.demo.lab\\\";'),"
        b"('bad','s:20:\\\"https://staging.demo.lab\\\";'),"
        b"('other','s:3:\\\"abc\\\";');\n"
    )
    found = _scan(dump).close()
    # 'other' does not name the target: not looked at.
    assert found.serialized_checked == 2 and found.serialized_broken == {"settings": 1}


def test_the_transformers_output_passes_the_scan_and_a_source_address_does_not() -> None:
    rules = RuleSet.from_section(Sanitize.model_validate({"preset": "demo"}))
    transformer = Transformer(rules, [(SOURCE, TARGET)], SALT)
    source = (
        b"CREATE TABLE `users` (\n  `id` int,\n  `name` text,\n  `email` text\n);\n"
        b"INSERT INTO `users` VALUES (1,'Ann Lee','ann@example.com'),(2,'Bo Yu','bo@example.com');\n"
        + CREATE
        + b"INSERT INTO `settings` VALUES ('url','a:1:{s:3:\\\"url\\\";s:20:\\\"https://www.demo.lab\\\";}');\n"
    )
    out = transformer.feed(source) + transformer.close()
    report = transformer.report()
    clean = _scan(out, report.email_fingerprints).close()
    assert clean.leaks.clean and clean.leaks.addresses_checked == 2
    assert clean.serialized_checked == 1 and not clean.serialized_broken
    # The same address reaching the target in a column no rule covered is a leak.
    leaked = _scan(
        out + b"INSERT INTO `notes` VALUES (1,'write to Bo@Example.com');\n",
        report.email_fingerprints,
    ).close()
    assert leaked.leaks.leaks == {"notes": 1}


def test_space_shortfall_counts_what_the_old_tables_free() -> None:
    source = SourceFacts({}, {"t": TableSize(300_000_000, 1)})
    margin = 64 * 1024 * 1024
    assert TargetSpace(database_free=300_000_000 + margin, database_used=0).shortfall(source) == 0
    assert (
        TargetSpace(database_free=100_000_000, database_used=200_000_000 + margin).shortfall(source)
        == 0
    )
    assert (
        TargetSpace(database_free=100_000_000, database_used=0).shortfall(source)
        == 200_000_000 + margin
    )


def test_sizes_and_rsync_stats_parse_and_ignore_noise() -> None:
    assert parse_sizes("users\t16384\t200\nview\tNULL\tNULL\n") == {"users": TableSize(16384, 200)}
    assert parse_stats("sent 10 bytes\nNumber of regular files transferred: 0\n") == (0, 0)
    stats = "Number of regular files transferred: 3\nTotal transferred file size: 1,048,576 bytes\n"
    assert parse_stats(stats) == (3, 1_048_576)


def test_a_fingerprint_is_keyed_by_the_refreshs_salt() -> None:
    # Another refresh's fingerprints never match this one's: the salt is per run.
    assert Fakes(SALT).fingerprint(b"a@b.example") != Fakes(b"x" * 32).fingerprint(b"a@b.example")
