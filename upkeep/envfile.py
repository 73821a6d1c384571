"""Values in the application's ``.env``, written and read as dotenv does.

templates/app/env.j2 writes the database password with ``quote`` (its jinja
filter ``dotenv``, see upkeep.templating): double-quoted with ``\\``,
``"`` and ``$`` backslash-escaped (``$`` so no reader expands ``${VAR}``). Three
readers follow the same rules: the demo site's PHP (examples/demo-site's
bootstrap.php), the monitoring's shell (upkeep.monitor.facts) and, here, upkeep
itself (the developer environment hands the settings to PHP-FPM).

    >>> quote('a"b $c\\\\')
    '"a\\\\"b \\\\$c\\\\\\\\"'
    >>> unquote(quote('a"b $c\\\\')) == 'a"b $c\\\\'
    True
    >>> unquote("'as written\\\\'"), unquote("plain")
    ('as written\\\\', 'plain')
"""

from __future__ import annotations

import re

_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def quote(value: str) -> str:
    """``value`` double-quoted, as env.j2 writes the password."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def unquote(raw: str) -> str:
    """A value as written after ``KEY=``: "double" (escapes), 'single' (none), or bare."""
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return _ESCAPED.sub(r"\1", raw[1:-1])
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1]
    return raw
