"""`upkeep check`, `upkeep incident` and `upkeep sla report` from the command line, against
hosts that do not answer (127.0.0.1 with nothing listening: real refusals, no stand-ins),
real local webhook servers for alerts, and a real SQLite history: exit codes, every
format, incidents across runs, alerts muted by maintenance, and bad input."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.local_servers import WebhookServer, free_port
from tests.unit.run_cli import run_cli as run
from upkeep.monitor.history import one_recorder

SSH_PORT = free_port()  # nothing listens there: SSH is refused at once

INVENTORY = f"""\
project: shop
app: {{kind: generic, repository: /srv/git/shop}}
php: {{line: "8.2"}}
database: {{name: shop, user: shop, password: {{secret: shop_db}}, dump_user: shop_dump,
            dump_password: {{secret: shop_dump}}}}
sla:
  target: 99.5
  calendar: {{timezone: UTC}}
  priorities:
    P1: {{response: 30m, resolution: 4h}}
environments:
  staging:
    domain: staging.shop.test
    tls: manual
    hosts: [{{name: shop-staging, address: 127.0.0.1, port: {SSH_PORT}}}]
    database: {{name: shop_staging, user: shop_staging, dump_user: shop_staging_dump}}
  production:
    domain: www.shop.test
    tls: manual
    hosts: [{{name: shop-production, address: 127.0.0.1, port: {SSH_PORT}}}]
