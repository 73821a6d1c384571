"""The templates' own jinja filters."""

from __future__ import annotations

import dataclasses
import string

import pytest

from upkeep import envfile
from upkeep.desired import SiteState
from upkeep.templating import render

# Every printable ASCII character that is not a letter or digit, the space too.
EVERY_SPECIAL = string.punctuation + " "


def _password_line(password: str) -> str:
    site = dataclasses.replace(SiteState.example(), db_password=password)
    text = render("app/env.j2", site=site, site_url="https://staging.demo.lab")
    [line] = [line for line in text.splitlines() if line.startswith("DB_PASSWORD=")]
    return line


@pytest.mark.parametrize(
    "password",
    [EVERY_SPECIAL, f"\\{EVERY_SPECIAL}\\", "${HOME}$(id)`id`", '\\\\""$$', "plain", ""],
)
def test_the_env_password_reads_back_through_the_envfile_parser(password: str) -> None:
    key, _, value = _password_line(password).partition("=")
    assert key == "DB_PASSWORD"
    assert value == envfile.quote(password)  # the one rule: the dotenv filter is envfile.quote
    assert envfile.unquote(value) == password
