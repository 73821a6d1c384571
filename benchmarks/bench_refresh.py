"""Refresh of a big database on the lab: upkeep's stream against the raw pipe and mydumper.

    python benchmarks/bench_refresh.py                       # ~600 MB dump, ~2.2 M rows
    python benchmarks/bench_refresh.py --rows 200000 --mb 50 --repeat 1  # a quick look
    python benchmarks/bench_refresh.py --work-dir /tmp/b --keep-lab   # keep lab and data
    python benchmarks/bench_refresh.py --work-dir /tmp/b --methods raw stream  # again, some

Brings up its own lab (``upkeep-bench``, 10.89.79.0/24, or UPKEEP_LAB_NAME and
UPKEEP_LAB_SUBNET), provisions staging
and production, and generates the dataset in SQL on production's MariaDB
(sequence engine, INSERT … SELECT), in the demo schema so the demo preset
applies: users (names, unique e-mails), orders (shipping addresses, valid
user_id), activity_log (mentions users; truncated), settings (PHP-serialized
values holding https://www.demo.lab, one in fifty of ~30 KB, some JSON), and
a products table (HTML descriptions with URLs, no sanitize rule).

Then, on the same two hosts and in the same run, each import going into an
emptied ``demo`` on staging (emptied outside the timing):

  raw pipe        ``ssh production "mariadb-dump …" | ssh staging "mariadb demo"``
  packed pipe     upkeep's stream with ``Passthrough``: zstd on the wire (gzip where a
                  host lacks zstd), no transformer
  refresh stream  the same with ``for_refresh()``: sanitize and URL rewrite on
                  (the refresh's database step in one stream, ``--streams 1``)
  parallel        the refresh's database step in N streams from one snapshot
                  (``--streams``, default the hosts' cores), each sanitized
                  and rewritten, loaded in parallel
  refresh         the whole ``refresh(workspace, project, pins, db_only=True)``: check, lock,
                  backup (of the emptied staging), database, code, verify (counts and
                  the leak scan, a second full dump read back), smoke
  mydumper        mydumper (gzip, N threads) on production, tar over ssh through
                  the control machine, myloader on staging

Each method runs ``--repeat`` times (3), the methods taking turns. It prints
a table of every run (seconds, MB/s of the mariadb-dump-sized dump, ratio to
the best raw pipe, bytes on the wire, rows on staging after it, peak RSS of
this process, the machine's load), where the CPU went (this process, its ssh
children, mariadbd on each host), the transformer's own CPU, and the ratios
issues 4 and 20 set targets for: best run against best run (a slow run on a shared
machine measures the neighbours), the medians beside it. A refresh that
fails (the smoke check, say) is shown with its error, its steps so far and
its seconds, restore included. Figures are measured, never asserted. All
hosts and this process share the machine's cores, so the figures are of
this lab, not of three separate servers.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from labs import operator_repo  # noqa: E402

from upkeep import lab  # noqa: E402
from upkeep.errors import RunFailed  # noqa: E402
from upkeep.inventory import Host, Project, load_project  # noqa: E402
from upkeep.inventory.pins import load_pins  # noqa: E402
from upkeep.layout import SiteLayout  # noqa: E402
from upkeep.provision.workflow import provision  # noqa: E402
from upkeep.refresh import database, preflight, stream  # noqa: E402
from upkeep.refresh.backup import BackupPlan, drop_all_tables  # noqa: E402
from upkeep.refresh.sanitize import RuleSet  # noqa: E402
from upkeep.refresh.transform import Transformer, TransformReport, for_refresh  # noqa: E402
from upkeep.refresh.workflow import RefreshFailed, refresh  # noqa: E402
from upkeep.ssh import check_root, root_command, ssh_argv  # noqa: E402
from upkeep.workspace import Workspace  # noqa: E402

DATABASE = "demo"
METHODS = ("raw", "packed", "stream", "parallel", "refresh", "mydumper")
LABELS = {
    "raw": "raw pipe (mariadb-dump | mariadb)",
    "packed": "packed pipe (stream, Passthrough)",
    "stream": "refresh stream (sanitize+rewrite)",
    "parallel": "refresh streams, parallel (s+r)",
    "refresh": "refresh db_only (whole)",
    "mydumper": "mydumper/myloader",
}
MYDUMPER_DIR = "/var/tmp/bench-mydumper"
CHUNK_ROWS = 250_000  # rows per INSERT … SELECT while generating
PROGRESS_SECONDS = 15.0


def say(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)


# -- the dataset ----------------------------------------------------------------
FIRST = [
    ("Anna", "anna"),
    ("Ben", "ben"),
    ("Chloé", "chloe"),
    ("David", "david"),
    ("Emma", "emma"),
    ("François", "francois"),
    ("Søren", "soren"),
    ("Zoë", "zoe"),
    ("Liam", "liam"),
    ("Mia", "mia"),
]
LAST = [
    ("Müller", "mueller"),
    ("Smith", "smith"),
    ("García", "garcia"),
    ("O'Neill", "oneill"),
    ("Novák", "novak"),
    ("Jensen", "jensen"),
    ("Weber", "weber"),
    ("Rossi", "rossi"),
]
DOMAINS = ["example.com", "mail.example", "post.example", "shop.example"]
STREETS = ["Hauptstraße", "Rue de la Paix", "High Street", "Calle Mayor", "Via Roma"]
CITIES = ["10115 Berlin", "75002 Paris", "SW1A 1AA London", "28013 Madrid", "00184 Roma"]
COUNTRIES = ["Germany", "France", "United Kingdom", "Spain", "Italy"]
STATUSES = ["pending", "paid", "shipped", "refunded"]
URL = "https://www.demo.lab"
PARAGRAPH_BYTES = 107  # one repeated paragraph of a product's description, as dumped


def _elt(index: str, values: Sequence[str]) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"ELT(1 + ({index}) % {len(values)}, {quoted})"


def _name(k: str) -> str:
    """A user's name from its generated number ``k`` (an SQL expression)."""
    first = _elt(k, [f for f, _ in FIRST])
    last = _elt(f"({k}) DIV {len(FIRST)}", [last for last, _ in LAST])
    return f"CONCAT({first}, ' ', {last})"


