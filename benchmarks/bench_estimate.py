"""Benchmark: files per second for ``upkeep estimate`` on a large synthetic tree.

Generates a deterministic tree of PHP files (default 3,000; sizes from a few
dozen to several hundred lines, classes, templates and includes, with a
sprinkling of old code: mysql_*, each(), create_function(), $str{0}, nested
ternaries, ${} interpolation ...) in a temporary directory, then runs the
estimate with 1 and 2 worker processes, with a cold and a warm cache. Each
scenario runs in a fresh process so its peak RSS is its own.

    python benchmarks/bench_estimate.py            # 3,000 files
    python benchmarks/bench_estimate.py --files 500

Prints a table; the figures are measurements, never assertions.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
    "        $total = array_sum(array_map(fn ($line) => $line->price * $line->qty, $lines));",
    "        $name = trim((string) ($input['name'] ?? ''));",
    "        if ($user !== null && $user->isActive()) { $this->logger->info('active', ['id' => $user->id]); }",
    "        foreach ($rows as $index => $row) { $result[$row['id']] = $this->map($row, $index); }",
    "        $stmt = $this->pdo->prepare('SELECT * FROM orders WHERE customer_id = :id');",
    "        $stmt->execute(['id' => $customerId]);",
    "        $html .= sprintf('<li>%s</li>', htmlspecialchars($item, ENT_QUOTES, 'UTF-8'));",
    "        return $this->cache->get($key) ?? $this->load($key);",
    "        // keep the legacy behaviour for old invoices until they are archived",
    "        $date = (new \\DateTimeImmutable($value))->format('Y-m-d');",
]


def php_class(rng: random.Random, index: int) -> str:
    lines = ["<?php", f"namespace App\\Module{index % 40};", "", "use App\\Support\\Helper;", ""]
    lines.append(f"class Service{index} extends BaseService")
    lines.append("{")
    lines.append("    private $items = array();")
    lines.append("    protected $logger;")
    for method in range(rng.randint(2, 30)):
        lines.append(f"    public function action{method}($id, array $options = array())")
        lines.append("    {")
        for _ in range(rng.randint(3, 20)):
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
            '  <tr><td><?= htmlspecialchars($order["id"]) ?></td>'
            '<td><?php echo number_format($order["total"], 2); ?></td></tr>'
        )
        if rng.random() < 0.05:
            lines.append("  <?php $row = mysql_fetch_assoc($res); ?>")
    lines.append("<?php endforeach; ?>")
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"


def generate(root: Path, count: int, seed: int = 7) -> tuple[int, int]:
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


def one(root: Path, jobs: int, cache: Path | None) -> dict[str, float]:
    """Run one scenario in this process and report its numbers as JSON."""
    from upkeep.estimate.versions import PhpLine
    from upkeep.estimate.workflow import Request, run_estimate

    start = time.perf_counter()
    estimate = run_estimate(
        Request(root, "bench", PhpLine(5, 6), PhpLine(8, 4), jobs=jobs, cache=cache)
    )
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "files": estimate.files_scanned,
        "findings": len(estimate.findings),
        "seconds": seconds,
        "rss_main_mb": own / 1024,
        "rss_worker_mb": children / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--one", nargs=3, metavar=("ROOT", "JOBS", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        root, jobs, cache = args.one
        print(json.dumps(one(Path(root), int(jobs), None if cache == "-" else Path(cache))))
        return 0
    with tempfile.TemporaryDirectory(prefix="upkeep-bench-") as temporary:
        tree = Path(temporary) / "site"
        size, lines = generate(tree, args.files)
        print(f"tree: {args.files:,} files, {lines:,} lines, {size / 1e6:.1f} MB")
        rows = []
        for jobs in (1, 2):
            cache = Path(temporary) / f"cache-{jobs}"
            for label, cache_arg in (("none", "-"), ("cold", str(cache)), ("warm", str(cache))):
                output = subprocess.run(
                    [sys.executable, __file__, "--one", str(tree), str(jobs), cache_arg],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                result = json.loads(output)
                rows.append((jobs, label, result))
            shutil.rmtree(cache, ignore_errors=True)
        header = (
            f"{'workers':>7}  {'cache':<5}  {'files':>6}  {'seconds':>7}  {'files/s':>8}  "
            f"{'findings':>8}  {'RSS main':>8}  {'RSS worker':>10}"
        )
        print(header)
        print("-" * len(header))
        for jobs, label, r in rows:
            print(
                f"{jobs:>7}  {label:<5}  {r['files']:>6}  {r['seconds']:>7.2f}  "
                f"{r['files'] / r['seconds']:>8.0f}  {r['findings']:>8}  "
                f"{r['rss_main_mb']:>6.0f}MB  {r['rss_worker_mb']:>8.0f}MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
