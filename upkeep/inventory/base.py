"""What every inventory section's model shares: frozen values, unknown keys refused.

One base for every section (``upkeep.inventory.model`` and the monitoring,
notification and SLA sections beside it), so a YAML typo is an error
everywhere the same way.

    >>> class Section(Model):
    ...     keep: int = 3
    >>> Section.model_validate({"kep": 5})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Section
    kep
      Extra inputs are not permitted ...
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

# The environments' names as YAML text (upkeep.inventory.model.EnvName is the
# enum; a test keeps the two equal), for sections that list environments.
EnvironmentName = Literal["dev", "staging", "production"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