def _email(k: str) -> str:
    """A user's e-mail address from ``k``: unique, as it carries the number."""
    first = _elt(k, [s for _, s in FIRST])
    last = _elt(f"({k}) DIV {len(FIRST)}", [s for _, s in LAST])
    domain = _elt(f"({k}) DIV {len(FIRST) * len(LAST)}", DOMAINS)
    return f"CONCAT({first}, '.', {last}, {k}, '@', {domain})"


@dataclass(frozen=True)
class Dataset:
    users: int
    orders: int
    activity: int
    settings: int
    products: int
    paragraphs: int  # repeated paragraphs per product description, to reach the size

    @classmethod
    def sized(cls, rows: int, megabytes: int) -> Dataset:
        """Table sizes for about ``rows`` rows and a dump of about ``megabytes``."""
        users, orders = int(rows * 0.09), int(rows * 0.66)
        activity, products = int(rows * 0.14), int(rows * 0.10)
        settings = max(int(rows * 0.0015), 50)
        # Bytes per row as mariadb-dump writes them (measured on a first run).
        others = users * 76 + orders * 106 + activity * 100 + settings * 800
        per_product = (megabytes * 1_000_000 - others) / max(products, 1)
        paragraphs = max(round((per_product - 120) / PARAGRAPH_BYTES), 0)
        return cls(users, orders, activity, settings, products, paragraphs)

    @property
    def rows(self) -> int:
        return self.users + self.orders + self.activity + self.settings + self.products

    @property
    def marker(self) -> str:
        return (
            f"{self.users}/{self.orders}/{self.activity}/{self.settings}/"
            f"{self.products}x{self.paragraphs}"
        )


