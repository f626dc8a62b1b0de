"""The one limit on user and organization ids, whichever service reads them."""

from __future__ import annotations

__all__ = ["MAX_ID"]

# The users service assigns user and organization ids and stores them as PostgreSQL
# ``integer``; no larger id exists. Other services may store them wider (``bigint``) but
# refuse larger ones, in tokens, headers, paths and bodies alike.
MAX_ID = 2**31 - 1
