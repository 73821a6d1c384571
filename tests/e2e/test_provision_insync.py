"""The in-sync check finds one drifted thing and provision fixes it; then it is in sync again.

Each case drifts ONE thing on staging's host (a managed file, a package build,
a php.ini value, a pool setting, the vhost, the site user), provisions staging, and asserts
that the check sent the host to the full run for that thing, that the thing is
fixed, and that the next provision finds the host in sync and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from upkeep.inventory.pins import load_pins
from upkeep.provision.workflow import ProvisionResult, provision

from .conftest import RunningLab, model
from .hosts import console, shell

SITE_USER_AS_MADE = (
    'test "$(getent passwd demo-staging | cut -d: -f6-)" = /srv/www/demo-staging:/usr/sbin/nologin'
    ' && test "$(id -gn demo-staging)" = demo-staging'
)
NEWER = "$(apt-cache madison php8.2-cli | awk '{print $3}' | sort -V | tail -1)"


@dataclass(frozen=True)
class Drift:
    drift: str  # run on the host: the one thing changed by hand
    operation: str  # the operation the check must name as changing
    fixed: str  # run on the host after provision: fails unless the thing is back


CASES = {
    "managed file": Drift(
        "sed -i 's/rotate 14/rotate 2/' /etc/logrotate.d/upkeep-demo-staging",
        "Managed file /etc/logrotate.d/upkeep-demo-staging",
        "grep -q 'rotate 14' /etc/logrotate.d/upkeep-demo-staging",
    ),
    "package build": Drift(
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades "
        f"php8.2-cli={NEWER} php8.2-common={NEWER} php8.2-readline={NEWER} php8.2-opcache={NEWER}",
        "PHP 8.2 packages at",
        'test "$(dpkg-query -W -f=\'${Version}\' php8.2-cli)" = "{build}"',
    ),
    "php.ini value": Drift(
        "sed -i 's/^max_file_uploads = .*/max_file_uploads = 7/' /etc/php/8.2/fpm/php.ini",
        "/etc/php/8.2/fpm/php.ini as the package ships it",
        "cmp /etc/php/8.2/fpm/php.ini /usr/lib/php/8.2/php.ini-production",
    ),
    "fpm pool setting": Drift(
        "sed -i 's/^pm.max_children = .*/pm.max_children = 99/' "
        "/etc/php/8.2/fpm/pool.d/demo-staging.conf",
        "Managed file /etc/php/8.2/fpm/pool.d/demo-staging.conf",
        "grep -q '^pm.max_children = 10$' /etc/php/8.2/fpm/pool.d/demo-staging.conf",
    ),
    "nginx vhost": Drift(
        "sed -i 's/client_max_body_size 16m;/client_max_body_size 1k;/' "
        "/etc/nginx/sites-available/demo-staging.conf",
        "Site vhost",
        "grep -q 'client_max_body_size 16m;' /etc/nginx/sites-available/demo-staging.conf",
    ),
    # MariaDB's facts are read in one client call (upkeep.provision.mysql_facts).
    "database grant": Drift(
        "mariadb -e \"REVOKE INSERT ON demo.* FROM 'demo'@'localhost'\"",
        "Privileges of demo on demo",
        "mariadb -N -e \"SHOW GRANTS FOR 'demo'@'localhost'\" | grep -q INSERT",
    ),
    # The services' states are read in one systemctl call (upkeep.provision.systemd_facts).
    "service stopped": Drift(
        "systemctl stop nginx",
        "nginx running",
        "systemctl is-active -q nginx",
    ),
    "service disabled": Drift(
        "systemctl disable -q mariadb",
        "MariaDB running",
        "systemctl is-enabled -q mariadb",
    ),
    # The site user is read narrowly (tasks.facts.UserAccount); each thing pyinfra's
    # server.user compares must still be found.
    "site user shell": Drift(
        "usermod -s /bin/bash demo-staging",
        "Site user",
        SITE_USER_AS_MADE,
    ),
    "site user primary group": Drift(
        "usermod -g users demo-staging",
        "Site user",
        SITE_USER_AS_MADE,
    ),
    "site user home": Drift(
        "usermod -d /home/demo-staging demo-staging",
        "Site user",
        SITE_USER_AS_MADE,
    ),
    "site user missing": Drift(
        "userdel -f demo-staging",
        "Site user",
        SITE_USER_AS_MADE,
    ),
}


def staging_check(result: ProvisionResult) -> tuple[bool, tuple[str, ...]]:
    [check] = [c for c in result.checks if c.environment == "staging"]
    return check.in_sync, check.changes


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_drifted_thing_is_found_fixed_and_then_in_sync(
    provisioned: RunningLab, case: str
) -> None:
    workspace = provisioned.workspace
    drifted = CASES[case]
    shell(provisioned, "staging", drifted.drift)
    fixing = provision(workspace, *model(workspace), ["staging"])
    assert fixing.ok, fixing.run.problems
    in_sync, changes = staging_check(fixing)
    assert not in_sync
    assert any(drifted.operation in change for change in changes), changes
    assert fixing.run.changed > 0
    build = load_pins(workspace, "demo").get("staging").php_build
    console(provisioned, "staging", drifted.fixed.replace("{build}", str(build)))

    again = provision(workspace, *model(workspace), ["staging"])
    assert again.ok and staging_check(again)[0], staging_check(again)
    assert again.run.changed == 0
