"""The refresh workflow's plumbing on the lab: lock, backup, stream, files, code, verify, restore.

These run with the identity transform; sanitizing and URL rewriting are the
transformer's job and are tested with it.
"""

from __future__ import annotations

import pytest

from upkeep.errors import UsageError
from upkeep.inventory import load_project
from upkeep.locks import Lock, LockHeld
from upkeep.refresh.stream import Passthrough
from upkeep.refresh.workflow import RefreshFailed, refresh
from upkeep.ssh import check_root, run_root

from .conftest import RunningLab

CHECKSUM = "mariadb-dump --skip-dump-date --single-transaction --skip-comments demo | sha256sum | cut -c1-64"
UPLOADS = "/srv/www/demo-{env}/shared/public/uploads"


def _host(lab: RunningLab, environment: str):  # type: ignore[no-untyped-def]
    return load_project(lab.workspace, "demo").environment(environment).hosts[0]


def _root(lab: RunningLab, environment: str, script: str) -> str:
    return check_root(_host(lab, environment), script, "test step").strip()


def test_refresh_makes_staging_a_copy_of_production_and_leaves_production_alone(
    provisioned: RunningLab,
) -> None:
    _root(provisioned, "staging", "mariadb demo -e 'DELETE FROM orders WHERE id > 900'")
    _root(
        provisioned, "staging", f"echo stale > {UPLOADS.format(env='staging')}/only-on-staging.txt"
    )
    _root(
        provisioned, "production", f"echo fresh > {UPLOADS.format(env='production')}/new-upload.txt"
    )
    before = _root(provisioned, "production", CHECKSUM)

    report = refresh(provisioned.workspace, "demo", transform_factory=Passthrough)

    assert [step.name for step in report.steps] == [
        "lock", "backup", "database", "files", "code", "verify", "smoke",
    ]  # fmt: skip
    assert report.rows["orders"] == 1000 and report.rows["users"] == 200
    staging_uploads = _root(provisioned, "staging", f"ls {UPLOADS.format(env='staging')}")
    assert "new-upload.txt" in staging_uploads and "only-on-staging.txt" not in staging_uploads
    assert _root(provisioned, "production", CHECKSUM) == before  # only ever read


def test_a_second_refresh_is_refused_while_one_holds_the_lock(provisioned: RunningLab) -> None:
    holder = Lock(
        "/var/lib/upkeep/locks/demo-staging",
        "refresh demo production→staging",
        lambda script: run_root(_host(provisioned, "staging"), script),
    )
    with holder, pytest.raises(LockHeld, match="locked by refresh demo"):
        refresh(provisioned.workspace, "demo", transform_factory=Passthrough)


def test_a_failure_midway_restores_the_target_and_releases_the_lock(
    provisioned: RunningLab,
) -> None:
    class BreaksMidway(Passthrough):
        seen = 0

        def feed(self, chunk: bytes) -> bytes:
            self.seen += len(chunk)
            if self.seen > 20_000:
                raise RefreshFailedInTest("a rule went wrong midway")
            return chunk

    _root(provisioned, "staging", "mariadb demo -e 'DELETE FROM orders WHERE id > 990'")
    before = _root(provisioned, "staging", CHECKSUM)
    with pytest.raises(RefreshFailed) as failed:
        refresh(provisioned.workspace, "demo", transform_factory=BreaksMidway)
    assert failed.value.report.restored
    assert _root(provisioned, "staging", CHECKSUM) == before
    # the lock was released: the next refresh runs
    assert refresh(provisioned.workspace, "demo", transform_factory=Passthrough).ok


def test_production_is_never_a_refresh_target(provisioned: RunningLab) -> None:
    with pytest.raises(UsageError, match="never the target"):
        refresh(provisioned.workspace, "demo", source="staging", target="production")


class RefreshFailedInTest(UsageError):
    """An UpkeepError raised from inside the stream, as a broken rule would."""
