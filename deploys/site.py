"""The site deploy: what one environment of one project must look like.

Composes the tasks in the order their dependencies need: the host and site
user, logs, PHP-FPM, MariaDB, the friendly error pages, nginx, then the code.
upkeep's runner calls ``site(state)``; under the plain pyinfra CLI use
``UPKEEP_PROJECT=demo pyinfra deploys/inventory.py deploys/site.py``.
"""

from __future__ import annotations

from pyinfra import is_cli
from pyinfra.api import deploy

from tasks.base import base_host
from tasks.error_pages import error_pages
from tasks.logs import logs
from tasks.mariadb import mariadb
from tasks.nginx import nginx
from tasks.php import php_fpm
from tasks.release import release
from upkeep.desired import SiteState


@deploy("Site")
def site(state: SiteState, site_url: str) -> None:
    base_host(state)
    logs(state)
    php_fpm(state)
    mariadb(state)
    error_pages(state)
    nginx(state)
    if state.release is not None:
        release(state, state.release, site_url)


if is_cli:  # run by the pyinfra CLI with deploys/inventory.py: plan on the control side
    from pyinfra import host

    from upkeep.provision.plan import pinned_site

    site(*pinned_site(host.data.upkeep_project, host.data.upkeep_environment))
