"""The lab's pure pieces: its addresses, keys, demo repository and inventory."""

from __future__ import annotations

import ipaddress
import stat
from collections.abc import Callable
from pathlib import Path

import git
import pytest

from upkeep.errors import UsageError
from upkeep.inventory import load_project
from upkeep.lab import demo, generated, wordpress
from upkeep.lab.keys import KeyPair, known_hosts_text, load_or_create
from upkeep.lab.spec import LabSpec, Member
from upkeep.runner import Target, pyinfra_host_data
from upkeep.workspace import Workspace

REPO = Path(__file__).resolve().parents[3]


def _demo_repository(target: Path) -> str | None:
    return generated.ensure_repository(
        demo.DEMO_SOURCE, target, "Demo site", origin="examples/demo-site"
    )


def _spec(tmp_path: Path, subnet: str = "10.89.77.0/24") -> LabSpec:
    return LabSpec("upkeep-lab", ipaddress.IPv4Network(subnet), tmp_path / "lab")


def test_hosts_get_fixed_addresses_in_the_subnet(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "10.1.2.0/24")
    assert [spec.address(Member(r)) for r in ("dev", "staging", "production")] == [
        "10.1.2.11",
        "10.1.2.12",
        "10.1.2.13",
    ]
    assert spec.gateway == "10.1.2.1"


def test_the_lab_has_a_second_production_server_at_the_next_address(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "10.1.2.0/24")
    assert [(spec.host_name(m), spec.address(m)) for m in spec.members()] == [
        ("lab-dev", "10.1.2.11"),
        ("lab-staging", "10.1.2.12"),
        ("lab-production", "10.1.2.13"),
        ("lab-production-2", "10.1.2.14"),
    ]
    assert spec.container_name(spec.second_production) == "upkeep-lab-production-2"
    assert spec.second_production not in spec.demo_members()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("UPKEEP_LAB_NAME", "Bad Name", "UPKEEP_LAB_NAME"),
        ("UPKEEP_LAB_SUBNET", "10.89.77.0/30", "too small"),
        ("UPKEEP_LAB_SUBNET", "not-a-net", "not an IPv4 network"),
    ],
)
def test_bad_lab_settings_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(UsageError, match=message):
        LabSpec.from_env()


def test_keys_are_made_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "id_ed25519"
    first, made = load_or_create(path)
    again, made_again = load_or_create(path)
    assert made and not made_again
    assert first.public_line() == again.public_line()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.with_suffix(".pub").read_text().startswith("ssh-ed25519 ")


def test_known_hosts_lists_each_address_with_its_key() -> None:
    a, b = KeyPair.generate(), KeyPair.generate()
    text = known_hosts_text({"10.0.0.12": b.public_line(), "10.0.0.11": a.public_line()})
    assert text.splitlines() == [f"10.0.0.11 {a.public_line()}", f"10.0.0.12 {b.public_line()}"]


@pytest.mark.parametrize(
    ("render", "committed"),
    [
        (demo.inventory_text, "demo.yml"),
        (demo.servers_text, "servers.yml"),
        (wordpress.inventory_text, "wordpress.yml"),
        (lambda _: demo.plans_text(), "plans.yml"),
    ],
    ids=["demo-inventory", "servers", "wordpress-inventory", "plans"],
)
def test_default_lab_writes_the_committed_demo_inventory(
    monkeypatch: pytest.MonkeyPatch, render: Callable[[LabSpec], str], committed: str
) -> None:
    for variable in ("UPKEEP_LAB_NAME", "UPKEEP_LAB_SUBNET", "UPKEEP_STATE_DIR", "XDG_STATE_HOME"):
        monkeypatch.delenv(variable, raising=False)
    rendered = render(LabSpec.from_env())
    assert rendered == (REPO / "inventories" / committed).read_text()


def test_the_lab_declares_its_hosts_once_and_the_demo_names_them(tmp_path: Path) -> None:
    spec = LabSpec("upkeep-lab", ipaddress.IPv4Network("10.1.2.0/24"), tmp_path / "lab", 2)
    workspace = Workspace(tmp_path / "ops")
    demo.ensure(spec, workspace)
    servers = (workspace.inventories / "servers.yml").read_text()
    inventory = (workspace.inventories / "demo.yml").read_text()
    assert "hosts: [lab-production, lab-production-2]" in inventory
    assert "address:" not in inventory and servers.count("address:") == 7
    assert "lab-production-3:\n    address: 10.1.2.17\n" in servers
    assert generated.GENERATED_MARKER in servers.splitlines()
    project = load_project(workspace, "demo")
    assert [(host.name, host.address, host.key) for _, host in project.hosts()] == [
        (spec.host_name(m), spec.address(m), spec.client_key) for m in spec.demo_members()
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("demo.yml", "project: demo\n# edited by a person\n"),
        ("servers.yml", "servers: {}\n# edited\n"),
    ],
)
def test_demo_inventory_is_not_rewritten_once_a_person_owns_it(
    tmp_path: Path, name: str, text: str
) -> None:
    spec = _spec(tmp_path)
    workspace = Workspace(tmp_path / "ops")
    target = workspace.inventories / name
    target.parent.mkdir(parents=True)
    target.write_text(text)
    demo.ensure(spec, workspace)
    assert target.read_text() == text


def test_demo_repository_is_made_once_then_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "demo-site"
    made = _demo_repository(target)
    again = _demo_repository(target)
    repo = git.Repo(target)
    assert made is not None and "created" in made
    assert again is None
    assert len(list(repo.iter_commits())) == 1
    assert (target / "public" / "health.php").is_file()
    assert not repo.is_dirty(untracked_files=True)


def test_lab_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yml"
    assert generated.ensure_secrets(path, demo.SECRET_NAMES) is not None
    first = path.read_text()
    assert generated.ensure_secrets(path, demo.SECRET_NAMES) is None
    assert path.read_text() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_pyinfra_host_data_checks_host_keys_strictly(tmp_path: Path) -> None:
    class Host:
        name, address, port, user = "web1", "192.0.2.10", 2222, "deploy"
        key, known_hosts, sudo = tmp_path / "key", tmp_path / "known_hosts", True

    data = pyinfra_host_data(Target("staging", Host()))
    assert data["ssh_strict_host_key_checking"] == "yes"
    assert data["ssh_known_hosts_file"] == str(tmp_path / "known_hosts")
    assert (data["ssh_hostname"], data["ssh_port"], data["ssh_user"]) == (
        "192.0.2.10",
        2222,
        "deploy",
    )
    assert data["_sudo"] is True


def test_the_demo_repository_is_the_same_commit_on_every_machine(tmp_path: Path) -> None:
    _demo_repository(tmp_path / "one")
    _demo_repository(tmp_path / "two")
    assert (
        git.Repo(tmp_path / "one").head.commit.hexsha
        == git.Repo(tmp_path / "two").head.commit.hexsha
    )
