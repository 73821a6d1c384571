"""Pins are written beside the inventory and committed alone, with git."""

from __future__ import annotations

import functools
from pathlib import Path

import git
import pytest

from tests.unit.inventory.test_cli import GOOD
from tests.unit.run_cli import run_cli
from upkeep.errors import InventoryError, UsageError
from upkeep.inventory.pins import (
    HEADER,
    EnvPin,
    Pins,
    commit_message,
    load_pins,
    pins_path,
    write_pins,
)
from upkeep.state.current import noting
from upkeep.workspace import Workspace


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    repo = git.Repo.init(tmp_path)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test Operator")
        config.set_value("user", "email", "operator@example.invalid")
        config.set_value("commit", "gpgsign", "false")
    (tmp_path / "inventories").mkdir()
    (tmp_path / "inventories" / "shop.yml").write_text(GOOD)
    (tmp_path / "README").write_text("ops\n")
    repo.index.add(["inventories/shop.yml", "README"])
    repo.index.commit("initial")
    return repo


@pytest.fixture
def workspace(repo: git.Repo) -> Workspace:
    return Workspace(Path(str(repo.working_tree_dir)))


def files_of(commit: git.Commit) -> set[str]:
    return {str(path) for path in commit.stats.files}


def test_no_pins_file_means_empty_pins(workspace: Workspace) -> None:
    pins = load_pins(workspace, "shop")
    assert pins == Pins(project="shop")
    assert pins.get("production") == EnvPin()


def test_write_commits_only_the_pins_file(repo: git.Repo, workspace: Workspace) -> None:
    human = (workspace.inventories / "shop.yml").read_bytes()
    pins = load_pins(workspace, "shop").with_env(
        "staging", php_build="8.2.32-1~deb12u1", ref="main@abc1234"
    )

    sha = write_pins(workspace, pins, "first deploy of staging")

    assert sha == repo.head.commit.hexsha
    commit = repo.head.commit
    assert commit.message == (
        "pins(shop): staging php 8.2.32-1~deb12u1, ref main@abc1234\n\nfirst deploy of staging\n"
    )
    assert files_of(commit) == {"inventories/shop.pins.yml"}
    text = pins_path(workspace, "shop").read_text()
    assert text.startswith(HEADER)
    assert load_pins(workspace, "shop") == pins
    assert (workspace.inventories / "shop.yml").read_bytes() == human


def test_a_change_is_described_old_to_new(repo: git.Repo, workspace: Workspace) -> None:
    first = Pins(project="shop").with_env(
        "staging", php_build="8.2.32-1~deb12u1", ref="main@abc1234"
    )
    write_pins(workspace, first, "deploy")
    second = load_pins(workspace, "shop").with_env("staging", php_build="8.2.36-1~deb12u1")

    write_pins(workspace, second, "minor update passed smoke checks")

    subject, _, body = str(repo.head.commit.message).partition("\n\n")
    assert subject == "pins(shop): staging php 8.2.32-1~deb12u1 -> 8.2.36-1~deb12u1"
    assert body.strip() == "minor update passed smoke checks"
    assert load_pins(workspace, "shop").get("staging").ref == "main@abc1234"


def test_nothing_changed_means_no_commit(repo: git.Repo, workspace: Workspace) -> None:
    pins = Pins(project="shop").with_env("production", ref="v1.2.0@0123abc")
    write_pins(workspace, pins, "deploy")
    head = repo.head.commit.hexsha

    assert write_pins(workspace, load_pins(workspace, "shop"), "again") is None
    assert write_pins(workspace, pins, "again") is None
    assert repo.head.commit.hexsha == head


def test_the_run_notes_each_pins_commit_it_made(workspace: Workspace) -> None:
    """The run's record points to them (``upkeep runs``), the way into the pins' history."""
    pins = Pins(project="shop").with_env("production", ref="v1.2.0@0123abc")
    with noting() as notes:
        first = write_pins(workspace, pins, "deploy")
        assert write_pins(workspace, pins, "again") is None  # no commit, nothing noted
        second = write_pins(workspace, pins.with_env("dev", ref="main@abc1234"), "dev")
    assert notes.pins_commits == [first, second]


def test_setting_the_same_values_keeps_the_pins(workspace: Workspace) -> None:
    pins = Pins(project="shop").with_env("production", ref="v1.2.0@0123abc")
    assert pins.with_env("production", ref="v1.2.0@0123abc") is pins
    assert pins.with_env("production", ref=None) == Pins(project="shop")


