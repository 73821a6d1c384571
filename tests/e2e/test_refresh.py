"""Refresh on the lab: production cloned into staging, sanitized, and every fault survived.

The acceptance test runs the real command (`upkeep refresh demo --yes --json`)
with the demo preset; the fault tests break one thing each — the source's SSH,
the connection mid-stream, the target's disk, a sanitize rule, the lock — and
check the same three things every time: a clear error, staging as it was,
production untouched (and the lock free for the next run).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from upkeep.cli.main import main
from upkeep.errors import ConnectionFailed, UsageError
from upkeep.inventory import Project, load_project
from upkeep.inventory.pins import Pins, load_pins
from upkeep.layout import SiteLayout
from upkeep.locks import Lock, LockHeld
from upkeep.refresh import database, preflight
from upkeep.refresh.backup import BackupPlan
from upkeep.refresh.stream import Passthrough, Transform
from upkeep.refresh.transform import for_refresh
from upkeep.refresh.workflow import RefreshFailed, refresh
from upkeep.ssh import check_root, run_root

from .conftest import RunningLab
from .hosts import console, get

CHECKSUM = (
    "mariadb-dump --skip-dump-date --single-transaction --skip-comments demo "
    "| sha256sum | cut -c1-64"
)
UPLOADS = "/srv/www/demo-{env}/shared/public/uploads"


def _model(lab: RunningLab) -> tuple[Project, Pins]:
    """The project and its pins, loaded as the CLI loads them for one job."""
    return load_project(lab.workspace, "demo"), load_pins(lab.workspace, "demo")


FILES = "cd {dir} && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum"


def _host(lab: RunningLab, environment: str):  # type: ignore[no-untyped-def]
    return load_project(lab.workspace, "demo").environment(environment).hosts[0]


def _root(lab: RunningLab, environment: str, script: str) -> str:
    return check_root(_host(lab, environment), script, "test step").strip()


def _checksums(lab: RunningLab) -> tuple[str, str]:
    return _root(lab, "staging", CHECKSUM), _root(lab, "production", CHECKSUM)


def _lock_is_free(lab: RunningLab) -> bool:
    return (
        _root(
            lab, "staging", "test -e /var/lib/upkeep/locks/demo-staging && echo held || echo free"
        )
        == "free"
    )


def _cli(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(lab.workspace.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- acceptance -------------------------------------------------------------------
def test_refresh_clones_production_into_staging_sanitized_at_the_staging_domain(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = f"Demo Shop (production copy {int(time.time())})"
    _root(
        provisioned,
        "production",
        f"mariadb demo -e \"UPDATE settings SET value = '{marker}' WHERE name = 'site_name'\"",
    )
    _root(
        provisioned, "production", f"echo fresh > {UPLOADS.format(env='production')}/new-upload.txt"
    )
    _root(
        provisioned, "staging", f"echo stale > {UPLOADS.format(env='staging')}/only-on-staging.txt"
    )
    production_emails = _root(
        provisioned, "production", "mariadb -N -B -e 'SELECT email FROM users' demo"
    ).split()
    assert len(production_emails) == 200
    production_before = _root(provisioned, "production", CHECKSUM)

    code, out, err = _cli(provisioned, capsys, "refresh", "demo", "--yes", "--json")

    assert code == 0, err
    report = json.loads(out)["data"]
    assert [step["name"] for step in report["steps"]] == [
        "check",
        "lock",
        "backup",
        "database",
        "files",
        "code",
        "verify",
        "smoke",
    ]
    # By default the database came in as many streams as the lab's hosts have cores.
    copied = next(step for step in report["steps"] if step["name"] == "database")
    assert "2 streams" in copied["detail"]
    assert report["data"]["values_sanitized"] >= 400  # 200 names and 200 addresses at least
    assert report["data"]["serialized_rewritten"] > 0 and report["data"]["truncated"] == [
        "activity_log"
    ]
    assert all(Path(path).exists() for path in report["report_files"])
    # Staging serves production's content, at its own address.
    home = get(provisioned, "staging", "/")
    assert home.status == 200 and marker in home.body
    assert '<span id="site-url">https://staging.demo.lab</span>' in home.body
    assert re.search(r"Serialized settings: [1-9]\d* ok,\s+0 broken", home.body)
    # The serialized settings hold the staging URL and still unserialize in PHP itself.
    checked = json.loads(_root(provisioned, "staging", _UNSERIALIZE))
    assert checked["serialized"] >= 3 and checked["broken"] == [] and checked["staging_urls"] > 0
    assert checked["production_urls"] == 0
    # No production address anywhere in staging's database; the log that named users is empty.
    staging_dump = _root(provisioned, "staging", "mariadb-dump --skip-comments demo")
    assert not [email for email in production_emails if email in staging_dump]
    assert (
        _root(provisioned, "staging", "mariadb -N -B -e 'SELECT COUNT(*) FROM activity_log' demo")
        == "0"
    )
    # Uploads match, production's data is what it was, the lock is free.
    uploads = [
        _root(provisioned, env, FILES.format(dir=UPLOADS.format(env=env)))
        for env in ("production", "staging")
    ]
    assert (
        uploads[0] == uploads[1]
        and "new-upload.txt" in uploads[1]
        and "only-on-staging" not in uploads[1]
    )
    assert _root(provisioned, "production", CHECKSUM) == production_before
    assert _lock_is_free(provisioned)


_UNSERIALIZE = r"""cd /srv/www/demo-staging/current && php -r '
require "src/bootstrap.php";
$out = ["serialized" => 0, "broken" => [], "staging_urls" => 0, "production_urls" => 0];
foreach (db()->query("SELECT name, value FROM settings") as $row) {
    if (!preg_match("/^(a|O|s):\d+:/", $row["value"])) continue;
    $out["serialized"]++;
    if (@unserialize($row["value"], ["allowed_classes" => false]) === false) $out["broken"][] = $row["name"];
    $out["staging_urls"] += substr_count($row["value"], "https://staging.demo.lab");
    $out["production_urls"] += substr_count($row["value"], "www.demo.lab");
}
echo json_encode($out);'"""


