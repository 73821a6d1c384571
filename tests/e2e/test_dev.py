"""Developer environments on the lab: `upkeep dev up` serves a working copy of the demo site
the way production serves its release, with production's data scrubbed, and `dev down`
leaves nothing behind.

The acceptance runs the real commands through ``main()`` against the provisioned test lab:
a temporary clone of the demo site's repository is the working copy; production (PHP at
the oldest build, pinned) is the source of the database.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git
import pytest

from upkeep.cli.main import main
from upkeep.dev import workflow
from upkeep.dev.environment import MAIL_DIR
from upkeep.dev.state import LABEL, DevPaths, dev_home
from upkeep.inventory import load_project
from upkeep.inventory.pins import load_pins
from upkeep.lab import engine
from upkeep.ssh import check_root
from upkeep.versions import PhpBuild

from .conftest import RunningLab, model


@dataclass
class DevRun:
    lab: RunningLab
    working_copy: Path
    first: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return int(self.first["http_port"])


def _cli(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(lab.workspace.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _report(message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n[dev e2e] {message}", file=sys.stderr)


def _container(run: DevRun) -> Any:
    return engine.connect(dev_home()).containers.get(run.first["container"])


def _root_in_container(run: DevRun, script: str) -> str:
    code, out = _container(run).exec_run(["bash", "-c", script])
    text = out.decode("utf-8", "replace")
    assert code == 0, text[-500:]
    return text


@pytest.fixture(scope="module")
def dev(provisioned: RunningLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevRun]:
    """`dev up demo --path <a fresh clone>` once; whatever happens, `dev down` after."""
    working_copy = tmp_path_factory.mktemp("developer") / "demo-site"
    git.Repo.clone_from(provisioned.spec.demo_repository, working_copy)
    started = time.monotonic()
    try:
        first = workflow.up(provisioned.workspace, *model(provisioned.workspace), str(working_copy))
        yield DevRun(provisioned, working_copy, first.to_dict(), {"first up": first.seconds})
    finally:
        workflow.down(provisioned.workspace, "demo")  # a no-op once the last test took it down
        print(f"dev e2e: {time.monotonic() - started:.1f} s from up to down", file=sys.stderr)


def test_dev_up_serves_the_working_copy_at_the_printed_localhost_port(
    dev: DevRun, capsys: pytest.CaptureFixture[str]
) -> None:
    first = dev.first
    assert first["created"] and first["seed"] is not None and first["changed"] > 0
    assert first["url"] == f"http://localhost:{dev.port}"
    assert first["working_copy"] == str(dev.working_copy.resolve())
    status, body = workflow.http_get(dev.port, "/")
    assert status == 200
    assert '<span id="release">working-copy</span>' in body  # current → the mounted copy
    assert '<span id="app-env">local</span>' in body
    settings = re.search(r"Serialized settings: (\d+) ok,\s+(\d+) broken", body)
    assert settings and int(settings[1]) >= 3 and settings[2] == "0"
    _report(
        f"first up {dev.timings['first up']:.1f} s; {first['url']}; seed {first['seed']}", capsys
    )


def test_dev_up_twice_changes_nothing_and_prints_the_same_url(
    dev: DevRun, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    code, out, err = _cli(dev.lab, capsys, "dev", "up", "demo")
    dev.timings["second up"] = time.monotonic() - started
    assert code == 0, err[-2000:]
    assert out.splitlines()[0] == f"demo local: {dev.first['url']}"
    assert "nothing changed" in out, out
    code, out, err = _cli(dev.lab, capsys, "dev", "up", "demo", "--json")
    again = json.loads(out)["data"]
    assert code == 0 and again["url"] == dev.first["url"]
    assert again["changed"] == 0 and again["changed_nothing"], again
    assert not again["created"] and again["seed"] is None and again["actions"] == []
    _report(f"second up {dev.timings['second up']:.1f} s, nothing changed", capsys)


def test_the_php_build_is_productions_pin(dev: DevRun) -> None:
    pin = load_pins(dev.lab.workspace, "demo").get("production").php_build
    assert pin is not None
    status, body = workflow.http_get(dev.port, "/health.php")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["database"] == "ok"
    assert health["php_version"] == str(PhpBuild.parse(pin).upstream)
    assert health["release"] == "working-copy"
    assert dev.first["php_build"] == pin
    installed = _root_in_container(dev, "dpkg-query -W -f '${Version}' php8.2-fpm")
    assert installed == pin


def test_an_edit_to_a_php_file_shows_on_the_next_request(
    dev: DevRun, capsys: pytest.CaptureFixture[str]
) -> None:
    index = dev.working_copy / "public" / "index.php"
    before = workflow.http_get(dev.port, "/")[1]  # compiled and cached by OPcache now
    marker = f"edited-{time.time_ns()}"
    index.write_text(
        index.read_text().replace("<h2>Newest orders</h2>", f'<h2 id="{marker}">Newest orders</h2>')
    )
    started = time.monotonic()
    status, after = workflow.http_get(dev.port, "/")
    dev.timings["edit seen"] = time.monotonic() - started
    assert marker not in before
    assert status == 200 and f'id="{marker}"' in after
    _report(f"edit seen on the next request ({dev.timings['edit seen'] * 1000:.0f} ms)", capsys)


def test_no_production_email_address_is_in_the_dev_database(dev: DevRun) -> None:
    production = load_project(dev.lab.workspace, "demo").environment("production").hosts[0]
    emails = check_root(
        production, "mariadb -N -B demo -e 'SELECT email FROM users'", "reading production"
    ).split()
    assert len(emails) >= 100 and all("@" in e for e in emails)
    dump = _root_in_container(dev, "mariadb-dump --skip-comments --single-transaction demo")
    leaked = [email for email in emails if email in dump]
    assert leaked == []
    local_users = _root_in_container(dev, "mariadb -N -B demo -e 'SELECT COUNT(*) FROM users'")
    assert int(local_users) == len(emails)  # the same people, scrubbed
    site_url = _root_in_container(
        dev, "mariadb -N -B demo -e \"SELECT value FROM settings WHERE name = 'site_url'\""
    )
    assert site_url.strip() == f"http://localhost:{dev.port}"  # production's URL rewritten
    assert "www.demo.lab" not in dump


def test_the_working_copy_holds_no_secret_and_nothing_new(dev: DevRun) -> None:
    repo = git.Repo(dev.working_copy)
    changed = sorted(str(item.a_path) for item in repo.index.diff(None))
    assert changed == ["public/index.php"]  # the edit above, nothing upkeep wrote
    assert repo.untracked_files == []
    password = DevPaths.of("demo").database_password()
    for path in dev.working_copy.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            assert password not in path.read_text(errors="replace"), path


def test_mail_from_the_app_is_captured_and_counted(
    dev: DevRun, capsys: pytest.CaptureFixture[str]
) -> None:
    send = "exit(mail('someone@example.com', 'Hello', 'From the dev shell') ? 0 : 1);"
    code, _, err = _cli(dev.lab, capsys, "dev", "shell", "demo", "--", "php", "-r", send)
    assert code == 0, err
    code, out, _ = _cli(dev.lab, capsys, "dev", "shell", "demo", "--", "pwd")
    assert code == 0
    code, out, err = _cli(dev.lab, capsys, "dev", "status", "demo", "--json")
    assert code == 0, err
    (entry,) = json.loads(out)["data"]
    pin = load_pins(dev.lab.workspace, "demo").get("production").php_build
    assert entry["state"] == "running" and entry["url"] == f"http://localhost:{dev.port}"
    assert entry["php_build"] == entry["production_pin"] == pin and entry["php_matches"]
    assert entry["mails"] == 1
    assert entry["working_copy"] == str(dev.working_copy.resolve())
    captured = _root_in_container(dev, f"cat {MAIL_DIR}/*.eml")
    assert "To: someone@example.com" in captured and "Subject: Hello" in captured


def test_drift_compares_the_dev_environment_and_finds_it_in_sync(
    dev: DevRun, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    code, out, err = _cli(dev.lab, capsys, "drift", "demo", "--json")
    dev.timings["drift"] = time.monotonic() - started
    report = json.loads(out)["data"]
    assert "local" in report["environments"]
    pin = load_pins(dev.lab.workspace, "demo").get("production").php_build
    assert report["matrix"]["php build"]["local"] == pin
    assert report["drift"] == [] and code == 0, (report["drift"], err[-1000:])
    # A hand edit inside the container is drift, like on any server.
    _root_in_container(
        dev, "echo 'memory_limit = 1G' >> /etc/php/8.2/fpm/conf.d/95-upkeep-local.ini"
    )
    code, out, _ = _cli(dev.lab, capsys, "drift", "demo", "--json")
    report = json.loads(out)["data"]
    assert code == 1
    assert ("local", "file /etc/php/8.2/fpm/conf.d/95-upkeep-local.ini") in {
        (item["environment"], item["aspect"]) for item in report["drift"]
    }
    # `dev up` puts it back.
    code, out, _ = _cli(dev.lab, capsys, "dev", "up", "demo", "--json")
    assert code == 0 and json.loads(out)["data"]["changed"] > 0
    code, out, _ = _cli(dev.lab, capsys, "drift", "demo", "--json")
    assert code == 0, json.loads(out)["data"]["drift"]
    _report(f"drift with the dev environment {dev.timings['drift']:.1f} s", capsys)


def test_dev_down_leaves_nothing_behind(dev: DevRun, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    code, out, err = _cli(dev.lab, capsys, "dev", "down", "demo", "--json")
    dev.timings["down"] = time.monotonic() - started
    assert code == 0, err
    assert any(line.startswith("removed container ") for line in json.loads(out)["data"]["removed"])
    client = engine.connect(dev_home())
    label = {"label": f"{LABEL}=demo"}
    assert client.containers.list(all=True, filters=label) == []
    assert client.volumes.list(filters=label) == []
    assert client.networks.list(filters=label) == []
    assert not DevPaths.of("demo").root.exists()
    assert (dev.working_copy / "public" / "index.php").is_file()  # never the working copy
    code, out, _ = _cli(dev.lab, capsys, "dev", "down", "demo", "--json")
    assert code == 0 and json.loads(out)["data"]["removed"] == []
    code, out, _ = _cli(dev.lab, capsys, "drift", "demo", "--json")
    assert code == 0 and "local" not in json.loads(out)["data"]["environments"]
    _report("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in dev.timings.items()), capsys)
