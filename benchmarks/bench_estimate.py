"""Benchmark: ``upkeep estimate`` beside phpcs + PHPCompatibility 9.3.5 on one large tree.

Generates a deterministic legacy tree (default 10,000 files, about 1.5 million
lines: classes, templates and includes with a sprinkling of old code: mysql_*,
each(), create_function(), $str{0}, nested ternaries, ${} interpolation ...)
in a temporary directory, then runs on that same tree, each in a fresh
process so its peak RSS is its own:

- phpcs with the PHPCompatibility standard, ``--parallel=2`` (the checker
  upkeep is measured against);
- ``upkeep estimate --path TREE --json`` with 2 and 1 workers, cold (no
  cache), then with 2 workers twice more against one cache (cold, warm).

    python benchmarks/bench_estimate.py                 # 10,000 files
    python benchmarks/bench_estimate.py --files 500     # a quick look
    python benchmarks/bench_estimate.py --setup-only    # install the checker
    python benchmarks/bench_estimate.py --no-phpcs      # upkeep alone

The checker is set up here: Debian's php-codesniffer (``apt-get install -y
php-cli php-codesniffer php-xml php-mbstring`` when ``phpcs`` is missing) and
PHPCompatibility 9.3.5 unpacked from ../shared/tools into the user's cache
directory. Prints a table (files, lines, seconds, × phpcs, peak RSS, and the
machine's 1-minute load average as each run ended: other work on the machine
slows every row, so compare rows of one run); the figures are measurements,
never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHPCOMPATIBILITY = ROOT.parent / "shared" / "tools" / "phpcompatibility-9.3.5-php8fix.tar.gz"
PHPCS_PACKAGES = ("php-cli", "php-codesniffer", "php-xml", "php-mbstring")
FROM_LINE, TO_LINE = "5.6", "8.2"

OLD_CODE = [
    '        $result = mysql_query("SELECT * FROM items WHERE id = " . (int) $id);',
    "        while (list($key, $value) = each($options)) { $out[$key] = $value; }",
    "        $callback = create_function('$a', 'return $a * 2;');",
    "        $first = $name{0};",
    "        $label = $count == 0 ? 'none' : $count == 1 ? 'one' : 'many';",
    '        $message = "Dear ${name}, your order is ready";',
    "        $price = (real) $row['price'];",
    "        if (ereg('^[0-9]+$', $code)) { $parts = split(',', $code); }",
    "        $text = utf8_encode($text);",
    "        $this->undeclared = $value;",
]
MODERN_CODE = [
    "        $total = array_sum(array_map(function ($line) { return $line->price * $line->qty; }, $lines));",
    "        $name = trim((string) (isset($input['name']) ? $input['name'] : ''));",
    "        if ($user !== null && $user->isActive()) { $this->logger->info('active', array('id' => $user->id)); }",
    "        foreach ($rows as $index => $row) { $result[$row['id']] = $this->map($row, $index); }",
    "        $stmt = $this->pdo->prepare('SELECT * FROM orders WHERE customer_id = :id');",
    "        $stmt->execute(array('id' => $customerId));",
    "        $html .= sprintf('<li>%s</li>', htmlspecialchars($item, ENT_QUOTES, 'UTF-8'));",
    "        return $this->cache->get($key);",
    "        // keep the legacy behaviour for old invoices until they are archived",
    "        $date = date('Y-m-d', strtotime($value));",
]


def php_class(rng: random.Random, index: int) -> str:
    lines = ["<?php", f"namespace App\\Module{index % 40};", "", "use App\\Support\\Helper;", ""]
    lines.append(f"class Service{index} extends BaseService")
    lines.append("{")
    lines.append("    private $items = array();")
    lines.append("    protected $logger;")
    for method in range(rng.randint(2, 20)):
        lines.append(f"    public function action{method}($id, array $options = array())")
        lines.append("    {")
        for _ in range(rng.randint(3, 16)):
            pool = OLD_CODE if rng.random() < 0.04 else MODERN_CODE
            lines.append(rng.choice(pool))
        lines.append("        return $this->items;")
        lines.append("    }")
        lines.append("")
    lines.append("}")
    return "\n".join(lines) + "\n"


def php_template(rng: random.Random, index: int) -> str:
    lines = ["<html><body>", "<?php foreach ($orders as $order): ?>"]
    for _ in range(rng.randint(5, 60)):
        lines.append(
            '  <tr><td><?php echo htmlspecialchars($order["id"]); ?></td>'
            '<td><?php echo number_format($order["total"], 2); ?></td></tr>'
        )
        if rng.random() < 0.05:
            lines.append("  <?php $row = mysql_fetch_assoc($res); ?>")
    lines.append("<?php endforeach; ?>")
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"


def generate(root: Path, count: int, seed: int = 7) -> tuple[int, int]:
    """Write ``count`` files under ``root``; (bytes, lines) written."""
    rng = random.Random(seed)
    total_bytes = total_lines = 0
    for index in range(count):
        folder = root / f"src/area{index % 25}"
        folder.mkdir(parents=True, exist_ok=True)
        if index % 10 == 9:
            path, text = folder / f"view{index}.phtml", php_template(rng, index)
        elif index % 10 == 8:
            path, text = folder / f"legacy{index}.inc", php_class(rng, index)
        else:
            path, text = folder / f"Service{index}.php", php_class(rng, index)
        path.write_text(text, encoding="utf-8")
        total_bytes += len(text)
        total_lines += text.count("\n")
    return total_bytes, total_lines


# -- the checker: phpcs + PHPCompatibility ---------------------------------------


def cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "upkeep" / "bench"


def setup_phpcs() -> tuple[str, Path] | str:
    """(phpcs executable, PHPCompatibility directory), or why the checker is unavailable."""
    if shutil.which("phpcs") is None:
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            return "phpcs is missing (apt-get install -y " + " ".join(PHPCS_PACKAGES) + ")"
        print("installing phpcs: apt-get install -y " + " ".join(PHPCS_PACKAGES), file=sys.stderr)
        installed = subprocess.run(
            ["apt-get", "install", "-y", "-q", *PHPCS_PACKAGES],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
            check=False,
        )
        if installed.returncode != 0 or shutil.which("phpcs") is None:
            return "apt-get could not install php-codesniffer"
    standard = cache_home() / "PHPCompatibility-9.3.5"
    if not (standard / "PHPCompatibility" / "ruleset.xml").is_file():
        if not PHPCOMPATIBILITY.is_file():
            return f"{PHPCOMPATIBILITY} is missing"
        standard.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(PHPCOMPATIBILITY) as archive:
            archive.extractall(standard.parent, filter="data")
    return str(shutil.which("phpcs")), standard


def phpcs_command(phpcs: str, standard: Path, tree: Path) -> list[str]:
    return [
        phpcs,
        "--standard=PHPCompatibility",
        "--runtime-set",
        "installed_paths",
        str(standard),
        "--runtime-set",
        "testVersion",
        f"{FROM_LINE}-{TO_LINE}",
        "--extensions=php,inc,module,phtml",
        "--report=summary",
        "--parallel=2",
        "-q",
        str(tree),
    ]


# -- measuring ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    seconds: float
    peak_rss_mb: float
    note: str = ""
    load: float = 0.0  # the 1-minute load average as the run ended


def measure(label: str, argv: list[str], env: dict[str, str] | None = None) -> Row:
    """Run ``argv`` in a child that reports its own wall time and its children's peak RSS."""
    probe = subprocess.run(
        [sys.executable, __file__, "--measure", json.dumps(argv)],
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    return Row(label, result["seconds"], result["rss_mb"], result["note"], os.getloadavg()[0])


def measure_here(argv: list[str]) -> dict[str, object]:
    """(in the probe process) time one command; RUSAGE_CHILDREN covers it and its workers."""
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    note = f"exit {done.returncode}"
    if argv[0].endswith("phpcs"):
        summary = [ln for ln in done.stdout.splitlines() if ln.startswith("A TOTAL OF")]
        note = summary[0].lower() if summary else note
    else:
        try:
            report = json.loads(done.stdout)
            data = report.get("data", report)  # the --json envelope carries the estimate
            note = f"{data['summary']['findings']:,} findings"
        except (ValueError, KeyError):
            note = f"{note}: {done.stderr.strip()[-200:]}"
    return {"seconds": seconds, "rss_mb": rss, "note": note}


def upkeep_argv(tree: Path, jobs: int, cache: bool) -> list[str]:
    argv = [sys.executable, "-m", "upkeep.cli.main", "estimate", "--path", str(tree)]
    argv += ["--from", FROM_LINE, "--to", TO_LINE, "--json", "--jobs", str(jobs)]
    return argv if cache else [*argv, "--no-cache"]


def run_all(tree: Path, temporary: Path, with_phpcs: bool) -> list[Row]:
    rows: list[Row] = []
    if with_phpcs:
        checker = setup_phpcs()
        if isinstance(checker, str):
            print(f"phpcs: not measured ({checker})", file=sys.stderr)
        else:
            rows.append(
                measure("phpcs + PHPCompatibility, --parallel=2", phpcs_command(*checker, tree))
            )
    rows.append(measure("upkeep, 2 workers, cold", upkeep_argv(tree, 2, cache=False)))
    rows.append(measure("upkeep, 1 worker, cold", upkeep_argv(tree, 1, cache=False)))
    cache_env = {"XDG_CACHE_HOME": str(temporary / "cache")}
    rows.append(measure("upkeep, 2 workers, cache cold", upkeep_argv(tree, 2, True), cache_env))
    rows.append(measure("upkeep, 2 workers, cache warm", upkeep_argv(tree, 2, True), cache_env))
    return rows


def print_table(rows: list[Row], files: int, lines: int) -> None:
    baseline = rows[0].seconds if rows and rows[0].label.startswith("phpcs") else None
    header = (
        f"{'run':<40}  {'files':>6}  {'lines':>9}  {'seconds':>8}  {'x phpcs':>7}  "
        f"{'peak RSS MB':>11}  {'load':>5}  result"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        speed = f"{baseline / row.seconds:.1f}" if baseline else "-"
        print(
            f"{row.label:<40}  {files:>6,}  {lines:>9,}  {row.seconds:>8.2f}  {speed:>7}  "
            f"{row.peak_rss_mb:>11.0f}  {row.load:>5.1f}  {row.note}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--setup-only", action="store_true", help="install the checker and stop")
    parser.add_argument("--no-phpcs", action="store_true", help="measure upkeep alone")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_here(json.loads(args.measure))))
        return 0
    if args.setup_only:
        checker = setup_phpcs()
        print(checker if isinstance(checker, str) else f"ready: {checker[0]}, {checker[1]}")
        return 0 if not isinstance(checker, str) else 1
    with tempfile.TemporaryDirectory(prefix="upkeep-bench-") as temporary:
        tree = Path(temporary) / "site"
        size, lines = generate(tree, args.files)
        print(f"tree: {args.files:,} files, {lines:,} lines, {size / 1e6:.1f} MB")
        rows = run_all(tree, Path(temporary), with_phpcs=not args.no_phpcs)
        print_table(rows, args.files, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
