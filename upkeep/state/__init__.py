"""The one state store: a record of every run, the run journals, the monitoring history.

SQLite by default (``<state home>/upkeep.db``), another file with
``UPKEEP_DATABASE_URL=sqlite:///PATH``, PostgreSQL for a team with
``UPKEEP_DATABASE_URL=postgresql://USER:PASSWORD@HOST/DATABASE``. One small
API: ``open_store()`` gives a ``Store`` (a context manager), values come back
as frozen dataclasses.

    >>> from upkeep.state import open_store, Run, Store
"""

from upkeep.state.health import Health, examine
from upkeep.state.location import Location, locate
from upkeep.state.runs import Run
from upkeep.state.store import Applied, Store, open_store

__all__ = ["Applied", "Health", "Location", "Run", "Store", "examine", "locate", "open_store"]
