"""A PHP build's package scripts under one debconf frontend: no Perl start per .ini file.

php<line>-common's postinst (and each extension's) registers every module's .ini
with ucf, and ucf sources debconf's confmodule. With no frontend running, that
execs a new Perl debconf frontend, which reads debconf's database, loads ucf's
templates into it and writes it back: a few tenths of a second, some 35 times
in one update, all inside production's window. Started once around apt-get
(fd 3 carries the scripts' requests to it, their stdin its answers), the same
ucf calls talk to that one frontend: the same questions, the same
noninteractive answers, the database written once at the end. DEBCONF_OK=YES
tells ucf it may ask through it, as it does through a frontend of its own.

The frontend holds debconf's database for the whole run, so apt's hook that
preconfigures packages (dpkg-preconfigure) cannot open it: that matters only
to packages with debconf templates of their own, and PHP's have none. So the
one frontend is used only when apt's simulation installs exactly the named
packages; anything else apt would bring along installs as before.

    >>> script = under_one_frontend("apt-get install -y 'php8.2-fpm=8.2.36-1~deb12u1'", ["php8.2-fpm"])
    >>> "/usr/share/debconf/frontend sh -c" in script and "APT::Keep-Fds::=3" in script
    True
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

FRONTEND = "/usr/share/debconf/frontend"


def under_one_frontend(apt: str, names: Iterable[str]) -> str:
    """``apt`` (an ``apt-get install`` command line) under one debconf frontend when apt
    would install only ``names``; otherwise ``apt`` as it is. Its stdout goes nowhere
    either way (on the frontend's side, fd 1 is the channel to it)."""
    named = shlex.quote(f" {' '.join(sorted(names))} ")
    # Simulated: 'Inst php8.2-fpm [8.2.32-1~deb12u1] (8.2.36-1~deb12u1 ...)', one line a package.
    others = (
        f"others=$({apt} -s 2>/dev/null | awk -v named={named} "
        '\'$1 == "Inst" && index(named, " " $2 " ") == 0 { print $2 }\' || true)'
    )
    # DEBCONF_REDIR: the scripts' confmodule must not move fd 3 again (it is the channel).
    inside = f"exec 3>&1 >/dev/null; export DEBCONF_REDIR=1; exec {apt} -o APT::Keep-Fds::=3"
    alone = f"DEBCONF_OK=YES {FRONTEND} sh -c {shlex.quote(inside)} >/dev/null"
    return f'{others}; if [ -z "$others" ]; then {alone}; else {apt} >/dev/null; fi'
