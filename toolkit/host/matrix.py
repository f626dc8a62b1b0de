"""A CI matrix (package x layer x shard) as JSON, for a CI's own job runner.

Past one machine the toolkit hands the work to the CI (a GitHub Actions matrix, GitLab
``parallel``) instead of distributing it itself. Each entry names the nox session to
run and the environment it needs; all entries share one seed so that shards of a
layer agree on the order and the split.

Standard library only.
"""

from __future__ import annotations

import random
from typing import Any

from toolkit.host.changes import Selection
from toolkit.host.config import LAYERS, RepoConfig

__all__ = ["build_matrix"]


def build_matrix(
    config: RepoConfig,
    *,
    selection: Selection | None = None,
    shards: int = 1,
    layers: tuple[str, ...] = LAYERS,
    seed: int | None = None,
) -> dict[str, Any]:
    """``{"include": [...]}`` with one entry per selected package, layer and shard."""
    seed = random.Random().randrange(10**9) if seed is None else seed
    versions = config.python or (None,)
    include = []
    for package in config.packages:
        if selection is not None and package.name not in selection:
            continue
        for version in versions:
            param = package.name if len(versions) == 1 else f"{package.name}-py{version}"
            for layer in layers:
                if layer not in package.layers:
                    continue
                for index in range(1, shards + 1):
                    env = {"TOOLKIT_SEED": str(seed)}
                    if shards > 1:
                        env["TOOLKIT_SHARD"] = f"{index}/{shards}"
                    entry = {
                        "package": package.name,
                        "layer": layer,
                        "session": f"{layer}({param})",
                        "python": version,
                        "shard": index,
                        "shards": shards,
                        "seed": seed,
                        "env": env,
                    }
                    include.append(entry)
    return {"include": include}
