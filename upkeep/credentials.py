"""Secrets: named in inventories, kept out of YAML and git, revealed only when used.

An inventory says ``password: {secret: demo_db_password}``. The value comes from,
in order: the environment variable ``UPKEEP_SECRET_DEMO_DB_PASSWORD``, the
operator's secrets file (``$UPKEEP_SECRETS_FILE``, default
``~/.config/upkeep/secrets.yml``), then the lab's own file
(``<state home>/lab/secrets.yml``). A secrets file is ``name: value`` lines,
readable by its owner only and outside any git work tree.

Every value revealed is remembered so ``redact`` can mask it in output:

    >>> import os
    >>> os.environ["UPKEEP_SECRET_DOCTEST_PW"] = "hunter2-xyz"
    >>> ref = SecretRef(secret="doctest_pw")
    >>> ref
    <secret doctest_pw>
    >>> reveal(ref)
    'hunter2-xyz'
    >>> redact("mysql -phunter2-xyz")
    'mysql -p***'
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from upkeep.errors import UsageError
from upkeep.workspace import state_home

_NAME = re.compile(r"[a-z0-9_]{1,64}")
_ENV_PREFIX = "UPKEEP_SECRET_"

# Values revealed in this process, masked by redact(). Module state on purpose:
# output from anywhere (pyinfra, logs, reports) must be maskable without
# threading a registry through every call.
_revealed: set[str] = set()


class SecretRef(BaseModel):
    """A reference to a secret by name; its text never contains the value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    secret: str

    @field_validator("secret")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            # The value is not echoed: a password pasted here by mistake stays out of logs.
            raise ValueError(
                "not a valid secret name (use 1-64 lowercase letters, digits and '_'; "
                "the value itself goes in UPKEEP_SECRET_<NAME> or the secrets file)"
            )
        return value

    @property
    def name(self) -> str:
        return self.secret

    @property
    def env_var(self) -> str:
        return _ENV_PREFIX + self.secret.upper()

    def __str__(self) -> str:
        return f"<secret {self.secret}>"

    def __repr__(self) -> str:
        return str(self)


def secrets_file() -> Path:
    """The operator's secrets file: $UPKEEP_SECRETS_FILE or ~/.config/upkeep/secrets.yml."""
    given = os.environ.get("UPKEEP_SECRETS_FILE")
    if given:
        return Path(given).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "upkeep" / "secrets.yml"


def lab_secrets_file() -> Path:
    """Where `upkeep lab` keeps the secrets of the demo project it builds."""
    return state_home() / "lab" / "secrets.yml"


def reveal(ref: SecretRef) -> str:
    """The secret's value, or a UsageError saying how to set it (or why it is refused)."""
    value = _lookup(ref)
    if value is None:
        raise UsageError(
            f"secret {ref.name} is not set (export {ref.env_var}=..., or add "
            f"'{ref.name}: ...' to {secrets_file()} with mode 600)"
        )
    _refuse_control_characters(ref, value)
    _revealed.add(value)
    return value


def _refuse_control_characters(ref: SecretRef, value: str) -> None:
    """A newline or another control character cannot be written safely into a .env or .cnf
    line (it would end the line, or be read differently by each reader): refused, with
    the secret's name and never its value.

    >>> _refuse_control_characters(SecretRef(secret="x"), "tab\\there")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    upkeep.errors.UsageError: secret x contains a control character (tab, newline ...
    """
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise UsageError(
            f"secret {ref.name} contains a control character (tab, newline or another "
            "below 0x20, or DEL); set it again without one"
        )


def status(ref: SecretRef) -> Literal["set", "missing"]:
    """Whether the secret can be revealed, without revealing it."""
    return "missing" if _lookup(ref) is None else "set"


def redact(text: str) -> str:
    """``text`` with every secret revealed so far replaced by ``***``."""
    # Longest first, so a secret that contains another is masked whole.
    for value in sorted(_revealed, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def _lookup(ref: SecretRef) -> str | None:
    from_env = os.environ.get(ref.env_var)
    if from_env:
        return from_env
    for path in (secrets_file(), lab_secrets_file()):
        value = _read_file(path).get(ref.name)
        if value:
            return value
    return None


def _read_file(path: Path) -> dict[str, str]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise UsageError(f"{path}: cannot read the secrets file ({error.strerror})") from None
    if info.st_mode & 0o077:
        raise UsageError(
            f"{path}: secrets file is readable by others (mode {stat.filemode(info.st_mode)}); "
            f"refusing to use it (run: chmod 600 {path})"
        )
    if _in_git_work_tree(path):
        raise UsageError(
            f"{path}: secrets file is inside a git work tree and could be committed; "
            "refusing to use it (move it out of the repository, or list it in .gitignore)"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as error:
        # Only the position: the YAML library's message quotes the line, which
        # could hold a secret value.
        line = error.problem_mark.line + 1 if error.problem_mark else "?"
        raise UsageError(f"{path}:{line}: not valid YAML (fix the file)") from None
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        raise UsageError(f"{path}: cannot read the secrets file as UTF-8 YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected 'name: value' lines")
    values: dict[str, str] = {}
    for name, value in data.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise UsageError(
                f"{path}: entry {str(name)[:64]!r} is not 'name: \"text\"' "
                "(quote the value so YAML keeps it as text)"
            )
        values[name] = value
    return values


def _in_git_work_tree(path: Path) -> bool:
    """Whether a commit in some repository could pick this file up."""
    directory = path.resolve().parent
    if not any((parent / ".git").exists() for parent in (directory, *directory.parents)):
        return False
    # Ignored files are fine: that is how a dotfiles repository keeps them out.
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), "check-ignore", "-q", str(path.resolve())],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return True
    return result.returncode != 0
