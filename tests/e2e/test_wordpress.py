"""A real WordPress on the lab fleet (issue 17, item 5): Debian 12's WordPress provisioned
beside the demo, production's database refreshed into staging, and staging serving it at
its own URL: the wordpress sanitize preset and the serialized-aware URL rewrite, proved on
the database WordPress itself made."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from typing import Any

import pytest

from upkeep.cli.main import main
from upkeep.inventory import load_project
from upkeep.ssh import check_root
from upkeep.workspace import state_home

from .conftest import RunningLab
from .web import Response, fetch

PRODUCTION_URL, STAGING_URL = "https://www.wordpress.lab", "https://staging.wordpress.lab"
PEOPLE = (
    "mariadb -N -B -e 'SELECT ID, user_email, display_name FROM wp_users ORDER BY ID' wordpress"
)
COMMENTERS = "mariadb -N -B -e 'SELECT comment_author_email FROM wp_comments' wordpress"
# WordPress's own reading of its options: get_option() unserializes them (false if broken).
OPTIONS = (
    "cd /srv/www/wordpress-{env}/current && php -r '"
    '$_SERVER["HTTP_HOST"] = "localhost"; require "public/wp-load.php"; echo json_encode(['
    '"home" => get_option("home"), "siteurl" => get_option("siteurl"), '
    '"widget" => get_option("widget_text"), "mods" => get_option("theme_mods_twentytwentythree")'
    "]);'"
)


def _cli(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(lab.workspace.root), *args])
    out, err = capsys.readouterr()
    return code, out + err


def _root(lab: RunningLab, environment: str, script: str) -> str:
    host = load_project(lab.workspace, "wordpress").environment(environment).hosts[0]
    return check_root(host, script, "test step").strip()


def _get(lab: RunningLab, environment: str, path: str) -> Response:
    env = load_project(lab.workspace, "wordpress").environment(environment)
    return fetch(env.hosts[0].address, env.domain, path, state_home() / "lab" / "ca.crt")


def _rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


@dataclass(frozen=True)
class Refreshed:
    lab: RunningLab
    production_people: list[list[str]]
    production_commenters: list[list[str]]
    report: dict[str, Any]


@pytest.fixture(scope="module")
def refreshed(wordpress: RunningLab) -> Refreshed:
    """Staging refreshed from production once (`upkeep refresh wordpress`), with
    production's people as they were before."""
    people = _rows(_root(wordpress, "production", PEOPLE))
    commenters = _rows(_root(wordpress, "production", COMMENTERS))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(
            ["--root", str(wordpress.workspace.root), "refresh", "wordpress", "--yes", "--json"]
        )
    assert code == 0, out.getvalue()[-2000:]
    return Refreshed(wordpress, people, commenters, json.loads(out.getvalue())["data"])


def test_production_serves_wordpress_at_its_own_url(wordpress: RunningLab) -> None:
    home = _get(wordpress, "production", "/")
    assert home.status == 200, home.body[-500:]
    assert f'href="{PRODUCTION_URL}/lab-note-12/"' in home.body
    health = _get(wordpress, "production", "/health.php")
    assert health.status == 200 and health.json()["database"] == "ok"
    people = _rows(_root(wordpress, "production", PEOPLE))
    assert len(people) == 21 and ["2", "anna-muller@example.com", "Anna Müller"] in people


def test_staging_links_to_itself_and_never_to_production(refreshed: Refreshed) -> None:
    assert refreshed.report["data"]["serialized_rewritten"] > 0
    home = _get(refreshed.lab, "staging", "/")
    assert home.status == 200, home.body[-500:]
    assert f'href="{STAGING_URL}/lab-note-12/"' in home.body
    assert "www.wordpress.lab" not in home.body


def test_serialized_options_still_unserialize_on_staging_with_its_url(
    refreshed: Refreshed,
) -> None:
    options = json.loads(_root(refreshed.lab, "staging", OPTIONS.format(env="staging")))
    assert (options["home"], options["siteurl"]) == (STAGING_URL, STAGING_URL)
    widget = options["widget"]["2"]  # false, were the rewrite to break a length prefix
    assert f'href="{STAGING_URL}/about/"' in widget["text"]
    assert "hello@staging.wordpress.lab" in widget["text"]
    assert options["mods"]["header_banner"] == {
        "image": f"{STAGING_URL}/wp-content/uploads/banner.png",
        "link": f"{STAGING_URL}/about/",
    }


def test_staging_holds_no_production_person(refreshed: Refreshed) -> None:
    staging = _rows(_root(refreshed.lab, "staging", PEOPLE))
    assert [row[0] for row in staging] == [row[0] for row in refreshed.production_people]
    for before, after in zip(refreshed.production_people, staging, strict=True):
        assert after[1] != before[1] and after[2] != before[2], (before, after)
    production_emails = {row[0] for row in refreshed.production_commenters}
    commenters = {row[0] for row in _rows(_root(refreshed.lab, "staging", COMMENTERS))}
    assert len(production_emails) > 1 and not commenters & production_emails


def test_staging_login_page_and_check_pass(
    refreshed: Refreshed, capsys: pytest.CaptureFixture[str]
) -> None:
    login = _get(refreshed.lab, "staging", "/wp-login.php")
    assert login.status == 200 and 'id="loginform"' in login.body
    code, out = _cli(refreshed.lab, capsys, "check", "wordpress", "staging")
    assert code == 0, out


def test_dev_up_serves_wordpress_on_this_machine_at_its_localhost_url(
    wordpress: RunningLab, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import git

    from upkeep.dev import workflow as dev

    from .conftest import model

    working_copy = tmp_path_factory.mktemp("developer") / "wordpress-site"
    git.Repo.clone_from(wordpress.spec.wordpress_repository, working_copy)
    try:
        up = dev.up(
            wordpress.workspace, *model(wordpress.workspace, "wordpress"), str(working_copy)
        )
        local = f"http://localhost:{up.http_port}"
        status, body = dev.http_get(up.http_port, "/")
        # production's data, its URLs rewritten to this machine's (serialized ones too)
        assert status == 200 and local in body and "www.wordpress.lab" not in body, body[:300]
        status, body = dev.http_get(up.http_port, "/wp-login.php")
        assert status == 200 and 'id="loginform"' in body
    finally:
        dev.down(wordpress.workspace, "wordpress")
