"""A PHP build's package scripts under one debconf frontend: no Perl start per .ini file.

php<line>-common's postinst (and each extension's) registers every module's .ini
with ucf, and ucf sources debconf's confmodule. With no frontend running, that
execs a new Perl debconf frontend, which reads debconf's database, loads ucf's
templates into it and writes it back: a few tenths of a second, some 35 times
in one update or first install, each time on the host's CPU. Started once
around apt-get (fd 3 carries the scripts' requests to it, their stdin its
answers), the same ucf calls talk to that one frontend: the same questions, the
same noninteractive answers, the database written once at the end.
DEBCONF_OK=YES tells ucf it may ask through it, as it does through a frontend
of its own.

The frontend holds debconf's database for the whole run, so apt's hook that
preconfigures packages (dpkg-preconfigure) cannot open it, and a frontend
started for apt-get does not load a package's templates as one started for its
postinst would: that matters only to packages with debconf templates of their
own. PHP's have none, nor have the libraries a first install brings along
(libicu72, libxml2, php-common, ...). So the one frontend is used only when
nothing apt would install besides the named packages ships templates (their
.debs are downloaded first and looked into); otherwise apt runs as before.

    >>> script = under_one_frontend("apt-get install -y 'php8.2-fpm=8.2.36-1~deb12u1'", ["php8.2-fpm"])
    >>> "/usr/share/debconf/frontend sh -c" in script and "APT::Keep-Fds::=3" in script
    True
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

FRONTEND = "/usr/share/debconf/frontend"

# From apt's simulation, one line a package ('Inst libicu72 (72.1-3+deb12u1 Debian:12.12/stable
# [amd64])', an upgrade with '[old version]' before), the .deb of each package not named, as
# apt keeps it in its archives ('%3a' for an epoch's colon).
_OTHERS_DEBS = (
    '$1 == "Inst" && index(named, " " $2 " ") == 0 { '
    'for (i = 3; i <= NF; i++) if (substr($i, 1, 1) == "(") { version = substr($i, 2); break } '
    'gsub(/:/, "%3a", version); arch = $NF; gsub(/[][)]/, "", arch); '
    'print archives $2 "_" version "_" arch ".deb" }'
)


def under_one_frontend(apt: str, names: Iterable[str]) -> str:
    """``apt`` (an ``apt-get install`` command line) under one debconf frontend when nothing
    it would install besides ``names`` has debconf templates; otherwise ``apt`` as it is.
    Its stdout goes nowhere either way (on the frontend's side, fd 1 is the channel to it)."""
    named = shlex.quote(f" {' '.join(sorted(names))} ")
    others = (
        'eval "$(apt-config shell archives Dir::Cache::archives/d)"; '
        f"others=$({apt} -s 2>/dev/null | awk -v named={named} "
        f'-v archives="$archives" {shlex.quote(_OTHERS_DEBS)} || true)'
    )
    # A .deb that is not there (not downloaded, or not where expected) counts as templated.
    templated = (
        'templated=; if [ -n "$others" ]; then '
        f"{apt} --download-only >/dev/null 2>&1 || true; "
        'for deb in $others; do if [ ! -f "$deb" ] || dpkg-deb -I "$deb" templates >/dev/null 2>&1; '
        'then templated="$templated $deb"; fi; done; fi'
    )
    # DEBCONF_REDIR: the scripts' confmodule must not move fd 3 again (it is the channel).
    inside = f"exec 3>&1 >/dev/null; export DEBCONF_REDIR=1; exec {apt} -o APT::Keep-Fds::=3"
    alone = f"DEBCONF_OK=YES {FRONTEND} sh -c {shlex.quote(inside)} >/dev/null"
    return f'{others}; {templated}; if [ -z "$templated" ]; then {alone}; else {apt} >/dev/null; fi'