def test_other_staged_work_is_not_swept_in(repo: git.Repo, workspace: Workspace) -> None:
    readme = workspace.root / "README"
    readme.write_text("ops, work in progress\n")
    repo.index.add(["README"])
    (workspace.inventories / "shop.yml").write_text(GOOD + "# an edit not yet staged\n")

    write_pins(workspace, Pins(project="shop").with_env("dev", ref="main@abc1234"), "deploy")

    assert files_of(repo.head.commit) == {"inventories/shop.pins.yml"}
    staged = {d.a_path for d in repo.index.diff("HEAD")}
    assert staged == {"README"}, "the operator's staged change must stay staged"
    assert (workspace.inventories / "shop.yml").read_text().endswith("# an edit not yet staged\n")
    assert repo.head.commit.tree["README"].data_stream.read() == b"ops\n"


def test_unpinning_is_described(repo: git.Repo, workspace: Workspace) -> None:
    before = Pins(project="shop").with_env("dev", php_build="8.2.32-1~deb12u1")
    after = before.with_env("dev", php_build=None)
    assert commit_message(before, after) == "pins(shop): dev php unpinned (was 8.2.32-1~deb12u1)"


def test_first_commit_of_a_new_repository(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test Operator")
        config.set_value("user", "email", "operator@example.invalid")
    (tmp_path / "inventories").mkdir()
    pins = Pins(project="shop").with_env("dev", ref="main@abc1234")
    sha = write_pins(Workspace(tmp_path), pins, "")
    assert sha == repo.head.commit.hexsha
    assert repo.head.commit.message == "pins(shop): dev ref main@abc1234\n"


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "inventories").mkdir()
    with pytest.raises(UsageError, match="is not a git repository"):
        write_pins(Workspace(tmp_path), Pins(project="shop").with_env("dev", ref="main"), "x")
    assert not (tmp_path / "inventories" / "shop.pins.yml").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("php_build", "8.2; rm -rf /"), ("php_build", ""), ("ref", "--force"), ("ref", "a b")],
)
def test_bad_pin_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(UsageError, match="cannot pin shop dev"):
        Pins(project="shop").with_env("dev", **{field: value})


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(UsageError, match="unknown environment 'qa'"):
        Pins(project="shop").with_env("qa", ref="main")


def test_a_broken_pins_file_is_reported_with_lines(workspace: Workspace) -> None:
    pins_path(workspace, "shop").write_text(
        "project: shop\nenvironments:\n  prod:\n    ref: main\n  dev:\n    colour: red\n"
    )
    with pytest.raises(InventoryError) as caught:
        load_pins(workspace, "shop")
    assert any(
        line.endswith(
            ":3: environments.prod: unknown environment 'prod' (use dev, staging or production)"
        )
        for line in caught.value.problems
    ), caught.value.problems
    assert any(":6: environments.dev.colour: unknown key" in line for line in caught.value.problems)


def test_a_pins_file_of_another_project_is_refused(workspace: Workspace) -> None:
    pins_path(workspace, "shop").write_text("project: blog\nenvironments: {}\n")
    with pytest.raises(InventoryError, match="this pins file belongs to another project"):
        load_pins(workspace, "shop")


def test_a_machine_without_a_git_identity_still_commits_pins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh machine: no ~/.gitconfig, no system config, no identity in the repository.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "ops"
    (root / "inventories").mkdir(parents=True)
    repo = git.Repo.init(root)
    workspace = Workspace(root)
    sha = write_pins(
        workspace, Pins(project="demo").with_env("staging", php_build="8.2.32-1~deb12u1"), "first"
    )
    assert sha is not None
    assert repo.head.commit.author.name == "upkeep"


# The pins file's old name, <project>.lock.yml, is moved to <project>.pins.yml.

OLD_PINS = "project: shop\nenvironments:\n  staging:\n    ref: main@abc1234\n"


