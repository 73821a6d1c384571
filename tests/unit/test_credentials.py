"""Secrets come from the environment or a private file, and never show up in output."""

from __future__ import annotations

import os
from pathlib import Path

import git
import pytest

from upkeep import credentials
from upkeep.credentials import SecretRef, redact, reveal, status
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real secrets: files under tmp_path, no UPKEEP_SECRET_* from the caller."""
    for name in list(os.environ):
        if name.startswith("UPKEEP_SECRET"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("UPKEEP_SECRETS_FILE", str(tmp_path / "config" / "secrets.yml"))
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_environment_variable_first(monkeypatch: pytest.MonkeyPatch) -> None:
    private_file(credentials.secrets_file(), "shop_db: from-the-file\n")
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB", "from-the-env")
    assert reveal(SecretRef(secret="shop_db")) == "from-the-env"


def test_operator_file_then_lab_file() -> None:
    ref = SecretRef(secret="shop_db")
    private_file(credentials.lab_secrets_file(), "shop_db: from-the-lab\nlab_only: lab-value\n")
    assert reveal(ref) == "from-the-lab"
    private_file(credentials.secrets_file(), "shop_db: from-the-operator\n")
    assert reveal(ref) == "from-the-operator"
    assert reveal(SecretRef(secret="lab_only")) == "lab-value"


def test_missing_secret_says_how_to_set_it() -> None:
    ref = SecretRef(secret="nowhere_pw")
    with pytest.raises(UsageError) as caught:
        reveal(ref)
    message = str(caught.value)
    assert "secret nowhere_pw is not set" in message
    assert "UPKEEP_SECRET_NOWHERE_PW" in message
    assert str(credentials.secrets_file()) in message
    assert status(ref) == "missing"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused(mode: int) -> None:
    path = private_file(credentials.secrets_file(), "shop_db: leaked-value\n", mode)
    with pytest.raises(UsageError, match=f"readable by others.*chmod 600 {path}") as caught:
        reveal(SecretRef(secret="shop_db"))
    assert "leaked-value" not in str(caught.value)


def test_a_file_inside_a_git_work_tree_is_refused(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = isolated / "ops"
    git.Repo.init(repo)
    path = private_file(repo / "secrets.yml", "shop_db: committed-by-mistake\n")
    monkeypatch.setenv("UPKEEP_SECRETS_FILE", str(path))
    with pytest.raises(UsageError, match="inside a git work tree"):
        reveal(SecretRef(secret="shop_db"))
    (repo / ".gitignore").write_text("secrets.yml\n")
    assert reveal(SecretRef(secret="shop_db")) == "committed-by-mistake"


def test_a_broken_file_does_not_echo_its_content() -> None:
    private_file(credentials.secrets_file(), "shop_db: 'unterminated-secret\n")
    with pytest.raises(UsageError) as caught:
        reveal(SecretRef(secret="shop_db"))
    assert "unterminated-secret" not in str(caught.value)
    assert "not valid YAML" in str(caught.value)


def test_values_must_be_text() -> None:
    private_file(credentials.secrets_file(), "shop_db: 0123\n")  # YAML reads an octal number
    with pytest.raises(UsageError, match="quote the value"):
        reveal(SecretRef(secret="shop_db"))


def test_redact_masks_every_revealed_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB", "pw-Alpha-77")
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DUMP", "pw-Alpha-77-long")
    assert redact("pw-Alpha-77") == "pw-Alpha-77", "not revealed yet, nothing to mask"
    reveal(SecretRef(secret="shop_db"))
    reveal(SecretRef(secret="shop_dump"))
    output = "mysql -u shop -ppw-Alpha-77 && mysqldump -ppw-Alpha-77-long shop"
    assert redact(output) == "mysql -u shop -p*** && mysqldump -p*** shop"


def test_the_reference_never_shows_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB", "pw-Bravo-12")
    ref = SecretRef(secret="shop_db")
    reveal(ref)
    shown = [str(ref), repr(ref), f"{ref}", f"{ref!r}", str([ref]), str({"p": ref})]
    assert all("pw-Bravo-12" not in text for text in shown)
    assert repr(ref) == "<secret shop_db>"
    assert status(ref) == "set"


@pytest.mark.parametrize("name", ["Shop", "shop-db", "", "a b", "x" * 65])
def test_secret_names_are_checked(name: str) -> None:
    with pytest.raises(ValueError, match="not a valid secret name"):
        SecretRef(secret=name)


# A newline would end the .env or .cnf line and start another setting; tabs, escapes and
# DEL are read differently by each reader. None of them is a password character.
@pytest.mark.parametrize("bad", ["line\nbreak", "tab\there", "cr\rhere", "esc\x1b[0m", "del\x7f"])
@pytest.mark.parametrize("where", ["environment", "file"])
def test_a_control_character_in_a_secret_is_refused_naming_it_not_its_value(
    bad: str, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = f"start-{bad}-end"
    if where == "environment":
        monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB", value)
    else:
        escaped = value.encode("unicode_escape").decode("ascii")
        private_file(credentials.secrets_file(), f'shop_db: "{escaped}"\n')
    with pytest.raises(UsageError) as caught:
        reveal(SecretRef(secret="shop_db"))
    message = str(caught.value)
    assert "secret shop_db contains a control character" in message
    assert "start-" not in message and "-end" not in message
    assert caught.value.exit_code == ExitCode.USAGE
    assert redact(value) == value  # refused values are never taken in
    # Quotes, '#', backslashes, shell and non-ASCII are ordinary password characters.
    ordinary = "a\"b'c #d $(id) `id` \\e ${HOME} é ü"
    monkeypatch.setenv("UPKEEP_SECRET_SHOP_DB", ordinary)
    assert reveal(SecretRef(secret="shop_db")) == ordinary
