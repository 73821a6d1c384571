"""A table's secondary keys built once its rows are in, as myloader's --innodb-optimize-keys.

InnoDB adds a key to a filled table by sorting its rows once, where a key
present during the load is updated row by row. On bench_refresh's data (orders:
1.45 M rows, two keys and a foreign key) the target's MariaDB spent 16.3 CPU s
on the whole load with them deferred against 19.0 s without (two runs each).

What is deferred: plain ``KEY`` lines and ``FOREIGN KEY`` constraints (a
constraint needs its key, which InnoDB would otherwise make by itself, under
another name). Primary and unique keys stay where they are. A table with
anything else among its keys (FULLTEXT, SPATIAL, CHECK, a period) keeps them
all: the order SHOW CREATE TABLE gives them in is the target's as well.

    >>> body = [b"  `id` int NOT NULL,", b"  `u` int,", b"  PRIMARY KEY (`id`),",
    ...         b"  KEY `by_u` (`u`),", b"  CONSTRAINT `fk` FOREIGN KEY (`u`) REFERENCES `p` (`id`)"]
    >>> kept, later = deferred(body)
    >>> kept[-1], later
    (b'  PRIMARY KEY (`id`)', [b'KEY `by_u` (`u`)', b'CONSTRAINT `fk` FOREIGN KEY (`u`) REFERENCES `p` (`id`)'])
    >>> print(alter("t", later).decode(), end="")
    SET @upkeep_fk_checks = @@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS = 0;
    ALTER TABLE `t` ADD KEY `by_u` (`u`), ADD CONSTRAINT `fk` FOREIGN KEY (`u`) REFERENCES `p` (`id`);
    SET FOREIGN_KEY_CHECKS = @upkeep_fk_checks;
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from upkeep import sqlnames

_COLUMN = b"  `"
_KEPT = (b"  PRIMARY KEY ", b"  UNIQUE KEY ")
_PLAIN_KEY = b"  KEY `"
_FOREIGN = re.compile(rb"  CONSTRAINT `(?:[^`]|``)+` FOREIGN KEY ")


def deferred(body: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
    """A CREATE TABLE's lines between its first and last (without newlines): those to
    create it with, and the key clauses to add after its rows (none if any key is of a
    kind not deferred)."""
    kept: list[bytes] = []
    later: list[bytes] = []
    for line in body:
        if line.startswith(_PLAIN_KEY) or _FOREIGN.match(line):
            later.append(line[2:].removesuffix(b","))
        elif line.startswith(_COLUMN) or line.startswith(_KEPT):
            kept.append(line)
        else:
            return list(body), []
    if later and kept:
        kept[-1] = kept[-1].removesuffix(b",")  # it may have been followed by a key
    return kept, later


def alter(table: str, clauses: Sequence[bytes]) -> bytes:
    """The statement that adds ``clauses``, foreign key checks off for it alone (the
    table a constraint names may still be loading in another stream)."""
    added = b", ".join(b"ADD " + clause for clause in clauses)
    name = sqlnames.quote_identifier(table).encode()
    return (
        b"SET @upkeep_fk_checks = @@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS = 0;\n"
        b"ALTER TABLE " + name + b" " + added + b";\n"
        b"SET FOREIGN_KEY_CHECKS = @upkeep_fk_checks;\n"
    )
