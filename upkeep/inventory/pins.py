"""Pins: the exact PHP build and git ref each environment runs, written by upkeep.

They live in ``inventories/<project>.pins.yml`` beside the human-written
inventory, which upkeep never rewrites. Every change is its own git commit of
that one file, so ``git log --follow inventories/demo.pins.yml`` is the history
of what ran where, and the operator's other work in progress is never swept in.
The file was once ``<project>.lock.yml``; upkeep moves one found under that
name (a commit of its own), so "lock" means only the run lock.

    >>> pins = Pins(project="demo")
    >>> pins = pins.with_env("staging", php_build="8.2.36-1~deb12u1", ref="main@abc1234")
    >>> pins.environments["staging"].php_build
    '8.2.36-1~deb12u1'
    >>> write_pins(workspace, pins, "minor update passed smoke checks")  # doctest: +SKIP
    '3f1c...'
"""

from __future__ import annotations

import contextlib
import re
import socket
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Literal

import yaml
from pydantic import AfterValidator, ValidationError, field_serializer, field_validator

from upkeep.atomic import write_atomic
from upkeep.errors import InventoryError, UpkeepError, UsageError
from upkeep.inventory import identifiers as ids
from upkeep.inventory import yamldoc
from upkeep.inventory.base import Model
from upkeep.inventory.files import display, present, read_text
from upkeep.inventory.model import EnvName, FrozenMap, ProjectName
from upkeep.inventory.problems import Problem, from_document, from_validation, sort_lines
from upkeep.state.current import note_pins_commit
from upkeep.versions import InvalidBuild, PhpBuild
from upkeep.workspace import Workspace

if TYPE_CHECKING:
    import git

HEADER = "# written by upkeep; change it with upkeep commands, not by hand\n"
PINS_SUFFIXES = (".pins.yml", ".pins.yaml")
OLD_SUFFIXES = (".lock.yml", ".lock.yaml")  # the name before "lock" meant only the run lock
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


# upkeep writes the time it pins; a little later than this machine's clock is
# another machine's skew, a day later was never written by upkeep.
_CLOCK_SKEW = timedelta(days=1)


def _timestamp(value: str) -> str:
    if not _TIMESTAMP.fullmatch(value):
        raise ValueError(f"{value[:40]!r} is not a UTC time like 2024-05-01T12:00:00Z")
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date and time that exists (restore the pins file with git)"
        ) from None
    if moment > datetime.now(UTC) + _CLOCK_SKEW:
        raise ValueError(
            f"{value!r} is in the future (upkeep writes the time it pins; restore the pins file with git)"
        )
    return value


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # "leave this pin as it is" in with_env()


class EnvPin(Model):
    """What one environment runs; None means not pinned yet."""

    php_build: Annotated[str, AfterValidator(ids.php_build)] | None = None
    ref: Annotated[str, AfterValidator(ids.git_ref)] | None = None
    updated: Annotated[str, AfterValidator(_timestamp)] | None = None

    def same_as(self, other: EnvPin) -> bool:
        """Equal apart from when it was written."""
        return (self.php_build, self.ref) == (other.php_build, other.ref)


def _env_name(value: str) -> str:
    if value not in EnvName.__members__:
        raise ValueError(f"unknown environment {value[:40]!r} (use dev, staging or production)")
    return value


EnvKey = Annotated[str, AfterValidator(_env_name)]


