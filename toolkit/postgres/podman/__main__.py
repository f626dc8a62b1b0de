"""``python -m toolkit.postgres.podman``: see :mod:`toolkit.postgres.podman`."""

from __future__ import annotations

import sys

from toolkit.postgres.podman import main

sys.exit(main())