USERS = Template("""
INSERT INTO users (id, name, email, created_at)
SELECT $u0 + seq, $name, $email, '2024-01-01' + INTERVAL (seq * 613) % 31536000 SECOND
FROM seq_${a}_to_${b};
""")
ORDERS = Template("""
INSERT INTO orders (id, user_id, total_cents, status, shipping_address, created_at)
SELECT $o0 + seq, $u0 + k, 499 + (seq * 104729) % 45500, $status,
  CONCAT($name, CHAR(10), $street, ' ', 1 + seq % 180, CHAR(10), $city, CHAR(10), $country),
  '2024-06-01' + INTERVAL (seq * 37) % 20000000 SECOND
FROM (SELECT seq, 1 + (seq * 7919) % $users AS k FROM seq_${a}_to_${b}) AS s;
""")
ACTIVITY = Template("""
INSERT INTO activity_log (message, created_at)
SELECT IF(seq % 2,
  CONCAT('user ', $u0 + k, ' signed up as ', $email, ' from 203.0.113.', 1 + seq % 254),
  CONCAT('order ', seq, ' placed by ', $email, ' (', $name, ')')),
  '2024-06-01' + INTERVAL seq MINUTE
FROM (SELECT seq, 1 + (seq * 31) % $users AS k FROM seq_${a}_to_${b}) AS s;
""")
# PHP-serialized values with the site URL (lengths in bytes, as PHP counts them); one in
# fifty is a ~30 KB HTML block full of links, one in seven is JSON with https:\/\/ spelling.
SETTINGS = Template("""
INSERT INTO settings (name, value)
SELECT CONCAT('bench.option.', seq), CASE
  WHEN seq % 50 = 0 THEN CONCAT('a:2:{s:4:"html";s:', LENGTH(h), ':"', h,
    '";s:4:"logo";s:', LENGTH(u1), ':"', u1, '";}')
  WHEN seq % 7 = 3 THEN CONCAT('{"homepage":"', REPLACE(u2, '/', CONCAT(CHAR(92), '/')),
    '","n":', seq, '}')
  ELSE CONCAT('a:3:{s:4:"logo";s:', LENGTH(u1), ':"', u1, '";s:4:"link";s:', LENGTH(u2),
    ':"', u2, '";s:5:"label";s:', LENGTH(t), ':"', t, '";}') END
FROM (SELECT seq,
  CONCAT('$url/uploads/logo-', seq, '.png') AS u1,
  CONCAT('$url/page/', seq) AS u2,
  CONCAT('Option ', seq, ' — Größe') AS t,
  IF(seq % 50 = 0, REPEAT(CONCAT('<p><a href="$url/shop/item-', seq, '">Item ', seq,
    '</a> <img src="$url/uploads/', seq, '.jpg"></p>'), 300), '') AS h
  FROM seq_${a}_to_${b}) AS s;
""")
PRODUCTS = Template("""
CREATE TABLE IF NOT EXISTS products (
  id INT UNSIGNED NOT NULL, sku VARCHAR(20) NOT NULL, title VARCHAR(191) NOT NULL,
  description MEDIUMTEXT NOT NULL, image VARCHAR(255) NOT NULL, price_cents INT UNSIGNED NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO products (id, sku, title, description, image, price_cents)
SELECT seq, CONCAT('SKU-', LPAD(seq, 8, '0')), CONCAT('Oak table ', seq),
  CONCAT('<p>Table ', seq, ': solid oak, hand finished; 120 × 60 cm.</p>',
    REPEAT(CONCAT('<p>Made to order in our workshop; see <a href="$url/shop/item-', seq,
      '">the details</a>.</p>'), $paragraphs)),
  IF(seq % 4 = 0, CONCAT('$url/uploads/p', seq, '.jpg'), ''), 999 + (seq * 7) % 99000
FROM seq_${a}_to_${b};
""")


def _sql(host: Host, statements: str, what: str) -> str:
    script = f"mariadb --default-character-set=utf8mb4 -N -B {DATABASE} <<'UPKEEP_SQL'\n"
    script += "SET SESSION foreign_key_checks = 0, unique_checks = 0;\n"
    return check_root(host, script + statements + "\nUPKEEP_SQL", what)


