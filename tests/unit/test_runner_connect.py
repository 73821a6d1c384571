"""The runner opens its hosts' SSH connections at once, not one after another, and a
Ctrl-C while they open stops it at once.

A real listening socket stands in for the hosts: it answers no one until every
host has connected, then sends each an SSH banner paramiko refuses. Connected
one after another, the first host would wait for a banner that never comes.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.unit.test_runner_facts import LocalHost
from upkeep.runner import Runner, Target

HOSTS = 4
GATHER_SECONDS = 5


@dataclass
class GatheringServer:
    port: int
    gathered: int = 0  # connections open at once before the first was answered


@pytest.fixture
def server() -> Iterator[GatheringServer]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(GATHER_SECONDS)
    found = GatheringServer(listener.getsockname()[1])

    def gather() -> None:
        waiting: list[socket.socket] = []
        try:
            while len(waiting) < HOSTS:
                waiting.append(listener.accept()[0])
        except TimeoutError:
            pass
        found.gathered = len(waiting)
        for connection in waiting:
            with connection:
                connection.sendall(b"SSH-1.0-gathered\r\n")

    thread = threading.Thread(target=gather)
    thread.start()
    yield found
    thread.join()
    listener.close()


def test_every_host_is_connecting_before_any_handshake_ends(server: GatheringServer) -> None:
    targets = [
        Target("dev", replace(LocalHost(), name=f"web{n}", address="127.0.0.1", port=server.port))
        for n in range(HOSTS)
    ]
    runner = Runner(targets, require_all=False, connect_timeout=GATHER_SECONDS * 2)
    unreachable = runner.connect()
    assert server.gathered == HOSTS
    assert [u.host for u in unreachable] == [f"web{n}" for n in range(HOSTS)]
    assert all("Incompatible version (1.0" in u.reason for u in unreachable), unreachable


# A child that connects to a server which never answers (paramiko waits 15 s for its
# banner), with Python's own Ctrl-C handler whatever the test runner's shell ignores.
SILENT_HOSTS = """
import signal, socket, sys, threading
from dataclasses import replace
signal.signal(signal.SIGINT, signal.default_int_handler)
from tests.unit.test_runner_facts import LocalHost
from upkeep.runner import Runner, Target
listener = socket.create_server(("127.0.0.1", 0))
held = []
threading.Thread(target=lambda: [held.append(listener.accept()) for _ in range(2)], daemon=True).start()
port = listener.getsockname()[1]
targets = [Target("dev", replace(LocalHost(), name=f"web{n}", address="127.0.0.1", port=port))
           for n in range(2)]
print("connecting", flush=True)
Runner(targets, require_all=False, connect_timeout=30).connect()
"""


def test_a_ctrl_c_while_connecting_stops_at_once() -> None:
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", SILENT_HOSTS],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "connecting\n"
        threading.Event().wait(1)  # into the handshakes
        child.send_signal(signal.SIGINT)
        _, errors = child.communicate(timeout=10)  # the banner's wait: 14 s more
    finally:
        child.kill()
    assert child.returncode != 0
    assert errors.rstrip().endswith("KeyboardInterrupt"), errors[-500:]
