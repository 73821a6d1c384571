"""The in-sync check: facts read many at a time, answered as pyinfra answers them; the deploy
itself is what is checked, so every file provision manages is."""

from __future__ import annotations

import subprocess

from pyinfra.api import Config, Inventory, State, deploy
from pyinfra.api.arguments import pop_global_arguments
from pyinfra.api.facts import _handle_fact_kwargs
from pyinfra.facts.files import File
from pyinfra.operations import apt, files

from deploys.site import site
from tasks.base import REFRESH_PACKAGE_LISTS, SERVES_OTHERS_ONLY
from tasks.managed import managed_files
from upkeep.desired import SiteState
from upkeep.provision.batched_facts import FactArguments, FactRequest, batch_script
from upkeep.provision.insync import HostCheck, check_state

# Outputs that trip a naive split: no final newline, none at all, blank lines, an exit
# inside the command (a fact's own `|| exit 0`), a failing status, a trailing comment.
COMMANDS = [
    "printf 'a\\nb\\n'",
    "printf 'no newline'",
    "true",
    "printf '\\n\\n'",
    "echo x; exit 3",
    "cd /nonexistent 2>/dev/null || exit 0; echo never",
    "echo '# kept' # a comment to the end of the line",
    "echo to-stderr >&2; echo out",
]


def test_a_batch_gives_each_command_the_lines_and_status_it_gives_alone() -> None:
    alone = [
        subprocess.run(["sh", "-c", command], capture_output=True, text=True)
        for command in COMMANDS
    ]
    script, read = batch_script(COMMANDS)
    batch = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    assert read(batch.stdout.split("\n")) == [(p.returncode, p.stdout.splitlines()) for p in alone]


def bare_host_defaults(requests: list[FactRequest]) -> list[object]:
    """A host with nothing on it: every fact its default, as when its command prints nothing."""
    return [request.fact.default() for request in requests]


def test_the_check_reads_every_file_provision_manages() -> None:
    """A managed file no operation of the deploy looks at would be one the check misses."""
    state = State(Inventory((["web1"], {})), Config())
    state.activate_host(state.inventory.get_host("web1"))
    wanted = SiteState.example()
    checks = check_state(
        state,
        {"web1": "staging"},
        site,
        wanted,
        "https://staging.demo.lab",
        answer=bare_host_defaults,
    )
    check = checks["web1"]
    read = "\n".join(check.facts)
    assert [path for path in managed_files(wanted) if repr(path) not in read] == []
    assert not check.in_sync
    assert any("Site vhost would change" in change for change in check.changes)


@deploy("Lists, then a directory")
def lists_then_directory(with_directory: bool) -> None:
    apt.update(name=REFRESH_PACKAGE_LISTS, cache_time=3600)
    if with_directory:
        files.directory(name="A directory", path="/srv/example")


def bare_check(with_directory: bool, serving_others: frozenset[str]) -> HostCheck:
    state = State(Inventory((["web1"], {})), Config())
    state.activate_host(state.inventory.get_host("web1"))
    return check_state(
        state,
        {"web1": "staging"},
        lists_then_directory,
        with_directory,
        answer=bare_host_defaults,
        serving_others=serving_others,
    )["web1"]


def test_stale_package_lists_alone_leave_a_host_in_sync_but_never_hide_a_change() -> None:
    assert not bare_check(False, frozenset()).in_sync  # the lists' refresh would run
    assert bare_check(False, SERVES_OTHERS_ONLY).in_sync  # ... and serves nothing here
    with_directory = bare_check(True, SERVES_OTHERS_ONLY)
    assert not with_directory.in_sync
    assert any("A directory would change" in change for change in with_directory.changes)


@deploy("A directory")
def a_directory() -> None:
    files.directory(name="A directory", path="/srv/example")


def test_hosts_share_a_facts_arguments_only_where_pyinfra_gives_them_the_same() -> None:
    """web2 reads as root and web1 does not: sharing must not hand one's sudo to the other."""
    state = State(Inventory((["web1", ("web2", {"_sudo": True})], {})), Config())
    for host in state.inventory:
        state.activate_host(host)
    asked: set[tuple[str, object]] = set()

    def answer(requests: list[FactRequest]) -> list[object]:
        asked.update((request.key, request.executor.get("_sudo")) for request in requests)
        return bare_host_defaults(requests)

    check_state(state, {"web1": "staging", "web2": "staging"}, a_directory, answer=answer)
    assert {sudo for _, sudo in asked} == {False, True}
    assert len({key for key, _ in asked}) == 1


def test_a_facts_arguments_are_worked_out_once_for_hosts_asking_alike() -> None:
    state = State(Inventory((["web1", "web2", ("web3", {"_sudo": True})], {})), Config())
    hosts = list(state.inventory)
    arguments = FactArguments()
    answers = []
    for host in hosts:
        host.current_op_global_arguments, _ = pop_global_arguments(state, host, {"name": "op"})
        answers.append(arguments.of(host, File, ("/srv/x",), {}))
    assert len(arguments.known) == 2  # web1 and web2 alike, web3 with sudo
    assert answers[0] == answers[1] != answers[2]
    for host, answer in zip(hosts, answers, strict=True):
        own, global_arguments = _handle_fact_kwargs(state, host, File, ("/srv/x",), {})
        own.pop("self", None)
        assert answer == (own, global_arguments)
