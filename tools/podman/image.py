"""A PostgreSQL image built from Debian packages, for machines that reach no registry.

``debootstrap --variant=minbase bookworm`` makes a root filesystem from the Debian
mirror (which these machines do reach), ``postgresql-15`` is installed into it with
apt in a chroot, an entrypoint compatible with the official image's is added, and
``podman import`` turns the tree into an image. The image keeps ``sh`` and ``psql``
because testcontainers' own Postgres wait strategy runs ``psql`` inside the container.
Building takes about a minute, so it happens only when the image is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from toolkit.errors import ToolkitError
from tools.podman.layout import Layout

__all__ = ["DEFAULT_MIRROR", "build_image", "image_exists", "import_changes", "remove_image"]

DEFAULT_MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
MAJOR = 15
ENTRYPOINT = "/usr/local/bin/docker-entrypoint.sh"

Log = Callable[[str], None]

_PURGE_LLVM = (
    "llvm=$(dpkg-query -W -f='${Package}\\n' 'libllvm*' 2>/dev/null || true); "
    '[ -z "$llvm" ] || dpkg --purge --force-depends $llvm'
)


def _run(argv: Sequence[str | Path], what: str, **kwargs: object) -> subprocess.CompletedProcess:
    """Run a build step; a failure names the step and its last line of output."""
    result = subprocess.run(
        [str(arg) for arg in argv], capture_output=True, text=True, check=False, **kwargs
    )
    if result.returncode != 0:
        lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise ToolkitError(
            f"building the PostgreSQL image failed while {what}: "
            f"{lines[-1] if lines else f'exit code {result.returncode}'}",
            "fix the cause above (network, mirror: --mirror or TOOLKIT_PODMAN_MIRROR) "
            "and run the setup again",
        )
    return result


def image_exists(layout: Layout, image: str) -> bool:
    result = subprocess.run(
        ["podman", "image", "exists", image],
        env=layout.podman_env(),
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def remove_image(layout: Layout, image: str) -> None:
    subprocess.run(
        ["podman", "rmi", "--force", image],
        env=layout.podman_env(),
        capture_output=True,
        check=False,
    )


def import_changes() -> list[str]:
    """Dockerfile instructions applied by ``podman import``: what the official image sets."""
    path = ":".join(
        [f"/usr/lib/postgresql/{MAJOR}/bin", "/usr/local/sbin", "/usr/local/bin"]
        + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    )
    return [
        f'ENTRYPOINT ["{ENTRYPOINT}"]',
        'CMD ["postgres"]',
        f"ENV PATH={path}",
        "ENV LANG=C.UTF-8",
        "ENV PGDATA=/var/lib/postgresql/data",
        "EXPOSE 5432",
        "STOPSIGNAL SIGINT",
    ]


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mounts") as handle:
        points = [line.split()[1].replace("\\040", " ") for line in handle]
    return sorted((point for point in points if point.startswith(prefix)), reverse=True)


def _unmount_all(root: Path) -> None:
    """Undo every mount inside the tree (ours, or debootstrap's after a failure)."""
    for point in _mounts_under(root):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


@contextmanager
def _scratch(layout: Layout) -> Iterator[Path]:
    """A folder for the root filesystem, removed after, never while something is mounted."""
    work = Path(tempfile.mkdtemp(prefix="image-build-", dir=layout.state))
    try:
        yield work
    finally:
        _unmount_all(work)
        if _mounts_under(work):
            raise ToolkitError(
                f"cannot unmount everything under {work} after the image build",
                f"unmount it by hand (grep {work} /proc/mounts), then rm -rf {work}",
            )
        shutil.rmtree(work, ignore_errors=True)


def _prepare(rootfs: Path) -> None:
    """Before apt runs in the chroot: no services started, no default cluster created."""
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    createcluster = rootfs / "etc/postgresql-common/createcluster.d"
    createcluster.mkdir(parents=True, exist_ok=True)
    (createcluster / "toolkit.conf").write_text("create_main_cluster = false\n")


def _install_postgres(rootfs: Path) -> None:
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "DEBIAN_FRONTEND": "noninteractive",
        "LC_ALL": "C",
        **{key: value for key, value in os.environ.items() if key.lower().endswith("_proxy")},
    }
    proc = rootfs / "proc"
    _run(["mount", "-t", "proc", "proc", proc], "mounting /proc in the chroot")
    try:
        apt = ["chroot", rootfs, "apt-get", "-q", "-y"]
        _run([*apt, "update"], "running apt-get update in the chroot", env=env)
        _run(
            [*apt, "install", "--no-install-recommends", f"postgresql-{MAJOR}"],
            f"installing postgresql-{MAJOR} in the chroot",
            env=env,
        )
        # LLVM serves only the JIT, which test servers never need (PostgreSQL runs
        # without it when llvmjit.so is absent): a third of the image, ~3 s per import.
        _run(["chroot", rootfs, "sh", "-c", _PURGE_LLVM], "removing LLVM from the chroot", env=env)
        _run([*apt, "clean"], "cleaning apt's cache in the chroot", env=env)
    finally:
        subprocess.run(["umount", "-l", proc], capture_output=True, check=False)


def _slim(rootfs: Path) -> None:
    """Drop what a test server never reads: package lists, docs, the JIT, a stray cluster."""
    for relative in (
        "var/lib/apt/lists",
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        f"usr/lib/postgresql/{MAJOR}/lib/bitcode",
        f"var/lib/postgresql/{MAJOR}",
        f"etc/postgresql/{MAJOR}",
    ):
        shutil.rmtree(rootfs / relative, ignore_errors=True)
    for jit in (rootfs / f"usr/lib/postgresql/{MAJOR}/lib").glob("llvmjit*"):
        jit.unlink()
    (rootfs / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
    (rootfs / "etc/resolv.conf").unlink(missing_ok=True)  # the engine provides its own


def _add_entrypoint(rootfs: Path) -> None:
    target = rootfs / ENTRYPOINT.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(resources.files(__package__).joinpath("entrypoint.sh").read_bytes())
    target.chmod(0o755)
    (rootfs / "docker-entrypoint-initdb.d").mkdir(exist_ok=True)


def _import(layout: Layout, rootfs: Path, image: str) -> None:
    changes = [arg for change in import_changes() for arg in ("--change", change)]
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _run(
            ["podman", "import", *changes, "-", image],
            f"importing the root filesystem as {image}",
            stdin=tar.stdout,
            env=layout.podman_env(),
        )
    finally:
        assert tar.stdout is not None
        tar.stdout.close()
        tar.wait()
    if tar.returncode != 0:
        raise ToolkitError(f"tar of {rootfs} failed: {tar.stderr.read().decode().strip()}")


def build_image(layout: Layout, image: str, mirror: str, log: Log) -> None:
    """Build ``image`` from ``mirror``; each step is logged with its duration."""
    with _scratch(layout) as work:
        rootfs = work / "rootfs"
        started = time.perf_counter()
        _run(
            ["debootstrap", "--variant=minbase", SUITE, rootfs, mirror],
            f"running debootstrap {SUITE} from {mirror}",
        )
        log(f"image: debootstrap {SUITE} done ({time.perf_counter() - started:.1f} s)")
        step = time.perf_counter()
        _prepare(rootfs)
        _install_postgres(rootfs)
        _slim(rootfs)
        _add_entrypoint(rootfs)
        log(f"image: postgresql-{MAJOR} installed ({time.perf_counter() - step:.1f} s)")
        step = time.perf_counter()
        _import(layout, rootfs, image)
        log(f"image: imported as {image} ({time.perf_counter() - step:.1f} s)")
