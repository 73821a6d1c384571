"""The generated files: units parse as INI and fire when asked, cron lines, both CI YAMLs."""

from __future__ import annotations

import configparser
import datetime as dt
import re
import zoneinfo
from pathlib import Path, PurePosixPath

import pytest
import yaml

from upkeep.inventory import load_file
from upkeep.schedule.expressions import parse_cron, parse_oncalendar
from upkeep.schedule.model import Every, Schedule, Weekly
from upkeep.schedule.needs import needs_of
from upkeep.schedule.render import Plan, possible_names, render
from upkeep.schedule.zones import to_utc

INVENTORY = """\
project: shop
app:
  kind: laravel
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
  staging:
    domain: staging.shop.example
    tls: acme
    hosts:
      - name: web-staging
        address: 192.0.2.10
        key: ~/.ssh/id_shop
        known_hosts: ~/.ssh/known_hosts_shop
  production:
    domain: www.shop.example
    tls: acme
    hosts:
      - name: web-production
        address: 192.0.2.20
        key: ~/.ssh/id_shop_production
        known_hosts: ~/.ssh/known_hosts_shop
"""

# Every key the units may use, so a misspelt one (Persistant=) fails here,
# not silently on the server.
UNIT_KEYS = {
    "Unit": {"Description", "Wants", "After"},
    "Service": {
        "Type",
        "User",
        "WorkingDirectory",
        "Environment",
        "EnvironmentFile",
        "ExecStart",
        "SuccessExitStatus",
        "TimeoutStartSec",
        "NoNewPrivileges",
        "PrivateTmp",
    },
    "Timer": {"OnCalendar", "Persistent", "RandomizedDelaySec", "Unit"},
    "Install": {"WantedBy"},
}
TUESDAY_6 = Weekly((1,), 6, 0)
TUESDAY_4 = Weekly((1,), 4, 0)
EVERY_5 = Every(5)
MONDAY_7 = Weekly((0,), 7, 0)
_TIME_SPAN = re.compile(r"[0-9]+(min|h|s)")


def write_inventory(root: Path, text: str = INVENTORY, name: str = "shop") -> Path:
    path = root / "inventories" / f"{name}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of our own, so ~ in the inventory resolves somewhere known."""
    folder = tmp_path / "home" / "me"
    folder.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(folder))
    return folder


def make_plan(
    root: Path,
    home: Path,
    update: Weekly | None = TUESDAY_6,
    refresh: Weekly | None = TUESDAY_4,
    check: Every | None = EVERY_5,
    zone: str = "Europe/Warsaw",
    propose: Weekly | None = None,
) -> Plan:
    # The repository beside the home, not around it: where a path lies decides its CI form.
    repository = root / "ops"
    project = load_file(write_inventory(repository))
    schedule = Schedule(
        "shop",
        zone,
        "upkeep",
        PurePosixPath("/srv/ops"),
        update,
        refresh,
        check,
        propose,
        proposals=propose is not None,
    )
    return render(schedule, needs_of(project, repository, home, "upkeep"), year=2025)


def files_of(plan: Plan) -> dict[str, str]:
    return {file.name: file.text for file in plan.files}


