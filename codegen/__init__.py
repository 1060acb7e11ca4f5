"""The code generator of ocpp201: OCPP JSON schemas -> typed Python modules.

``python -m codegen`` regenerates ``ocpp201/{enums,datatypes,messages,actions}.py``
from ``schemas/``; ``python -m codegen --check`` only compares and exits with status 1,
naming each file that differs, when the checked-in files are out of date.
"""

from .emit import emit_all
from .loader import SchemaError, load

__all__ = ["SchemaError", "emit_all", "load"]
