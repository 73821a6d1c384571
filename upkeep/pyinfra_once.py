"""pyinfra's per-operation work whose answer never changes in a process, done once.

pyinfra works out its global arguments (``_sudo``, ``_env``, ...) for every
operation on every host and for every fact an operation asks, and each time it
asks ``typing.get_type_hints`` for their types, the same class every time: on
a no-op provision of 12 hosts that was a third of the CPU. The types are read
once here and handed out as pyinfra hands them out; nothing else changes.
``use()`` is called when the runner is imported, so every run has it.

    >>> use()
    >>> from pyinfra.api import arguments
    >>> arguments.all_global_arguments() == all_global_arguments()
    True
"""

from __future__ import annotations

import functools
from typing import get_type_hints

from pyinfra.api import arguments, facts


@functools.cache
def _global_argument_types() -> tuple[tuple[str, type], ...]:
    return tuple(get_type_hints(arguments.AllArguments).items())


def all_global_arguments() -> list[tuple[str, type]]:
    """pyinfra's ``all_global_arguments()``: a new list each call, as pyinfra gives."""
    return list(_global_argument_types())


def use() -> None:
    """Put the cached answer where pyinfra looks it up (each module imported the name)."""
    arguments.all_global_arguments = all_global_arguments
    facts.all_global_arguments = all_global_arguments
