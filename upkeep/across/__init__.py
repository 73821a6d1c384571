"""Running one command over several projects at once (``--parallel N``).

``scheduler`` decides which project may start (N at a time; a command that
changes servers never runs two projects on one server at once), ``child``
runs one project in a forked process and hands back its result and output,
``display`` shows each project's state as it goes. ``upkeep.cli.across``
puts them together.
"""
