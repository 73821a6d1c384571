"""Backups of a refresh's target, taken on the target host before anything changes.

A backup is a directory ``<backups>/<stamp>/`` holding the database dump, a
hard-linked snapshot of the shared files (cheap: rsync replaces files rather
than rewriting them, so the snapshot keeps the old content) and a manifest of
those files. It is written as ``<stamp>.partial`` and renamed when complete,
so a half-taken backup is never restored. The last ``keep`` stay.

The shared files belong to the site's user (PHP-FPM), who may have planted
symlinks among them: the backup copies links as links and never follows
them, and the restore writes into the shared paths *as the site user*, so
root never writes through anything that user controls.

The scripts are plain bash, run by ssh on the host (and locally in tests,
with the database commands swapped for stand-ins).

    >>> "mv -T" in backup_script(BackupPlan.example(), stamp="20261123T120000Z")
    True
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from upkeep import sqlnames
from upkeep.layout import SiteLayout

DUMP = "mariadb-dump --single-transaction --quick --routines --triggers --events"


@dataclass(frozen=True)
class BackupPlan:
    shared_dir: str  # the site's shared/: the shared paths live there
    backups_dir: str
    database: str
    shared_paths: tuple[str, ...]
    site_user: str  # who owns the shared paths: the restore writes them as this user
    keep: int = 3
    dump_command: str = DUMP  # reads the database, writes SQL to stdout
    load_command: str = "mariadb"  # reads SQL on stdin into the database

    @classmethod
    def of(
        cls, layout: SiteLayout, database: str, shared_paths: tuple[str, ...], keep: int
    ) -> BackupPlan:
        """The backups of the site laid out as ``layout``, on its host."""
        return cls(
            shared_dir=layout.shared_dir,
            backups_dir=layout.backups_dir,
            database=database,
            shared_paths=shared_paths,
            site_user=layout.site_id,
            keep=keep,
        )

    @classmethod
    def example(cls) -> BackupPlan:
        return cls.of(SiteLayout.of("demo", "staging"), "demo", ("public/uploads",), keep=3)


def backup_script(plan: BackupPlan, stamp: str) -> str:
    q = shlex.quote
    target = f"{plan.backups_dir}/{stamp}"
    lines = [
        "set -euo pipefail",
        f"partial={q(target + '.partial')}; final={q(target)}; shared={q(plan.shared_dir)}",
        'rm -rf "$partial"; mkdir -p "$partial/files"; chmod 700 "$(dirname "$partial")"',
        f'{plan.dump_command} {q(plan.database)} | gzip -1 > "$partial/database.sql.gz"',
    ]
    for path in plan.shared_paths:
        p = q(path)
        lines.append(
            # cp -a never dereferences (-P): a planted symlink is kept as a symlink
            f'if [ -e "$shared/"{p} ]; then mkdir -p "$(dirname "$partial/files/"{p})"; '
            f'cp -al "$shared/"{p} "$partial/files/"{p}; fi'
        )
    lines += [
        "( cd \"$shared\" 2>/dev/null && find . -type f -printf '%P\\t%s\\n' | LC_ALL=C sort ) "
        '> "$partial/files.manifest" || true',
        'mv -T "$partial" "$final"',
        # keep the newest ones; partial leftovers of a crashed run go too
        f"rm -rf {q(plan.backups_dir)}/*.partial",
        f"ls -1 {q(plan.backups_dir)} | LC_ALL=C sort | head -n -{int(plan.keep)} "
        f'| while read -r old; do rm -rf {q(plan.backups_dir)}/"$old"; done',
        'echo "$final"',
    ]
    return "\n".join(lines)


def restore_script(plan: BackupPlan, backup: str) -> str:
    """Put the database and shared files back exactly as the backup holds them."""
    q = shlex.quote
    lines = [
        "set -euo pipefail",
        f"backup={q(backup)}; shared={q(plan.shared_dir)}",
        'test -f "$backup/database.sql.gz" || { echo "no complete backup at $backup" >&2; exit 3; }',
        # Tables the failed refresh created would survive a plain load: start from empty.
        f"{drop_all_tables(plan)}",
        f'gunzip < "$backup/database.sql.gz" | {plan.load_command} {q(plan.database)}',
    ]
    lines += [
        f'as_site() {{ runuser -u {q(plan.site_user)} -- "$@"; }}',
        'refuse() { echo "refusing to restore into $1: a symlink where a directory belongs" >&2; '
        "exit 3; }",
    ]
    for path in plan.shared_paths:
        lines += _restore_shared_path_lines(path, plan.site_user)
    return "\n".join(lines)


def _restore_shared_path_lines(path: str, owner: str) -> list[str]:
    """One shared path back as the backup holds it, written by the site user.

    root only reads the backup (tar); emptying and unpacking run as the site
    user, who can reach nothing it could not reach anyway. The path's own
    parents are root's (and checked): no component may be a symlink. A path
    the backup does not hold is left empty.
    """
    q, p = shlex.quote, shlex.quote(path)
    return [
        f'd="$shared"; [ ! -L "$d" ] || refuse "$d"; IFS=/ read -ra parts <<< {p}; '
        'for part in "${parts[@]}"; do d="$d/$part"; [ ! -L "$d" ] || refuse "$d"; done',
        f'if [ ! -d "$shared/"{p} ]; then mkdir -p "$(dirname "$shared/"{p})"; '
        f'install -d -o {q(owner)} -g {q(owner)} "$shared/"{p}; fi',
        f'as_site find "$shared/"{p} -mindepth 1 -delete',
        f'if [ -d "$backup/files/"{p} ]; then tar -C "$backup/files/"{p} -cf - . '
        f'| as_site tar -C "$shared/"{p} -xpf -; fi',
    ]


def drop_all_tables(plan: BackupPlan) -> str:
    # Names quoted by upkeep.sqlnames: a table's name must never run as SQL.
    return sqlnames.drop_all_tables(plan.database, plan.load_command)
