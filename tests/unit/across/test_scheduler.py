"""The scheduler: N at once, never two projects on one server for a command that changes
servers, and a job that waits holds up nobody behind it."""

from __future__ import annotations

from upkeep.across.scheduler import Job, blocker, startable

BLOG = Job("blog", {"web1:22"})
SHOP = Job("shop", {"web1:22", "db1:22"})
WIKI = Job("wiki", {"web2:22"})
MAIL = Job("mail", {"web3:22"})


def names(jobs: list[Job]) -> list[str]:
    return [job.name for job in jobs]


def test_no_two_jobs_on_one_server_at_once_when_the_command_changes_servers() -> None:
    assert names(startable([BLOG, SHOP, WIKI], [], limit=5, exclusive=True)) == ["blog", "wiki"]
    assert names(startable([SHOP], [BLOG], limit=5, exclusive=True)) == []
    assert names(startable([SHOP], [WIKI], limit=5, exclusive=True)) == ["shop"]


def test_a_read_only_command_is_limited_by_n_alone() -> None:
    assert names(startable([BLOG, SHOP, WIKI], [], limit=5, exclusive=False)) == [
        "blog",
        "shop",
        "wiki",
    ]
    assert names(startable([SHOP, WIKI], [BLOG], limit=2, exclusive=False)) == ["shop"]


def test_n_is_respected_counting_what_already_runs() -> None:
    assert names(startable([BLOG, WIKI, MAIL], [], limit=2, exclusive=True)) == ["blog", "wiki"]
    assert names(startable([WIKI, MAIL], [BLOG], limit=2, exclusive=True)) == ["wiki"]
    assert names(startable([MAIL], [BLOG, WIKI], limit=2, exclusive=True)) == []
    assert names(startable([BLOG, WIKI], [], limit=1, exclusive=False)) == ["blog"]


def test_a_waiting_job_does_not_hold_up_the_jobs_behind_it_and_says_what_it_waits_for() -> None:
    assert names(startable([SHOP, WIKI], [BLOG], limit=2, exclusive=True)) == ["wiki"]
    assert blocker(SHOP, [WIKI, BLOG]) == BLOG
    assert blocker(MAIL, [WIKI, BLOG]) is None