class Pins(Model):
    """All pins of one project; environments keyed by name (dev, staging, production)."""

    project: ProjectName
    environments: Mapping[EnvKey, EnvPin] = {}

    @field_validator("environments")
    @classmethod
    def _ordered(cls, value: Mapping[str, EnvPin]) -> Mapping[str, EnvPin]:
        return FrozenMap({str(name): value[name] for name in EnvName if name in value})

    @field_serializer("environments")
    def _as_dict(self, value: Mapping[str, EnvPin]) -> dict[str, object]:
        return {name: pin.model_dump() for name, pin in value.items()}

    def get(self, env: str) -> EnvPin:
        """The pin of ``env``, empty when it has none."""
        return self.environments.get(env) or EnvPin()

    def with_env(
        self,
        env: str,
        *,
        php_build: str | Literal[_Keep.KEEP] | None = KEEP,
        ref: str | Literal[_Keep.KEEP] | None = KEEP,
    ) -> Pins:
        """A copy with ``env``'s pins changed (None unpins); ``self`` if nothing changes."""
        if env not in EnvName.__members__:
            raise UsageError(f"unknown environment {env[:40]!r} (use dev, staging or production)")
        old = self.get(env)
        wanted = {
            "php_build": old.php_build if php_build is KEEP else php_build,
            "ref": old.ref if ref is KEEP else ref,
        }
        try:
            new = EnvPin.model_validate({**wanted, "updated": _now()})
        except ValidationError as error:
            reasons = "; ".join(f"{d['loc'][0]}: {d['msg']}" for d in error.errors())
            raise UsageError(f"cannot pin {self.project} {env}: {reasons}") from None
        if new.same_as(old):
            return self
        environments = dict(self.environments)
        if new.php_build is None and new.ref is None:
            environments.pop(env, None)
        else:
            environments[env] = new
        return Pins.model_validate({"project": self.project, "environments": environments})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_pins_file(path: Path) -> bool:
    """Whether ``path`` is named like a pins file (under its old name too), not an inventory."""
    return path.name.endswith(PINS_SUFFIXES + OLD_SUFFIXES)


def project_of_pins_file(path: Path) -> str:
    """``shop`` for shop.pins.yml (or the old shop.lock.yml)."""
    return path.name.split(".")[0]


def pins_path(workspace: Workspace, project_name: str) -> Path:
    """The project's pins file; one still under its old name is moved there first.

    Both names present is a UsageError naming both, and nothing is changed.
    """
    path = workspace.inventories / f"{project_name}.pins.yml"
    old = workspace.inventories / f"{project_name}.lock.yml"
    if present(old):
        if present(path):
            raise UsageError(_both_names(old, path))
        _move_old_pins(workspace, old, path)
    return path


def pins_beside(inventory: Path) -> Path:
    """The pins file beside an inventory file, as it is named now (read-only: nothing moves)."""
    path = inventory.with_name(f"{inventory.stem}.pins.yml")
    old = inventory.with_name(f"{inventory.stem}.lock.yml")
    return old if present(old) and not present(path) else path


def check_beside(inventory: Path, project_name: str, php_line: str | None) -> list[Problem]:
    """The problems of the pins file beside an inventory file (none when it has none)."""
    path = pins_beside(inventory)
    old = inventory.with_name(f"{inventory.stem}.lock.yml")
    if path != old and present(old):
        return [Problem(display(old), None, (), _both_names(old, path))]
    return check_pins_file(path, project_name, php_line) if present(path) else []


def _both_names(old: Path, path: Path) -> str:
    return (
        f"{display(old)} and {display(path)} both hold pins; {path.name} is the current name "
        "(keep the right one, remove the other with git rm)"
    )


def _move_old_pins(workspace: Workspace, old: Path, path: Path) -> None:
    """``git mv`` the pins file to its new name and commit only that move; say so once."""
    try:
        repo = _repo(workspace)
    except UsageError:
        repo = None  # not a git clone: a plain rename is all there is to do
    before = _tracked(repo, old) if repo is not None else None
    if repo is None or before is None:
        old.rename(path)
        _say(f"moved {display(old)} to {display(path)} (the pins' new name; not in git)")
        return
    after = before.with_name(path.name)
    message = (
        f"pins: rename {before} to {after.name}\n\n"
        'The run lock and the pins file no longer share the word "lock": upkeep reads '
        "and writes <project>.pins.yml from now on (moved by upkeep)."
    )
    failed = f"{display(old)} could not be moved to {path.name}"
    with (
        _git_failure(failed, "fix git, then git mv it and commit by hand"),
        repo.git.custom_environment(**_fallback_identity(repo)),
    ):
        repo.git.mv("--", str(before), str(after))
        repo.git.commit("--only", "-m", message, "--", str(before), str(after))
    sha = repo.head.commit.hexsha[:7]
    _say(f"moved {display(old)} to {display(path)} (the pins' new name), committed as {sha}")


def _tracked(repo: git.Repo, path: Path) -> PurePosixPath | None:
    """``path`` relative to the work tree when git tracks it, else None."""
    top = Path(str(repo.working_tree_dir)).resolve()
    if not path.resolve().is_relative_to(top):
        return None
    relative = PurePosixPath(path.resolve().relative_to(top).as_posix())
    return relative if repo.git.ls_files("--", str(relative)) else None