def generate(host: Host, data: Dataset) -> None:
    """Fill production's demo database (the seeded rows stay); skipped when already done."""
    done = _sql(
        host, "SELECT value FROM settings WHERE name = 'bench.dataset';", "reading the marker"
    )
    if done.strip() == data.marker:
        say(f"production already holds the dataset {data.marker}: not generated again")
        return
    if done.strip():
        raise SystemExit(
            f"production holds another dataset ({done.strip()}): use another --work-dir"
        )
    offsets = _sql(
        host,
        "SELECT COALESCE(MAX(id), 0) FROM users; SELECT COALESCE(MAX(id), 0) FROM orders;",
        "reading the seeded ids",
    ).split()
    u0, o0 = int(offsets[0]), int(offsets[1])
    values = {
        "u0": u0,
        "o0": o0,
        "users": data.users,
        "url": URL,
        "paragraphs": data.paragraphs,
        "name": _name("k"),
        "email": _email("k"),
        "status": _elt("seq", STATUSES),
        "street": _elt("seq", STREETS),
        "city": _elt("seq DIV 5", CITIES),
        "country": _elt("seq DIV 5", COUNTRIES),
    }
    plan = [
        ("users", USERS, data.users),
        ("orders", ORDERS, data.orders),
        ("activity_log", ACTIVITY, data.activity),
        ("settings", SETTINGS, data.settings),
        ("products", PRODUCTS, data.products),
    ]
    started = time.monotonic()
    for table, template, count in plan:
        for a in range(1, count + 1, CHUNK_ROWS):
            b = min(a + CHUNK_ROWS - 1, count)
            users_values = {**values, "name": _name("seq"), "email": _email("seq")}
            chosen = users_values if table == "users" else values
            _sql(host, template.substitute(chosen, a=a, b=b), f"generating {table}")
            say(f"  generated {table} {b:,} of {count:,} ({time.monotonic() - started:.0f} s)")
    _sql(
        host,
        f"INSERT INTO settings (name, value) VALUES ('bench.dataset', '{data.marker}');",
        "writing the marker",
    )


# -- measuring ---------------------------------------------------------------------
@dataclass
class Result:
    method: str
    seconds: float
    dump_bytes: int | None = None  # the mariadb-dump text, where this method saw it
    wire_bytes: int | None = None
    parts: list[tuple[str, float]] = field(default_factory=list)
    cpu_self: float = 0.0
    cpu_children: float = 0.0
    db_cpu: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    staging_rows: int = 0
    load: float = 0.0  # the machine's 1-minute load average as the method ended
    failed: str = ""  # why it failed (the refresh's own verdict; its seconds include the restore)
    note: str = ""


