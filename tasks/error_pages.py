"""Friendly error pages: branded static pages nginx shows for 5xx and maintenance, and the
deliberate server error the monitoring's ``error_page`` check asks for to see them.

The trigger is a PHP file outside the application (``<base>/upkeep/fail.php``,
inside the pool's open_basedir), served at ``/.upkeep/fail`` to the host itself
only (nginx answers 403 to anyone else, so it cannot be used to fill logs). It
answers what a crashed script looks like to nginx — status 500 and PHP's error
text in the body — without writing to the site's error log, so the logs check
never reports upkeep's own probes. If nginx's interception works the visitor
sees the branded 500 page; if it does not, the raw error text shows, and the
check says so.

    >>> site = SiteState.example()
    >>> trigger_path(site).removeprefix(site.base_dir), TRIGGER_URL_PATH
    ('/upkeep/fail.php', '/.upkeep/fail')
"""

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
    ErrorPage(
        "500",
        "Something went wrong on our side",
        "The page could not be shown because of an error on the server.",
        "We have been notified. Please try again in a few minutes.",
    ),
    ErrorPage(
        "502",
        "We are having a technical hiccup",
        "The site's application is not answering right now.",
        "We have been notified and are on it. Please try again shortly.",
    ),
    ErrorPage(
        "503",
        "Temporarily unavailable",
        "The site cannot serve your request at the moment.",
        "Please try again in a few minutes.",
    ),
    ErrorPage(
        "504",
        "This is taking too long",
        "The site did not answer in time.",
        "Please try again in a moment.",
    ),
    ErrorPage(
        "maintenance",
        "Down for scheduled maintenance",
        "We are updating the site to keep it fast and secure.",
        "It will be back in a few minutes. Thank you for your patience.",
    ),
)


def page_html(page: ErrorPage, site_name: str) -> str:
    return render("error-pages/page.html.j2", page=page, site_name=site_name)


# Where nginx serves the trigger (templates/nginx/site.conf.j2), and the page's mark.
TRIGGER_URL_PATH = "/.upkeep/fail"


def trigger_dir(site: SiteState) -> str:
    return site.layout.upkeep_dir


def trigger_path(site: SiteState) -> str:
    return site.layout.error_trigger


def trigger_php(site: SiteState) -> str:
    return render("error-pages/fail.php.j2", site=site)


def error_page_files(site: SiteState) -> dict[str, str]:
    """The files this task renders, by remote path."""
    pages = {
        f"{site.error_pages_dir}/{page.code}.html": page_html(page, site.domain) for page in PAGES
    }
    return {**pages, trigger_path(site): trigger_php(site)}


@deploy("Error pages")
def error_pages(site: SiteState) -> None:
    files.directory(name="Error pages directory", path=site.error_pages_dir, mode="755")
    # Root's, so the site's own code (running as the site user) cannot change it.
    files.directory(
        name="Error check directory", path=trigger_dir(site), user="root", group="root", mode="755"
    )
    for path, text in error_page_files(site).items():
        if path == trigger_path(site):
            continue
        files.put(
            name=f"Error page {path.rsplit('/', 1)[-1]}", src=StringIO(text), dest=path, mode="644"
        )
    files.put(
        name="Error check trigger",
        src=StringIO(trigger_php(site)),
        dest=trigger_path(site),
        user="root",
        group="root",
        mode="644",
    )
