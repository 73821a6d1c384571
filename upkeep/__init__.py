"""upkeep: keep client PHP sites healthy after launch."""

__version__ = "0.1.0"