class RssSampler:
    """This process's resident memory, sampled while a method runs (its peak, in MB)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            with open("/proc/self/statm") as statm:
                self.peak = max(self.peak, int(statm.read().split()[1]) * self._page)
            if self._stop.wait(0.25):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _db_cpu(host: Host) -> float:
    """CPU seconds mariadbd has used on ``host`` since it started."""
    out = check_root(
        host,
        "pid=$(systemctl show -p MainPID --value mariadb); "
        'echo "$(cut -d" " -f14,15 /proc/$pid/stat) $(getconf CLK_TCK)"',
        "reading mariadbd's CPU time",
    ).split()
    return (int(out[0]) + int(out[1])) / int(out[2])


class Ticker:
    """Calls that print at most every ``PROGRESS_SECONDS``, so a person sees the run is alive."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = self.last = time.monotonic()

    def __call__(self, line: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_SECONDS:
            self.last = now
            say(f"  {self.label}: {line} ({now - self.started:.0f} s)")


@dataclass
class Bench:
    workspace: Workspace
    project: Project
    source: Host
    target: Host

    @property
    def dump_defaults(self) -> str:
        # As the refresh's dump user reads production (written by provision).
        return SiteLayout.of(self.project.name, "production").dump_defaults

    def dump_command(self) -> str:
        return database.dump_command(self.dump_defaults, DATABASE)

    @property
    def ends(self) -> database.Ends:
        plan = BackupPlan.of(SiteLayout.of("demo", "staging"), DATABASE, (), keep=1)
        return database.Ends(self.source, self.dump_defaults, DATABASE, self.target, plan)

    @functools.cached_property
    def facts(self) -> preflight.SourceFacts:
        # Read once, as the refresh's check step reads them before the database step.
        return preflight.source_facts(self.source, DATABASE, self.dump_defaults)

    def empty_staging(self) -> None:
        check_root(self.target, drop_all_tables(self.ends.plan), "emptying staging's database")

    def staging_rows(self) -> int:
        return sum(preflight.table_counts(self.target, DATABASE).values())

    def measure(self, method: str, run: Callable[[Result], None]) -> Result:
        self.empty_staging()
        result = Result(method, 0.0)
        db_before = {"production": _db_cpu(self.source), "staging": _db_cpu(self.target)}
        cpu_self, cpu_children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        say(f"{LABELS[method]} …")
        with RssSampler() as rss:
            started = time.monotonic()
            run(result)
            result.seconds = time.monotonic() - started
        result.cpu_self = _cpu(resource.RUSAGE_SELF) - cpu_self
        result.cpu_children = _cpu(resource.RUSAGE_CHILDREN) - cpu_children
        result.peak_rss_mb = rss.peak / 1e6
        result.db_cpu = {
            "production": _db_cpu(self.source) - db_before["production"],
            "staging": _db_cpu(self.target) - db_before["staging"],
        }
        result.load = os.getloadavg()[0]
        result.staging_rows = self.staging_rows()
        say(
            f"{LABELS[method]}: {result.seconds:.1f} s, {result.staging_rows:,} rows on staging; "
            f"load {_load()}"
        )
        return result

    # a. the raw pipe, as a person types it
    def raw(self, result: Result) -> None:
        ticker = Ticker("raw pipe")
        _pipe_commands(
            ssh_argv(self.source, root_command(self.dump_command())),
            ssh_argv(self.target, root_command(f"mariadb {DATABASE}")),
            lambda piped: ticker(f"{piped / 1e6:.0f} MB through the control machine"),
        )

    # a'. and b. upkeep's stream: the refresh's database step's commands on each side,
    # in one stream or (b'.) in several from one snapshot
    def stream(
        self,
        result: Result,
        transform: Callable[[], stream.Transform],
        streams: int | None = 1,
        dropped: frozenset[str] = frozenset(),
    ) -> None:
        # As the refresh's database step: both hosts asked (cores, zstd), then the copy.
        hosts = database.ask_hosts(self.source, self.target)
        ends = dataclasses.replace(self.ends, wire=hosts.wire)
        count, _ = database.streams(self.facts, streams, hosts.cores)
        transforms: list[stream.Transform] = []
        ticker = Ticker(result.method)

        def new_transform() -> stream.Transform:
            transforms.append(transform())
            return transforms[-1]

        def progress(dump_in: int, dump_out: int) -> None:
            counting = [t for t in transforms if isinstance(t, Transformer)]
            shown = f", {sum(t.rows_read() for t in counting):,} rows" if counting else ""
            ticker(f"{dump_in / 1e6:.0f} MB read, {dump_out / 1e6:.0f} MB written{shown}")

        stats = database.copy(ends, self.facts, count, new_transform, progress, dropped=dropped)
        result.dump_bytes = stats.dump_in
        result.wire_bytes = stats.wire_in + stats.wire_out
        reports = [t.report() for t in transforms if isinstance(t, Transformer)]
        if reports:
            report = TransformReport.merged(reports)
            result.note = (
                f"{sum(report.rows_in().values()):,} rows read, {report.values_sanitized:,} "
                f"values sanitized, {report.urls_rewritten:,} URLs rewritten "
                f"({report.serialized_rewritten:,} serialized), truncated "
                f"{', '.join(sorted(report.truncated))}; {stats.dump_out / 1e6:.0f} MB imported; "
                f"streams: {count}; {ends.wire.name} on the wire"
            )

    def passthrough(self, result: Result) -> None:
        self.stream(result, stream.Passthrough)

    def transformed(self, result: Result, streams: int | None = 1) -> None:
        production = self.project.environment("production")
        staging = self.project.environment("staging")
        schema = self.facts.columns
        salt = os.urandom(32)  # one refresh's: every stream's fakes and fingerprints agree
        dropped = frozenset(RuleSet.from_project(self.project).truncated(schema))
        self.stream(
            result,
            lambda: for_refresh(self.project, production, staging, salt, schema=schema),
            streams,
            dropped,
        )

    def parallel(self, result: Result, streams: int | None) -> None:
        self.transformed(result, streams)

    # c. the whole refresh, as the operator runs it
    def whole_refresh(self, result: Result) -> None:
        ticker = Ticker("refresh")
        try:
            report = refresh(
                self.workspace,
                self.project,
                load_pins(self.workspace, self.project.name),
                db_only=True,
                say=lambda line: ticker(line, force=True),
                tick=ticker,
            )
        except RefreshFailed as failure:
            # Measured all the same: the steps that passed and why the run stopped.
            report = failure.report
            result.failed = report.error or "failed"
        result.parts = [(step.name, step.seconds or 0.0) for step in report.steps]
        data = report.data
        result.note = (
            f"{data.rows:,} rows read, {data.values_sanitized:,} values sanitized, "
            f"{data.urls_rewritten:,} URLs rewritten, {data.addresses_checked:,} addresses "
            "checked by the leak scan"
        )

    # d. mydumper and myloader, the directory carried through the control machine
    def mydumper(self, result: Result, threads: int) -> None:
        ticker = Ticker("mydumper")
        started = time.monotonic()
        check_root(
            self.source,
            f"mydumper --database {DATABASE} --outputdir {MYDUMPER_DIR} --threads {threads} "
            "--compress --rows 100000 --trx-consistency-only --triggers --events --routines",
            "mydumper",
        )
        dumped = time.monotonic()
        ticker("dumped on production", force=True)
        _pipe_commands(
            ssh_argv(
                self.source,
                root_command(f"tar -C {Path(MYDUMPER_DIR).parent} -cf - {Path(MYDUMPER_DIR).name}"),
            ),
            ssh_argv(self.target, root_command(f"tar -C {Path(MYDUMPER_DIR).parent} -xf -")),
            lambda piped: ticker(f"{piped / 1e6:.0f} MB of files moved"),
        )
        moved = time.monotonic()
        ticker("moved to staging", force=True)
        try:
            check_root(
                self.target,
                f"myloader --directory {MYDUMPER_DIR} --database {DATABASE} --threads {threads}",
                "myloader",
            )
        except RunFailed as failure:
            # myloader's threads can deadlock on the foreign keys: shown, not counted.
            result.failed = str(failure)[-300:]
            result.parts = [("dump", dumped - started), ("move", moved - dumped)]
            return
        loaded = time.monotonic()
        size = check_root(self.target, f"du -sb {MYDUMPER_DIR} | cut -f1", "sizing").strip()
        result.wire_bytes = int(size)
        result.parts = [
            ("dump", dumped - started),
            ("move", moved - dumped),
            ("load", loaded - moved),
        ]


def _pipe_commands(
    source_argv: list[str], target_argv: list[str], progress: Callable[[int], None]
) -> None:
    """``source | target``, the kernel's pipe in between, as a shell does it."""
    source = subprocess.Popen(source_argv, stdout=subprocess.PIPE)
    target = subprocess.Popen(target_argv, stdin=source.stdout)
    assert source.stdout is not None
    source.stdout.close()  # the target holds the read end now
    while True:
        try:
            target.wait(timeout=1)
            break
        except subprocess.TimeoutExpired:
            progress(_bytes_written(source.pid))
    if source.wait() != 0 or target.returncode != 0:
        raise SystemExit(f"the pipe failed: exit {source.returncode} | {target.returncode}")


def _bytes_written(pid: int) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/io") as io:
        for line in io:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def install_mydumper(bench: Bench) -> None:
    for host in (bench.source, bench.target):
        check_root(
            host,
            "command -v mydumper >/dev/null || { apt-get update -qq && "
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mydumper >/dev/null; }; "
            "mydumper --version",
            f"installing mydumper on {host.name}",
        )


