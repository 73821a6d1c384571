"""`upkeep schedule` through main(): writing, idempotency, dry run, JSON, refusals, secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.schedule.test_files import INVENTORY, write_inventory
from upkeep.cli.main import main

SECRET_VALUE = "pa55-Zebra-17-never-in-files"

NO_STAGING = (
    INVENTORY[: INVENTORY.index("  staging:")] + INVENTORY[INVENTORY.index("  production:") :]
)


@pytest.fixture
def repo(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared workspace with the shop inventory, and a home outside it."""
    home = workspace.parent / f"{workspace.name}-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    write_inventory(workspace)
    return workspace


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder`` with its text and modification time."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): (path.read_text(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def exit_code(argv: list[str]) -> int | str | None:
    """main()'s code, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exit:
        return exit.code


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["schedule", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_writes_the_files_into_schedules_project(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "shop", "--timezone", "Europe/Warsaw")
    assert (code, err) == (0, "")
    written = snapshot(repo / "schedules" / "shop")
    assert sorted(written) == sorted(
        [
            "upkeep-shop-update.service",
            "upkeep-shop-update.timer",
            "upkeep-shop-refresh.service",
            "upkeep-shop-refresh.timer",
            "upkeep-shop-check.service",
            "upkeep-shop-check.timer",
            "upkeep-shop.cron",
            "upkeep-shop.env.example",
            "gitlab-ci.yml",
            "github-workflow.yml",
        ]
    )
    assert "10 of 10 files written or removed" in out
    # The run is read from the repository it was made in, unless told otherwise.
    assert f"WorkingDirectory={repo}\n" in written["upkeep-shop-update.service"][0]
    assert '- local: "schedules/shop/gitlab-ci.yml"' in written["gitlab-ci.yml"][0]
    # It ends with how to install each kind.
    tail = out[out.index("next steps:") :]
    assert (
        "systemctl daemon-reload && systemctl enable --now upkeep-shop-refresh.timer "
        "upkeep-shop-update.timer upkeep-shop-check.timer" in tail
    )
    assert "cp schedules/shop/upkeep-shop-refresh.service" in tail
    assert "install -m 644 schedules/shop/upkeep-shop.cron /etc/cron.d/upkeep-shop" in tail
    assert "cp schedules/shop/github-workflow.yml .github/workflows/upkeep-shop.yml" in tail
    assert "~upkeep/.ssh/id_shop, owned by upkeep" in tail
    # The DST caveat of GitHub's UTC cron is said, with the offset used.
    assert "Tue 06:00 Europe/Warsaw = Tue 04:00 UTC (UTC+02:00)" in out


def test_second_run_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("shop", "--timezone", "Europe/Warsaw", "--json")
    assert run(capsys, *args)[0] == 0
    before = snapshot(repo / "schedules" / "shop")
    code, out, _ = run(capsys, *args)
    assert code == 0
    statuses = {
        Path(item["path"]).name: item["status"] for item in json.loads(out)["data"]["files"]
    }
    assert set(statuses.values()) == {"unchanged"}
    assert set(statuses) == set(before)
    assert snapshot(repo / "schedules" / "shop") == before  # same texts, same mtimes


def test_dry_run_writes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "shop", "--dry-run", "--json")
    assert code == 0
    result = json.loads(out)["data"]
    assert result["dry_run"] is True
    assert {item["status"] for item in result["files"]} == {"would write"}
    assert len(result["files"]) == 10
    assert not (repo / "schedules").exists()


def test_dry_run_after_a_write_reports_unchanged(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "shop")
    code, out, _ = run(capsys, "shop", "--dry-run")
    assert code == 0
    assert "0 of 10 files would change (dry run, nothing written)" in out


def test_json_holds_the_schedule_files_and_steps(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "shop",
        "--json",
        "--timezone",
        "America/New_York",
        "--update-at",
        "Mon..Fri 21:00",
        "--no-refresh",
        "--check-every",
        "10m",
        "--user",
        "ops",
        "--repo-dir",
        "/srv/agency-ops",
    )
    assert code == 0
    result = json.loads(out)["data"]
    schedule = result["schedule"]
    assert schedule["timezone"] == "America/New_York"
    assert (schedule["update"], schedule["refresh"], schedule["check_every"]) == (
        "Mon..Fri 21:00",
        None,
        "10m",
    )
    jobs = {job["job"]: job for job in schedule["jobs"]}
    assert set(jobs) == {"update", "check"}
    assert jobs["update"]["command"] == ["upkeep", "update", "minor", "shop", "--yes", "--json"]
    assert jobs["update"]["oncalendar"] == "Mon..Fri *-*-* 21:00:00 America/New_York"
    assert jobs["update"]["cron"] == "0 21 * * 1-5"
    assert jobs["update"]["github_cron_utc"] == "0 1 * * 2-6"  # EDT, the next UTC day
    assert jobs["check"]["cron"] == "*/10 * * * *"
    assert {item["status"] for item in result["files"]} == {"written"}
    assert result["next_steps"][0]["title"].startswith("systemd timers")
    service = (repo / "schedules" / "shop" / "upkeep-shop-update.service").read_text()
    assert "User=ops\n" in service
    assert "ExecStart=/srv/agency-ops/.venv/bin/upkeep --root /srv/agency-ops " in service


def test_switching_a_job_off_removes_its_old_units(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = repo / "schedules" / "shop"
    run(capsys, "shop")
    (folder / "notes.txt").write_text("mine\n")
    code, out, _ = run(capsys, "shop", "--no-refresh", "--json")
    assert code == 0
    statuses = {
        Path(item["path"]).name: item["status"] for item in json.loads(out)["data"]["files"]
    }
    assert statuses["upkeep-shop-refresh.service"] == "removed"
    assert statuses["upkeep-shop-refresh.timer"] == "removed"
    # The rest is rewritten: each header names the call that made it, now with --no-refresh.
    assert statuses["upkeep-shop-update.timer"] == "written"
    assert "--no-refresh" in (folder / "upkeep-shop-update.timer").read_text()
    assert not (folder / "upkeep-shop-refresh.timer").exists()
    assert (folder / "notes.txt").read_text() == "mine\n"  # not ours: left alone


def test_output_elsewhere(repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    code, _, _ = run(capsys, "shop", "--output", str(target))
    assert code == 0
    assert (target / "upkeep-shop.cron").is_file()
    assert not (repo / "schedules").exists()


def test_no_secret_value_in_any_output(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB_PASSWORD", SECRET_VALUE)
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB_DUMP_PASSWORD", SECRET_VALUE + "-dump")
    outputs = [
        run(capsys, "shop", "--timezone", "Europe/Warsaw", *extra) for extra in ((), ("--json",))
    ]
    written = snapshot(repo / "schedules" / "shop")
    assert written
    for name, (text, _) in written.items():
        assert SECRET_VALUE not in text, name
    for _, out, err in outputs:
        assert SECRET_VALUE not in out + err
    # The names are there: that is how the files refer to them.
    assert "UPKEEP_SECRET_SHOP_DB_PASSWORD" in written["github-workflow.yml"][0]
    assert "UPKEEP_SECRET_SHOP_DB_PASSWORD" in written["gitlab-ci.yml"][0]


BAD = [
    (["shop", "--update-at", "Tus 06:00"], "--update-at 'Tus 06:00': unknown weekday 'Tus'"),
    (["shop", "--refresh-at", "Tue 25:00"], "--refresh-at 'Tue 25:00': 25:00 is not a time of day"),
    (["shop", "--update-at", "06:00"], "--update-at '06:00': expected 'DAYS HH:MM'"),
    (["shop", "--check-every", "7m"], "--check-every '7m': 7 minutes does not divide an hour"),
    (["shop", "--check-every", "90m"], "90 minutes does not divide an hour evenly"),
    (["shop", "--timezone", "Europe/Warsw"], "did you mean 'Europe/Warsaw'?"),
    (["shop", "--timezone", "CEST+2"], "--timezone 'CEST+2': unknown time zone"),
    (["shop", "--refresh-at", "Tue 06:00"], "start together on Tue"),
    (["shop", "--user", "Root Admin"], "--user 'Root Admin': not a system user name"),
    (["shop", "--repo-dir", "srv/ops"], "--repo-dir 'srv/ops': use an absolute path"),
    (["nosuch"], "no project 'nosuch'"),
    (["Shop!"], "not a valid project name"),
    (["shop", "--no-update", "--no-refresh", "--no-checks"], "nothing to schedule"),
    (["shop", "--update-at", "Tue 06:00", "--no-update"], "not allowed with argument"),
    (["shop", "--check-every"], "expected one argument"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    before = snapshot(repo)
    code = exit_code(["schedule", *args])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("upkeep: ")
    assert fragment in lines[0]
    assert snapshot(repo) == before


def test_project_without_staging_needs_no_refresh(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_inventory(repo, NO_STAGING.replace("project: shop", "project: solo"), name="solo")
    code, _, err = run(capsys, "solo")
    assert code == 2
    assert err.strip() == (
        "upkeep: project solo has no staging environment to refresh "
        "(add environments.staging, or pass --no-refresh)"
    )
    assert not (repo / "schedules").exists()
    code, _, _ = run(capsys, "solo", "--no-refresh")
    assert code == 0
    assert not (repo / "schedules" / "solo" / "upkeep-solo-refresh.timer").exists()


def test_output_that_is_a_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "taken").write_text("x\n")
    code, _, err = run(capsys, "shop", "--output", str(repo / "taken"))
    assert code == 2
    assert "not a directory" in err
    assert (repo / "taken").read_text() == "x\n"
