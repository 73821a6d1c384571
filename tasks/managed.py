"""Everything upkeep renders onto a site's hosts, by remote path: what drift compares.

Credentials (the env file, certificates) are left out on purpose: they are
meant to differ between environments and never belong in a report.
"""

from __future__ import annotations

from tasks.base import base_files
from tasks.error_pages import error_page_files
from tasks.logs import log_files
from tasks.nginx import nginx_files
from tasks.php import package_guard_files, php_files
from upkeep.desired import SiteState

# Each task's own function for the files it writes: drift compares exactly what they put.
PARTS = (package_guard_files, base_files, log_files, php_files, error_page_files, nginx_files)


def managed_files(site: SiteState) -> dict[str, str]:
    files: dict[str, str] = {}
    for part in PARTS:
        files.update(part(site))
    return dict(sorted(files.items()))