def clean_mydumper(bench: Bench) -> None:
    for host in (bench.source, bench.target):
        check_root(host, f"rm -rf {MYDUMPER_DIR}", "removing mydumper's files")


# -- the run -----------------------------------------------------------------------
@contextlib.contextmanager
def bench_lab(work_dir: Path, keep: bool) -> Iterator[Workspace]:
    # Its own lab unless told which (engineers working side by side each have theirs).
    os.environ.setdefault("UPKEEP_LAB_NAME", "upkeep-bench")
    os.environ.setdefault("UPKEEP_LAB_SUBNET", "10.89.79.0/24")
    os.environ.update(
        UPKEEP_LAB_HOSTS_PER_ENV="1",
        UPKEEP_STATE_DIR=str(work_dir / "state"),
    )
    spec = lab.LabSpec.from_env()
    operator = work_dir / "operator"
    workspace = Workspace(operator) if (operator / ".git").exists() else operator_repo(operator)
    try:
        say(f"lab {spec.name} on {spec.subnet} …")
        report = lab.up(spec, workspace, say=lambda line: say(f"  {line}"))
        say(f"lab up ({report.seconds:.0f} s)")
        yield workspace
    finally:
        if keep:
            say(f"lab {spec.name} kept (state in {work_dir})")
        else:
            lab.down(spec)
            say(f"lab {spec.name} removed")


