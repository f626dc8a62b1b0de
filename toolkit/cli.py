"""The ``toolkit`` command.

Every :class:`~toolkit.errors.ToolkitError` ends here as one line on stderr and exit
code 2; a traceback means a bug in the toolkit, not a mistake of the user.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from toolkit import __version__
from toolkit.errors import ToolkitError

__all__ = ["main"]

USER_ERROR = 2


def _parser() -> argparse.ArgumentParser:
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
        usage="%(prog)s [-h] [--provider {auto,external,docker,embedded}] [--port PORT] "
        "[--until-eof] [-- CMD ...]",
    )
    postgres.add_argument(
        "--provider",
        choices=["auto", "external", "docker", "embedded"],
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
    podman = commands.add_parser(
        "podman",
        add_help=False,
        help="Podman's Docker API and a local PostgreSQL image (Debian/Ubuntu, root); "
        "same as python -m toolkit.postgres.podman",
    )
    podman.add_argument("args", nargs=argparse.REMAINDER)
    commands.add_parser(
        "makefile",
        help="print the path of the Make fragment (include $(shell toolkit makefile))",
    )
    return parser


def _selection(config, ref: str | None):  # -> Selection | None
    if ref is None:
        return None
    from toolkit.changes import select

    return select(config, ref)


def _packages(args: argparse.Namespace) -> int:
    import json

    from toolkit.config import load_config

    config = load_config(args.root)
    selected = _selection(config, args.changed_since)
    rows = [
        {
            "name": package.name,
            "path": str(package.path.relative_to(config.root)),
            "fail_under": package.fail_under,
            "layers": [layer for layer, path in package.test_dirs.items() if path.is_dir()],
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

    from toolkit.config import LAYERS, load_config
    from toolkit.matrix import build_matrix

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


def _run_with_server(server_env: dict[str, str], cmd: list[str]) -> int:
    """Run CMD in the foreground; pass on termination signals, keep the server up meanwhile.

    Ctrl-C reaches CMD directly (same process group), so it is ignored here: CMD
    decides how to end, and the server is stopped after it does.
    """
    try:
        child = subprocess.Popen(cmd, env={**os.environ, **server_env})
    except OSError as error:
        raise ToolkitError(
            f"cannot run {cmd[0]!r}: {error.strerror}", "check the command"
        ) from None

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code


def _serve(server_env: dict[str, str], until_eof: bool) -> int:
    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    print(server_env["DATABASE_URL"], flush=True)
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
        return _run_with_server(env, cmd) if cmd else _serve(env, args.until_eof)
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["podman"]:  # its own command line, --help included
        from toolkit.postgres.podman import main as podman_main

        return podman_main(argv[1:])
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
    except ToolkitError as error:
        print(f"toolkit: error: {error}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        return 130
    raise AssertionError(f"unhandled command {args.command!r}")
