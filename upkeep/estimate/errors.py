"""What can go wrong while estimating, as subclasses of upkeep's one hierarchy.

>>> from upkeep.exitcodes import ExitCode
>>> BadVersion("9.9: not a PHP line upkeep knows").exit_code == ExitCode.USAGE
True
"""

from __future__ import annotations

from upkeep.errors import UpkeepError, UsageError


class EstimateUsageError(UsageError):
    """Bad input to ``upkeep estimate``: nothing was scanned or written."""


class BadVersion(EstimateUsageError):
    """A PHP line that is not X.Y, or one the catalogue does not cover."""


class BadConstraint(ValueError):
    """A Composer version constraint that cannot be parsed.

    A ValueError, not a user-facing error: composer.json comes from the site's
    code, so the estimate reports it as a finding instead of stopping.
    """


class CatalogueError(UpkeepError):
    """The rule catalogue shipped with upkeep is inconsistent (a bug in upkeep)."""


class SourceUnavailable(EstimateUsageError):
    """The project's code could not be fetched or checked out."""
