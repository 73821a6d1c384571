"""Operations that only follow a change (a config test, a reload), and what a dry run says of them.

pyinfra's ``any_changed`` is only known once the operations ran, so a dry run
counted a reload that would never happen as a change: an environment in sync
looked three changes away. ``after_change`` is the same condition with a
second question a dry run can ask: would any of these change?

    >>> condition = after_change()
    >>> condition(), condition.foreseen()
    (False, False)
"""

from __future__ import annotations

from typing import Any


class AfterChange:
    """True once any of ``metas`` changed something; ``foreseen()`` before they run."""

    def __init__(self, *metas: Any) -> None:
        self.metas = metas

    def __call__(self) -> bool:
        return any(meta.did_change() for meta in self.metas)

    def foreseen(self) -> bool:
        """Whether any of them will change (pyinfra's dry-run answer, in the host's context)."""
        return any(meta.will_change for meta in self.metas)


def after_change(*metas: Any) -> AfterChange:
    return AfterChange(*metas)


def foreseen(conditions: Any) -> bool:
    """Whether an operation's ``_if`` conditions would let it run, as far as a dry run knows.

    Conditions that are not ours cannot be foreseen and are assumed to let it run.
    """
    if conditions is None:
        return True
    if not isinstance(conditions, list):
        conditions = [conditions]
    return all(c.foreseen() for c in conditions if isinstance(c, AfterChange))
