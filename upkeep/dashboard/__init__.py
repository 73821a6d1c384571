"""The fleet dashboard: static pages of what upkeep recorded, and a small server for them.

``records`` reads each project's history (runs, incidents, SLA per month,
report files), ``model`` turns those and the fleet status into page values,
``site`` renders and writes the pages, ``serve`` serves a built site.
"""
