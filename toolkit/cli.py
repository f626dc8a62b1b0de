"""The ``toolkit`` command.

Every :class:`~toolkit.errors.ToolkitError` ends here as one line on stderr and exit
code 2; a traceback means a bug in the toolkit, not a mistake of the user.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from toolkit import __version__
from toolkit._foreground import run_foreground
from toolkit.errors import ToolkitError

if TYPE_CHECKING:
    from toolkit.host.changes import Selection
    from toolkit.host.config import RepoConfig
    from toolkit.postgres.server import Server

__all__ = ["main"]

USER_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    from toolkit.postgres.selection import choices

    parser = argparse.ArgumentParser(
        prog="toolkit", description="Test tooling for Python monorepos."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    postgres = commands.add_parser(
        "postgres",
        help="run a throwaway PostgreSQL server",
        description=(
            "Start a throwaway PostgreSQL server. With CMD, run it with DATABASE_URL and "
            "PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE set, stop the server, and exit "
            "with CMD's exit code. Without CMD, print the URL and serve until Ctrl-C."
        ),
        usage=f"%(prog)s [-h] [--provider {{{','.join(choices())}}}] [--port PORT] "
        "[--until-eof] [-- CMD ...]",
    )
    postgres.add_argument(
        "--provider",
        choices=choices(),
        help="where the server comes from (default: $TOOLKIT_POSTGRES, else auto)",
    )
    postgres.add_argument(
        "--port", type=int, help="embedded server port (default: $TOOLKIT_POSTGRES_PORT, else free)"
    )
    postgres.add_argument(
        "--until-eof",
        action="store_true",
        help="serve until standard input closes (for a program that owns the server through "
        "a pipe: the server dies with it)",
    )
    postgres.add_argument("cmd", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    packages = commands.add_parser(
        "packages", help="list the repository's packages ([tool.toolkit] packages)"
    )
    packages.add_argument("--json", action="store_true", help="machine-readable output")
    packages.add_argument("--root", default=".", help="repository root (default: .)")
    packages.add_argument(
        "--changed-since",
        metavar="REF",
        help="only packages changed since the git REF, their dependents, or all after a "
        "root configuration change; each with the reason",
    )
    matrix = commands.add_parser("matrix", help="a CI matrix (package x layer x shard) as JSON")
    matrix.add_argument("--root", default=".", help="repository root (default: .)")
    matrix.add_argument("--changed-since", metavar="REF", help="only packages affected since REF")
    matrix.add_argument("--shards", type=int, default=1, help="split each layer into N shards")
    matrix.add_argument(
        "--layers", default="unit,integration", help="comma-separated layers (default: both)"
    )
    matrix.add_argument("--seed", type=int, help="random-order seed shared by all entries")
    reproduce = commands.add_parser(
        "reproduce",
        help="run one package's tests as its sessions do, with a server of its own",
        description=(
            "Start a server, build the package's template ([tool.toolkit] setup), apply its "
            "[tool.toolkit.env], run pytest in the package's folder with the arguments after "
            "--, stop the server and exit with pytest's code. Run it from the repository "
            "root, with the toolkit of the package's environment."
        ),
        usage="%(prog)s [-h] [--root ROOT] PACKAGE -- [PYTEST ARGS ...]",
    )
    reproduce.add_argument("package", help="the package, as in nox -s 'unit(<package>)'")
    reproduce.add_argument("--root", default=".", help="repository root (default: .)")
    reproduce.add_argument("pytest_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    template = commands.add_parser(
        "template",
        help="build a package's template database on DATABASE_URL's server; print its name",
        description=(
            "Used by the sessions: build (or find) the template database of PACKAGE on the "
            "server DATABASE_URL names, running its [tool.toolkit] setup commands, and "
            "print the template's name."
        ),
    )
    template.add_argument("package")
    template.add_argument("--root", default=".", help="repository root (default: .)")
    commands.add_parser(
        "makefile",
        help="print the path of the Make fragment (include $(shell toolkit makefile))",
    )
    return parser


def _selection(config: RepoConfig, ref: str | None) -> Selection | None:
    if ref is None:
        return None
    from toolkit.host.changes import select

    return select(config, ref)


def _packages(args: argparse.Namespace) -> int:
    import json

    from toolkit.host.config import load_config

    config = load_config(args.root)
    selected = _selection(config, args.changed_since)
    rows: list[dict[str, Any]] = [
        {
            "name": package.name,
            "path": str(package.path.relative_to(config.root)),
            "fail_under": package.fail_under,
            "layers": list(package.layers),
            "random_order": package.random_order,
            "depends_on": list(package.workspace_dependencies),
            **({"reason": selected.reasons[package.name]} if selected else {}),
        }
        for package in config.packages
        if selected is None or package.name in selected
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if selected is not None:
        for row in rows:
            print(f"{row['name']:<20} {row['reason']}")
        if not rows:
            print(f"no package changed since {args.changed_since}", file=sys.stderr)
        return 0
    for row in rows:
        depends = f"  depends on {', '.join(row['depends_on'])}" if row["depends_on"] else ""
        print(
            f"{row['name']:<20} {row['path']:<30} fail_under {row['fail_under']:g}%  "
            f"layers {'+'.join(row['layers']) or 'none'}{depends}"
        )
    return 0


def _matrix(args: argparse.Namespace) -> int:
    import json

    from toolkit.host.config import LAYERS, load_config
    from toolkit.host.matrix import build_matrix

    layers = tuple(layer.strip() for layer in args.layers.split(",") if layer.strip())
    unknown = [layer for layer in layers if layer not in LAYERS]
    if unknown or not layers:
        raise ToolkitError(
            f"--layers {args.layers!r} names no known layer", f"use {','.join(LAYERS)}"
        )
    if args.shards < 1:
        raise ToolkitError(f"--shards {args.shards} is not a positive number", "use 1 or more")
    config = load_config(args.root)
    matrix = build_matrix(
        config,
        selection=_selection(config, args.changed_since),
        shards=args.shards,
        layers=layers,
        seed=args.seed,
    )
    print(json.dumps(matrix))
    return 0


def _makefile() -> int:
    from pathlib import Path

    print(Path(__file__).resolve().parent / "make" / "toolkit.mk")
    return 0


def _describe(server: Server) -> str:
    """Where the server came from, for the log of whoever owns it."""
    details = server.details
    if server.provider == "embedded":
        return f"embedded PostgreSQL {details.get('version', '?')} from {details.get('binaries')}"
    if server.provider == "docker":
        return f"container {details.get('image')} on {details.get('engine')}"
    return f"external server {server.host}:{server.port}"


def _serve(server: Server, server_env: dict[str, str], until_eof: bool) -> int:
    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    print(server_env["DATABASE_URL"], flush=True)
    if until_eof:  # the owner reads a second line: where the server came from
        print(_describe(server), flush=True)
    if not until_eof:
        print("PostgreSQL is ready; press Ctrl-C to stop it.", file=sys.stderr, flush=True)
    try:
        if until_eof:
            while sys.stdin.buffer.read(65536):
                pass
        else:
            signal.pause()
    except KeyboardInterrupt:
        pass
    return 0


def _postgres(args: argparse.Namespace) -> int:
    from toolkit.postgres import start_server

    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    server = start_server(args.provider, port=args.port)
    try:
        env = server.environ()
        if cmd:
            return run_foreground(cmd, {**os.environ, **env})
        return _serve(server, env, args.until_eof)
    finally:
        server.stop()


def _reproduce(args: argparse.Namespace) -> int:
    from toolkit.testing.reproduce import reproduce

    pytest_args = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args
    return reproduce(args.package, pytest_args, root=args.root)


def _template(args: argparse.Namespace) -> int:
    from toolkit.host.config import load_config
    from toolkit.postgres.urls import parse_url
    from toolkit.testing.database import ensure_package_template

    package = load_config(args.root).package(args.package)
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise ToolkitError("DATABASE_URL is not set", "set it to the server's URL")
    print(ensure_package_template(package, parse_url(url, source="DATABASE_URL")), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    try:
        if args.command == "postgres":
            return _postgres(args)
        if args.command == "packages":
            return _packages(args)
        if args.command == "makefile":
            return _makefile()
        if args.command == "matrix":
            return _matrix(args)
        if args.command == "reproduce":
            return _reproduce(args)
        if args.command == "template":
            return _template(args)
    except ToolkitError as error:
        print(f"toolkit: error: {error}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        return 130
    raise AssertionError(f"unhandled command {args.command!r}")
