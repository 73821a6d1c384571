"""Developer environments without a container: the derived local environment, its files
(run in real PHP and real ssh-keygen), the state on disk, ports, and the CLI's refusals."""

from __future__ import annotations

import dataclasses
import os
import shlex
import socket
import stat
import subprocess
from pathlib import Path

import git
import pytest

from tasks.php import php_files
from upkeep.cli.main import main
from upkeep.desired import SiteState
from upkeep.dev import state as dev_state
from upkeep.dev.environment import (
    DELIBERATE,
    LOCAL,
    LOCAL_INI,
    MAIL_COMMAND,
    MAIL_DIR,
    checkout_dir,
    env_pairs,
    local_environment,
    local_files,
    local_ini_paths,
    local_site,
    mount_path,
    own_checkout,
    pool_env_path,
    pool_env_text,
    production_pins,
    project_working_copy,
    shell_rc_path,
)
from upkeep.dev.state import DevPaths, DevState, container_name, known_hosts_line, parse_ports
from upkeep.dev.workflow import shell_argv
from upkeep.errors import UsageError
from upkeep.inventory import Project, load_project
from upkeep.inventory.pins import Pins, load_pins
from upkeep.inventory.pins import render as render_pins
from upkeep.provision import plan
from upkeep.refresh.workflow import refresh
from upkeep.templating import render
from upkeep.workspace import Workspace

BUILD = "8.2.32-1~deb12u1"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
INVENTORY = """\
project: shop
app:
  kind: generic
  repository: git@example.com:acme/shop.git
  docroot: public
php:
  line: "8.2"
  extensions: [cli, fpm, mysql, opcache, mbstring]
  ini:
    memory_limit: 256M
database:
  name: shop
  user: shop
  password: {secret: shop_db_password}
  dump_user: shop_dump
  dump_password: {secret: shop_db_dump_password}
shared_paths: [public/uploads]
environments:
  staging:
    domain: staging.shop.example
    tls: acme
    hosts:
      - name: web-staging
        address: 192.0.2.10
  production:
    domain: www.shop.example
    tls: acme
    ref: v1.2.0
    hosts:
      - name: web-production
        address: 192.0.2.20
"""


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "state"
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(home))
    return home


@pytest.fixture
def shop(workspace: Path, state_home: Path) -> Workspace:
    """An operator repository holding the shop project, production not yet pinned."""
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return Workspace(workspace)


def pin_production(ws: Workspace) -> None:
    pins = Pins(project="shop").with_env("production", php_build=BUILD, ref=COMMIT)
    (ws.inventories / "shop.pins.yml").write_text(render_pins(pins))


def project_of(ws: Workspace) -> Project:
    return load_project(ws, "shop")


# -- the derived environment ------------------------------------------------------
def test_the_local_environment_is_productions_on_this_machine(shop: Workspace) -> None:
    project = project_of(shop)
    paths = DevPaths.of("shop")
    env = local_environment(project, 40222, paths)
    assert (str(env.name), env.domain, env.tls) == ("local", "localhost", "none")
    assert env.ref == project.environment("production").ref == "v1.2.0"
    (host,) = env.hosts
    assert (host.address, host.port, host.user, host.sudo) == ("127.0.0.1", 40222, "upkeep", True)
    assert (host.key, host.known_hosts) == (paths.client_key, paths.known_hosts)
    assert paths.root == shop.root / "state" / "dev" / "shop"


