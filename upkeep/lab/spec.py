"""What a lab is made of: its name, network, hosts and where its state lives.

>>> spec = LabSpec(name="upkeep-lab", subnet=ipaddress.IPv4Network("10.89.77.0/24"),
...                state_dir=Path("/tmp/lab"))
>>> spec.address("staging"), spec.container_name("staging")
('10.89.77.12', 'upkeep-lab-staging')
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
class LabSpec:
    name: str
    subnet: ipaddress.IPv4Network
    state_dir: Path

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
        if subnet.num_addresses < 16:
            raise UsageError(f"UPKEEP_LAB_SUBNET={raw_subnet}: too small, use a /28 or larger")
        return cls(name=name, subnet=subnet, state_dir=state_home() / "lab")

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL: self.name}

    @property
    def network_name(self) -> str:
        return self.name

    @property
    def gateway(self) -> str:
        return str(self.subnet.network_address + 1)

    def address(self, role: str) -> str:
        return str(self.subnet.network_address + 11 + ROLES.index(role))

    def container_name(self, role: str) -> str:
        return f"{self.name}-{role}"

    def host_name(self, role: str) -> str:
        return f"lab-{role}"

    # Files of the lab's state, outside any repository.
    @property
    def client_key(self) -> Path:
        return self.state_dir / "id_ed25519"

    def host_key(self, role: str) -> Path:
        return self.state_dir / "host-keys" / f"{role}_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.state_dir / "known_hosts"

    @property
    def secrets_file(self) -> Path:
        return self.state_dir / "secrets.yml"

    @property
    def demo_repository(self) -> Path:
        return self.state_dir / "demo-site"
