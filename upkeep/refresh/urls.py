"""Rewriting the source's URLs to the target's in one value of the database.

A value reaches this module with the dump's SQL escaping already undone (the
transformer reads ``'https:\\\\/\\\\/www.demo.lab'`` from the dump as the JSON text
``https:\\/\\/www.demo.lab``). Serialized PHP is handled by the caller
(``upkeep.refresh.serialized`` hands each string inside it to ``replace``); what
is left are the spellings of a URL inside plain text, HTML and JSON:

- ``https://www.demo.lab`` → the target URL as given;
- the other scheme, ``http://www.demo.lab`` → ``http://staging.demo.lab``: the
  scheme is kept, so staging behaves as production does (mixed content stays
  mixed content, it does not silently get fixed or broken);
- scheme-relative ``//www.demo.lab``;
- JSON-escaped ``https:\\/\\/www.demo.lab`` and ``\\/\\/www.demo.lab``;
- URL-encoded ``%2F%2Fwww.demo.lab`` (share links, redirect parameters);
- the bare host ``www.demo.lab`` where it is a whole host name: not in
  ``xwww.demo.lab`` nor ``www.demo.lab.evil.com`` (an e-mail address at the host
  moves with it: ``orders@staging.demo.lab``).

A URL with a path (``https://www.demo.lab/blog``) rewrites that path too; other
paths on the host keep theirs and only change host. Host names are matched as
written, in lowercase (the inventory requires it).

The host is the cheap test: it is in every spelling above, and SQL escaping
never changes it (a host has no quote or backslash), so a dump line without
one of ``needles`` needs no look at all.

It is also what the search starts from. In the common map (one host to
another, same scheme, no path) every spelling changes the host alone, so the
rewrite is one regex that begins with the host as a literal (the engine skips
ahead to it at memchr speed) and asks what is before it by lookbehind, with a
constant replacement: no Python call per URL. It matches exactly what the
general pattern (all spellings, longest first) matches; a test compares the two.

    >>> rewrite = UrlRewriter([("https://www.demo.lab", "https://staging.demo.lab")])
    >>> rewrite(b'<a href="http://www.demo.lab/x">www.demo.lab.evil.com</a>')
    b'<a href="http://staging.demo.lab/x">www.demo.lab.evil.com</a>'
    >>> rewrite(b'{"u":"https:\\\\/\\\\/www.demo.lab\\\\/"}')
    b'{"u":"https:\\\\/\\\\/staging.demo.lab\\\\/"}'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from upkeep.errors import UsageError

# Before a bare host: not part of a longer name or word (a '.' would make it a subdomain).
_NOT_AFTER = rb"(?<![A-Za-z0-9_.-])"
# After a host: not more of the name; a '.' is fine when a sentence ends there.
_HOST_END = rb"(?![A-Za-z0-9_-]|\.[A-Za-z0-9-])"
# An escape in SQL text other than those of plain text: \\ (a backslash in the value), \0, \Z…
_OTHER_ESCAPE = re.compile(rb"\\[^'\"nr]")
# After a path: not more of the same path segment.
_PATH_END = rb"(?![A-Za-z0-9_.~%-])"


@dataclass(frozen=True)
class Site:
    """A site's base URL, split: ``https``, ``www.demo.lab`` (with a port if any), ``/blog``."""

    scheme: str
    netloc: str
    path: str

    @classmethod
    def parse(cls, url: str) -> Site:
        """``url`` as a Site, or a UsageError saying what is wrong with it.

        >>> Site.parse("https://www.demo.lab/blog/")
        Site(scheme='https', netloc='www.demo.lab', path='/blog')
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"{url!r} is not a site URL (write it as https://host[/path])")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise UsageError(f"{url!r}: a site URL has no query, fragment or login")
        if parts.netloc != parts.netloc.lower():
            raise UsageError(f"{url!r}: write the host in lowercase")
        return cls(parts.scheme, parts.netloc, parts.path.rstrip("/"))


def site_url(domain: str, tls: str) -> str:
    """An environment's base URL: https unless its TLS mode is ``none``.

    >>> site_url("staging.demo.lab", "lab"), site_url("dev.demo.lab", "none")
    ('https://staging.demo.lab', 'http://dev.demo.lab')
    """
    return f"{'http' if tls == 'none' else 'https'}://{domain}"


class UrlRewriter:
    """Replaces every spelling of each source URL with its target, in one pass.

    ``url_map`` pairs source and target base URLs; the first pair is the site
    itself, further ones can move e.g. a CDN host along.
    """

    def __init__(self, url_map: Sequence[tuple[str, str]]) -> None:
        spellings: dict[bytes, tuple[bytes, bool]] = {}
        needles: dict[bytes, None] = {}
        moves: list[tuple[Site, Site]] = []
        for source_url, target_url in url_map:
            source, target = Site.parse(source_url), Site.parse(target_url)
            if source == target:
                continue
            moves.append((source, target))
            needles[source.netloc.encode()] = None
            for old, new, in_path in _spellings(source, target):
                spellings.setdefault(old, (new, in_path))
        self.url_map = tuple(url_map)
        self.needles: tuple[bytes, ...] = tuple(needles)
        self._table = {old: new for old, (new, _) in spellings.items()}
        self._pattern: re.Pattern[bytes] | None = None
        self._host_move = _HostMove.of(moves)
        if spellings:
            # Longest first: at one position the most specific spelling wins.
            alternatives = [
                (_NOT_AFTER if old[:1].isalnum() and not old.startswith(b"http") else b"")
                + re.escape(old)
                + (_PATH_END if in_path else _HOST_END)
                for old, (_, in_path) in sorted(
                    spellings.items(), key=lambda item: len(item[0]), reverse=True
                )
            ]
            self._pattern = re.compile(b"|".join(alternatives))

    def __call__(self, data: bytes) -> bytes:
        return self.sub(data)[0]

    def sub(self, data: bytes) -> tuple[bytes, int]:
        """``data`` rewritten and how many URLs changed.

        >>> UrlRewriter([("https://a.lab", "https://b.lab")]).sub(b"a.lab xa.lab //a.lab")
        (b'b.lab xa.lab //b.lab', 2)
        """
        if self._pattern is None or not any(needle in data for needle in self.needles):
            return data, 0
        if self._host_move is not None:
            return self._host_move.pattern.subn(self._host_move.target, data)
        return self.sub_general(data)

    def sub_sql(self, literals: bytes) -> tuple[bytes, int] | None:
        """``sub`` on SQL literals as mysqldump writes them (a row, say), without unquoting
        them; None when this map or these literals need ``sub`` value by value.

        The text may only hold the escapes of plain text (\\' \\" \\n \\r): then each
        backslash starts an escape and no value holds a backslash, so no JSON spelling.

        >>> UrlRewriter([("https://a.lab", "https://b.lab")]).sub_sql(b"(1,'//a.lab\\\\na.lab')")
        (b"(1,'//b.lab\\\\nb.lab')", 2)
        >>> UrlRewriter([("https://a.lab", "https://b.lab")]).sub_sql(b"(1,'a\\\\\\\\a.lab')") is None
        True
        """
        if self._host_move is None or _OTHER_ESCAPE.search(literals) is not None:
            return None
        return self._host_move.sql_pattern.subn(self._host_move.target, literals)

    def sub_general(self, data: bytes) -> tuple[bytes, int]:
        """``sub`` by the pattern of all spellings, whatever the map (the reference)."""
        if self._pattern is None:
            return data, 0
        table = self._table
        return self._pattern.subn(lambda m: table[m.group(0)], data)

    def touches(self, data: bytes) -> bool:
        """Whether ``data`` (escaped for SQL or not) may hold a URL to rewrite."""
        return any(needle in data for needle in self.needles)


@dataclass(frozen=True)
class _HostMove:
    """One host moving to another, same scheme, no path: every spelling changes the host
    alone, so one pattern that starts at the host finds them all (see the module's notes)."""

    pattern: re.Pattern[bytes]  # on values
    sql_pattern: re.Pattern[bytes]  # on SQL literals whose only escapes are \' \" \n \r
    target: bytes

    @classmethod
    def of(cls, moves: Sequence[tuple[Site, Site]]) -> _HostMove | None:
        """The quick pattern for ``moves`` (source and target sites, each a change), if any."""
        if len(moves) != 1:
            return None
        source, target = moves[0]
        if source.path or target.path or source.scheme != target.scheme:
            return None
        host = source.netloc.encode()
        if not host[:1].isalnum():
            return None
        escaped = re.escape(host)

        def compiled(before: list[bytes]) -> re.Pattern[bytes]:
            behind = [b"(?<=" + b + escaped + b")" for b in before]
            behind.append(_NOT_AFTER.replace(b")", escaped + b")", 1))
            return re.compile(escaped + b"(?:" + b"|".join(behind) + b")" + _HOST_END)

        # Before the host: no more of a name, which every spelling ending in "/" meets
        # ("//", "https://", JSON's "\/\/"); or the URL-encoded "%2F%2F". In the dump,
        # a newline or carriage return before a bare host is written \n, \r.
        encoded = [b"%2F%2F", b"%2f%2f"]
        return cls(compiled(encoded), compiled([*encoded, rb"\\[nr]"]), target.netloc.encode())


def _spellings(source: Site, target: Site) -> list[tuple[bytes, bytes, bool]]:
    """Every spelling of ``source`` as (old, new, whether it ends in a path)."""
    other = "http" if source.scheme == "https" else "https"
    bases = [(source.netloc + source.path, target.netloc + target.path, bool(source.path))]
    if source.path:
        # With a path in the map, other paths on the host only change host.
        bases.append((source.netloc, target.netloc, False))
    found: list[tuple[str, str, bool]] = []
    for old, new, in_path in bases:
        plain = [
            (f"{source.scheme}://{old}", f"{target.scheme}://{new}"),
            (f"{other}://{old}", f"{other}://{new}"),
            (f"//{old}", f"//{new}"),
        ]
        found += [(o, n, in_path) for o, n in plain]
        found += [(o.replace("/", "\\/"), n.replace("/", "\\/"), in_path) for o, n in plain]
    found += [
        (f"%2F%2F{source.netloc}", f"%2F%2F{target.netloc}", False),
        (f"%2f%2f{source.netloc}", f"%2f%2f{target.netloc}", False),
        (source.netloc, target.netloc, False),
    ]
    return [(old.encode(), new.encode(), in_path) for old, new, in_path in found]
