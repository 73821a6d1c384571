"""The fleet dashboard in a real browser (issue 19, item 5), from real records on the lab:
`upkeep check demo` records a history, `upkeep sla report demo` writes the month's reports
(and its run goes in the state store), `upkeep dashboard build` makes the site and
`upkeep dashboard serve` serves it. Chromium opens the fleet page, shows the figure
`fleet status --json` gives, clicks to the project and on to its latest report; a
screenshot of each page is kept in the test's directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from upkeep.cli.main import main

from .browser import chromium
from .conftest import RunningLab


def upkeep(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(lab.workspace.root), *args])
    return code, capsys.readouterr().out


def serve(root: str, site: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "upkeep.cli.main", "--root", root]
    child = subprocess.Popen(
        [*command, "dashboard", "serve", "--dir", str(site), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None
    line = child.stdout.readline()  # "serving DIR at URL; Ctrl-C stops"
    assert " at http://127.0.0.1:" in line, line
    return child, line.split(" at ", 1)[1].split(";", 1)[0]


def test_the_dashboard_in_a_browser_from_the_fleet_to_a_project_to_its_latest_report(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    history = str(tmp_path / "monitor.db")
    assert upkeep(provisioned, capsys, "check", "demo", "--history", history)[0] in (0, 1)
    assert upkeep(provisioned, capsys, "sla", "report", "demo", "--history", history)[0] == 0
    site = tmp_path / "site"
    built = ("dashboard", "build", "--history", history, "--output", str(site))
    assert upkeep(provisioned, capsys, *built)[0] == 0
    _, out = upkeep(provisioned, capsys, "fleet", "status", "demo", "--history", history, "--json")
    rows: dict[str, Any] = {r["environment"]: r for r in json.loads(out)["data"]["rows"]}
    shots = tmp_path / "screenshots"
    shots.mkdir()
    child, url = serve(str(provisioned.workspace.root), site)
    try:
        with chromium() as browser:
            browser.get(url)
            assert browser.title == "Fleet dashboard"
            production = browser.find_element(
                By.CSS_SELECTOR, 'tr[data-project="demo"][data-environment="production"]'
            )
            pinned = production.find_element(By.CSS_SELECTOR, "td.php_pinned").text
            assert pinned.startswith(rows["production"]["php_pinned"]["text"])
            incidents = production.find_element(By.CSS_SELECTOR, "td.open_incidents").text
            assert incidents.startswith(rows["production"]["open_incidents"]["text"])
            browser.save_screenshot(str(shots / "1-fleet.png"))

            production.find_element(By.LINK_TEXT, "demo").click()
            assert browser.current_url.endswith("/projects/demo.html")
            assert browser.find_element(By.TAG_NAME, "h1").text == "demo"
            latest = browser.find_element(By.CSS_SELECTOR, "table.reports tr.latest")
            assert "sla" in latest.text and "latest" in latest.text
            runs = browser.find_element(By.CSS_SELECTOR, "table.runs").text
            assert "upkeep sla report" in runs
            browser.save_screenshot(str(shots / "2-project.png"))

            latest.find_element(By.LINK_TEXT, "html").click()
            assert "/reports/sla/demo-" in browser.current_url
            heading = browser.find_element(By.TAG_NAME, "h1").text
            assert heading == "SLA report: demo"
            browser.save_screenshot(str(shots / "3-report.png"))
    finally:
        child.terminate()
        child.wait(timeout=30)
    assert sorted(p.name for p in shots.iterdir()) == [
        "1-fleet.png",
        "2-project.png",
        "3-report.png",
    ]
    print(f"screenshots: {shots}")
