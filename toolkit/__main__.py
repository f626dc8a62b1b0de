"""``python -m toolkit`` is the ``toolkit`` command."""

from __future__ import annotations

from toolkit._command import main

raise SystemExit(main())
