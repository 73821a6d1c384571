"""The fleet seen at once: one row per project and environment (``upkeep fleet status``)."""
