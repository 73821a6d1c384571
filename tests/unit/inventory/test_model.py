"""The loaded model: what other parts of upkeep read from a project."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from tests.unit.inventory.test_cli import GOOD
from upkeep.errors import InventoryError, UsageError
from upkeep.inventory import EnvName, check_files, discover, load_file, load_project
from upkeep.inventory.model import is_git_url
from upkeep.inventory.yamldoc import parse
from upkeep.workspace import Workspace

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    (tmp_path / "inventories").mkdir()
    path = tmp_path / "inventories" / "shop.yml"
    path.write_text(GOOD)
    return path


def test_the_demo_inventory_loads() -> None:
    project = load_file(REPO / "inventories" / "demo.yml")
    assert project.name == "demo"
    assert project.source == REPO / "inventories" / "demo.yml"
    assert project.php.line == "8.2"
    assert project.php.ini["expose_php"] == "Off"
    assert project.database.password.name == "demo_db_password"
    assert [str(env) for env, _ in project.hosts()] == ["dev", "staging", "production"]
    staging = project.environment("staging")
    assert staging.name is EnvName.staging
    assert staging.hosts[0].address == "10.89.77.12"
    assert staging.hosts[0].key == Path("~/.local/state/upkeep/lab/id_ed25519").expanduser()
    assert project.app.repository == str(Path("~/.local/state/upkeep/lab/demo-site").expanduser())
    assert project.app.repository_is_local


def test_defaults_and_order(shop: Path) -> None:
    # production is written first here, yet environments come in promotion order.
    text = GOOD.replace("  staging:\n", "  zz:\n").replace("  production:\n", "  staging:\n")
    text = text.replace("  zz:\n", "  production:\n").replace("web-staging", "web-a")
    shop.write_text(text)
    project = load_file(shop)
    assert list(project.environments) == [EnvName.staging, EnvName.production]
    host = project.environment("production").hosts[0]
    assert (host.port, host.user, host.sudo, host.key, host.known_hosts) == (
        22,
        "upkeep",
        True,
        None,
        None,
    )
    assert project.environment("production").ref == "main"
    assert project.app.health_path == "/health.php"
    assert project.app.keep_releases == 5
    assert project.database.engine == "mariadb"
    assert project.shared_paths == ("storage",)


def test_unknown_or_absent_environment_is_a_usage_error(shop: Path) -> None:
    project = load_file(shop)
    with pytest.raises(
        UsageError, match=r"project shop has no environment 'dev' \(it has: staging, production\)"
    ):
        project.environment("dev")
    with pytest.raises(UsageError, match="no environment 'qa'"):
        project.environment("qa")


def test_the_model_is_frozen(shop: Path) -> None:
    project = load_file(shop)
    with pytest.raises(pydantic.ValidationError):
        project.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        project.environments["dev"] = project.environment("staging")  # type: ignore[index]
    with pytest.raises(TypeError):
        project.php.ini["memory_limit"] = "1G"  # type: ignore[index]


def test_relative_paths_resolve_against_the_inventory(shop: Path) -> None:
    shop.write_text(
        GOOD.replace("git@example.com:acme/shop.git", "../site").replace(
            "        port: 2222\n", "        port: 2222\n        key: keys/id\n"
        )
    )
    project = load_file(shop)
    assert project.app.repository == str(shop.parent.parent / "site")
    assert project.environment("production").hosts[0].key == shop.parent / "keys/id"


def test_ini_values_become_php_ini_text(shop: Path) -> None:
    shop.write_text(
        GOOD.replace(
            "    memory_limit: 256M\n",
            "    display_errors: off\n    opcache.enable: 1\n    precision: 14.5\n",
        )
    )
    ini = load_file(shop).php.ini
    assert dict(ini) == {"display_errors": "Off", "opcache.enable": "1", "precision": "14.5"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("git@github.com:acme/site.git", True),
        ("https://github.com/acme/site.git", True),
        ("file:///srv/git/site", True),
        ("~/src/site", False),
        ("../site", False),
        ("/srv/a:b", False),
    ],
)
def test_git_url_or_local_path(value: str, expected: bool) -> None:
    assert is_git_url(value) is expected


def test_load_file_raises_with_all_problems(shop: Path) -> None:
    shop.write_text(GOOD.replace("laravel", "cake").replace("  name: shop\n", "  name: 9\n"))
    with pytest.raises(InventoryError) as caught:
        load_file(shop)
    assert len(caught.value.problems) == 2
    assert caught.value.exit_code == 2


def test_discover_and_load_project(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    folder = workspace.inventories
    folder.mkdir()
    for name in ("b.yml", "a.yaml", "b.lock.yml", "b.pins.yml", "notes.txt"):
        (folder / name).write_text("x: 1\n")
    (folder / "dir.yml").mkdir()
    assert [p.name for p in discover(workspace)] == ["a.yaml", "b.yml"]
    with pytest.raises(UsageError, match=r"no project 'c'.*known projects: a, b"):
        load_project(workspace, "c")
    (folder / "shop.yml").write_text(GOOD)
    assert load_project(workspace, "shop").name == "shop"
    with pytest.raises(UsageError, match="not a valid project name"):
        load_project(workspace, "../inventories/shop")


def test_two_files_for_one_project(tmp_path: Path) -> None:
    (tmp_path / "inventories").mkdir()
    for suffix in (".yml", ".yaml"):
        (tmp_path / "inventories" / f"shop{suffix}").write_text(GOOD)
    workspace = Workspace(tmp_path)
    with pytest.raises(UsageError, match="two inventories"):
        load_project(workspace, "shop")
    assert any("also has" in line for line in check_files(discover(workspace)))


def test_yaml_lines_and_duplicates() -> None:
    doc = parse("a:\n  b:\n    - x\n    - y: 1\n  b: 2\n")
    assert doc.lines[("a", "b")] == 5  # the value that is used is the last one
    assert doc.line_of(("a", "b", "missing")) == 5
    assert doc.problems == [(5, ("a", "b"), "duplicate key (already on line 2; keep only one)")]


def test_yaml_merge_keys_and_anchors() -> None:
    doc = parse("base: &b {user: deploy, port: 22}\nhost:\n  <<: *b\n  port: 2222\n")
    assert doc.data["host"] == {"user": "deploy", "port": 2222}
    assert doc.problems == []
    assert doc.lines[("host", "port")] == 4


def test_yaml_keys_keep_their_text() -> None:
    # YAML 1.1 reads `on` and `no` as booleans; as keys they must stay names.
    assert parse("on: 1\nno: 2\n").data == {"on": 1, "no": 2}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: &a [*a]\n", "alias refers to the value that contains it"),
        ("a: !!python/object:os.system {}\n", "not supported"),
        ("a: !!int nope\n", "cannot read 'nope'"),
        ("a: 1\n---\nb: 2\n", "invalid YAML"),
        ("[" * 3000 + "]" * 3000, "nested"),
    ],
)
def test_hostile_yaml_becomes_problems(text: str, fragment: str) -> None:
    assert any(fragment in message for _, _, message in parse(text).problems)


def test_alias_bomb_is_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    assert any("aliases" in m for _, _, m in parse("\n".join(lines)).problems)


def test_a_project_copies_pickles_and_dumps(shop: Path) -> None:
    import copy
    import pickle
    import warnings

    project = load_file(shop)
    for clone in (copy.deepcopy(project), pickle.loads(pickle.dumps(project))):
        assert clone == project
        assert clone.environment("production").name is EnvName.production
        assert clone.source == shop.absolute()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pydantic warns when a serialiser does not fit
        dumped = project.model_dump()
    assert list(dumped["environments"]) == ["staging", "production"]
    assert dumped["php"]["ini"] == {"memory_limit": "256M"}
