"""What the shared nox sessions do; :mod:`toolkit.host.registration` only registers them.

Everything here runs inside nox's own process (the host), so it uses the standard
library and nox only. Work that needs SQLAlchemy, coverage or pytest happens in the
package environments, as subprocesses.
"""
