"""The one state store: a record of every run today; journals, check results and incidents next.

SQLite by default (``<state home>/upkeep.db``), another file with
``UPKEEP_DATABASE_URL=sqlite:///PATH``; PostgreSQL is refused until it is
built. One small API: ``open_store()`` gives a ``Store`` (a context manager),
values come back as frozen dataclasses.

    >>> from upkeep.state import open_store, Run, Store
"""

from upkeep.state.health import Health, examine
from upkeep.state.location import Location, locate
from upkeep.state.runs import Run
from upkeep.state.store import Applied, Store, open_store

__all__ = ["Applied", "Health", "Location", "Run", "Store", "examine", "locate", "open_store"]
