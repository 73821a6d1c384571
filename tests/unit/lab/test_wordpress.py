"""The lab's WordPress project without a container: its tree from unpacked packages, and
an inventory that shares the demo's servers and passes the fleet's checks."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest

from upkeep.cli.main import main
from upkeep.inventory import load_project
from upkeep.lab import demo, wordpress
from upkeep.lab.generated import ensure_generated
from upkeep.lab.spec import LabSpec
from upkeep.workspace import Workspace


def _unpacked(root: Path) -> None:
    """What dpkg-deb -x leaves of the packages, in small: WordPress with Debian's links."""
    site = root / "usr/share/wordpress"
    (site / "wp-includes/js").mkdir(parents=True)
    (site / "wp-includes/certificates").mkdir(parents=True)
    (site / "index.php").write_text("<?php // WordPress\n")
    (site / "wp-config.php").write_text("<?php // Debian's: reads /etc/wordpress\n")
    (root / "usr/share/javascript/underscore").mkdir(parents=True)
    (root / "usr/share/javascript/underscore/underscore.js").write_text("var _;\n")
    os.symlink("../../../javascript/underscore/underscore.js", site / "wp-includes/js/u.js")
    (root / "etc/wordpress").mkdir(parents=True)
    (root / "etc/wordpress/htaccess").write_text("# rewrite rules\n")
    os.symlink("/etc/wordpress/htaccess", site / ".htaccess")
    os.symlink("/etc/ssl/certs/ca-certificates.crt", site / "wp-includes/certificates/ca.crt")


def test_the_tree_holds_the_packages_files_and_our_config_above_the_docroot(
    tmp_path: Path,
) -> None:
    _unpacked(tmp_path / "root")
    tree = tmp_path / "tree"
    wordpress.compose(tmp_path / "root", wordpress.SOURCE, tree)
    public = tree / "public"
    # A link into another package becomes that file; a link to the server's own file stays.
    assert not (public / "wp-includes/js/u.js").is_symlink()
    assert (public / "wp-includes/js/u.js").read_text() == "var _;\n"
    assert (public / ".htaccess").read_text() == "# rewrite rules\n"
    ca = public / "wp-includes/certificates/ca.crt"
    assert ca.is_symlink() and os.readlink(ca) == "/etc/ssl/certs/ca-certificates.crt"
    # Debian's wp-config.php goes; ours sits above public/, where WordPress looks next.
    assert not (public / "wp-config.php").exists()
    config = (tree / "wp-config.php").read_text()
    assert "upkeep_env('DB_PASSWORD'" in config
    assert "define('WP_HOME'" not in config and "define('WP_SITEURL'" not in config
    assert (public / "health.php").is_file() and (tree / "bin/seed.php").is_file()


@pytest.mark.parametrize("per_environment", [1, 2])
def test_wordpress_shares_the_demos_servers_and_the_fleet_check_is_clean(
    tmp_path: Path, per_environment: int, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = LabSpec(
        "upkeep-lab", ipaddress.IPv4Network("10.1.2.0/24"), tmp_path / "lab", per_environment
    )
    workspace = Workspace(tmp_path / "ops")
    demo.ensure(spec, workspace)
    ensure_generated(wordpress.inventory_text(spec), workspace.inventories / "wordpress.yml")
    project = load_project(workspace, "wordpress")
    assert (project.app.kind, project.sanitize.preset) == ("wordpress", "wordpress")
    assert [(env, host.name) for env, host in project.hosts()] == [
        ("dev", "lab-dev"),
        ("staging", "lab-staging"),
        ("production", spec.host_name(spec.second_production)),
    ]
    demo_servers = {host.name for _, host in load_project(workspace, "demo").hosts()}
    assert spec.host_name(spec.second_production) not in demo_servers
    assert main(["--root", str(workspace.root), "inventory", "check"]) == 0
    assert "ok: 2 inventories" in capsys.readouterr().out
