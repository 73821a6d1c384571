"""``upkeep dashboard build|serve``: the fleet dashboard as static pages, and a server for them."""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from upkeep.cli.check import history_option
from upkeep.cli.fleet import recorded_sources
from upkeep.cli.output import print_json
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.dashboard.build import build_site
from upkeep.dashboard.serve import TOKEN_VARIABLE, server, token_for
from upkeep.dashboard.site import INDEX, Written
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.workspace import find_workspace

DEFAULT_PLACE = "reports/dashboard"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dashboard = commands.add_parser(
        "dashboard",
        help="the fleet dashboard: static pages of what upkeep recorded, and a server for them",
        description="The fleet dashboard: a page listing every project with its fleet status "
        "figures (attention items highlighted) and a page per project with its reports, SLA by "
        "month, incidents and recent runs. Static files with one stylesheet and no scripts: "
        "they work offline, print cleanly and publish as CI artifacts or pages.",
    )
    verbs = dashboard.add_subparsers(dest="verb", metavar="VERB", required=True)
    build = verbs.add_parser(
        "build",
        help="write the dashboard's pages, with copies of the reports they link",
        description="Write the dashboard to --output: index.html (the fleet), "
        "projects/PROJECT.html, style.css and the reports linked, copied under reports/, all "
        "linked by relative paths. Rebuilding in place writes only what changed and removes "
        "what is no longer part of it; a directory upkeep did not build must be new or empty.",
        epilog="Exit codes: 0 written; 2 bad input (nothing written).",
    )
    _site_arguments(build)
    build.add_argument(
        "--output",
        type=Path,
        metavar="DIR",
        help=f"the site's directory (default: {DEFAULT_PLACE}/ in the repository)",
    )
    build.add_argument("--json", action="store_true", help="print what was written as JSON")
    build.set_defaults(handler=_build)
    serve = verbs.add_parser(
        "serve",
        help="serve the dashboard over HTTP (on 127.0.0.1 unless told otherwise)",
        description="Serve a built dashboard (--dir), or build one into a temporary directory "
        "and serve that, with Python's standard http.server. On loopback it asks for nothing; "
        "bound to any other address every request needs a token: the one in "
        f"{TOKEN_VARIABLE}, else one generated and printed once in the URL to open (a cookie "
        "carries it from there).",
        epilog="Exit codes: 0 stopped (Ctrl-C); 2 bad input (e.g. the port is taken).",
    )
    _site_arguments(serve)
    serve.add_argument("--dir", type=Path, metavar="DIR", help="a dashboard already built")
    serve.add_argument(
        "--bind", default="127.0.0.1", metavar="ADDRESS", help="the address (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=_port, default=8080, metavar="N", help="the port (default 8080; 0: any)"
    )
    serve.set_defaults(handler=_serve)


def _site_arguments(parser: argparse.ArgumentParser) -> None:
    add_selection_arguments(parser, environments=False, parallel=False)  # none: every project
    parser.add_argument(
        "--drift", action="store_true", help="read each project's hosts for drift (SSH)"
    )
    history_option(parser)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return int(text)


def _write(args: argparse.Namespace, output: Path) -> Written:
    from upkeep.drift.workflow import drift
    from upkeep.inventory.loader import discover

    workspace = find_workspace(args.root)
    args.all = args.all or not (args.projects or args.where)  # the fleet, unless narrowed
    projects = list(select(workspace, args).projects)
    sources = recorded_sources(workspace, args)
    # As of the minute: a rebuild within it writes the same bytes.
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    return build_site(
        workspace,
        projects,
        sources,
        output,
        now,
        drift=drift if args.drift else None,
        others=[path.stem for path in discover(workspace)],
    )


def _build(args: argparse.Namespace) -> int:
    output = args.output or find_workspace(args.root).root / DEFAULT_PLACE
    written = _write(args, output)
    if args.json:
        return print_json(
            args,
            {
                "directory": str(written.directory),
                "index": str(written.index),
                "files": written.files,
                "changed": written.changed,
                "removed": written.removed,
            },
        )
    print(
        f"dashboard: {written.index} ({written.files} files, {written.changed} written, "
        f"{written.removed} removed)"
    )
    return int(ExitCode.OK)


def _serve(args: argparse.Namespace) -> int:
    token, generated = token_for(args.bind)
    with tempfile.TemporaryDirectory(prefix="upkeep-dashboard-") as temporary:
        directory = args.dir or _write(args, Path(temporary) / "site").directory
        if not (directory / INDEX).is_file():
            raise UsageError(f"{directory}: no {INDEX} here (build it: upkeep dashboard build)")
        try:
            httpd = server(directory, args.bind, args.port, token)
        except OSError as error:
            raise UsageError(
                f"{args.bind}:{args.port}: cannot serve there ({error.strerror})"
            ) from None
        host, port = str(httpd.server_address[0]), httpd.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}/{INDEX}"
        if generated:
            shown_url = f"{url}?token={token}  (open this once; a cookie keeps it)"
        elif token is not None:
            shown_url = f"{url}?token=<{TOKEN_VARIABLE}>"
        else:
            shown_url = url
        print(f"serving {directory} at {shown_url}; Ctrl-C stops", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            httpd.server_close()
    return int(ExitCode.OK)