@pytest.fixture
def old_pins(repo: git.Repo, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pins file committed under its old name; the operator's shell is in the repository."""
    old = workspace.inventories / "shop.lock.yml"
    old.write_text(HEADER + OLD_PINS)
    repo.index.add(["inventories/shop.lock.yml"])
    repo.index.commit("pins(shop): staging ref main@abc1234")
    monkeypatch.chdir(workspace.root)
    return old


def test_an_old_pins_file_is_moved_with_git_and_committed_once(
    repo: git.Repo, workspace: Workspace, old_pins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = old_pins
    before = repo.head.commit

    code, out, err = run_cli(capsys, "inventory", "show", "shop")

    assert code == 0 and "main@abc1234" in out
    commit = repo.head.commit
    assert commit.parents == (before,)
    assert commit.message.startswith("pins: rename inventories/shop.lock.yml to shop.pins.yml\n")
    assert 'no longer share the word "lock"' in commit.message
    # a rename, content unchanged, and nothing else in the commit
    assert repo.git.show("--name-status", "--format=", "-M", commit.hexsha) == (
        "R100\tinventories/shop.lock.yml\tinventories/shop.pins.yml"
    )
    assert not old.exists()
    assert (workspace.inventories / "shop.pins.yml").read_text() == HEADER + OLD_PINS
    assert err == (
        "upkeep: moved inventories/shop.lock.yml to inventories/shop.pins.yml (the pins' new "
        f"name), committed as {commit.hexsha[:7]}\n"
    )
    assert not repo.is_dirty(untracked_files=True)

    code, _, err = run_cli(capsys, "inventory", "show", "shop")
    assert (code, err) == (0, "")  # said once: the second run finds the new name only
    assert repo.head.commit == commit


def test_both_names_present_is_refused_and_nothing_changes(
    repo: git.Repo, workspace: Workspace, old_pins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = old_pins
    new = workspace.inventories / "shop.pins.yml"
    new.write_text(HEADER + OLD_PINS)
    before = repo.head.commit

    for command in (("inventory", "show", "shop"), ("inventory", "check")):
        code, _, err = run_cli(capsys, *command)
        assert code == 2
        assert err.count("\n") == 1
        assert (
            "inventories/shop.lock.yml and inventories/shop.pins.yml both hold pins; "
            "shop.pins.yml is the current name" in err
        )
    assert old.exists() and new.exists()
    assert repo.head.commit == before


def test_only_the_new_name_is_left_alone(
    repo: git.Repo,
    workspace: Workspace,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_pins(workspace, Pins(project="shop").with_env("dev", ref="main@abc1234"), "")
    before = repo.head.commit
    monkeypatch.chdir(workspace.root)

    code, _, err = run_cli(capsys, "inventory", "show", "shop")

    assert (code, err) == (0, "")
    assert repo.head.commit == before
    assert sorted(p.name for p in workspace.inventories.iterdir()) == ["shop.pins.yml", "shop.yml"]


def test_inventory_check_reads_an_old_pins_file_where_it_is(
    workspace: Workspace, old_pins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A check only reads (CI runs it on a clone): the move waits for a command that acts.
    old = old_pins
    old.write_text("project: blog\nenvironments: {}\n")

    code, _, err = run_cli(capsys, "inventory", "check")

    assert code == 2 and "inventories/shop.lock.yml:1: project: 'blog' is not 'shop'" in err
    assert old.exists() and not (workspace.inventories / "shop.pins.yml").exists()


def test_an_old_pins_file_outside_git_is_renamed_without_a_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inventories").mkdir()
    (tmp_path / "inventories" / "shop.lock.yml").write_text(OLD_PINS)

    pins = load_pins(Workspace(tmp_path), "shop")

    assert pins.get("staging").ref == "main@abc1234"
    assert [p.name for p in (tmp_path / "inventories").iterdir()] == ["shop.pins.yml"]
    assert "(the pins' new name; not in git)" in capsys.readouterr().err


def test_projects_writing_pins_at_once_each_get_their_commit(
    repo: git.Repo, workspace: Workspace
) -> None:
    """Under --parallel each project commits its pins from a process of its own; git's
    index takes one writer, so without upkeep's lock some commits fail (index.lock)."""
    from upkeep.across.child import start

    names = [f"p{number}" for number in range(8)]

    def write(name: str) -> str | None:
        pins = Pins(project=name).with_env("staging", php_build="8.2.32-1~deb12u1", ref="main@1")
        return write_pins(workspace, pins, "at once")

    children = [start(name, functools.partial(write, name)) for name in names]
    for child in children:
        while not child.finished:
            child.read_result()
    ends = [child.reap() for child in children]
    assert [end.crash.strip().splitlines()[-1:] for end in ends] == [[]] * len(names)
    committed = {path for commit in repo.iter_commits() for path in commit.stats.files}
    assert {f"inventories/{name}.pins.yml" for name in names} <= committed
