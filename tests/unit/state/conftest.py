"""The store's tests run on both engines (``store_location``, tests/unit/conftest.py)."""

from __future__ import annotations

import pytest

from upkeep.state import Location


@pytest.fixture
def location(store_location: Location) -> Location:
    return store_location
