"""SSH keys of a lab: one client key, and host keys we make ourselves.

Because upkeep generates each host's key before the host first boots, the
known_hosts file is written from what we made, not learned on first contact:
strict host key checking from the very first connection.

    >>> pair = KeyPair.generate()
    >>> pair.public_line().startswith("ssh-ed25519 ")
    True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@dataclass(frozen=True)
class KeyPair:
    private_openssh: bytes

    @classmethod
    def generate(cls) -> KeyPair:
        key = Ed25519PrivateKey.generate()
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        return cls(private)

    @classmethod
    def load(cls, path: Path) -> KeyPair:
        return cls(path.read_bytes())

    def public_line(self, comment: str = "") -> str:
        key = serialization.load_ssh_private_key(self.private_openssh, password=None)
        public = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        return public.decode() + (f" {comment}" if comment else "")

    def save(self, path: Path) -> None:
        """Write the private key (0600) and its .pub beside it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.private_openssh)
        path.with_suffix(".pub").write_text(self.public_line("upkeep-lab") + "\n")


def load_or_create(path: Path) -> tuple[KeyPair, bool]:
    """The key stored at ``path``, making it first if absent; and whether it was made."""
    if path.exists():
        return KeyPair.load(path), False
    pair = KeyPair.generate()
    pair.save(path)
    return pair, True


def known_hosts_text(entries: dict[str, str]) -> str:
    """known_hosts lines for ``{address: public key line}``, in a stable order."""
    return "".join(f"{address} {key}\n" for address, key in sorted(entries.items()))
