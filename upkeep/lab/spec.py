"""What a lab is made of: its name, network, hosts and where its state lives.

>>> spec = LabSpec(name="upkeep-lab", subnet=ipaddress.IPv4Network("10.89.77.0/24"),
...                state_dir=Path("/tmp/lab"))
>>> spec.address(Member("staging")), spec.container_name(Member("staging"))
('10.89.77.12', 'upkeep-lab-staging')
>>> spec.host_name(spec.second_production), spec.address(spec.second_production)
('lab-production-2', '10.89.77.14')
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from upkeep.errors import UsageError
from upkeep.workspace import state_home

ROLES = ("dev", "staging", "production")
LABEL = "upkeep.lab"
DEFAULT_NAME = "upkeep-lab"
DEFAULT_SUBNET = "10.89.77.0/24"
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


@dataclass(frozen=True)
class Member:
    """One host of the lab: its environment role and its number within it."""

    role: str
    index: int = 0

    @property
    def suffix(self) -> str:
        return f"-{self.index + 1}" if self.index else ""


@dataclass(frozen=True)
class LabSpec:
    name: str
    subnet: ipaddress.IPv4Network
    state_dir: Path
    hosts_per_environment: int = 1

    @classmethod
    def from_env(cls) -> LabSpec:
        """The default lab, or the one UPKEEP_LAB_NAME / UPKEEP_LAB_SUBNET describe."""
        name = os.environ.get("UPKEEP_LAB_NAME", DEFAULT_NAME)
        if not _NAME.match(name):
            raise UsageError(f"UPKEEP_LAB_NAME={name!r}: use lowercase letters, digits and '-'")
        raw_subnet = os.environ.get("UPKEEP_LAB_SUBNET", DEFAULT_SUBNET)
        try:
            subnet = ipaddress.IPv4Network(raw_subnet)
        except ValueError:
            raise UsageError(f"UPKEEP_LAB_SUBNET={raw_subnet!r} is not an IPv4 network") from None
        raw_count = os.environ.get("UPKEEP_LAB_HOSTS_PER_ENV", "1")
        if not raw_count.isdigit() or not 1 <= int(raw_count) <= 20:
            raise UsageError(f"UPKEEP_LAB_HOSTS_PER_ENV={raw_count!r}: use a number from 1 to 20")
        count = int(raw_count)
        if subnet.num_addresses < 16 + len(ROLES) * count + 1:
            raise UsageError(f"UPKEEP_LAB_SUBNET={raw_subnet}: too small for {count} hosts each")
        return cls(name, subnet, state_home() / "lab", hosts_per_environment=count)

    def members(self) -> tuple[Member, ...]:
        """Every host of the lab, dev first: the demo's, then the second production server."""
        return (*self.demo_members(), self.second_production)

    def demo_members(self) -> tuple[Member, ...]:
        """The demo project's hosts: ``hosts_per_environment`` in each environment."""
        return tuple(Member(role, i) for role in ROLES for i in range(self.hosts_per_environment))

    @property
    def second_production(self) -> Member:
        """One more production server than the demo uses, so the lab is a small fleet:
        another project's production lives there, and waves have two servers to go through."""
        return Member("production", self.hosts_per_environment)

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL: self.name}

    @property
    def network_name(self) -> str:
        return self.name

    @property
    def gateway(self) -> str:
        return str(self.subnet.network_address + 1)

    def address(self, member: Member) -> str:
        # Production comes last, so its extra server takes the next address.
        offset = ROLES.index(member.role) * self.hosts_per_environment + member.index
        return str(self.subnet.network_address + 11 + offset)

    def container_name(self, member: Member) -> str:
        return f"{self.name}-{member.role}{member.suffix}"

    def host_name(self, member: Member) -> str:
        return f"lab-{member.role}{member.suffix}"

    # Files of the lab's state, outside any repository.
    @property
    def client_key(self) -> Path:
        return self.state_dir / "id_ed25519"

    def host_key(self, member: Member) -> Path:
        return self.state_dir / "host-keys" / f"{member.role}{member.suffix}_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.state_dir / "known_hosts"

    @property
    def secrets_file(self) -> Path:
        return self.state_dir / "secrets.yml"

    @property
    def demo_repository(self) -> Path:
        return self.state_dir / "demo-site"

    @property
    def wordpress_repository(self) -> Path:
        return self.state_dir / "wordpress-site"

    @property
    def packages_dir(self) -> Path:
        """Debian packages the lab downloaded once (WordPress's code comes from one)."""
        return self.state_dir / "packages"
