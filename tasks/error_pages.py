"""Friendly error pages: branded static pages nginx shows for 5xx and maintenance."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import files

from upkeep.desired import SiteState
from upkeep.templating import render


@dataclass(frozen=True)
class ErrorPage:
    code: str
    title: str
    message: str
    hint: str


PAGES = (
    ErrorPage("500", "Something went wrong on our side",
              "The page could not be shown because of an error on the server.",
              "We have been notified. Please try again in a few minutes."),
    ErrorPage("502", "We are having a technical hiccup",
              "The site's application is not answering right now.",
              "We have been notified and are on it. Please try again shortly."),
    ErrorPage("503", "Temporarily unavailable",
              "The site cannot serve your request at the moment.",
              "Please try again in a few minutes."),
    ErrorPage("504", "This is taking too long",
              "The site did not answer in time.",
              "Please try again in a moment."),
    ErrorPage("maintenance", "Down for scheduled maintenance",
              "We are updating the site to keep it fast and secure.",
              "It will be back in a few minutes. Thank you for your patience."),
)  # fmt: skip


def page_html(page: ErrorPage, site_name: str) -> str:
    return render("error-pages/page.html.j2", page=page, site_name=site_name)


def error_page_files(site: SiteState) -> dict[str, str]:
    """The files this task renders, by remote path."""
    return {
        f"{site.error_pages_dir}/{page.code}.html": page_html(page, site.domain) for page in PAGES
    }


@deploy("Error pages")
def error_pages(site: SiteState) -> None:
    files.directory(name="Error pages directory", path=site.error_pages_dir, mode="755")
    for path, text in error_page_files(site).items():
        files.put(
            name=f"Error page {path.rsplit('/', 1)[-1]}", src=StringIO(text), dest=path, mode="644"
        )
