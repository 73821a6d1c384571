"""A real browser for end-to-end tests: Debian's Chromium, driven by Selenium through Debian's
chromium-driver (the same build as the browser, so nothing is downloaded to match them).

Installed by the test's own set-up when absent (CI is a fresh Debian 12, as root).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tests.system_packages import ensure_packages

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PACKAGES = ("chromium", "chromium-driver")


def ensure_chromium() -> None:
    """Debian's chromium and chromium-driver, installed with apt-get if either is missing."""
    ensure_packages(*PACKAGES)


@contextmanager
def chromium() -> Iterator[WebDriver]:
    """A headless Chromium session (selenium.webdriver.Chrome), quit on the way out."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)  # root in a container: no sandbox, a small /dev/shm
    options.add_argument("--window-size=1400,1000")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