def test_the_local_site_is_productions_but_for_credentials_and_address(
    shop: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB_PASSWORD", "production-secret-1")
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB_DUMP_PASSWORD", "production-secret-2")
    project = project_of(shop)
    production = plan.site_state(
        project, project.environment("production"), php_build=BUILD, release=None
    )
    local = local_site(project, local_environment(project, 40222, DevPaths.of("shop")), BUILD, "pw")
    different = {
        "environment",
        "domain",
        "tls",
        "db_password",
        "dump_user",
        "dump_password",
        "certificate",
    }
    same = {f.name for f in dataclasses.fields(production)} - different
    assert {n: getattr(local, n) for n in same} == {n: getattr(production, n) for n in same}
    assert (local.environment, local.domain, local.tls) == ("local", "localhost", "none")
    assert (local.db_password, local.dump_user, local.dump_password) == ("pw", "", "")
    assert "production-secret" not in repr(local) + pool_env_text(local, "http://localhost:1")
    assert local.site_id == "shop-local" and local.release is None
    assert mount_path("shop") == f"{local.base_dir}/releases/working-copy"


def test_production_must_be_pinned_first(shop: Workspace) -> None:
    project = project_of(shop)
    with pytest.raises(UsageError, match="upkeep provision shop production"):
        production_pins(project, load_pins(shop, "shop"))
    pin_production(shop)
    assert production_pins(project, load_pins(shop, "shop")) == (BUILD, COMMIT)


def test_what_differs_on_purpose_is_named_for_drift() -> None:
    assert sorted(DELIBERATE) == [
        "php.ini opcache.revalidate_freq",
        "php.ini opcache.validate_timestamps",
        "php.ini sendmail_path",
        "release",
    ]


# -- its files, in real PHP -------------------------------------------------------
def _site(shop: Workspace) -> SiteState:
    project = project_of(shop)
    return local_site(project, local_environment(project, 40222, DevPaths.of("shop")), BUILD, "pw")


def _php(ini_dir: Path, code: str, *args: str, defines: tuple[str, ...] = ()) -> str:
    """Run ``code`` in the CLI with ``ini_dir`` as its only conf.d (and OPcache loaded)."""
    (ini_dir / "00-opcache.ini").write_text("zend_extension=opcache\n")
    empty = ini_dir.parent / "php.ini"
    empty.write_text("")
    done = subprocess.run(
        ["php", "-c", str(empty), *defines, "-r", code, "--", *args],
        env={**os.environ, "PHP_INI_SCAN_DIR": str(ini_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_the_local_php_ini_wins_over_productions_in_real_php(
    shop: Workspace, tmp_path: Path
) -> None:
    site = _site(shop)
    files = local_files(site)
    fpm_ini, cli_ini = local_ini_paths(site)
    assert files[fpm_ini] == files[cli_ini]
    production_ini = php_files(site)[f"/etc/php/{site.php_line}/fpm/conf.d/90-upkeep.ini"]
    assert "opcache.revalidate_freq = 60" in production_ini  # what the local file must beat
    assert Path(fpm_ini).name > "90-upkeep.ini"  # PHP reads conf.d in this order
    ini_dir = tmp_path / "conf.d"
    ini_dir.mkdir()
    (ini_dir / "90-upkeep.ini").write_text(production_ini)
    (ini_dir / Path(fpm_ini).name).write_text(files[fpm_ini])
    code = "foreach (array_slice($argv, 1) as $k) { echo $k, '=', ini_get($k), PHP_EOL; }"
    out = _php(ini_dir, code, *LOCAL_INI, "memory_limit")
    assert dict(line.split("=", 1) for line in out.splitlines()) == {
        **LOCAL_INI,
        "memory_limit": "256M",  # the inventory's, as production has it
    }


def test_mail_from_php_is_captured_as_a_file_and_sent_nowhere(
    shop: Workspace, tmp_path: Path
) -> None:
    site = _site(shop)
    assert (
        render("dev/capture-mail.sh.j2", site=site, mail_dir=MAIL_DIR)
        == (local_files(site)[MAIL_COMMAND])
    )
    captured = tmp_path / "captured"
    captured.mkdir()
    script = tmp_path / "capture"
    script.write_text(render("dev/capture-mail.sh.j2", site=site, mail_dir=str(captured)))
    script.chmod(0o755)
    ini_dir = tmp_path / "conf.d"
    ini_dir.mkdir()
    sent = _php(
        ini_dir,
        "var_dump(mail('anna@example.com', 'Order 7', 'Thanks', 'From: shop@example.com'));"
        "var_dump(mail('ben@example.com', 'Order 8', 'Thanks'));",
        defines=("-d", f"sendmail_path={script}"),
    )
    assert sent.split() == ["bool(true)", "bool(true)"]
    messages = sorted(captured.glob("*.eml"))
    assert len(messages) == 2
    texts = [m.read_text() for m in messages]
    assert any("To: anna@example.com" in t and "Subject: Order 7" in t for t in texts)
    assert not list(captured.glob(".*"))  # no half-written message left
    assert all(stat.S_IMODE(m.stat().st_mode) == 0o600 for m in messages)


def test_the_apps_settings_go_to_php_fpm_not_into_the_working_copy(shop: Workspace) -> None:
    site = _site(shop)
    text = pool_env_text(site, "http://localhost:40123")
    assert "[shop-local]\n" in text
    assert 'env[DB_PASSWORD] = "pw"' in text
    assert 'env[SITE_URL] = "http://localhost:40123"' in text
    assert 'env[APP_ENV] = "local"' in text
    # After the pool's own file in PHP-FPM's include order, so the pool exists when read.
    assert Path(pool_env_path(site)).name > f"{site.site_id}.conf"
    assert not pool_env_path(site).startswith(site.base_dir)
    unsafe = dataclasses.replace(site, db_password='a"b')
    with pytest.raises(UsageError, match="DB_PASSWORD") as refused:
        pool_env_text(unsafe, "http://localhost:1")
    assert 'a"b' not in str(refused.value)


def test_env_pairs_reads_the_env_files_lines() -> None:
    assert env_pairs("# Managed\nA=1\n\nB = x=y\n  # c=d\n") == [("A", "1"), ("B", "x=y")]


def test_the_shell_reads_the_settings_and_starts_in_the_working_copy(shop: Workspace) -> None:
    site = _site(shop)
    text = local_files(site)[shell_rc_path(site)]
    assert f". {site.shared_dir}/.env" in text
    assert f"cd {site.current_dir}/" in text
    assert shell_rc_path(site).startswith(f"{site.base_dir}/upkeep/")


# -- state on disk -------------------------------------------------------------------
def test_state_round_trips_privately(state_home: Path) -> None:
    paths = DevPaths.of("shop")
    state = DevState("shop", "upkeep-dev-shop", "/src/shop", 40123, 40222, container_id="c1")
    assert dev_state.load(paths) is None
    dev_state.save(paths, state)
    assert dev_state.load(paths) == state
    assert stat.S_IMODE(paths.state_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.root.stat().st_mode) == 0o700
    assert dev_state.projects_here() == ["shop"]
    assert not state.seeded
    assert state.with_changes(seeded_container="c1").seeded
    assert not state.with_changes(seeded_container="c0").seeded  # another container's database
    assert state.url == "http://localhost:40123"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"project": "shop"}',
        '{"surprise": 1}',
        '{"project": "shop", "container": "c", "working_copy": "/w", "http_port": 0, "ssh_port": 2}',
    ],
)
def test_a_broken_state_file_is_a_usage_error(state_home: Path, text: str) -> None:
    paths = DevPaths.of("shop")
    paths.root.mkdir(parents=True)
    paths.state_file.write_text(text)
    with pytest.raises(UsageError, match="dev down"):
        dev_state.load(paths)


def test_a_project_name_that_is_not_one_never_becomes_a_path(state_home: Path) -> None:
    for bad in ("../lab", "Shop", "", "a/b"):
        with pytest.raises(UsageError):
            DevPaths.of(bad)


def test_keys_and_the_database_password_are_made_once(state_home: Path) -> None:
    paths = DevPaths.of("shop")
    assert len(paths.ensure_keys()) == 2
    assert paths.ensure_keys() == []
    password = paths.database_password()
    assert password == paths.database_password() and len(password) >= 24
    for private in (paths.client_key, paths.host_key, paths.db_password):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_known_hosts_is_exact_for_the_published_port(state_home: Path) -> None:
    paths = DevPaths.of("shop")
    paths.ensure_keys()
    assert paths.write_known_hosts(40222)
    assert not paths.write_known_hosts(40222)
    found = subprocess.run(
        ["ssh-keygen", "-F", "[127.0.0.1]:40222", "-f", str(paths.known_hosts)],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0
    public = paths.host_key.with_suffix(".pub").read_text().split()[1]
    assert public in found.stdout
    elsewhere = ["ssh-keygen", "-F", "[127.0.0.1]:40223", "-f", str(paths.known_hosts)]
    assert subprocess.run(elsewhere, capture_output=True).returncode != 0
    assert paths.write_known_hosts(40223)  # a new port: rewritten


def test_known_hosts_line_names_the_port_as_ssh_looks_it_up() -> None:
    assert known_hosts_line(2200, "ssh-ed25519 AAAAC3 upkeep-lab") == (
        "[127.0.0.1]:2200 ssh-ed25519 AAAAC3\n"
    )


# -- ports and names -----------------------------------------------------------------
def test_ports_are_read_back_from_the_engine_on_the_loopback_address_only() -> None:
    ports = {
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "40123"}],
        "22/tcp": [
            {"HostIp": "0.0.0.0", "HostPort": "2222"},
            {"HostIp": "127.0.0.1", "HostPort": "40222"},
        ],
        "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}],
        "443/tcp": None,
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
        "9000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "70000"}],
        "bogus": [{"HostIp": "127.0.0.1", "HostPort": "1"}],
    }
    assert parse_ports(ports) == {80: 40123, 22: 40222}
    assert parse_ports(None) == {} == parse_ports({})
    assert parse_ports({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "80"}]}) == {}


