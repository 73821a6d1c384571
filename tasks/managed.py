"""Everything upkeep renders onto a site's hosts, by remote path: what drift compares.

Credentials (the env file, certificates) are left out on purpose: they are
meant to differ between environments and never belong in a report.
"""

from __future__ import annotations

from tasks.base import base_files
from tasks.error_pages import error_page_files
from tasks.logs import log_files
from tasks.nginx import nginx_files
from tasks.php import POLICY_RC_D, apt_pin_path, php_files
from upkeep.desired import SiteState
from upkeep.templating import render


def managed_files(site: SiteState) -> dict[str, str]:
    files = {
        apt_pin_path(site): render("php/apt-preferences.j2", site=site),
        POLICY_RC_D: render("php/policy-rc.d.j2", site=site),
    }
    for part in (base_files, log_files, php_files, error_page_files, nginx_files):
        files.update(part(site))
    return dict(sorted(files.items()))
