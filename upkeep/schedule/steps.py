"""The next steps after ``upkeep schedule``: how to install each kind of file.

>>> from pathlib import PurePosixPath
>>> from upkeep.schedule.model import Every, Schedule
>>> from upkeep.schedule.needs import Needs
>>> from upkeep.schedule.render import render
>>> s = Schedule("shop", "UTC", "upkeep", PurePosixPath("/srv/ops"), None, None, Every(5))
>>> steps = install_steps(render(s, Needs((), (), ()), 2025), "schedules/shop")
>>> steps[0].title, steps[0].commands[-2]
('systemd timers (as root on the machine that runs them)', 'systemctl daemon-reload && systemctl enable --now upkeep-shop-check.timer')
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from upkeep.schedule.render import ENV_DIR, LOG_DIR, Plan, unit_name


@dataclass(frozen=True)
class Step:
    title: str
    commands: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"title": self.title, "commands": list(self.commands)}


def install_steps(plan: Plan, directory: str) -> list[Step]:
    """Commands to install each kind, with ``directory`` as the user should type it."""
    s = plan.schedule
    here = shlex.quote(directory.rstrip("/"))
    units = [unit_name(s.project, entry.job) for entry in plan.entries]
    unit_files = " ".join(f"{here}/{unit}.service {here}/{unit}.timer" for unit in units)
    timers = " ".join(f"{unit}.timer" for unit in units)
    user = f"id {s.user} >/dev/null 2>&1 || useradd --system --create-home {s.user}"
    secrets = [
        f"install -d -m 700 {ENV_DIR} && install -m 600 {here}/upkeep-{s.project}.env.example "
        f"{ENV_DIR}/{s.project}.env  # then fill in the values"
    ]
    ssh = [
        f"# the SSH {'key' if f.kind == 'key' else 'known_hosts file'} for "
        f"{', '.join(f.hosts)}: {f.user_path}, owned by {s.user}"
        for f in plan.needs.ssh_files
    ]
    # upkeep commits pins in the repository it runs from, so the user must own it.
    repository = (
        f"# {s.repo_dir}: a clone of this repository owned by {s.user}, set up with "
        f"scripts/bootstrap, with a git user.name and user.email for {s.user}"
    )
    return [
        Step(
            "systemd timers (as root on the machine that runs them)",
            (
                user,
                repository,
                *secrets,
                *ssh,
                f"cp {unit_files} /etc/systemd/system/",
                f"systemctl daemon-reload && systemctl enable --now {timers}",
                f"systemctl list-timers 'upkeep-{s.project}-*'",
            ),
        ),
        Step(
            "or cron (as root)",
            (
                user,
                repository,
                f"# secrets: name: value lines in ~{s.user}/.config/upkeep/secrets.yml (mode 600)",
                *ssh,
                f"install -d -o {s.user} -m 750 {LOG_DIR}",
                f"install -m 644 {here}/upkeep-{s.project}.cron /etc/cron.d/upkeep-{s.project}",
            ),
        ),
        Step(
            "GitLab CI",
            (
                f"# include {here}/gitlab-ci.yml from .gitlab-ci.yml (include: - local: ...)",
                "# add the CI/CD variables and one pipeline schedule per job listed in its header",
            ),
        ),
        Step(
            "GitHub Actions",
            (
                f"mkdir -p .github/workflows && cp {here}/github-workflow.yml "
                f".github/workflows/upkeep-{s.project}.yml",
                "# add the repository secrets and variables listed in its header",
            ),
        ),
    ]
