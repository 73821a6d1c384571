"""Every renderer of upkeep's result values: text tables, report files, the JSON envelope.

The values themselves (dataclasses) live in their features; this package only
turns them into text and files, so a command, a timer and a notification all
say the same thing. Nothing here imports ``upkeep.cli``.
"""
