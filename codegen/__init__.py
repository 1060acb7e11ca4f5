"""The code generator of ocpp201: OCPP JSON schemas -> typed Python modules.

``python -m codegen`` regenerates ``ocpp201/{enums,datatypes,messages,actions}.py``,
the per-class modules under ``ocpp201/_{enums,datatypes,messages}/`` and
``ocpp201/_decorators.py`` from ``schemas/``; ``python -m codegen --check`` only
compares and exits with status 1, naming each file that differs, when the checked-in
files are out of date.
"""

from .loader import SchemaError, load
from .modules import emit_all

__all__ = ["SchemaError", "emit_all", "load"]