def read_unit(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(text)
    return parser


def test_every_name_is_one_render_can_make(tmp_path: Path, home: Path) -> None:
    plan = make_plan(tmp_path, home, propose=MONDAY_7)
    names = [file.name for file in plan.files]
    assert len(names) == len(set(names))
    assert set(names) <= possible_names("shop")
    assert set(names) == possible_names("shop")  # all jobs on: every possible file


@pytest.mark.parametrize("job", ["update", "refresh", "check"])
def test_units_parse_with_the_right_sections_and_keys(tmp_path: Path, home: Path, job: str) -> None:
    files = files_of(make_plan(tmp_path, home))
    service = read_unit(files[f"upkeep-shop-{job}.service"])
    timer = read_unit(files[f"upkeep-shop-{job}.timer"])
    assert service.sections() == ["Unit", "Service"]
    assert timer.sections() == ["Unit", "Timer", "Install"]
    for unit in (service, timer):
        for section in unit.sections():
            assert set(unit[section]) <= UNIT_KEYS[section], section
    body = service["Service"]
    assert body["Type"] == "oneshot"
    assert body["User"] == "upkeep"
    assert body["WorkingDirectory"] == "/srv/ops"
    assert body["EnvironmentFile"] == "/etc/upkeep/shop.env"
    assert _TIME_SPAN.fullmatch(body["TimeoutStartSec"])
    assert timer["Timer"]["Unit"] == f"upkeep-shop-{job}.service"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_exec_start_runs_the_agreed_commands(tmp_path: Path, home: Path) -> None:
    files = files_of(make_plan(tmp_path, home))
    prefix = "/srv/ops/.venv/bin/upkeep --root /srv/ops "
    expected = {
        "update": "update minor shop --yes --json",
        "refresh": "refresh shop --to staging --yes --json",
        "check": "check shop",
    }
    for job, arguments in expected.items():
        service = read_unit(files[f"upkeep-shop-{job}.service"])
        assert service["Service"]["ExecStart"] == prefix + arguments


def test_weekly_timers_persist_and_spread_checks_do_not(tmp_path: Path, home: Path) -> None:
    files = files_of(make_plan(tmp_path, home))
    for job in ("update", "refresh"):
        timer = read_unit(files[f"upkeep-shop-{job}.timer"])["Timer"]
        assert timer["Persistent"] == "true"
        assert _TIME_SPAN.fullmatch(timer["RandomizedDelaySec"])
    check = read_unit(files["upkeep-shop-check.timer"])["Timer"]
    assert check["Persistent"] == "false"
    assert "RandomizedDelaySec" not in check
    service = read_unit(files["upkeep-shop-check.service"])["Service"]
    assert service["SuccessExitStatus"] == "1"  # WARNING; CRITICAL/UNKNOWN stay failures


@pytest.mark.parametrize(
    ("update", "zone"),
    [
        (Weekly((1,), 6, 0), "Europe/Warsaw"),
        (Weekly((0, 2, 4), 23, 45), "America/New_York"),
        (Weekly(tuple(range(7)), 0, 5), "Asia/Kolkata"),
    ],
)
def test_oncalendar_fires_when_the_schedule_says(
    tmp_path: Path, home: Path, update: Weekly, zone: str
) -> None:
    files = files_of(make_plan(tmp_path, home, update=update, refresh=None, zone=zone))
    value = read_unit(files["upkeep-shop-update.timer"])["Timer"]["OnCalendar"]
    spec = parse_oncalendar(value)
    tz = zoneinfo.ZoneInfo(zone)
    week = [dt.datetime(2025, 7, 7, tzinfo=tz) + dt.timedelta(minutes=n) for n in range(10080)]
    fired = [(m.weekday(), m.hour, m.minute) for m in week if spec.matches(m)]
    assert fired == [(day, update.hour, update.minute) for day in update.days]


def test_check_timer_fires_every_interval(tmp_path: Path, home: Path) -> None:
    files = files_of(make_plan(tmp_path, home, check=Every(15)))
    spec = parse_oncalendar(read_unit(files["upkeep-shop-check.timer"])["Timer"]["OnCalendar"])
    hour = [dt.datetime(2025, 7, 7, 10, tzinfo=dt.UTC) + dt.timedelta(minutes=n) for n in range(60)]
    assert [m.minute for m in hour if spec.matches(m)] == [0, 15, 30, 45]


def cron_lines(text: str) -> list[list[str]]:
    """The job lines (not comments or variables), split into fields."""
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return [line.split(None, 6) for line in lines if "=" not in line.split()[0]]


def test_cron_file(tmp_path: Path, home: Path) -> None:
    plan = make_plan(tmp_path, home)
    text = files_of(plan)["upkeep-shop.cron"]
    assert text.endswith("\n")
    variables = dict(
        line.split("=", 1) for line in text.splitlines() if re.match(r"[A-Z_]+=", line)
    )
    assert variables["CRON_TZ"] == "Europe/Warsaw"
    assert variables["UPKEEP_ROOT"] == "/srv/ops"
    jobs = cron_lines(text)
    assert len(jobs) == 3
    by_job = {}
    for fields in jobs:
        assert len(fields) == 7
        minute, hour, dom, month, dow, user, command = fields
        assert user == "upkeep"
        assert "%" not in command  # cron would turn it into a newline
        job = re.search(r"upkeep-shop-(\w+)\.lock", command)
        assert job is not None
        assert command.startswith(f"cd /srv/ops && flock -n /run/lock/upkeep-shop-{job[1]}.lock ")
        assert command.endswith(f">>/var/log/upkeep/shop-{job[1]}.log 2>&1")
        by_job[job[1]] = (" ".join((minute, hour, dom, month, dow)), command)
    assert "refresh shop --to staging --yes --json" in by_job["refresh"][1]
    # The fields fire at the schedule's times, read in the CRON_TZ zone.
    tz = zoneinfo.ZoneInfo("Europe/Warsaw")
    week = [dt.datetime(2025, 7, 7, tzinfo=tz) + dt.timedelta(minutes=n) for n in range(10080)]
    for entry in plan.entries:
        spec = parse_cron(by_job[entry.job.value][0], zone="Europe/Warsaw")
        expected = [m for m in week if parse_oncalendar(entry.oncalendar).matches(m)]
        assert [m for m in week if spec.matches(m)] == expected


def github(plan: Plan) -> dict:
    data = yaml.safe_load(files_of(plan)["github-workflow.yml"])
    # YAML 1.1 reads the key `on` as true; GitHub reads it as "on".
    data["on"] = data.pop(True)
    return data


def test_github_workflow_structure(tmp_path: Path, home: Path) -> None:
    plan = make_plan(tmp_path, home)
    data = github(plan)
    crons = [item["cron"] for item in data["on"]["schedule"]]
    assert crons == [entry.utc_cron for entry in plan.entries]
    assert data["on"]["workflow_dispatch"]["inputs"]["job"]["options"] == [
        "update",
        "update-check",
        "refresh",
        "check",
    ]
    assert data["permissions"] == {"contents": "read"}
    jobs = data["jobs"]
    assert set(jobs) == {"update", "update-check", "refresh", "check"}
    for entry in plan.entries:
        job = jobs[entry.job.value]
        assert f"github.event.schedule == '{entry.utc_cron}'" in job["if"]
        assert f"inputs.job == '{entry.job.value}'" in job["if"]
    assert jobs["update"]["concurrency"] == {"group": "upkeep-shop", "cancel-in-progress": False}
    assert jobs["refresh"]["concurrency"]["group"] == "upkeep-shop"
    assert jobs["check"]["concurrency"]["group"] == "upkeep-shop-check"
    assert jobs["update"]["permissions"] == {"contents": "write"}
    assert "permissions" not in jobs["check"]
    uses = [step.get("uses", "") for step in jobs["update"]["steps"]]
    assert "actions/upload-artifact@v4" in uses
    assert uses[0] == "actions/checkout@v4"


def test_github_cron_is_the_utc_conversion(tmp_path: Path, home: Path) -> None:
    data = github(make_plan(tmp_path, home, update=Weekly((1,), 0, 30), refresh=None))
    crons = [item["cron"] for item in data["on"]["schedule"]]
    converted = to_utc(Weekly((1,), 0, 30), "Europe/Warsaw", 2025).weekly
    assert crons[0] == f"{converted.minute} {converted.hour} * * {(converted.days[0] + 1) % 7}"
    assert str(converted) == "Mon 22:30"
    text = files_of(make_plan(tmp_path, home, update=Weekly((1,), 0, 30), refresh=None))[
        "github-workflow.yml"
    ]
    assert "winter time (UTC+01:00) it runs at Mon 23:30 local" in text


def test_github_checks_no_more_often_than_every_5_minutes(tmp_path: Path, home: Path) -> None:
    plan = make_plan(tmp_path, home, check=Every(2))
    crons = [item["cron"] for item in github(plan)["on"]["schedule"]]
    assert crons[-1] == "*/5 * * * *"
    assert any("checks run every 5 min, not 2" in warning for warning in plan.warnings)


def test_github_secrets_referenced_by_name(tmp_path: Path, home: Path) -> None:
    data = github(make_plan(tmp_path, home))
    steps = {step.get("name"): step for step in data["jobs"]["update"]["steps"]}
    run = steps["upkeep update minor shop --yes --json"]
    assert run["env"] == {
        "UPKEEP_SECRET_SHOP_DB_DUMP_PASSWORD": "${{ secrets.UPKEEP_SECRET_SHOP_DB_DUMP_PASSWORD }}",
        "UPKEEP_SECRET_SHOP_DB_PASSWORD": "${{ secrets.UPKEEP_SECRET_SHOP_DB_PASSWORD }}",
    }
    ssh = steps["SSH key and known_hosts"]
    assert ssh["env"]["UPKEEP_SSH_KEY"] == "${{ secrets.UPKEEP_SSH_KEY }}"
    assert ssh["env"]["UPKEEP_SSH_KEY_2"] == "${{ secrets.UPKEEP_SSH_KEY_2 }}"
    assert ssh["env"]["UPKEEP_SSH_KNOWN_HOSTS"] == "${{ vars.UPKEEP_SSH_KNOWN_HOSTS }}"
    # Installed where the inventory's ~/.ssh/... resolves on the runner.
    assert '/dev/stdin "$HOME"/.ssh/id_shop\n' in ssh["run"]
    assert '/dev/stdin "$HOME"/.ssh/id_shop_production\n' in ssh["run"]


def test_github_maps_warning_exit_codes(tmp_path: Path, home: Path) -> None:
    jobs = github(make_plan(tmp_path, home))["jobs"]

    def script(job: str) -> str:
        return next(step["run"] for step in jobs[job]["steps"] if "status=0" in step.get("run", ""))

    assert 'if [ "$status" = 100 ]; then' in script("update-check")
    assert 'if [ "$status" = 1 ]; then' in script("check")
    assert "if [" not in script("update")
    assert script("update").rstrip().endswith('exit "$status"')


def gitlab(plan: Plan) -> dict:
    return yaml.safe_load(files_of(plan)["gitlab-ci.yml"])


def test_gitlab_ci_structure(tmp_path: Path, home: Path) -> None:
    data = gitlab(make_plan(tmp_path, home))
    assert set(data) == {
        ".upkeep-shop",
        "shop:update",
        "shop:update-check",
        "shop:refresh",
        "shop:check",
    }
    base = data[".upkeep-shop"]
    assert base["artifacts"]["when"] == "always"
    assert "reports/" in base["artifacts"]["paths"]
    for name in ("update", "update-check", "refresh", "check"):
        job = data[f"shop:{name}"]
        assert job["extends"] == ".upkeep-shop"
        (rule,) = job["rules"]
        assert '$CI_PIPELINE_SOURCE == "schedule"' in rule["if"]
        assert f'$UPKEEP_JOB == "{name}"' in rule["if"]
        assert '$UPKEEP_PROJECT == "shop"' in rule["if"]
        assert job["script"][-1] == 'exit "$status"'
    assert data["shop:update"]["resource_group"] == "upkeep-shop"
    assert data["shop:refresh"]["resource_group"] == "upkeep-shop"
    assert data["shop:check"]["resource_group"] == "upkeep-shop-check"
    assert data["shop:update-check"]["allow_failure"] == {"exit_codes": [100]}
    assert data["shop:check"]["allow_failure"] == {"exit_codes": [1]}
    assert "allow_failure" not in data["shop:update"]
    assert "allow_failure" not in data["shop:refresh"]
    assert "UPKEEP_PUSH_TOKEN" in data["shop:update"]["after_script"][0]
    assert "after_script" not in data["shop:check"]


def test_gitlab_installs_ssh_files_from_file_variables(tmp_path: Path, home: Path) -> None:
    before = gitlab(make_plan(tmp_path, home))[".upkeep-shop"]["before_script"]
    assert 'install -D -m 600 "$UPKEEP_SSH_KEY" "$HOME"/.ssh/id_shop' in before
    assert 'install -D -m 600 "$UPKEEP_SSH_KEY_2" "$HOME"/.ssh/id_shop_production' in before
    assert 'install -D -m 644 "$UPKEEP_SSH_KNOWN_HOSTS" "$HOME"/.ssh/known_hosts_shop' in before


def test_gitlab_header_lists_the_schedules_in_local_time(tmp_path: Path, home: Path) -> None:
    text = files_of(make_plan(tmp_path, home))["gitlab-ci.yml"]
    assert '#   UPKEEP_JOB=update  cron "0 6 * * 2"' in text
    assert '#   UPKEEP_JOB=refresh cron "0 4 * * 2"' in text
    assert "time zone\n# Europe/Warsaw" in text


def test_switched_off_jobs_leave_no_trace(tmp_path: Path, home: Path) -> None:
    plan = make_plan(tmp_path, home, refresh=None, check=None)
    files = files_of(plan)
    assert "upkeep-shop-refresh.timer" not in files
    assert "upkeep-shop-check.service" not in files
    (line,) = cron_lines(files["upkeep-shop.cron"])
    assert "/run/lock/upkeep-shop-update.lock" in line[-1]
    assert set(github(plan)["jobs"]) == {"update", "update-check"}
    assert set(gitlab(plan)) == {".upkeep-shop", "shop:update", "shop:update-check"}


def test_env_example_names_every_secret_without_a_value(tmp_path: Path, home: Path) -> None:
    text = files_of(make_plan(tmp_path, home))["upkeep-shop.env.example"]
    assignments = [line for line in text.splitlines() if not line.startswith("#")]
    assert assignments == [
        "UPKEEP_SECRET_SHOP_DB_DUMP_PASSWORD=",
        "UPKEEP_SECRET_SHOP_DB_PASSWORD=",
    ]


def test_same_inputs_same_texts(tmp_path: Path, home: Path) -> None:
    assert files_of(make_plan(tmp_path, home)) == files_of(make_plan(tmp_path, home))


def test_headers_carry_the_command_that_made_them(tmp_path: Path, home: Path) -> None:
    plan = make_plan(tmp_path, home)
    for file in plan.files:
        assert plan.schedule.command_line() in file.text.splitlines()[0], file.name
