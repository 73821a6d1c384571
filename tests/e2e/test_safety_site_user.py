"""No path from the site user to root, on the lab.

The site user is PHP-FPM's: whatever a vulnerable plugin can do, it can do.
As that user (``runuser -u demo-staging``) these tests try to plant symlinks
and odd names where root-run scripts work, then run deploy, rollback and a
file refresh: nothing outside the site changes, nothing is injected, and the
site still serves. The base directory, releases/ and the release trees are
root's; only the shared paths belong to the site user.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import git
import pytest

from upkeep.cli.main import main
from upkeep.inventory import Host, load_project
from upkeep.provision.workflow import provision
from upkeep.ssh import check_root, run_root

from .conftest import RunningLab, model
from .hosts import get

SITE = "/srv/www/demo-{env}"
ENVIRONMENTS = ["staging", "production"]  # refresh's target and source; dev is not needed
# What must not change outside the site: a listing (name, type, owner, mode) and checksums.
OUTSIDE = (
    "find /etc /etc/cron.d /root -maxdepth 1 -printf '%p %y %U %G %m\\n' | LC_ALL=C sort; "
    "sha256sum /etc/passwd /etc/shadow /etc/sudoers /root/.bashrc"
)
# A directory's name cannot hold a slash: the payload writes a file named pwned wherever it runs.
ODD = "x;touch pwned"
NO_PWNED = "find / -xdev -name pwned | head -1; test ! -e /tmp/pwned && echo clean"


@pytest.fixture(scope="module")
def lab(running_lab: RunningLab) -> RunningLab:
    result = provision(
        running_lab.workspace, *model(running_lab.workspace), ENVIRONMENTS, php_build="oldest"
    )
    assert result.ok, result.run.failed
    return running_lab


def _host(lab: RunningLab, environment: str) -> Host:
    return load_project(lab.workspace, "demo").environment(environment).hosts[0]


def root(lab: RunningLab, environment: str, script: str) -> str:
    return check_root(_host(lab, environment), script, "test step").strip()


def as_site(lab: RunningLab, environment: str, script: str) -> int:
    """``script`` run by the site (PHP-FPM) user in the site directory; its exit code."""
    user = f"demo-{environment}"
    command = f"cd {SITE.format(env=environment)} && {script}"
    code, _ = run_root(
        _host(lab, environment), f"runuser -u {user} -- bash -c {shlex.quote(command)}"
    )
    return code


def owners(lab: RunningLab, environment: str, *paths: str) -> dict[str, str]:
    """``user:group mode`` of each path under the site directory (the path itself, not a target)."""
    site = SITE.format(env=environment)
    quoted = " ".join(shlex.quote(f"{site}/{path}") for path in paths)
    lines = root(lab, environment, f"stat -c '%U:%G %a' {quoted}").splitlines()
    return dict(zip(paths, lines, strict=True))


def _expect_layout(lab: RunningLab, environment: str) -> None:
    user = f"demo-{environment}"
    paths = ["", "releases", "current/", "shared", ".dep", "shared/public"]
    found = owners(lab, environment, *paths, "shared/public/uploads", "shared/.env")
    assert found == {
        "": "root:root 755",
        "releases": "root:root 755",
        "current/": "root:root 755",  # the release tree current points at
        "shared": "root:root 755",
        ".dep": "root:root 755",
        "shared/public": "root:root 755",
        "shared/public/uploads": f"{user}:{user} 755",
        "shared/.env": f"root:{user} 640",
    }
    site = SITE.format(env=environment)
    foreign = root(
        lab,
        environment,
        f"find {site}/releases -mindepth 1 \\( ! -user root -o \\( ! -type l -perm /022 \\) \\)",
    )
    assert foreign == "", f"release trees not root's alone: {foreign}"


def test_the_site_directory_is_roots_and_only_shared_paths_are_the_sites(lab: RunningLab) -> None:
    for environment in ENVIRONMENTS:
        _expect_layout(lab, environment)
    # PHP-FPM still reads its code and its settings
    assert get(lab, "staging", "/health.php").json()["database"] == "ok"


def test_the_site_user_cannot_plant_where_root_works(lab: RunningLab) -> None:
    attempts = {
        "a link among the releases": "ln -s /etc releases/20990101000000",
        "an odd release name": f"mkdir 'releases/{ODD}'",
        "a current.tmp link": "ln -s /etc current.tmp",
        "a new current": "ln -sfn /etc current",
        "the env file replaced by a link": "ln -sf /etc/shadow shared/.env",
        "the env file removed": "rm -f shared/.env",
        "the env file written": "echo 'DB_HOST=evil' >> shared/.env",
        "a release file changed": "echo hacked > current/public/index.php",
        "the shared path replaced": "mv shared/public/uploads shared/public/gone",
    }
    allowed = {what for what, script in attempts.items() if as_site(lab, "staging", script) == 0}
    assert allowed == set()
    assert as_site(lab, "staging", "cat shared/.env > /dev/null") == 0  # but it reads it
    assert (
        as_site(lab, "staging", "touch shared/public/uploads/ok && rm shared/public/uploads/ok")
        == 0
    )


@pytest.fixture
def planted(lab: RunningLab) -> Iterator[None]:
    """What a site user can still plant (links in its shared paths, on both sides of a
    refresh), and what it could have planted before the layout changed (done as root)."""
    uploads = "shared/public/uploads"
    for environment in ENVIRONMENTS:
        links = (
            f"ln -s /etc {uploads}/etc-link && ln -s /root {uploads}/root-link && "
            f"ln -s /etc/shadow {uploads}/shadow"
        )
        assert as_site(lab, environment, links) == 0
    # where production has a directory (2024/05/...), staging's site user put a link to /etc
    assert as_site(lab, "staging", f"rm -rf {uploads}/2024 && ln -s /etc {uploads}/2024") == 0
    site = SITE.format(env="staging")
    root(
        lab,
        "staging",
        f"cd {site} && mkdir 'releases/{ODD}' releases/19990101000000 && "
        "ln -s /etc releases/20000101000000 && ln -s /etc current.tmp",
    )
    yield
    for environment in ENVIRONMENTS:
        where = f"{SITE.format(env=environment)}/{uploads}"
        root(
            lab,
            environment,
            f"cd {where} && rm -f etc-link root-link shadow && (test ! -L 2024 || rm 2024)",
        )
    odd = f"'releases/{ODD}' releases/19990101000000 releases/20000101000000"
    root(lab, "staging", f"cd {site} && rm -rf {odd} current.tmp")


def test_deploy_rollback_and_file_refresh_never_reach_outside_the_site(
    lab: RunningLab, planted: None, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {env: root(lab, env, OUTSIDE) for env in ENVIRONMENTS}
    workspace = str(lab.workspace.root)
    repository = git.Repo(lab.spec.demo_repository)
    (lab.spec.demo_repository / "public" / "safety.txt").write_text("v-safety\n")
    repository.index.add(["public/safety.txt"])
    repository.index.commit("safety")

    assert main(["--root", workspace, "deploy", "demo", "staging", "--ref", "main"]) == 0
    assert get(lab, "staging", "/safety.txt").body == "v-safety\n"
    assert main(["--root", workspace, "rollback", "demo", "staging"]) == 0
    assert main(["--root", workspace, "refresh", "demo", "--files-only", "--yes"]) == 0
    capsys.readouterr()

    for environment in ENVIRONMENTS:
        assert root(lab, environment, OUTSIDE) == before[environment], environment
        assert root(lab, environment, NO_PWNED) == "clean"
    uploads = f"{SITE.format(env='staging')}/shared/public/uploads"
    # the refresh wrote as the site user: its links arrived as links, nothing is root's
    assert root(lab, "staging", f"find {uploads} ! -user demo-staging") == ""
    links = root(lab, "staging", f"find {uploads} -maxdepth 1 -type l -printf '%f\\n' | sort")
    assert links.splitlines() == ["etc-link", "root-link", "shadow"]
    # staging's 2024 link became production's directory, its file inside the site
    assert (
        root(lab, "staging", f"test -d {uploads}/2024 && test ! -L {uploads}/2024 && echo dir")
        == "dir"
    )
    _expect_layout(lab, "staging")
    assert get(lab, "staging", "/health.php").status == 200
    # the odd entries planted before were left alone, never run or followed
    listing = root(lab, "staging", f"ls -1 {SITE.format(env='staging')}/releases")
    assert ODD in listing.splitlines()


def test_a_current_that_is_not_a_release_is_refused_by_rollback(
    lab: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    # As the site user could arrange it on the old layout: a release directory whose name is
    # shell, and `current` pointing at it (the old rollback echoed that name into a root shell).
    site = SITE.format(env="staging")
    was = root(lab, "staging", f"readlink {site}/current")
    odd = shlex.quote(f"{site}/releases/x$(touch pwned)")
    root(lab, "staging", f"mkdir {odd} && ln -sfn {odd} {site}/current")
    try:
        assert main(["--root", str(lab.workspace.root), "rollback", "demo", "staging"]) == 2
        assert "does not point at a release" in capsys.readouterr().err
        assert root(lab, "staging", NO_PWNED) == "clean"
    finally:
        root(lab, "staging", f"ln -sfn {shlex.quote(was)} {site}/current && rm -rf {odd}")


def test_an_old_layout_is_converted_by_the_next_provision_and_then_left_alone(
    lab: RunningLab,
) -> None:
    # as provision left hosts before: everything under the site directory the site user's
    site = SITE.format(env="staging")
    root(lab, "staging", f"chown -R demo-staging: {site} && chmod 600 {site}/shared/.env")
    first = provision(lab.workspace, *model(lab.workspace), ["staging"])
    assert first.ok, first.run.failed
    _expect_layout(lab, "staging")
    assert get(lab, "staging", "/health.php").status == 200
    second = provision(lab.workspace, *model(lab.workspace), ["staging"])
    assert second.ok
    assert [op.operation for op in second.run.ops if op.status.value == "changed"] == []


def test_a_backup_restore_writes_the_shared_files_as_the_site_user(
    lab: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = str(lab.workspace.root)
    # a file refresh backs staging up first: that backup is the one put back
    assert main(["--root", workspace, "refresh", "demo", "--files-only", "--yes"]) == 0
    backups = root(lab, "staging", "ls -1d /var/backups/upkeep/demo-staging/2* | tail -1")
    uploads = f"{SITE.format(env='staging')}/shared/public/uploads"
    before = root(lab, "staging", OUTSIDE)
    # after the backup the site user puts a link to /etc where the backup holds a directory
    planted = f"rm -rf {uploads}/2024 && ln -s /etc {uploads}/2024 && ln -s /root {uploads}/late"
    assert as_site(lab, "staging", planted) == 0
    assert main(["--root", workspace, "refresh", "demo", "--restore", backups, "--yes"]) == 0
    capsys.readouterr()
    assert root(lab, "staging", OUTSIDE) == before
    assert root(lab, "staging", NO_PWNED) == "clean"
    assert root(lab, "staging", f"find {uploads} ! -user demo-staging") == ""
    assert (
        root(
            lab,
            "staging",
            f"test ! -e {uploads}/late && test ! -L {uploads}/2024 && "
            f"test -f {uploads}/2024/05/product-1.png && echo restored",
        )
        == "restored"
    )
    _expect_layout(lab, "staging")
    assert get(lab, "staging", "/health.php").status == 200