"""


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return workspace


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "check", "shop", *args, "--json")
    return code, json.loads(out)["data"]


# ---- a run against hosts that do not answer -----------------------------------------------


def test_a_site_that_does_not_answer_is_critical_and_its_hosts_unknown(
    repo: Path, capsys: pytest.CaptureFixture[str], state_store: Path
) -> None:
    code, report = check_json(capsys, "staging")
    assert code == 2  # CRITICAL: Nagios's numbering, in every format
    results = {r["check"]: r for r in report["results"]}
    assert list(results) == [
        "health",
        "certificate",
        "php_build",
        "services",
        "disk",
        "database",
        "logs",
        "error_page",
    ]
    assert results["health"]["status"] == "CRITICAL"
    assert results["health"]["summary"] == "no response: connection refused"
    assert results["certificate"]["status"] == "UNKNOWN"
    assert results["php_build"]["summary"].startswith("could not check: no pin")
    for name in ("services", "disk", "database", "logs", "error_page"):
        assert results[name]["status"] == "UNKNOWN"
        assert results[name]["summary"].startswith(
            "could not check: shop-staging cannot be reached over SSH"
        ), results[name]
    assert report["status"] == "CRITICAL" and report["counts"]["UNKNOWN"] == 7
    assert report["history"] == str(state_store)  # the state store (UPKEEP_DATABASE_URL's)


def test_the_history_keeps_every_result_and_opens_incidents_after_the_threshold(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history = tmp_path / "h.db"
    code, first = check_json(capsys, "production", "--history", str(history))
    assert first["incidents"] == []  # failure_threshold 2: one failure is not an incident
    code, second = check_json(capsys, "production", "--history", str(history))
    opened = {(i["check"], i["priority"]) for i in second["incidents"]}
    # Production down, and one outage is one incident: the certificate, PHP build and the
    # host checks that could not tell (SSH refused too) follow from it.
    assert opened == {("health", "P1")}
    health = next(i for i in second["incidents"] if i["check"] == "health")
    assert health["down_since"] == health["opened"] and health["affects_availability"]
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT count(*) FROM results").fetchone()[0] == 16
    code, out, _ = run(capsys, "incident", "list", "shop", "--history", str(history))
    assert code == 0 and "health" in out and "P1" in out and "open" in out


def test_a_check_waits_while_another_run_records_into_the_history(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history = tmp_path / "h.db"
    holding = threading.Event()

    def other_run() -> None:
        with one_recorder(history):
            holding.set()
            time.sleep(1.0)

    thread = threading.Thread(target=other_run)
    thread.start()
    holding.wait(5)
    started = time.monotonic()
    code, _, err = run(capsys, "--progress", "check", "shop", "staging", "--history", str(history))
    thread.join()
    assert code == 2 and time.monotonic() - started >= 0.5
    assert f"is recording into {history}: waiting for it" in err
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT count(*) FROM results").fetchone()[0] == 8


def test_the_table_says_what_happened_to_incidents(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history = str(tmp_path / "h.db")
    run(capsys, "check", "shop", "staging", "--history", history)
    code, out, _ = run(capsys, "check", "shop", "staging", "--history", history)
    assert code == 2
    assert out.splitlines()[0].split() == ["CHECK", "STATUS", "SUMMARY", "TOOK"]
    assert any(
        line.startswith("incident #") and "opened: staging health (P3, CRITICAL)" in line
        for line in out.splitlines()
    )


def test_nagios_output_follows_the_plugin_guidelines(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "check", "shop", "staging", "--nagios", "--no-history")
    lines = out.splitlines()
    assert code == 2
    assert lines[0].startswith(
        "UPKEEP CRITICAL - shop staging: 8 of 8 checks failing; health CRITICAL: "
    )
    assert "|" not in lines[0]  # nothing measured: no perfdata at all
    assert [line.split("]")[0] + "]" for line in lines[1:9]] == [
        "[CRITICAL]",
        "[UNKNOWN]",
        "[UNKNOWN]",
        "[UNKNOWN]",
        "[UNKNOWN]",
        "[UNKNOWN]",
        "[UNKNOWN]",
        "[UNKNOWN]",
    ]


def test_no_history_writes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "shop", "staging", "--no-history")
    assert code == 2 and "(not recorded: --no-history)" in out
    assert not (repo / "state" / "monitor.db").exists()


def test_a_prometheus_textfile_beside_the_table(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "upkeep.prom"
    code, out, _ = run(
        capsys, "check", "shop", "staging", "--no-history", "--prometheus", str(path)
    )
    text = path.read_text()
    assert code == 2 and "CHECK" in out
    assert (
        'upkeep_check_status{project="shop",environment="staging",check="health",kind="http"} 2'
        in text
    )
    assert oct(path.stat().st_mode & 0o777) == "0o644"


# ---- alerts -----------------------------------------------------------------------------


def _with_alerts(repo: Path, url: str, maintenance: str = "") -> None:
    path = repo / "inventories" / "shop.yml"
    path.write_text(
        INVENTORY
        + f"notify:\n  webhook: {{url: {url}}}\n"
        + "alerts: {failure_threshold: 1, success_threshold: 1, environments: [production]}\n"
        + maintenance
    )


def test_an_incident_alerts_the_webhook_once(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    webhook_server: Callable[..., WebhookServer],
) -> None:
    hook = webhook_server()
    _with_alerts(repo, hook.url())
    history = str(tmp_path / "h.db")
    _, _, err = run(capsys, "check", "shop", "production", "--history", history)
    events = [(r.json()["event"], r.json()["check"], r.json()["priority"]) for r in hook.received]
    assert ("incident.opened", "health", "P1") in events
    assert "alert webhook to http://127.0.0.1" in err and "sent (HTTP 204)" in err
    count = len(hook.received)
    run(capsys, "check", "shop", "production", "--history", history)
    assert len(hook.received) == count  # still down: no new alert
    run(capsys, "check", "shop", "staging", "--history", history)
    assert len(hook.received) == count  # staging is not in alerts.environments
    # Who was told is kept in the store and shown with the incident.
    code, out, _ = run(capsys, "incident", "list", "shop", "--json", "--history", history)
    incidents = json.loads(out)["data"]
    (health,) = [i for i in incidents if (i["environment"], i["check"]) == ("production", "health")]
    assert [(t["event"], t["channel"], t["ok"]) for t in health["told"]] == [
        ("opened", "webhook", True)
    ]
    assert health["told"][0]["target"].startswith("http://127.0.0.1")
    code, out, _ = run(capsys, "incident", "list", "shop", "--history", history)
    assert code == 0
    assert f"#{health['id']} opened (P1): webhook to http://127.0.0.1" in out


def test_no_alerts_records_but_sends_nothing(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    webhook_server: Callable[..., WebhookServer],
) -> None:
    hook = webhook_server()
    _with_alerts(repo, hook.url())
    _, report = check_json(capsys, "production", "--history", str(tmp_path / "h.db"), "--no-alerts")
    assert report["incidents"] and report["alerts"] == [] and hook.received == []


def test_a_maintenance_window_mutes_alerts_and_opens_nothing(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    webhook_server: Callable[..., WebhookServer],
) -> None:
    hook = webhook_server()
    now = dt.datetime.now(dt.UTC)
    window = (
        "maintenance:\n"
        f"  - {{start: '{(now - dt.timedelta(hours=1)):%Y-%m-%dT%H:%M}', "
        f"end: '{(now + dt.timedelta(hours=1)):%Y-%m-%dT%H:%M}', timezone: UTC, "
        "reason: server move}\n"
    )
    _with_alerts(repo, hook.url(), window)
    history = tmp_path / "h.db"
    code, report = check_json(capsys, "production", "--history", str(history))
    assert code == 2  # the results say what they saw
    assert report["incidents"] == [] and hook.received == []
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT min(in_maintenance) FROM results").fetchone()[0] == 1


# ---- incidents by hand and the SLA report -------------------------------------------------


def _two_runs(capsys: pytest.CaptureFixture[str], history: Path) -> int:
    check_json(capsys, "production", "--history", str(history))
    _, second = check_json(capsys, "production", "--history", str(history))
    return int(next(i["id"] for i in second["incidents"] if i["check"] == "health"))


def test_acknowledging_an_incident_keeps_the_first_response(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history = tmp_path / "h.db"
    number = _two_runs(capsys, history)
    code, out, _ = run(
        capsys, "incident", "ack", "shop", str(number), "--history", str(history), "--json"
    )
    first = json.loads(out)["data"]["acknowledged"]
    assert code == 0 and first
    code, out, _ = run(capsys, "incident", "ack", "shop", str(number), "--history", str(history))
    assert code == 0 and "was already acknowledged" in out
    code, out, _ = run(capsys, "incident", "ack", "shop", "999", "--history", str(history))
    assert code == 2


def test_the_sla_report_lists_productions_incidents(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history = tmp_path / "h.db"
    number = _two_runs(capsys, history)
    month = f"{dt.datetime.now(dt.UTC):%Y-%m}"
    out_dir = tmp_path / "reports"
    code, out, _ = run(
        capsys,
        "sla",
        "report",
        "shop",
        "--month",
        month,
        "--history",
        str(history),
        "--output",
        str(out_dir),
        "--json",
    )
    assert code == 0
    report = json.loads(out)["data"]
    health = next(i for i in report["incidents"] if i["check"] == "health")
    assert health["id"] == str(number) and health["priority"] == "P1"
    assert health["affects_availability"] and health["downtime_seconds"] > 0
    assert report["seconds"]["downtime"] > 0  # 24/7 UTC: the minutes it was down count
    assert sorted(p.name for p in out_dir.iterdir()) == [
        f"shop-{month}.html",
        f"shop-{month}.json",
        f"shop-{month}.md",
    ]
    code, out, _ = run(
        capsys,
        "sla",
        "report",
        "shop",
        "--month",
        month,
        "--history",
        str(history),
        "--output",
        str(tmp_path / "one.html"),
    )
    assert code == 0 and (tmp_path / "one.html").read_text().startswith("<!DOCTYPE html>")


def test_a_project_without_an_sla_is_one_line_and_2(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "inventories" / "shop.yml"
    text = path.read_text()
    path.write_text(text[: text.index("sla:")] + text[text.index("environments:") :])
    code, out, err = run(capsys, "sla", "report", "shop", "--month", "2026-11")
    assert code == 2 and out == ""
    assert err == (
        "upkeep: project shop has no sla: section (add target, calendar and priorities to "
        "shop.yml)\n"
    )


# ---- the monitoring sections in `upkeep inventory check` ----------------------------------


def test_inventory_check_reads_the_monitoring_sections(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "inventories" / "shop.yml"
    path.write_text(
        INVENTORY.replace(
            "    tls: manual\n    hosts: [{name: shop-staging",
            "    tls: manual\n    checks: [{name: home, kind: htp}]\n    hosts: [{name: shop-staging",
        )
        + "alerts: {mail: [ops@example.com]}\n"
        + "maintenance: [{every: sun, from: '03:00', to: '04:00', timezone: Europe/Warsow,"
        + " environments: [dev]}]\n"
    )
    code, _, err = run(capsys, "inventory", "check")
    assert code == 2
    lines = err.splitlines()
    assert any(
        "environments.staging.checks[0].kind: 'htp' is not a kind of check (did you mean 'http'?)"
        in line
        for line in lines
    ), err
    assert any("alerts.mail: mail recipients but no SMTP server" in line for line in lines), err
    assert any(
        "maintenance[0].timezone: 'Europe/Warsow' is not an IANA time zone" in line
        for line in lines
    ), err
    assert any(
        "maintenance[0].environments[0]: the project has no 'dev' environment" in line
        for line in lines
    ), err


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "nope"], "no project 'nope'"),
        (
            ["check", "shop", "qa"],
            "project shop has no environment 'qa' (it has: staging, production)",
        ),
        (["check", "shop", "--prometheus", "/tmp/x.txt"], "only *.prom files"),
        (["check", "shop", "--prometheus", "/no/such/dir/x.prom"], "no such directory"),
        (["check", "shop", "--no-history", "--history", "h.db"], "contradict each other"),
        (["sla", "report", "shop", "--month", "2026-13"], "not a month such as 2026-11"),
        (["sla", "report", "shop", "--history", "/no/such.db"], "no such monitoring history"),
        (["incident", "list", "shop", "--history", "/no/such.db"], "no monitoring history yet"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err, err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["check", "nope", "--nagios"],
            "UPKEEP UNKNOWN - no project 'nope' in {inventories} (known projects: shop)",
        ),
        (
            ["check", "shop", "qa", "--nagios"],
            "UPKEEP UNKNOWN - project shop has no environment 'qa' (it has: staging, production)",
        ),
        (
            ["check", "shop", "--nagios", "--json"],
            "UPKEEP UNKNOWN - --json and --nagios are two formats; choose one",
        ),
        (
            ["check", "shop", "--nagios", "--bogus"],
            "UPKEEP UNKNOWN - unrecognized arguments: --bogus (see upkeep check --help)",
        ),
        (
            ["check", "--nagios"],
            "UPKEEP UNKNOWN - the following arguments are required: project (see upkeep check --help)",
        ),
    ],
)
def test_bad_input_under_nagios_is_unknown_on_stdout_and_exit_3(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 3 and err == ""
    assert out == line.format(inventories=repo / "inventories") + "\n"


# ---- locations -----------------------------------------------------------------------------


def test_a_location_stamps_every_result_and_the_incident_names_it(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history = tmp_path / "h.db"
    where = ["--history", str(history), "--location", "office"]
    check_json(capsys, "production", *where)
    code, second = check_json(capsys, "production", *where)
    assert {r["location"] for r in second["results"]} == {"office"}
    assert [(i["check"], i["locations"]) for i in second["incidents"]] == [("health", ["office"])]
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT DISTINCT location FROM results").fetchall() == [("office",)]
    code, out, _ = run(capsys, "incident", "list", "shop", "--history", str(history))
    assert code == 0 and "(seen from office)" in out


def test_without_a_location_results_name_none(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPKEEP_LOCATION", "")  # set but empty, as an unset CI variable expands
    _, report = check_json(capsys, "staging", "--no-history")
    assert {r["location"] for r in report["results"]} == {None}
    monkeypatch.setenv("UPKEEP_LOCATION", "ci-runner-2")
    _, report = check_json(capsys, "staging", "--no-history")
    assert {r["location"] for r in report["results"]} == {"ci-runner-2"}


@pytest.mark.parametrize(
    ("args", "variable", "message"),
    [
        (["--location", "two words"], "", "--location: 'two words' is not a location name"),
        (["--location", ""], "", "--location: '' is not a location name"),
        ([], "a/b", "UPKEEP_LOCATION: 'a/b' is not a location name"),
    ],
)
def test_a_bad_location_is_one_line_and_exit_2(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    variable: str,
    message: str,
) -> None:
    monkeypatch.setenv("UPKEEP_LOCATION", variable)
    history = tmp_path / "h.db"
    code, out, err = run(capsys, "check", "shop", "--history", str(history), *args)
    assert code == 2 and out == "" and not history.exists()
    assert len(err.splitlines()) == 1 and message in err, err


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("quorum: most", "alerts.quorum: expected 'all' or a number of locations from 1 to 100"),
        ("quorum: 0", "alerts.quorum: expected 'all' or a number of locations from 1 to 100"),
        ("quorum_window: 5s", "alerts.quorum_window: '5s' is out of range"),
    ],
)
def test_a_bad_quorum_is_reported_with_file_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str], setting: str, message: str
) -> None:
    inventory = repo / "inventories" / "shop.yml"
    inventory.write_text(INVENTORY + f"alerts:\n  failure_threshold: 2\n  {setting}\n")
    line = len(INVENTORY.splitlines()) + 3
    for args in (["inventory", "check", str(inventory)], ["check", "shop", "production"]):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "", err
        assert f"shop.yml:{line}: {message}" in err, err
