"""Scoped estimates for major PHP upgrades, from the site's own code.

The pipeline (``workflow.py``) reads like the issue: pick the rules that count
for (from, to] from the catalogue, find the PHP files, parse each with
tree-sitter-php and run the detectors, resolve what needs the whole project
(functions a site defines itself, classes and their methods), read Composer's
files, price the work, and render one ``Estimate`` value as Markdown, HTML and
JSON.
"""
