"""Checks for every name that ends up in a shell command, SQL or an nginx config.

Each check takes the value, returns it (sometimes normalised) or raises
``ValueError`` with what is wrong and what to do; pydantic turns that into a
problem line. Whitelists, never blacklists: a value that passes here is safe to
put in a command line or a config file without further escaping tricks.

    >>> domain("www.example.com")
    'www.example.com'
    >>> domain("WWW.example.com")
    Traceback (most recent call last):
    ...
    ValueError: 'WWW.example.com' has capital letters (write it in lowercase: 'www.example.com')
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

_PROJECT = re.compile(r"[a-z][a-z0-9-]{0,39}")
_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# MariaDB allows 80 characters, MySQL 32; the smaller keeps dumps portable.
_DB_USER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
_HOST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# Debian's adduser NAME_REGEX, which is what the hosts will accept anyway.
_SSH_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# Labels on servers and projects (role: web, client: acme), what selectors match on.
_LABEL_KEY = re.compile(r"[a-z][a-z0-9_.-]{0,62}")
_LABEL_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_GIT_REF_CHARS = re.compile(r"[A-Za-z0-9._/@+-]{1,255}")
_PHP_LINE = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}")
_PHP_EXTENSION = re.compile(r"[a-z0-9_]{1,40}")
_INI_KEY = re.compile(r"[a-z0-9_.]{1,80}")
_INI_VALUE_BAD = re.compile(r"[\"';\x00-\x1f\x7f]")
_PATH = re.compile(r"[A-Za-z0-9._/-]{1,255}")
# A path (and query) on a site, as the app's health_path and the checks' paths;
# no '..' anywhere (the lookahead).
URL_PATH = re.compile(r"(?!.*\.\.)/[A-Za-z0-9._~/-]{0,200}(\?[A-Za-z0-9._~=&-]{0,200})?")
URL_PATH_RULE = "a safe URL path (start with '/', use letters, digits and . _ ~ / - only, no '..')"
_DEBIAN_VERSION = re.compile(r"[0-9][A-Za-z0-9.+~:-]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\s]")
# Table and column names as MariaDB writes them unquoted; tables may be fnmatch
# patterns. No quotes or backticks: a rule's name must never close a quoted one.
_TABLE_PATTERN = re.compile(r"[A-Za-z0-9_$*?]{1,64}")
_COLUMN = re.compile(r"[A-Za-z0-9_$]{1,64}")
_TABLE_PREFIX = re.compile(r"[A-Za-z0-9_$]{0,32}")
# A value a sanitize rule matches rows by, such as a meta_key (may be a pattern).
_MATCH_VALUE = re.compile(r"[A-Za-z0-9_$*?.:-]{1,191}")
_EXCLUDE = re.compile(r"[A-Za-z0-9._/*?-]{1,255}")


def _show(value: str) -> str:
    """The value quoted and shortened, safe to put in a one-line message."""
    return repr(value if len(value) <= 60 else value[:57] + "...")


def pattern_rule(
    pattern: re.Pattern[str], what: str, *, show: Callable[[str], str] = _show
) -> Callable[[str], str]:
    """A check: the value when ``pattern`` matches all of it, else "'value' is not {what}".

    >>> pattern_rule(re.compile("[a-z]+"), "a word (use a-z)")("Hi")
    Traceback (most recent call last):
    ...
    ValueError: 'Hi' is not a word (use a-z)
    """

    def rule(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{show(value)} is not {what}")
        return value

    return rule


project_name = pattern_rule(
    _PROJECT,
    "a valid project name (use 1-40 lowercase letters, digits and '-', starting with a letter)",
)


db_name = pattern_rule(
    _DB_NAME,
    "a valid database name (use up to 64 letters, digits and '_', not starting with a digit)",
)


db_user = pattern_rule(
    _DB_USER,
    "a valid database user (use up to 32 letters, digits and '_', not starting with a digit)",
)


host_name = pattern_rule(
    _HOST_NAME,
    "a valid host name (use up to 63 letters, digits, '.', '_' and '-', "
    "starting with a letter or digit)",
)


ssh_user = pattern_rule(
    _SSH_USER,
    "a valid login name (use up to 32 lowercase letters, digits, '_' and '-', "
    "starting with a letter or '_')",
)


label_key = pattern_rule(
    _LABEL_KEY,
    "a label name (use up to 63 lowercase letters, digits, '_', '.' and '-', "
    "starting with a letter)",
)


label_value = pattern_rule(
    _LABEL_VALUE,
    "a label value (use up to 63 letters, digits, '_', '.' and '-', "
    "starting with a letter or digit)",
)


def _hostname_problem(value: str) -> str | None:
    """Why ``value`` is not an RFC 1123 host name, or None when it is one."""
    if value.endswith("."):
        return f"{_show(value)} ends with a dot (drop the trailing dot)"
    if not value or len(value) > 253:
        return f"{_show(value)} is not 1-253 characters long"
    for label in value.split("."):
        if not _LABEL.fullmatch(label):
            return (
                f"{_show(value)} is not a valid host name (each dot-separated part is "
                "1-63 letters, digits or '-', not starting or ending with '-')"
            )
    if value.rsplit(".", 1)[-1].isdigit():
        return f"{_show(value)} looks like an IP address but is not a valid one"
    return None


def domain(value: str) -> str:
    if value != value.lower():
        lowered = value.lower()
        if _hostname_problem(lowered) is None:
            raise ValueError(
                f"{_show(value)} has capital letters (write it in lowercase: {_show(lowered)})"
            )
    problem = _hostname_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def address(value: str) -> str:
    if value.startswith("[") and value.endswith("]"):
        raise ValueError(f"{_show(value)}: write an IPv6 address without brackets")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        if "%" in value:
            raise ValueError(
                f"{_show(value)}: a zone index is not supported (use a global address)"
            )
        return value
    problem = _hostname_problem(value.lower())
    if problem:
        raise ValueError(f"{problem} (give an IPv4 address, an IPv6 address or a host name)")
    return value


def git_ref(value: str) -> str:
    """A branch, tag or commit, following ``git check-ref-format`` with a whitelist."""
    why = None
    if not _GIT_REF_CHARS.fullmatch(value):
        why = "use letters, digits and . _ / @ + - only, no spaces"
    elif value.startswith(("-", "/")):
        why = "it must not start with '-' or '/'"
    elif ".." in value or "//" in value or "/." in value or value.startswith("."):
        why = "it must not contain '..' or '//' or a part starting with '.'"
    elif value.endswith(("/", ".", ".lock")) or value == "@":
        why = "it must not end with '/', '.' or '.lock'"
    if why:
        raise ValueError(f"{_show(value)} is not a valid git ref ({why})")
    return value


def php_line(value: str) -> str:
    if not _PHP_LINE.fullmatch(value):
        raise ValueError(f'{_show(value)} is not a PHP line (write major.minor, e.g. "8.2")')
    return value


def php_extension(value: str) -> str:
    if not _PHP_EXTENSION.fullmatch(value):
        raise ValueError(
            f"{_show(value)} is not a PHP extension name (use lowercase letters, digits "
            "and '_', as in php8.2-<name>)"
        )
    return value


def ini_key(value: str) -> str:
    if not _INI_KEY.fullmatch(value):
        raise ValueError(
            f"{_show(value)} is not a php.ini setting name (use lowercase letters, digits, "
            "'_' and '.')"
        )
    return value


def ini_value(value: str) -> str:
    if len(value) > 1024 or _INI_VALUE_BAD.search(value):
        raise ValueError(
            f"{_show(value)} cannot go into php.ini safely (one line of at most 1024 "
            "characters, without quotes or ';')"
        )
    return value


def relative_path(value: str, *, allow_dot: bool = False) -> str:
    """A path inside a release: no escaping it, nothing a shell or rsync would misread."""
    if allow_dot and value == ".":
        return value
    if value.startswith("/"):
        why = "it must be relative to the release, without a leading '/'"
    elif not _PATH.fullmatch(value):
        why = "use letters, digits and . _ / - only"
    elif any(part in ("", ".", "..") for part in value.split("/")):
        why = "no '..', '.' or empty parts, and no trailing '/'"
    elif any(part.startswith("-") for part in value.split("/")):
        why = "no part may start with '-'"
    else:
        return value
    raise ValueError(f"{_show(value)} is not a safe relative path ({why})")


def release_command(value: str) -> str:
    """A shell command the operator wrote for every release: one line, no NUL."""
    if not value.strip():
        raise ValueError("an empty command (remove it)")
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError("a command must be one line (use several list items)")
    if len(value) > 500:
        raise ValueError(
            "a command longer than 500 characters (put it in a script in the repository)"
        )
    return value


def repository(value: str) -> str:
    if not value or _CONTROL.search(value) or value.startswith("-") or len(value) > 1024:
        raise ValueError(
            f"{_show(value)} is not a usable repository (a git URL or a path, without "
            "spaces, not starting with '-')"
        )
    return value


health_path = pattern_rule(URL_PATH, URL_PATH_RULE)


# An exact Debian package version of PHP, such as 8.2.36-1~deb12u1.
php_build = pattern_rule(
    _DEBIAN_VERSION,
    "a package version (as printed by dpkg, e.g. '8.2.36-1~deb12u1')",
)


def local_path(value: str) -> str:
    """A file path on the operator's machine (keys, known_hosts): one line, no controls."""
    if not value or _CONTROL.search(value.replace(" ", "")) or value.startswith("-"):
        raise ValueError(f"{_show(value)} is not a usable path (one line, not starting with '-')")
    return value


