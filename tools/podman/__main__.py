"""``python -m tools.podman``: see :mod:`tools.podman`."""

from __future__ import annotations

import sys

from tools.podman import main

sys.exit(main())
