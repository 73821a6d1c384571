"""Render the files in templates/ with jinja2.

upkeep runs from its repository (operators fork it), so templates/ sits beside
the ``upkeep`` package. Filters of our own: ``dotenv`` writes a value as the
application's dotenv reads it (``upkeep.envfile.quote``).

    >>> render("lab/demo-inventory.yml.j2", **context)  # doctest: +SKIP
    >>> environment().filters["dotenv"]('pa"ss$')
    '"pa\\\\"ss\\\\$"'
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from upkeep import envfile

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
REPOSITORY_DIR = TEMPLATES_DIR.parent


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty string
        keep_trailing_newline=True,
        trim_blocks=True,  # a {% tag %} line leaves no blank line behind
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
    )
    # One quoting rule for .env values, shared with upkeep's own reader.
    env.filters["dotenv"] = envfile.quote
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
