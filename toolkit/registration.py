"""``from toolkit.registration import register``: the sessions under names you pick.

The public face of :mod:`toolkit.host.registration`, for noxfiles that already have
sessions called ``unit`` or ``coverage``::

    from toolkit.registration import register

    register(".", names={"unit": "tests-unit"}, skip={"isolation"})
"""

from __future__ import annotations

from toolkit.host.registration import SESSIONS, register

__all__ = ["SESSIONS", "register"]
