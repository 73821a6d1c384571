"""Third-party libraries bundled in a checkout: priced as one upgrade each, not line by line.

Legacy sites carry copies of other people's code: a framework under ``lib/``,
PEAR, Zend, SimplePie, Smarty, a ``vendor/`` tree copied in without Composer.
An engineer upgrades or replaces such a library as a whole; nobody fixes its
findings one by one, and its lines are not the application's to test. Three
kinds of evidence mark one:

- Composer metadata: a ``composer.json`` with a ``name`` below the root (a
  package copied in with its manifest), or ``vendor/composer/installed.json``;
- the path: ``vendor/<vendor>/<package>/``, or a directory named like a known
  library (``lib/Zend/``, ``includes/simplepie/``, ``smarty-2.6.26/``);
- the file header: a docblock naming a known library (``@package SimplePie``,
  ``@category Zend``, ``This file is part of PHPMailer``).

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("index.php", "lib/Zend/Db.php", "lib/Zend/Db/Table.php", "lib/own.php"):
    ...     (root / name).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (root / name).write_text("<?php\\n")
    >>> files = ("index.php", "lib/Zend/Db.php", "lib/Zend/Db/Table.php", "lib/own.php")
    >>> [(lib.name, lib.paths, lib.files) for lib in find_libraries(root, files, {})]
    [('Zend Framework', ('lib/Zend/',), ('lib/Zend/Db.php', 'lib/Zend/Db/Table.php'))]
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

# Directory or package names (lower case, letters and digits only) → the name a client knows.
KNOWN_LIBRARIES: Mapping[str, str] = {
    "adodb": "ADOdb",
    "adodb5": "ADOdb",
    "ckeditor": "CKEditor",
    "codeigniter": "CodeIgniter",
    "doctrine": "Doctrine",
    "dompdf": "Dompdf",
    "ezsql": "ezSQL",
    "fckeditor": "FCKeditor",
    "fpdf": "FPDF",
    "geshi": "GeSHi",
    "getid3": "getID3",
    "guzzle": "Guzzle",
    "guzzlehttp": "Guzzle",
    "htmlpurifier": "HTML Purifier",
    "jpgraph": "JpGraph",
    "magpie": "MagpieRSS",
    "magpierss": "MagpieRSS",
    "mdb2": "PEAR MDB2",
    "monolog": "Monolog",
    "nusoap": "NuSOAP",
    "pchart": "pChart",
    "pclzip": "PclZip",
    "pear": "PEAR",
    "phpexcel": "PHPExcel",
    "phpmailer": "PHPMailer",
    "phpseclib": "phpseclib",
    "phpthumb": "phpThumb",
    "propel": "Propel",
    "simplepie": "SimplePie",
    "smarty": "Smarty",
    "snoopy": "Snoopy",
    "swift": "Swift Mailer",
    "swiftmailer": "Swift Mailer",
    "symfony": "Symfony",
    "tcpdf": "TCPDF",
    "twig": "Twig",
    "xajax": "xajax",
    "zend": "Zend Framework",
    "zendframework": "Zend Framework",
}
HEADER_BYTES = 2048  # a library announces itself in its first docblock
_HEADER = re.compile(
    rb"@(?:package|category)[ \t]+([A-Za-z][\w.-]*)|This file is part of (?:the )?([A-Za-z][\w-]*)"
)


@dataclass(frozen=True)
class Library:
    """A bundled library: its name, where it sits, its PHP files and why we think so."""

    name: str
    paths: tuple[str, ...]  # directories (ending in /) or single files, relative
    files: tuple[str, ...]  # the scanned PHP files that belong to it, sorted
    evidence: str  # "composer.json", "path", "file header" ...


def _known(name: str) -> str | None:
    """``Smarty-2.6.26`` → "Smarty"; ``Zend_Db`` → "Zend Framework"; else None."""
    letters = re.sub(r"[^a-z0-9]", "", name.lower().split("_")[0])
    if letters in KNOWN_LIBRARIES:
        return KNOWN_LIBRARIES[letters]
    stem = re.sub(r"[^a-z0-9]", "", re.split(r"[-_.]?\d", name.lower(), maxsplit=1)[0])
    return KNOWN_LIBRARIES.get(stem)


def header_library(source: bytes) -> str | None:
    """The known library a file's header names, if any.

    >>> header_library(b"<?php\\n/**\\n * @package SimplePie\\n */\\n")
    'SimplePie'
    >>> header_library(b"<?php\\n/** @package MyShop */\\n") is None
    True
    """
    for match in _HEADER.finditer(source[:HEADER_BYTES]):
        name = (match.group(1) or match.group(2)).decode("ascii", "replace")
        known = _known(name)
        if known:
            return known
    return None


def _composer_roots(root: Path, directories: set[str]) -> dict[str, tuple[str, str]]:
    """Library directory → (name, evidence) from Composer files below the root."""
    found: dict[str, tuple[str, str]] = {}
    for directory in sorted(directories):
        manifest = _json(root / directory / "composer.json")
        name = manifest.get("name") if isinstance(manifest, dict) else None
        if isinstance(name, str) and name:
            found[f"{directory}/"] = (name, "composer.json")
        installed = _json(root / directory / "composer" / "installed.json")
        if PurePosixPath(directory).name == "vendor" and installed is not None:
            packages = installed.get("packages") if isinstance(installed, dict) else installed
            for package in packages if isinstance(packages, list) else []:
                if isinstance(package, dict) and isinstance(package.get("name"), str):
                    label = package["name"]
                    if isinstance(package.get("version"), str):
                        label = f"{label} {package['version']}"
                    found[f"{directory}/{package['name']}/"] = (label, "installed.json")
    return found


def _json(path: Path) -> Any:
    """A JSON document, or None; only a regular file is opened (a FIFO would block)."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _path_roots(directories: set[str]) -> dict[str, tuple[str, str]]:
    """Library directory → (name, evidence) from the directory names alone."""
    found: dict[str, tuple[str, str]] = {}
    for directory in sorted(directories):
        parts = PurePosixPath(directory).parts
        if len(parts) >= 3 and parts[-3] == "vendor":
            found[f"{directory}/"] = (f"{parts[-2]}/{parts[-1]}", "path vendor/")
        if len(parts) >= 2 and parts[-2] == "vendor":
            continue  # vendor/<vendor>/ is a namespace; its packages are one level down
        known = _known(parts[-1])
        if known and not any(f"{directory}/".startswith(other) for other in found):
            found[f"{directory}/"] = (known, "path")
    return found


