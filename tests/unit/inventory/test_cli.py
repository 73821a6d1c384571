"""`upkeep inventory check|show` on broken and good inventories, through main()."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from upkeep.cli.main import main

REPO = Path(__file__).resolve().parents[3]

# A valid inventory; each case below breaks it in one place. Line numbers in the
# cases refer to this text (after the replacement).
GOOD = """\
project: shop
app:
  kind: laravel
  repository: git@example.com:acme/shop.git
  docroot: public
php:
  line: "8.2"
  extensions: [cli, fpm]
  ini:
    memory_limit: 256M
database:
  name: shop
  user: shop
  password: {secret: shop_db_password}
  dump_user: shop_dump
  dump_password: {secret: shop_db_dump_password}
shared_paths: [storage]
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
        port: 2222
"""

PRODUCTION_HOST = "      - name: web-production\n        address: 192.0.2.20\n        port: 2222\n"

# (id, old text, new text, expected "LINE: key.path: message fragment")
BROKEN = [
    ("yaml-syntax", "  kind: laravel\n", "  kind: [laravel\n", "4: (file): invalid YAML"),
    ("top-level-list", GOOD, "- shop\n- app\n", "1: (file): expected 'key: value' lines"),
    (
        "duplicate-key",
        "  kind: laravel\n",
        "  kind: laravel\n  kind: generic\n",
        "4: app.kind: duplicate key (already on line 3",
    ),
    (
        "unknown-key-suggestion",
        "  docroot: public\n",
        "  docrot: public\n",
        "5: app.docrot: unknown key (did you mean 'docroot'?)",
    ),
    (
        "php-line-float",
        '  line: "8.2"\n',
        "  line: 8.2\n",
        '7: php.line: expected text, got the number 8.2 (quote it: line: "8.2")',
    ),
    (
        "missing-field",
        "  user: shop\n",
        "",
        "11: database.user: missing (add 'user:' under database)",
    ),
    (
        "unknown-environment",
        "  staging:\n",
        "  qa:\n",
        "19: environments.qa: unknown environment 'qa'",
    ),
    (
        "duplicate-host-name",
        "      - name: web-staging\n",
        "      - name: web-production\n",
        "30: environments.production.hosts[0].name: host name 'web-production' is already "
        "used at environments.staging.hosts[0]",
    ),
    (
        "duplicate-address-port",
        PRODUCTION_HOST,
        PRODUCTION_HOST + PRODUCTION_HOST.replace("web-production", "web-production-2"),
        "34: environments.production.hosts[1].address: address 192.0.2.20:2222 is already used",
    ),
    (
        "project-not-file-stem",
        "project: shop\n",
        "project: store\n",
        "1: project: 'store' does not match the file name 'shop'",
    ),
    (
        "project-name-injection",
        "project: shop\n",
        "project: 'shop;reboot'\n",
        "1: project: 'shop;reboot' is not a valid project name",
    ),
    (
        "database-name-injection",
        "  name: shop\n",
        '  name: "shop`; DROP DATABASE x"\n',
        "12: database.name: 'shop`; DROP DATABASE x' is not a valid database name",
    ),
    (
        "domain-capitals",
        "    domain: www.shop.example\n",
        "    domain: WWW.Shop.example\n",
        "26: environments.production.domain: 'WWW.Shop.example' has capital letters "
        "(write it in lowercase: 'www.shop.example')",
    ),
    (
        "domain-nginx-injection",
        "    domain: www.shop.example\n",
        "    domain: 'www.shop.example; return 301 http://evil'\n",
        "26: environments.production.domain: 'www.shop.example; return 301 http://evil' is "
        "not a valid host name",
    ),
    (
        "shared-path-escape",
        "shared_paths: [storage]\n",
        "shared_paths: [storage, ../../etc]\n",
        "17: shared_paths[1]: '../../etc' is not a safe relative path",
    ),
    (
        "docroot-absolute",
        "  docroot: public\n",
        "  docroot: /var/www\n",
        "5: app.docroot: '/var/www' is not a safe relative path (it must be relative",
    ),
    (
        "address-invalid",
        "        address: 192.0.2.10\n",
        "        address: 192.0.2.999\n",
        "24: environments.staging.hosts[0].address: '192.0.2.999' looks like an IP address",
    ),
    (
        "ssh-user-injection",
        "        address: 192.0.2.10\n",
        "        address: 192.0.2.10\n        user: 'root$(id)'\n",
        "25: environments.staging.hosts[0].user: 'root$(id)' is not a valid login name",
    ),
    (
        "git-ref-option",
        "    ref: v1.2.0\n",
        "    ref: --upload-pack=touch\n",
        "28: environments.production.ref: '--upload-pack=touch' is not a valid git ref",
    ),
    (
        "ini-value-injection",
        "    memory_limit: 256M\n",
        "    memory_limit: '256M\"; extension=evil'\n",
        "10: php.ini.memory_limit: '256M\"; extension=evil' cannot go into php.ini safely",
    ),
    (
        "ini-key-invalid",
        "    memory_limit: 256M\n",
        "    Memory Limit: 256M\n",
        "10: php.ini[\"Memory Limit\"]: 'Memory Limit' is not a php.ini setting name",
    ),
    (
        "extension-name",
        "  extensions: [cli, fpm]\n",
        "  extensions: [cli, 'fpm && curl']\n",
        "8: php.extensions[1]: 'fpm && curl' is not a PHP extension name",
    ),
    (
        "production-missing",
        GOOD[GOOD.index("  production:\n") :],
        "",
        "18: environments: no production environment (add environments.production)",
    ),
    (
        "port-out-of-range",
        "        port: 2222\n",
        "        port: 70000\n",
        "32: environments.production.hosts[0].port: the number 70000 is too large (use at most "
        "65535)",
    ),
    (
        "port-quoted",
        "        port: 2222\n",
        '        port: "2222"\n',
        "32: environments.production.hosts[0].port: expected a whole number, got '2222' "
        "(remove the quotes)",
    ),
    (
        "hosts-empty",
        "    hosts:\n      - name: web-staging\n        address: 192.0.2.10\n",
        "    hosts: []\n",
        "22: environments.staging.hosts: empty (give at least one entry)",
    ),
    (
        "tls-typo",
        "    tls: acme\n    ref",
        "    tls: acmee\n    ref",
        "27: environments.production.tls: 'acmee' is not one of 'lab', 'acme', 'manual' or "
        "'none' (did you mean 'acme'?)",
    ),
    (
        "health-path-relative",
        "  docroot: public\n",
        "  docroot: public\n  health_path: health.php\n",
        "6: app.health_path: 'health.php' is not a safe URL path (start with '/'",
    ),
    (
        "repository-option",
        "  repository: git@example.com:acme/shop.git\n",
        "  repository: --upload-pack=touch\n",
        "4: app.repository: '--upload-pack=touch' is not a usable repository",
    ),
    (
        "keep-releases-zero",
        "  docroot: public\n",
        "  docroot: public\n  keep_releases: 0\n",
        "6: app.keep_releases: the number 0 is too small (use at least 1)",
    ),
    (
        "secret-name-invalid",
        "  password: {secret: shop_db_password}\n",
        "  password: {secret: Shop-Password}\n",
        "14: database.password.secret: not a valid secret name",
    ),
    (
        "sudo-not-bool",
        "        port: 2222\n",
        "        port: 2222\n        sudo: 'yes'\n",
        "33: environments.production.hosts[0].sudo: expected true or false, got 'yes'",
    ),
    (
        "environments-not-mapping",
        GOOD[GOOD.index("environments:\n") :],
        "environments: [staging, production]\n",
        "18: environments: expected a mapping of 'key: value' lines, got a list",
    ),
]


def write(workspace: Path, text: str, name: str = "shop.yml") -> Path:
    path = workspace / "inventories" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_inventory_passes(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workspace, GOOD)
    assert main(["--root", str(workspace), "inventory", "check"]) == 0
    assert capsys.readouterr().out.strip() == "ok: 1 inventories"


def test_the_demo_inventory_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "inventories").mkdir()
    shutil.copy(REPO / "inventories" / "demo.yml", tmp_path / "inventories" / "demo.yml")
    shutil.copy(REPO / "inventories" / "servers.yml", tmp_path / "inventories" / "servers.yml")
    shutil.copy(REPO / "inventories" / "plans.yml", tmp_path / "inventories" / "plans.yml")
    assert main(["--root", str(tmp_path), "inventory", "check"]) == 0
    assert capsys.readouterr().out.strip() == "ok: 1 inventories"


def assert_reported(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    good: str,
    old: str,
    new: str,
    expected: str,
) -> None:
    """``good`` with ``old`` replaced by ``new`` fails `inventory check` with exit 2 and one
    problem line starting ``inventories/shop.yml:<expected>`` — the line and the key path."""
    assert old in good, "the case must change the good inventory"
    write(workspace, good.replace(old, new, 1))

    code = main(["--root", str(workspace), "inventory", "check"])

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert any(
        line.startswith(f"upkeep: inventories/shop.yml:{expected}") for line in err.splitlines()
    ), err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_broken_inventory_is_reported_with_line_and_key_path(
    workspace: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    assert_reported(workspace, capsys, GOOD, old, new, expected)


def test_every_problem_of_a_file_is_reported_at_once(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = (
        GOOD.replace("  kind: laravel\n", "  kind: drupal\n")
        .replace("  name: shop\n", "  name: 'x y'\n")
        .replace("        port: 2222\n", "        port: 0\n")
        .replace("    domain: staging.shop.example\n", "    domain: -bad-\n")
    )
    write(workspace, broken)
    assert main(["--root", str(workspace), "inventory", "check"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[2:4] for line in lines] == [
        ["3", " app.kind"],
        ["12", " database.name"],
        ["20", " environments.staging.domain"],
        ["32", " environments.production.hosts[0].port"],
    ]


def test_a_secret_written_inline_is_not_echoed(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD.replace("{secret: shop_db_password}", "'s3cr3t-Value'"))
    assert main(["--root", str(workspace), "inventory", "check", "--json"]) == 2
    out = capsys.readouterr().out
    assert "s3cr3t-Value" not in out
    assert "database.password: a secret's value must not be in the inventory" in out


def test_check_json(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workspace, GOOD)
    write(
        workspace,
        GOOD.replace("project: shop", "project: blog").replace("laravel", "cms"),
        "blog.yml",
    )
    assert main(["--root", str(workspace), "inventory", "check", "--json"]) == 2
    result = json.loads(capsys.readouterr().out)["data"]
    assert result["ok"] is False
    assert result["files"] == ["inventories/blog.yml", "inventories/shop.yml"]
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith("inventories/blog.yml:3: app.kind: 'cms' is not one of")


def test_check_given_files_needs_no_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop.yml").write_text(GOOD)
    assert main(["inventory", "check", "shop.yml"]) == 0
    assert main(["inventory", "check", "missing.yml"]) == 2
    assert "upkeep: missing.yml: (file): no such file" in capsys.readouterr().err


def test_check_skips_lock_files_but_validates_them(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD)
    write(
        workspace,
        "project: shop\nenvironments:\n  staging:\n    php_build: 'x y'\n",
        "shop.pins.yml",
    )
    assert main(["--root", str(workspace), "inventory", "check"]) == 2
    err = capsys.readouterr().err
    expected = (
        "upkeep: inventories/shop.pins.yml:4: environments.staging.php_build: 'x y' is not a "
        "package version"
    )
    assert expected in err
    assert main(["inventory", "check", "inventories/shop.pins.yml"]) == 2
    assert expected in capsys.readouterr().err


def test_show_text_merges_pins_and_hides_secrets(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD)
    write(
        workspace,
        "project: shop\nenvironments:\n  production:\n    php_build: 8.2.36-1~deb12u1\n"
        "    ref: v1.2.0@0123abc\n",
        "shop.pins.yml",
    )
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB_PASSWORD", "very-secret-value")
    monkeypatch.setenv("UPKEEP_SECRETS_FILE", str(workspace / "absent.yml"))
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(workspace / "state"))
    monkeypatch.delenv("UPKEEP_SECRET_SHOP_DB_DUMP_PASSWORD", raising=False)

    assert main(["--root", str(workspace), "inventory", "show", "shop"]) == 0

    out = capsys.readouterr().out
    assert "very-secret-value" not in out
    assert "password: <secret shop_db_password: set>" in out
    assert "dump_password: <secret shop_db_dump_password: missing>" in out
    production = out[out.index("  production:") :]
    assert "php_build: 8.2.36-1~deb12u1" in production
    assert "ref: v1.2.0@0123abc" in production
    assert "- name: web-production" in production


def test_show_json(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD)
    monkeypatch.setenv("UPKEEP_SECRETS_FILE", str(workspace / "absent.yml"))
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(workspace / "state"))
    assert main(["--root", str(workspace), "inventory", "show", "shop", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)["data"]
    assert list(view["environments"]) == ["staging", "production"]
    assert view["environments"]["production"]["hosts"][0]["port"] == 2222
    assert view["environments"]["staging"]["ref"] == "main"
    assert view["environments"]["staging"]["pinned"] == {
        "ref": None,
        "php_build": None,
        "updated": None,
    }
    assert view["app"]["docroot"] == "public"


def test_show_unknown_project_names_the_known_ones(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD)
    assert main(["--root", str(workspace), "inventory", "show", "blog"]) == 2
    assert "no project 'blog'" in (err := capsys.readouterr().err) and "known projects: shop" in err


def test_show_a_broken_project_lists_its_problems(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, GOOD.replace("    tls: acme\n    ref", "    tls: nope\n    ref"))
    assert main(["--root", str(workspace), "inventory", "show", "shop"]) == 2
    assert (
        "upkeep: inventories/shop.yml:27: environments.production.tls:" in capsys.readouterr().err
    )