# A table name, or an fnmatch pattern of them (``*_log``).
table_pattern = pattern_rule(
    _TABLE_PATTERN,
    "a table name or pattern (use up to 64 letters, digits, '_', '$' and the wildcards "
    "'*' and '?'; no quotes)",
)


column_name = pattern_rule(
    _COLUMN,
    "a column name (use up to 64 letters, digits, '_' and '$'; no quotes)",
)


table_prefix = pattern_rule(
    _TABLE_PREFIX,
    "a table prefix (use up to 32 letters, digits, '_' and '$', "
    "as in wp-config.php's $table_prefix)",
)


# A value that rows are matched by (``billing_*``): a short name, maybe a pattern.
match_value = pattern_rule(
    _MATCH_VALUE,
    "a value to match rows by (use up to 191 letters, digits, and _ $ . : - "
    "with the wildcards '*' and '?')",
)


def exclude_pattern(value: str) -> str:
    """An rsync exclude pattern for the shared files: no spaces, no option look-alikes."""
    if value.startswith("-") or not _EXCLUDE.fullmatch(value) or ".." in value.split("/"):
        raise ValueError(
            f"{_show(value)} is not a usable exclude pattern (use letters, digits, . _ / - and "
            "the wildcards '*' and '?'; no spaces, no '..', not starting with '-')"
        )
    return value