def _outermost(
    by_path: dict[str, tuple[str, str]], by_composer: dict[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """One root per library: Composer's word over a name guess, and Zend/Db/ is part of Zend/."""
    guesses = {
        directory: found
        for directory, found in by_path.items()
        if not any(directory.startswith(c) or c.startswith(directory) for c in by_composer)
    }
    roots = {**guesses, **by_composer}
    kept: dict[str, tuple[str, str]] = {}
    for directory in sorted(roots):
        if not any(directory.startswith(outer) for outer in kept):
            kept[directory] = roots[directory]
    return kept


def find_libraries(
    root: Path, files: Sequence[str], headers: Mapping[str, str]
) -> tuple[Library, ...]:
    """The bundled libraries among ``files``; ``headers`` maps a file to its header's library."""
    directories = {
        str(parent)
        for path in files
        for parent in PurePosixPath(path).parents
        if str(parent) != "."
    }
    roots = _outermost(_path_roots(directories), _composer_roots(root, directories))
    members: dict[str, list[str]] = {}
    paths: dict[str, set[str]] = {}
    evidence: dict[str, set[str]] = {}
    for path in files:
        owner = next((d for d in roots if path.startswith(d)), None)
        if owner is not None:
            name, why = roots[owner]
            paths.setdefault(name, set()).add(owner)
        elif path in headers:
            name, why = headers[path], "file header"
            paths.setdefault(name, set()).add(path)
        else:
            continue
        members.setdefault(name, []).append(path)
        evidence.setdefault(name, set()).add(why)
    return tuple(
        Library(
            name,
            tuple(sorted(paths[name])),
            tuple(sorted(members[name])),
            ", ".join(sorted(evidence[name])),
        )
        for name in sorted(members, key=str.lower)
    )


def library_of(libraries: Sequence[Library]) -> dict[str, str]:
    """File → the name of the library it belongs to."""
    return {path: library.name for library in libraries for path in library.files}