def run(args: argparse.Namespace, work_dir: Path) -> None:
    data = Dataset.sized(args.rows, args.mb)
    say(f"start; {_uptime()}")
    started = time.monotonic()
    with bench_lab(work_dir, args.keep_lab) as workspace:
        say("provisioning staging and production …")
        provisioned = provision(
            workspace,
            load_project(workspace, "demo"),
            load_pins(workspace, "demo"),
            ["staging", "production"],
            php_build="oldest",
        )
        if not provisioned.ok:
            raise SystemExit("provisioning the bench lab failed")
        say(f"provisioned ({provisioned.seconds:.0f} s)")
        project = load_project(workspace, "demo")
        bench = Bench(
            workspace,
            project,
            project.environment("production").hosts[0],
            project.environment("staging").hosts[0],
        )
        say(f"generating {data.rows:,} rows on production (~{args.mb} MB of dump; {data.marker}) …")
        generate(bench.source, data)
        production_rows = sum(preflight.table_counts(bench.source, DATABASE).values())
        say(f"production holds {production_rows:,} rows in {DATABASE}")
        say(
            f"its tables' sizes, read once as the refresh's check step does: {bench.facts.bytes:,} bytes"
        )
        if "mydumper" in args.methods:
            install_mydumper(bench)
        runs: dict[str, Callable[[Result], None]] = {
            "raw": bench.raw,
            "packed": bench.passthrough,
            "stream": bench.transformed,
            "parallel": lambda result: bench.parallel(result, args.streams),
            "refresh": bench.whole_refresh,
            "mydumper": lambda result: bench.mydumper(result, args.threads),
        }
        results: list[Result] = []
        for _ in range(args.repeat):
            for method in args.methods:
                if method == "mydumper":
                    clean_mydumper(bench)
                try:
                    results.append(bench.measure(method, runs[method]))
                finally:
                    if method == "mydumper":
                        clean_mydumper(bench)
        bench.empty_staging()
    print_results(results, production_rows)
    say(f"end; {_uptime()}; the whole run took {(time.monotonic() - started) / 60:.1f} min")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"peak RSS of this process over the whole run (provisioning included): {peak:.0f} MB")


