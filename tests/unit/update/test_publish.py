"""After an update run: its report files under reports/update/ and the notification the
inventory's notify: names (a real local webhook), as one value the CLI renders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.unit.cli.test_check import INVENTORY
from tests.unit.local_servers import WebhookServer
from upkeep.inventory import load_project
from upkeep.pipeline import RunState
from upkeep.update.publish import publish
from upkeep.update.report import report_of
from upkeep.update.runs import started
from upkeep.update.workflow import STEPS
from upkeep.workspace import find_workspace

OLD, NEW = "8.2.32-1~deb12u1", "8.2.36-1~deb12u1"


def test_a_run_is_written_and_sent(
    workspace: Path, webhook_server: Callable[..., WebhookServer]
) -> None:
    hook = webhook_server()
    notify = f"notify:\n  webhook: {{url: '{hook.url()}'}}\n"
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY + notify)
    journal = started("shop", OLD, NEW, STEPS[:1])
    journal.step("lock").finish("locked")
    journal.end(RunState.ROLLED_BACK, "production fails its smoke checks")
    found = find_workspace(str(workspace))
    published = publish(
        found, load_project(found, "shop"), report_of(journal, "www.shop.test", (), None)
    )
    assert [p.suffix for p in published.files] == [".json", ".md", ".html"]
    assert {p.parent for p in published.files} == {workspace / "reports" / "update"}
    assert [(d.channel, d.ok) for d in published.deliveries] == [("webhook", True)]
    assert hook.received[0].json()["state"] == "rolled back"
    assert published.to_dict()["report_files"] == [str(p) for p in published.files]


def test_a_run_without_steps_writes_and_sends_nothing(workspace: Path) -> None:
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    journal = started("shop", OLD, OLD, ())
    journal.end(RunState.NOTHING_TO_DO)
    found = find_workspace(str(workspace))
    published = publish(
        found, load_project(found, "shop"), report_of(journal, "www.shop.test", (), None)
    )
    assert (published.files, published.deliveries) == ((), ())
    assert not (workspace / "reports").exists()
