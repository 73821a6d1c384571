from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from upkeep.estimate.versions import PhpLine
from upkeep.estimate.workflow import Request

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "estimate"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the corpus, so tests may add or break files."""
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", target)
    return target


def request(
    root: Path, source: str = "site", start: str = "5.6", end: str = "8.4", **kw
) -> Request:
    return Request(root, source, PhpLine.parse(start), PhpLine.parse(end), **kw)
