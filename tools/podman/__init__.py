"""A real container engine on a Debian/Ubuntu machine without Docker: Podman's Docker API.

The docker provider (testcontainers) needs an engine that speaks the Docker API and a
PostgreSQL image. On a machine with neither Docker nor a reachable registry, as root::

    eval "$(python -m tools.podman setup)"

installs Podman (apt, once), writes a private configuration, starts
``podman system service`` on a unix socket (or reuses the running one), builds a
PostgreSQL image from Debian packages (once), and prints the ``export`` lines that
point Docker clients, testcontainers and the toolkit at it. Progress goes to stderr,
the exports alone to stdout. Every step is skipped when its result exists, so a second
run costs about a second. ``env`` prints the exports only, ``stop`` stops the service,
``purge`` removes the service, image and configuration (not the apt packages).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence

from toolkit.errors import ToolkitError
from tools.podman import image as _image
from tools.podman import packages as _packages
from tools.podman import service as _service
from tools.podman.layout import DEFAULT_IMAGE, Layout, exports

__all__ = ["DEFAULT_IMAGE", "main", "setup"]

_PROG = "python -m tools.podman"


def _log(message: str) -> None:
    print(f"podman-engine: {message}", file=sys.stderr, flush=True)


def _require_root(action: str) -> None:
    if os.geteuid() != 0:
        raise ToolkitError(
            f"{action} needs root (apt-get, debootstrap, chroot and a rootful Podman)",
            f"run it as root: sudo {sys.executable} -m tools.podman {action}",
        )


def setup(layout: Layout, image: str, mirror: str, *, rebuild: bool = False) -> str:
    """Make the engine answer with ``image`` available; returns the export lines."""
    _require_root("setup")
    started = time.perf_counter()
    _packages.ensure_packages(_log)
    changed = _service.write_configuration(layout)
    _service.ensure_service(
        layout, _log, restart=changed and _service.service_pid(layout) is not None
    )
    if rebuild:
        _image.remove_image(layout, image)
    if _image.image_exists(layout, image):
        _log(f"image: {image} already built")
    else:
        _log(f"image: building {image} from {mirror} (about a minute, once)")
        _image.build_image(layout, image, mirror, _log)
    _log(f"ready in {time.perf_counter() - started:.1f} s; eval this command's output to use it")
    return exports(layout, image)


def purge(layout: Layout) -> None:
    """Remove everything the setup made except the apt packages."""
    _require_root("purge")
    _service.stop_service(layout, _log)
    if layout.storage_conf.exists() and shutil.which("podman"):
        # Containers and images of this engine's private storage only.
        subprocess.run(
            ["podman", "system", "reset", "--force"],
            env=layout.podman_env(),
            capture_output=True,
            check=False,
        )
    for folder in (layout.run, layout.state):
        shutil.rmtree(folder, ignore_errors=True)
    _log(f"removed {layout.state} and {layout.run}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Podman's Docker-compatible API and a local PostgreSQL image, for the "
        "toolkit's docker provider on a Debian/Ubuntu machine without Docker.",
    )
    parser.add_argument(
        "action",
        nargs="?",
        default="setup",
        choices=["setup", "env", "stop", "purge"],
        help="setup (default): install, configure, start, build, print exports; env: print "
        "the exports; stop: stop the API service; purge: remove service, image and state",
    )
    parser.add_argument(
        "--image", default=DEFAULT_IMAGE, help=f"image to build (default {DEFAULT_IMAGE})"
    )
    parser.add_argument(
        "--mirror",
        default=os.environ.get("TOOLKIT_PODMAN_MIRROR") or _image.DEFAULT_MIRROR,
        help=f"Debian mirror for the image (default $TOOLKIT_PODMAN_MIRROR, else "
        f"{_image.DEFAULT_MIRROR})",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the image even if it exists")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    layout = Layout.from_env()
    try:
        if args.action == "setup":
            sys.stdout.write(setup(layout, args.image, args.mirror, rebuild=args.rebuild))
        elif args.action == "env":
            sys.stdout.write(exports(layout, args.image))
        elif args.action == "stop":
            if not _service.stop_service(layout, _log):
                _log("service: not running")
        else:
            purge(layout)
    except ToolkitError as error:
        print(f"podman-engine: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
