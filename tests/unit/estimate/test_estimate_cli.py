"""``upkeep estimate`` through main(): reports, summary, exit codes, PROJECT mode."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest

import upkeep.cli.main as cli_main
from tests.unit.estimate.conftest import FIXTURES
from upkeep.exitcodes import ExitCode

DEMO_INVENTORY = Path(__file__).resolve().parents[3] / "inventories" / "demo.yml"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv("UPKEEP_ROOT", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def run(argv: list[str]) -> int:
    try:
        return cli_main.main(argv)
    except SystemExit as exit_:  # argparse usage errors
        return int(exit_.code or 0)


def test_estimate_is_a_command_of_the_real_entry_point(capsys):
    assert "upkeep.cli.estimate" in cli_main.COMMANDS
    code = run(
        [
            "estimate",
            "--path",
            str(FIXTURES / "polyfill"),
            "--from",
            "7.4",
            "--to",
            "8.0",
            "--format",
            "json",
            "--output",
            "-",
            "--no-cache",
        ]
    )
    assert code == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["to"] == "8.0"


def test_path_mode_writes_three_reports_and_a_summary(tmp_path: Path, capsys):
    out = tmp_path / "out"
    code = run(
        [
            "estimate",
            "--path",
            str(FIXTURES / "corpus"),
            "--from",
            "5.6",
            "--to",
            "8.2",
            "--output",
            str(out),
            "--no-cache",
        ]
    )
    assert code == ExitCode.OK
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "corpus-php5.6-to-8.2.html",
        "corpus-php5.6-to-8.2.json",
        "corpus-php5.6-to-8.2.md",
    ]
    stdout = capsys.readouterr().out
    assert "PHP 5.6 → 8.2" in stdout and "Effort:" in stdout and "report:" in stdout
    data = json.loads((out / "corpus-php5.6-to-8.2.json").read_text(encoding="utf-8"))
    assert data["from"] == "5.6" and data["to"] == "8.2" and data["findings"]


def test_path_mode_writes_nothing_into_the_current_directory_unasked(
    tmp_path: Path, monkeypatch, capsys
):
    here = tmp_path / "ops"
    (here / "inventories").mkdir(parents=True)  # even inside an operator repository
    monkeypatch.chdir(here)
    code = run(["estimate", "--path", str(FIXTURES / "polyfill"), "--from", "7.4", "--to", "8.0"])
    assert code == ExitCode.OK
    assert sorted(p.name for p in here.iterdir()) == ["inventories"]
    assert "no report written: give --output DIR" in capsys.readouterr().out
    # the scan cache is the user's, under $XDG_CACHE_HOME/upkeep
    assert list((tmp_path / "user-cache" / "upkeep" / "estimate").rglob("*.json"))


def test_one_format_to_stdout(capsys):
    code = run(
        [
            "estimate",
            "--path",
            str(FIXTURES / "polyfill"),
            "--from",
            "7.4",
            "--to",
            "8.0",
            "--format",
            "json",
            "--output",
            "-",
            "--no-cache",
            "--jobs",
            "1",
        ]
    )
    assert code == ExitCode.OK
    captured = capsys.readouterr()
    assert json.loads(captured.out)["findings"][0]["rule"] == "function.create-function"
    assert "Effort:" in captured.err


def test_one_format_to_a_file(tmp_path: Path):
    target = tmp_path / "quote.md"
    code = run(
        [
            "estimate",
            "--path",
            str(FIXTURES / "polyfill"),
            "--from",
            "7.4",
            "--to",
            "8.0",
            "--format",
            "md",
            "--output",
            str(target),
            "--no-cache",
        ]
    )
    assert code == ExitCode.OK
    assert target.read_text(encoding="utf-8").startswith("# PHP 7.4 → 8.0")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--path", "{corpus}", "--from", "7.4", "--to", "9.1"], "not a line the estimate knows"),
        (["--path", "{corpus}", "--from", "8.2", "--to", "7.4"], "later line"),
        (["--path", "{corpus}", "--from", "8.2", "--to", "8.2"], "later line"),
        (["--path", "{corpus}", "--from", "seven", "--to", "8.2"], "not a PHP line"),
        (["--path", "/no/such/dir", "--from", "7.4", "--to", "8.2"], "no such directory"),
        (["--path", "{corpus}", "--to", "8.2"], "--from"),
        (["demo", "--path", "{corpus}", "--from", "7.4", "--to", "8.2"], "not both"),
        (["--from", "7.4", "--to", "8.2"], "PROJECT"),
        (["--path", "{corpus}", "--from", "7.4", "--to", "8.2", "--jobs", "0"], "--jobs"),
        (
            ["--path", "{corpus}", "--from", "7.4", "--to", "8.2", "--output", "-"],
            "takes one format",
        ),
        (
            ["--path", "{corpus}/syntax.php", "--from", "7.4", "--to", "8.2"],
            "not a directory (--path wants the checkout's directory, not one file)",
        ),
        (["--path", "{empty}", "--from", "7.4", "--to", "8.2"], "no PHP files under "),
        (
            ["--path", "{corpus}", "--from", "7.4", "--to", "8.2", "--json", "--output", "-"],
            "--json",
        ),
        (["--path", "{corpus}", "--from", "7.4.1.2", "--to", "8.2"], "not a PHP line"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.txt").write_text("no code here\n", encoding="utf-8")
    argv = [
        a.replace("{corpus}", str(FIXTURES / "corpus")).replace("{empty}", str(tmp_path / "empty"))
        for a in argv
    ]
    assert run(["estimate", *argv]) == ExitCode.USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert "Traceback" not in err[0]


def test_json_prints_the_report_on_stdout_and_the_summary_on_stderr(
    tmp_path: Path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    argv = ["estimate", "--path", str(FIXTURES / "polyfill"), "--from", "7.4", "--to", "8.0"]
    assert run([*argv, "--json", "--no-cache"]) == ExitCode.OK
    captured = capsys.readouterr()
    data = json.loads(captured.out)["data"]
    assert data["findings"][0]["rule"] == "function.create-function"
    assert "Effort:" in captured.err and "Effort:" not in captured.out
    assert list(tmp_path.iterdir()) == []  # nothing written beside it


def test_json_with_output_also_writes_the_other_reports(tmp_path: Path, capsys):
    argv = ["estimate", "--path", str(FIXTURES / "polyfill"), "--from", "7.4", "--to", "8.0"]
    assert run([*argv, "--json", "--output", str(tmp_path / "out")]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["data"]["to"] == "8.0"
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".html", ".json", ".md"]


def test_full_versions_are_read_as_their_line(capsys):
    argv = ["estimate", "--path", str(FIXTURES / "polyfill"), "--from", "7.4.33", "--to", "8.0.1"]
    assert run([*argv, "--json", "--no-cache"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)["data"]
    assert (data["from"], data["to"]) == ("7.4", "8.0")


def test_reports_name_the_project_never_the_operators_absolute_path(tmp_path: Path):
    checkout = tmp_path / "clients" / "acme-shop"
    checkout.mkdir(parents=True)
    (checkout / "index.php").write_text("<?php echo $s{0};\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["estimate", "--path", str(checkout), "--from", "7.4", "--to", "8.0"]
    assert run([*argv, "--output", str(out), "--no-cache"]) == ExitCode.OK
    for report in out.iterdir():
        text = report.read_text(encoding="utf-8")
        assert str(tmp_path) not in text, report.name
        assert "acme-shop" in text
    data = json.loads((out / "acme-shop-php7.4-to-8.0.json").read_text(encoding="utf-8"))
    assert data["source"] == "acme-shop"
    assert data["report"]["project"] == "acme-shop"


def test_estimate_help_loads_neither_the_scanner_nor_other_commands():
    """Startup: only the estimate command's own light modules (no timing asserted)."""
    probe = (
        "import sys\n"
        "from upkeep.cli.main import main\n"
        "try:\n"
        "    main(['estimate', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('tree_sitter', 'jinja2', 'pyinfra', 'docker', 'pydantic', 'paramiko',\n"
        "         'upkeep.inventory', 'upkeep.lab', 'upkeep.estimate.scanner')\n"
        "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "[]"
    assert "--json" in done.stdout


def test_missing_to_is_a_usage_error(capsys):
    assert run(["estimate", "--path", ".", "--from", "7.4"]) == ExitCode.USAGE


# -- PROJECT mode ---------------------------------------------------------------


def _workspace(tmp_path: Path, line: str = "7.4") -> tuple[Path, git.Repo]:
    repo_dir = tmp_path / "site"
    repo_dir.mkdir()
    repo = git.Repo.init(repo_dir)
    repo.git.checkout("-b", "main")
    (repo_dir / "index.php").write_text("<?php\necho $s{0};\n", encoding="utf-8")
    repo.index.add(["index.php"])
    repo.index.commit("first", author=git.Actor("t", "t@example.org"))
    root = tmp_path / "ops"
    (root / "inventories").mkdir(parents=True)
    text = DEMO_INVENTORY.read_text(encoding="utf-8")
    text = text.replace("project: demo", "project: shop")
    text = text.replace(
        "repository: ~/.local/state/upkeep/lab/demo-site", f"repository: {repo_dir}"
    )
    text = text.replace('line: "8.2"', f'line: "{line}"')
    assert f"repository: {repo_dir}" in text and "project: shop" in text
    (root / "inventories" / "shop.yml").write_text(text, encoding="utf-8")
    shutil.copy(DEMO_INVENTORY.with_name("servers.yml"), root / "inventories")  # its hosts
    shutil.copy(DEMO_INVENTORY.with_name("plans.yml"), root / "inventories")  # its care plan
    return root, repo


def test_project_mode_scans_production_code_at_its_ref(tmp_path: Path, capsys):
    root, repo = _workspace(tmp_path)
    out = tmp_path / "out"
    code = run(["--root", str(root), "estimate", "shop", "--to", "8.0", "--output", str(out)])
    assert code == ExitCode.OK, capsys.readouterr().err
    # without --output, PROJECT mode files its reports in the repository's reports/
    assert run(["--root", str(root), "estimate", "shop", "--to", "8.0"]) == ExitCode.OK
    assert (root / "reports" / "estimate" / "shop-php7.4-to-8.0.html").is_file()
    data = json.loads((out / "shop-php7.4-to-8.0.json").read_text(encoding="utf-8"))
    commit = repo.head.commit.hexsha[:12]
    assert data["project"] == "shop" and data["ref"] == commit
    assert data["source"] == f"shop@{commit}"
    assert [f["rule"] for f in data["findings"]] == ["syntax.curly-offset"]
    assert (root / ".cache" / "estimate" / "shop" / "index.php").is_file()
    assert str(tmp_path) not in (out / "shop-php7.4-to-8.0.md").read_text(encoding="utf-8")


def test_project_mode_follows_the_production_pin_and_fetches_again(tmp_path: Path):
    root, repo = _workspace(tmp_path, line="7.2")  # a pin must be on the inventory's line
    out = tmp_path / "out"
    assert run(["--root", str(root), "estimate", "shop", "--to", "8.0", "--output", str(out)]) == 0
    # a new release is deployed and pinned: its ref and PHP build drive the next estimate
    site = Path(repo.working_tree_dir)
    (site / "index.php").write_text("<?php\n$f = create_function('', '');\n", encoding="utf-8")
    repo.index.add(["index.php"])
    repo.index.commit("second", author=git.Actor("t", "t@example.org"))
    repo.create_tag("release-2")
    repo.git.reset("--hard", "HEAD~1")  # main moves back: only the pinned tag has the change
    lock = (
        "project: shop\nenvironments:\n  production:\n"
        "    php_build: 7.2.34-1~deb10u1\n    ref: release-2\n"
    )
    (root / "inventories" / "shop.pins.yml").write_text(lock, encoding="utf-8")
    assert run(["--root", str(root), "estimate", "shop", "--to", "8.0", "--output", str(out)]) == 0
    data = json.loads((out / "shop-php7.2-to-8.0.json").read_text(encoding="utf-8"))
    assert data["from"] == "7.2"
    assert data["ref"] == repo.tags["release-2"].commit.hexsha[:12]
    assert [f["rule"] for f in data["findings"]] == ["function.create-function"]


def test_project_mode_errors_are_usage_errors(tmp_path: Path, capsys):
    root, repo = _workspace(tmp_path)
    assert run(["--root", str(root), "estimate", "nosuch", "--to", "8.0"]) == ExitCode.USAGE
    assert "no project 'nosuch'" in capsys.readouterr().err
    inventory = root / "inventories" / "shop.yml"
    inventory.write_text(
        inventory.read_text(encoding="utf-8").replace(
            str(repo.working_tree_dir), str(tmp_path / "gone")
        ),
        encoding="utf-8",
    )
    assert run(["--root", str(root), "estimate", "shop", "--to", "8.0"]) == ExitCode.USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot fetch" in err[0]


def test_a_selection_estimates_each_project_with_one_summary(tmp_path: Path, capsys):
    root, _ = _workspace(tmp_path)
    shop = (root / "inventories" / "shop.yml").read_text(encoding="utf-8")
    blog = shop.replace("project: shop", "project: blog").replace("demo.lab", "blog.lab")
    (root / "inventories" / "blog.yml").write_text(blog, encoding="utf-8")
    out = tmp_path / "out"
    capsys.readouterr()
    argv = ["--root", str(root), "estimate", "--all", "--to", "8.0"]
    assert run([*argv, "--output", f"{out}/"]) == ExitCode.OK
    printed = capsys.readouterr().out
    assert "== blog ==" in printed and "== shop ==" in printed
    assert printed.rstrip().endswith("summary: 2 of 2 projects succeeded\n  blog: ok\n  shop: ok")
    for name in ("blog", "shop"):
        data = json.loads((out / f"{name}-php7.4-to-8.0.json").read_text(encoding="utf-8"))
        assert data["project"] == name and [f["rule"] for f in data["findings"]] == [
            "syntax.curly-offset"
        ]
    assert run([*argv, "--json"]) == ExitCode.OK
    wrapped = json.loads(capsys.readouterr().out)
    assert [(e["project"], e["data"]["project"]) for e in wrapped["data"]] == [
        ("blog", "blog"),
        ("shop", "shop"),
    ]
    # one file cannot hold two projects' reports: refused before anything is scanned
    assert run([*argv, "--output", str(tmp_path / "one.json")]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err == (
        f"upkeep: --output {tmp_path / 'one.json'} holds one project's reports; "
        "give a directory for several\n"
    )
    assert not (tmp_path / "one.json").exists()