def test_a_free_port_can_be_bound() -> None:
    port = dev_state.free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_each_state_home_has_its_own_container(
    state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = container_name("shop")
    assert ours.startswith("upkeep-dev-shop-") and ours == container_name("shop")
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(state_home.parent / "other"))
    assert container_name("shop") != ours
    monkeypatch.delenv("UPKEEP_STATE_DIR")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert container_name("shop") == "upkeep-dev-shop"


# -- the working copy -------------------------------------------------------------------
def test_the_working_copy_must_be_a_directory_of_the_project(
    shop: Workspace, tmp_path: Path
) -> None:
    project = project_of(shop)
    with pytest.raises(UsageError, match="no such directory"):
        project_working_copy(project, tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        project_working_copy(project, tmp_path / "file")
    (tmp_path / "other").mkdir()
    with pytest.raises(UsageError, match="no public/"):
        project_working_copy(project, tmp_path / "other")
    (tmp_path / "site" / "public").mkdir(parents=True)
    assert project_working_copy(project, str(tmp_path / "site" / ".")) == tmp_path / "site"


# -- the CLI's refusals: exit 2, one line, nothing changed -------------------------------
def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_dev_commands_refuse_bad_input_with_exit_2(
    shop: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _cli(capsys, "dev", "up", "nope", "--path", str(tmp_path))
    assert code == 2 and "nope" in err and len(err.strip().splitlines()) == 1, err
    code, err = _cli(capsys, "dev", "up", "Bad/Name")
    assert code == 2 and "not a valid project name" in err
    code, err = _cli(capsys, "dev", "up", "shop", "--path", str(tmp_path))
    assert code == 2 and "has no pins yet" in err
    pin_production(shop)
    code, err = _cli(capsys, "dev", "up", "shop", "--path", str(tmp_path / "missing"))
    assert code == 2 and "no such directory" in err
    (tmp_path / "file").write_text("x")
    code, err = _cli(capsys, "dev", "up", "shop", "--path", str(tmp_path / "file"))
    assert code == 2 and "not a directory" in err
    code, err = _cli(capsys, "dev", "shell", "shop")
    assert code == 2 and "upkeep dev up shop" in err
    code, err = _cli(capsys, "dev", "down", "nope")
    assert code == 2 and "nope" in err
    code, err = _cli(capsys, "dev", "status", "nope")
    assert code == 2 and "nope" in err
    assert not (tmp_path / "state" / "dev").exists()  # nothing was made


def test_a_second_working_copy_is_refused_while_one_is_in_use(
    shop: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pin_production(shop)
    first, second = tmp_path / "one", tmp_path / "two"
    for path in (first, second):
        (path / "public").mkdir(parents=True)
    dev_state.save(DevPaths.of("shop"), DevState("shop", "c", str(first), 40123, 40222))
    code, err = _cli(capsys, "dev", "up", "shop", "--path", str(second))
    assert code == 2 and f"runs from {first}" in err and "dev down shop" in err


def test_the_shell_runs_as_the_site_user_over_checked_ssh(shop: Workspace, tmp_path: Path) -> None:
    paths = DevPaths.of("shop")
    dev_state.save(paths, DevState("shop", "c", str(tmp_path), 40123, 40222))
    argv = shell_argv(shop, "shop", ["php", "-r", "echo 'a b';"], tty=False)
    assert argv[:3] == ["ssh", "-p", "40222"]
    assert "StrictHostKeyChecking=yes" in argv and f"UserKnownHostsFile={paths.known_hosts}" in argv
    assert argv[argv.index("-i") + 1] == str(paths.client_key)
    assert argv[-3:-1] == ["-T", "upkeep@127.0.0.1"]
    remote = argv[-1]
    assert remote.startswith("sudo -H -u shop-local bash -c ")
    assert remote.endswith("upkeep-dev-shell php -r 'echo '\"'\"'a b'\"'\"';'")
    interactive = shell_argv(shop, "shop", [], tty=True)
    assert interactive[-3] == "-t"
    assert interactive[-1] == (
        "exec sudo -H -u shop-local bash --rcfile /srv/www/shop-local/upkeep/shell.bashrc -i"
    )


def test_the_shell_command_line_runs_the_command_after_the_settings(
    shop: Workspace, tmp_path: Path
) -> None:
    """The remote line, run by a real bash here, the rc file swapped for a stand-in."""
    dev_state.save(DevPaths.of("shop"), DevState("shop", "c", str(tmp_path), 40123, 40222))
    remote = shell_argv(shop, "shop", ["bash", "-c", 'echo "$GREETING $PWD"'], tty=False)[-1]
    words = shlex.split(remote)
    assert words[:5] == ["sudo", "-H", "-u", "shop-local", "bash"]
    rc = tmp_path / "rc"
    rc.write_text(f"export GREETING=hello\ncd {tmp_path}\n")
    args = [w.replace("/srv/www/shop-local/upkeep/shell.bashrc", str(rc)) for w in words[5:]]
    out = subprocess.run(["bash", *args], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"hello {tmp_path}"


# -- refresh takes the local environment as a target, database only ------------------------
def test_refresh_into_an_environment_outside_the_inventory_is_database_only(
    shop: Workspace,
) -> None:
    env = local_environment(project_of(shop), 40222, DevPaths.of("shop"))
    with pytest.raises(UsageError, match="only its database"):
        refresh(shop, project_of(shop), Pins(project="shop"), target=LOCAL, target_environment=env)


# -- a working copy of upkeep's own --------------------------------------------------
def test_without_a_path_dev_up_checks_out_productions_commit_once(
    workspace: Path, state_home: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    (site / "public").mkdir(parents=True)
    repo = git.Repo.init(site, initial_branch="main")
    (site / "public" / "index.php").write_text("<?php echo 'production';\n")
    repo.index.add(["public/index.php"])
    production = repo.index.commit("what production runs").hexsha
    (site / "public" / "index.php").write_text("<?php echo 'not yet released';\n")
    repo.index.add(["public/index.php"])
    repo.index.commit("main moved on")
    text = INVENTORY.replace("git@example.com:acme/shop.git", str(site))
    (workspace / "inventories" / "shop.yml").write_text(text)
    project = load_project(Workspace(workspace), "shop")

    path, action = own_checkout(project, production)

    assert path == checkout_dir("shop") and path.is_relative_to(state_home)
    assert action == f"checked out shop at production's {production[:10]} into {path}"
    assert git.Repo(path).head.commit.hexsha == production
    assert (path / "public" / "index.php").read_text() == "<?php echo 'production';\n"
    assert project_working_copy(project, path) == path  # served as any working copy
    # A second `dev up` keeps the developer's edits.
    (path / "public" / "index.php").write_text("<?php echo 'my edit';\n")
    assert own_checkout(project, production) == (path, None)
    assert (path / "public" / "index.php").read_text() == "<?php echo 'my edit';\n"


def test_a_repository_that_cannot_be_checked_out_is_one_line(
    workspace: Path, state_home: Path, tmp_path: Path
) -> None:
    text = INVENTORY.replace("git@example.com:acme/shop.git", str(tmp_path / "no-such-repo"))
    (workspace / "inventories" / "shop.yml").write_text(text)
    with pytest.raises(UsageError, match=r"cannot check out .*no-such-repo at 0123456789"):
        own_checkout(load_project(Workspace(workspace), "shop"), COMMIT)
    assert not checkout_dir("shop").exists()