def _say(line: str) -> None:
    print(f"upkeep: {line}", file=sys.stderr, flush=True)


def load_pins(workspace: Workspace, project_name: str) -> Pins:
    """The project's pins; empty when it has no pins file yet."""
    path = pins_path(workspace, project_name)
    if not present(path):  # a directory or FIFO there is refused by read_text, not ignored
        return Pins(project=project_name)
    text, problems = read_text(path)
    pins = None
    if text is not None:
        pins, problems = parse(text, display(path), project_name)
    if pins is None:
        raise InventoryError(sort_lines(problems))
    return pins


def check_pins_file(path: Path, project_name: str, php_line: str | None = None) -> list[Problem]:
    """The problems of a pins file; with ``php_line``, builds off that line are problems too."""
    text, problems = read_text(path)
    if text is None:
        return problems
    return parse(text, display(path), project_name, php_line)[1]


def parse(
    text: str, shown: str, project_name: str, php_line: str | None = None
) -> tuple[Pins | None, list[Problem]]:
    """Pins from pins-file text, or the problems with it.

    With ``php_line`` (the inventory's), a pinned build of another line is a
    problem: provision would install a build the inventory does not ask for.
    """
    doc = yamldoc.parse(text)
    problems = from_document(shown, doc)
    if problems:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, [Problem(shown, 1, (), "expected 'project:' and 'environments:' lines")]
    try:
        pins = Pins.model_validate(doc.data)
    except ValidationError as error:
        return None, from_validation(shown, doc, error, Pins)
    if pins.project != project_name:
        return None, [
            Problem(
                shown,
                doc.line_of(("project",)),
                ("project",),
                f"{pins.project!r} is not {project_name!r} (this pins file belongs to another "
                "project; restore it with git)",
            )
        ]
    off_line = _off_line(pins, php_line, shown, doc) if php_line is not None else []
    return (None, off_line) if off_line else (pins, [])


def _off_line(pins: Pins, php_line: str, shown: str, doc: yamldoc.Document) -> list[Problem]:
    problems = []
    for env, pin in pins.environments.items():
        if pin.php_build is None or _line_of(pin.php_build) == php_line:
            continue
        key_path = ("environments", env, "php_build")
        problems.append(
            Problem(
                shown,
                doc.line_of(key_path),
                key_path,
                f"{pin.php_build!r} is not a build of PHP {php_line}, the inventory's line "
                f"(put php.line back, or remove this php_build with git so the next "
                f"provision pins a {php_line} build)",
            )
        )
    return problems


def _line_of(build: str) -> str | None:
    try:
        return PhpBuild.parse(build).line
    except InvalidBuild:
        return None


def _fallback_identity(repo: git.Repo) -> dict[str, str]:
    """The operator's git identity when set; else upkeep's own, so a fresh machine can commit."""
    reader = repo.config_reader()
    if reader.has_option("user", "email") and reader.has_option("user", "name"):
        return {}
    email = f"upkeep@{socket.gethostname() or 'localhost'}"
    return {
        "GIT_AUTHOR_NAME": "upkeep",
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": "upkeep",
        "GIT_COMMITTER_EMAIL": email,
    }


def render(pins: Pins) -> str:
    """The pins file's text: the header, then plain YAML."""
    environments = {
        name: {k: v for k, v in pin.model_dump().items() if v is not None}
        for name, pin in pins.environments.items()
    }
    body = {"project": pins.project, "environments": environments}
    return HEADER + yaml.safe_dump(body, sort_keys=False, default_flow_style=False)


def write_pins(workspace: Workspace, pins: Pins, reason: str) -> str | None:
    """Write the pins file and commit only it; the commit's sha, or None if nothing changed."""
    return write_all_pins(workspace, [pins], reason)


