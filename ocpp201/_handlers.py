"""The old name of :mod:`ocpp201._decorators`, kept so that existing imports work.

``on`` and ``after`` are public as ``ocpp201.on`` / ``ocpp201.after``; import them
from there.  This alias goes once nothing imports the private path any more.
"""

from ._decorators import after, on

__all__ = ["after", "on"]