def print_results(results: list[Result], production_rows: int) -> None:
    by_method: dict[str, list[Result]] = {}
    for result in results:
        by_method.setdefault(result.method, []).append(result)
    dumped = [r.dump_bytes for r in results if r.dump_bytes]
    dump_bytes = statistics.median(dumped) if dumped else 0.0

    counted = {  # a failed run's seconds are not the method's
        method: [r for r in found if not r.failed] for method, found in by_method.items()
    }

    def seconds(method: str) -> float | None:
        found = counted.get(method)
        return statistics.median(r.seconds for r in found) if found else None

    raw = seconds("raw")
    fastest_raw = min((r.seconds for r in counted.get("raw", [])), default=None)
    big = "yes" if production_rows >= 2_000_000 and dump_bytes >= 500e6 else "no"
    print(
        f"\nrows on production: {production_rows:,}; dump: {dump_bytes / 1e6:.0f} MB "
        f"(issue 4's size, ≥ 2 M rows and ≥ 500 MB: {big})"
    )
    print(
        f"{'method':<36}{'seconds':>9}{'MB/s':>7}{'x best raw':>11}{'wire MB':>9}"
        f"{'staging rows':>14}{'peak RSS':>10}{'load':>6}"
    )
    for method in METHODS:
        for result in by_method.get(method, []):
            ratio = f"{result.seconds / fastest_raw:.2f}" if fastest_raw else "-"
            rate = f"{dump_bytes / result.seconds / 1e6:.1f}" if dump_bytes else "-"
            wire = f"{result.wire_bytes / 1e6:.0f}" if result.wire_bytes else "-"
            print(
                f"{LABELS[method]:<36}{result.seconds:>9.1f}{rate:>7}{ratio:>11}{wire:>9}"
                f"{result.staging_rows:>14,}{result.peak_rss_mb:>8.0f}MB{result.load:>6.1f}"
            )
            for name, part in result.parts:
                print(f"  {name:<34}{part:>9.1f}")
            if result.failed:
                restored = ", then restored" if method == "refresh" else ""
                print(f"  FAILED{restored}: {result.failed} (not counted)")
    print(
        "\nwhere the CPU went (CPU seconds during each method: this process, its ssh children, "
        "mariadbd on production and on staging)"
    )
    print(f"{'method':<36}{'wall':>7}{'control':>9}{'its ssh':>9}{'prod db':>9}{'stag db':>9}")
    for method in METHODS:
        for result in by_method.get(method, []):
            print(
                f"{LABELS[method]:<36}{result.seconds:>7.1f}{result.cpu_self:>9.1f}"
                f"{result.cpu_children:>9.1f}{result.db_cpu['production']:>9.1f}"
                f"{result.db_cpu['staging']:>9.1f}"
            )
    for method in METHODS:
        for note in dict.fromkeys(r.note for r in by_method.get(method, []) if r.note):
            print(f"{LABELS[method]}: {note}")
    if "stream" in by_method and "packed" in by_method:
        # The transformer's own CPU: the stream's control CPU less the packed pipe's (unpack,
        # pack, relaying), which it also pays.
        cpu = statistics.median(r.cpu_self for r in by_method["stream"]) - statistics.median(
            r.cpu_self for r in by_method["packed"]
        )
        print(
            f"\nthe transformer's CPU on the control machine: {cpu:.1f} s "
            f"({dump_bytes / 1e6 / max(cpu, 1e-9):.1f} MB/s of one core)"
        )
    # On a shared machine a slow run says more about the neighbours than about the
    # method, so the best run of each is the headline and the medians follow.
    print()
    for method, target in (("stream", "≤ 1.2x"), ("parallel", "≤ 0.8x"), ("mydumper", "the floor")):
        median = seconds(method)
        if raw and median:
            best = min(r.seconds for r in counted[method]) / min(r.seconds for r in counted["raw"])
            print(
                f"{LABELS[method]} / raw pipe = {best:.2f}x (target {target}; best run of "
                f"each of {len(counted[method])}; medians: {median / raw:.2f}x)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_200_000, help="rows to generate, about")
    parser.add_argument("--mb", type=int, default=600, help="size of the dump, about, in MB")
    parser.add_argument(
        "--methods", nargs="+", choices=METHODS, default=list(METHODS), help="what to measure"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each method")
    parser.add_argument("--threads", type=int, default=4, help="mydumper's and myloader's")
    parser.add_argument(
        "--streams", type=int, help="the parallel refresh's streams (default: the hosts' cores)"
    )
    parser.add_argument("--work-dir", type=Path, help="keep the lab's state and data here")
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab up (--work-dir)")
    args = parser.parse_args()
    if args.keep_lab and not args.work_dir:
        parser.error("--keep-lab needs --work-dir (the lab's keys live there)")
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        run(args, args.work_dir.resolve())
        return
    with tempfile.TemporaryDirectory(prefix="upkeep-bench-") as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