def write_all_pins(workspace: Workspace, every: Sequence[Pins], reason: str) -> str | None:
    """Write several projects' pins files and commit only them, in one commit (a server's
    build moves every project on it at once); the sha, or None if nothing changed."""
    repo = _repo(workspace)
    top = Path(str(repo.working_tree_dir)).resolve()
    written = []
    for pins in every:
        path = pins_path(workspace, pins.project).resolve()
        try:
            relative = path.relative_to(top).as_posix()
        except ValueError:
            raise UsageError(f"{path} is outside the git work tree {top}") from None
        before = _committed(repo, relative, pins.project)
        text = render(pins)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text, mode=0o644)
        written.append((relative, before, pins))
    paths = [relative for relative, _, _ in written]
    failed = f"{', '.join(paths)} was written but could not be committed"
    with (
        _one_committer(repo),
        _git_failure(failed, "fix git, then commit it by hand with git commit"),
    ):
        repo.git.add("--", *paths)
        has_head = repo.head.is_valid()
        if has_head and not repo.git.diff("--cached", "--name-only", "HEAD", "--", *paths):
            return None
        message = "; ".join(commit_message(before, pins) for _, before, pins in written)
        if reason.strip():
            message += "\n\n" + reason.strip()
        # --only: commit these paths alone, whatever else the operator has staged.
        with repo.git.custom_environment(**_fallback_identity(repo)):
            repo.git.commit("--only", "-m", message, "--", *paths)
    sha = repo.head.commit.hexsha
    note_pins_commit(sha)  # the run's record points to it (upkeep runs)
    return sha


@contextlib.contextmanager
def _one_committer(repo: git.Repo) -> Iterator[None]:
    """One upkeep at a time between ``git add`` and ``git commit`` (projects run with
    --parallel commit their pins in one repository, and git's index takes one writer)."""
    import fcntl

    with open(Path(repo.git_dir) / "upkeep-pins.flock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        yield


@contextlib.contextmanager
def _git_failure(what: str, fix: str) -> Iterator[None]:
    """A git command that fails becomes one UpkeepError line: what failed, git's word, the fix."""
    import git

    try:
        yield
    except git.GitCommandError as error:
        detail = (error.stderr or "").strip().splitlines()
        raise UpkeepError(f"{what}: {detail[-1] if detail else error} ({fix})") from None


def commit_message(before: Pins, after: Pins) -> str:
    """``pins(demo): staging php 8.2.32-1~deb12u1 -> 8.2.36-1~deb12u1, ref main@abc1234``"""
    changes = []
    for env in EnvName:
        old, new = before.get(env), after.get(env)
        parts = [
            _change(label, getattr(old, field), getattr(new, field))
            for label, field in (("php", "php_build"), ("ref", "ref"))
            if getattr(old, field) != getattr(new, field)
        ]
        if parts:
            changes.append(f"{env} {', '.join(parts)}")
    return f"pins({after.project}): {'; '.join(changes) or 'rewrite the pins file'}"


def _change(label: str, old: str | None, new: str | None) -> str:
    if new is None:
        return f"{label} unpinned (was {old})"
    return f"{label} {old} -> {new}" if old else f"{label} {new}"


def _repo(workspace: Workspace) -> git.Repo:
    # Imported here: GitPython looks for the git binary on import, and reading
    # inventories must work without git.
    try:
        import git
    except ImportError:
        raise UsageError("git is not installed; upkeep commits pins with git") from None
    try:
        repo = git.Repo(workspace.root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(
            f"{workspace.root} is not a git repository; upkeep commits pins with git "
            "(run upkeep from your clone of the operator repository, or git init it)"
        ) from None
    except git.GitCommandNotFound:
        raise UsageError("git is not installed; upkeep commits pins with git") from None
    if repo.bare or repo.working_tree_dir is None:
        raise UsageError(f"{workspace.root} is a bare git repository (use a clone with files)")
    return repo


def _committed(repo: git.Repo, relative: str, project_name: str) -> Pins:
    """The pins as of HEAD, so the commit message describes the commit's own diff."""
    import git

    empty = Pins(project=project_name)
    if not repo.head.is_valid():
        return empty
    try:
        text = repo.git.show(f"HEAD:{relative}")
    except git.GitCommandError:
        return empty
    return parse(text, relative, project_name)[0] or empty


def revert_pins(workspace: Workspace, commit: str) -> str:
    """Undo a pins commit with a revert commit (``git revert``); the new commit's sha."""
    import git

    repo = _repo(workspace)
    try:
        with repo.git.custom_environment(**_fallback_identity(repo)):
            repo.git.revert("--no-edit", commit)
    except git.GitCommandError as error:
        with contextlib.suppress(git.GitCommandError):
            repo.git.revert("--abort")
        detail = (error.stderr or "").strip().splitlines()
        raise UpkeepError(
            f"the pins commit {commit[:10]} could not be reverted: "
            f"{detail[-1] if detail else error} (revert it by hand with git revert)"
        ) from None
    return repo.head.commit.hexsha