def test_a_dry_run_shows_each_table_and_changes_nothing(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _checksums(provisioned)
    code, out, err = _cli(provisioned, capsys, "refresh", "demo", "--dry-run", "--json")
    assert code == 0, err
    plan = json.loads(out)["data"]
    actions = {line["table"]: line["action"] for line in plan["tables"]}
    assert actions["activity_log"] == "truncate" and actions["settings"] == "copy"
    assert actions["users"] == "sanitize name: fake_name, email: fake_email"
    assert plan["url_map"] == [["https://www.demo.lab", "https://staging.demo.lab"]]
    assert _checksums(provisioned) == before and _lock_is_free(provisioned)


def test_without_yes_and_without_a_terminal_it_refuses(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(provisioned, capsys, "refresh", "demo")
    assert code == 2 and "without --yes" in err


# -- faults -----------------------------------------------------------------------
@contextlib.contextmanager
def _bulk_production(lab: RunningLab) -> Iterator[None]:
    """~30 MB more in production, so a stream lasts long enough to be broken midway."""
    _root(
        lab,
        "production",
        (
            "mariadb demo -e 'SET SESSION max_recursive_iterations = 100000; "
            "CREATE TABLE bulk (id INT PRIMARY KEY, payload TEXT NOT NULL); "
            "INSERT INTO bulk WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
            "WHERE n < 30000) SELECT n, TO_BASE64(RANDOM_BYTES(768)) FROM s'"
        ),
    )
    try:
        yield
    finally:
        _root(lab, "production", "mariadb demo -e 'DROP TABLE IF EXISTS bulk'")


class _Interrupting:
    """The project's real transform, with ``action`` run at the first chunk.

    A refresh in several streams makes one transform per stream: ``interrupting``
    makes them share one action, run once, by whichever stream reads first.
    """

    def __init__(self, lab: RunningLab, action: str, environment: str, once: _Once) -> None:
        project = load_project(lab.workspace, "demo")
        self.inner: Transform = for_refresh(
            project, project.environment("production"), project.environment("staging"), b"t" * 32
        )
        self.lab, self.action, self.environment, self.once = lab, action, environment, once

    def feed(self, chunk: bytes) -> bytes:
        with self.once.lock:
            if not self.once.done:
                self.once.done = True
                console(self.lab, self.environment, self.action)
                time.sleep(1)
        return self.inner.feed(chunk)

    def close(self) -> bytes:
        return self.inner.close()


@dataclass
class _Once:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False


def interrupting(lab: RunningLab, action: str, environment: str) -> Callable[[], Transform]:
    once = _Once()
    return lambda: _Interrupting(lab, action, environment, once)


def test_ssh_dropped_mid_stream_restores_staging(provisioned: RunningLab) -> None:
    with _bulk_production(provisioned):
        before = _checksums(provisioned)
        drop = "pkill -KILL -f '[s]shd: upkeep' || true"  # every SSH session to production
        with pytest.raises(RefreshFailed) as failed:
            refresh(
                provisioned.workspace,
                *_model(provisioned),
                transform_factory=interrupting(provisioned, drop, "production"),
            )
        assert "dump on the source failed" in str(failed.value)
        assert failed.value.report.restored
        assert _checksums(provisioned) == before
    assert _lock_is_free(provisioned)


def test_target_disk_full_midway_restores_staging(provisioned: RunningLab) -> None:
    datadir = "/var/lib/mysql/demo"
    console(
        provisioned,
        "staging",
        (
            f"systemctl stop mariadb && mv {datadir} {datadir}.disk && mkdir {datadir} && "
            f"mount -t tmpfs -o size=128m tmpfs {datadir} && cp -a {datadir}.disk/. {datadir}/ && "
            f"chown mysql:mysql {datadir} && systemctl start mariadb"
        ),
    )
    try:
        with _bulk_production(provisioned):
            before = _checksums(provisioned)
            # Once the stream runs, something else takes all but 8 MB: the import cannot fit.
            fill = f"fallocate -l $(( $(df -B1 --output=avail {datadir} | tail -1) - 8388608 )) {datadir}/filler"
            with pytest.raises(RefreshFailed) as failed:
                refresh(
                    provisioned.workspace,
                    *_model(provisioned),
                    transform_factory=interrupting(provisioned, fill, "staging"),
                )
            assert "import on the target failed" in str(failed.value)
            assert failed.value.report.restored
            assert _checksums(provisioned) == before
    finally:
        console(
            provisioned,
            "staging",
            (
                f"rm -f {datadir}/filler; systemctl stop mariadb && rm -rf {datadir}.disk.new && "
                f"cp -a {datadir}/. {datadir}.disk/ && umount {datadir} && rmdir {datadir} && "
                f"mv {datadir}.disk {datadir} && systemctl start mariadb"
            ),
        )
    assert _lock_is_free(provisioned)


def test_an_unreachable_source_is_a_clear_error_and_changes_nothing(
    provisioned: RunningLab,
) -> None:
    before = _root(provisioned, "staging", CHECKSUM)
    console(
        provisioned,
        "production",
        "systemctl stop ssh.socket ssh.service; pkill -KILL -f '[s]shd: upkeep' || true",
    )
    try:
        with pytest.raises(ConnectionFailed, match=r"production .* cannot be reached over SSH"):
            refresh(provisioned.workspace, *_model(provisioned))
    finally:
        console(provisioned, "production", "systemctl start ssh.service")
    assert _root(provisioned, "staging", CHECKSUM) == before and _lock_is_free(provisioned)


def test_a_rule_naming_a_missing_column_is_refused_before_anything_changes(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = provisioned.workspace.root / "inventories" / "demo.yml"
    original = inventory.read_text()
    inventory.write_text(
        original.replace(
            "  preset: demo", "  preset: demo\n  tables:\n    users: {phone: fake_name}", 1
        )
    )
    assert "phone" in inventory.read_text()
    before = _checksums(provisioned)
    try:
        code, _, err = _cli(provisioned, capsys, "refresh", "demo", "--yes")
    finally:
        inventory.write_text(original)
    assert code == 2
    assert re.search(r"inventories/demo\.yml:\d+: sanitize\.tables\.users\.phone: .*phone", err), (
        err
    )
    assert _checksums(provisioned) == before and _lock_is_free(provisioned)


def test_a_second_refresh_is_refused_while_one_holds_the_lock(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = Lock(
        "/var/lib/upkeep/locks/demo-staging",
        "refresh demo production→staging",
        lambda script: run_root(_host(provisioned, "staging"), script),
    )
    with holder:
        code, _, err = _cli(provisioned, capsys, "refresh", "demo", "--yes")
        assert code == 1 and "locked by refresh demo production→staging" in err
        with pytest.raises(LockHeld):
            refresh(provisioned.workspace, *_model(provisioned), transform_factory=Passthrough)
    assert _lock_is_free(provisioned)


def test_production_is_never_a_refresh_target(provisioned: RunningLab) -> None:
    with pytest.raises(UsageError, match="never the target"):
        refresh(provisioned.workspace, *_model(provisioned), source="staging", target="production")


# -- parallel streams -------------------------------------------------------------
# What depends on the tables, in the order it must be created: a stored function and a
# procedure (whose bodies the read-only dump user may not read: root dumps them), a view
# calling the function, a view of a view, a trigger. The parallel copy loads them after
# the tables, from a stream of their own; the single stream puts the routines first.
_DEPENDENTS = (
    "CREATE FUNCTION in_units(cents INT) RETURNS DECIMAL(12,2) DETERMINISTIC "
    "RETURN cents / 100; "
    "CREATE PROCEDURE count_orders(OUT n INT) SELECT COUNT(*) INTO n FROM orders; "
    "CREATE VIEW order_totals AS SELECT user_id, SUM(total_cents) AS cents, "
    "in_units(SUM(total_cents)) AS units FROM orders GROUP BY user_id; "
    "CREATE VIEW big_spenders AS SELECT user_id FROM order_totals WHERE cents > 10000; "
    "CREATE TRIGGER orders_keep_status BEFORE UPDATE ON orders FOR EACH ROW "
    "SET NEW.status = NEW.status"
)
_DROP_DEPENDENTS = (
    "DROP TRIGGER IF EXISTS orders_keep_status; DROP VIEW IF EXISTS big_spenders; "
    "DROP VIEW IF EXISTS order_totals; DROP PROCEDURE IF EXISTS count_orders; "
    "DROP FUNCTION IF EXISTS in_units"
)
# A parent table that takes one stream seconds to load, and a small child of it (a foreign
# key) that the other stream creates meanwhile, after a filler table: loaded under LOCK
# TABLES … WRITE, the parent's next INSERT would fail (ERROR 1100: the child "was not
# locked"), as it did on the bench lab before the streams loaded without those locks.
_FOREIGN_KEYED = (
    "CREATE TABLE fk_parent (id INT PRIMARY KEY, note VARCHAR(200)) ENGINE=InnoDB; "
    "INSERT INTO fk_parent SELECT seq, REPEAT('p', 150) FROM seq_1_to_300000; "
    "CREATE TABLE fk_filler (id INT PRIMARY KEY, note VARCHAR(200)) ENGINE=InnoDB; "
    "INSERT INTO fk_filler SELECT seq, REPEAT('f', 150) FROM seq_1_to_30000; "
    "CREATE TABLE fk_child (id INT PRIMARY KEY, parent_id INT, KEY (parent_id), "
    "CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES fk_parent (id)) "
    "ENGINE=InnoDB; INSERT INTO fk_child SELECT seq, seq FROM seq_1_to_10; "
    "ANALYZE TABLE fk_parent, fk_filler, fk_child"  # the sizes the streams are shared by
)
_DROP_FOREIGN_KEYED = "DROP TABLE IF EXISTS fk_child, fk_filler, fk_parent"


def _each_base_table(command: str) -> str:
    """A script running ``command`` (a statement on table ``$t``) for each base table."""
    return (
        'for t in $(mariadb -N -B -e "SELECT table_name FROM information_schema.tables '
        "WHERE table_schema = 'demo' AND table_type = 'BASE TABLE' ORDER BY 1\"); do "
        f'mariadb -N -B -e "{command}" demo; done'
    )


# Each base table's CHECKSUM TABLE, then everything else as SQL (views, routines, triggers).
_PER_TABLE = (
    _each_base_table("CHECKSUM TABLE \\`$t\\`")
    + "; mariadb-dump --no-data --skip-comments --skip-dump-date --routines --triggers --events demo"
)
# Each base table's CREATE TABLE: its keys and foreign keys, added after its rows on the
# target (upkeep.refresh.keys), must come out as the source has them.
_TABLE_SCHEMAS = _each_base_table("SHOW CREATE TABLE \\`$t\\`")


def test_a_parallel_copy_gives_the_same_database_as_one_stream(provisioned: RunningLab) -> None:
    project, _ = _model(provisioned)
    production, staging = project.environment("production"), project.environment("staging")
    ends = database.Ends(
        production.hosts[0],
        SiteLayout.of("demo", "production").dump_defaults,
        project.database_of("production").name,
        staging.hosts[0],
        BackupPlan.of(
            SiteLayout.of("demo", "staging"), project.database_of("staging").name, (), keep=1
        ),
    )
    salt = os.urandom(32)  # one for both copies: the same fakes either way

    def transform() -> Transform:
        return for_refresh(project, production, staging, salt)

    _root(provisioned, "production", f"mariadb demo -e {shlex.quote(_DEPENDENTS)}")
    _root(provisioned, "production", f"mariadb demo -e {shlex.quote(_FOREIGN_KEYED)}")
    try:
        facts = preflight.source_facts(ends.source, ends.source_database, ends.dump_defaults)
        hosts = database.ask_hosts(ends.source, ends.target)
        assert database.streams(facts, None, hosts.cores)[0] >= 2  # the lab has 2 cores
        database.copy(ends, facts, 1, transform)
        one_stream = _root(provisioned, "staging", _PER_TABLE)
        database.copy(ends, facts, 2, transform)
        two_streams = _root(provisioned, "staging", _PER_TABLE)
        schemas = {
            env: _root(provisioned, env, _TABLE_SCHEMAS) for env in ("production", "staging")
        }
    finally:
        for environment in ("production", "staging"):
            _root(provisioned, environment, f"mariadb demo -e {shlex.quote(_DROP_DEPENDENTS)}")
            _root(provisioned, environment, f"mariadb demo -e {shlex.quote(_DROP_FOREIGN_KEYED)}")
    assert two_streams == one_stream
    assert "CONSTRAINT `fk_child_parent` FOREIGN KEY" in one_stream
    assert schemas["staging"] == schemas["production"]
    assert "KEY `orders_user_id_fk`" in schemas["staging"]
    for table in ("demo.users", "demo.orders", "demo.settings", "demo.activity_log"):
        assert table in one_stream
    assert "order_totals" in one_stream and "big_spenders" in one_stream
    assert "orders_keep_status" in one_stream
    assert "FUNCTION `in_units`" in one_stream and "PROCEDURE `count_orders`" in one_stream
