"""Naming rules: wire names from the schemas to Python names.

The rules are mechanical, so that a reader of Part 2 can guess every Python name:

* Attributes are ``snake_case`` of the wire name.  A word boundary is placed
  - between a lower-case letter and an upper-case letter (``vendorName`` ->
    ``vendor_name``, ``numEPriceLevels`` -> ``num_e_price_levels``);
  - inside a run of capitals, before the last capital when a lower-case letter follows
    (``responderURL`` -> ``responder_url``, ``EVConnected`` -> ``ev_connected``);
  - between a digit and a capital that starts a word or a run of capitals
    (``iso15118SchemaVersion`` -> ``iso15118_schema_version``,
    ``Get15118EVCertificate`` -> ``GET15118_EV_CERTIFICATE``), but not before a
    lone capital (``1P`` stays ``1p``).
  Digits stay attached to what precedes them (``language1``, ``iso15118``).
* Enum members are the same words in ``UPPER_SNAKE``; every character that cannot be
  part of a Python name (``.``, ``-``, spaces) is a word boundary
  (``Energy.Active.Import.Register`` -> ``ENERGY_ACTIVE_IMPORT_REGISTER``,
  ``L1-N`` -> ``L1_N``, ``s309-1P-16A`` -> ``S309_1P_16A``, ``eMAID`` -> ``E_MAID``).
* A few mixed-case acronyms count as one word wherever they appear: ``SoC``
  (``bulkSoC`` -> ``bulk_soc``), ``IKEv2`` (``IKEV2``), ``eMAID`` (``EMAID``) and
  ``V2G`` (``SignV2GCertificate`` -> ``SIGN_V2G_CERTIFICATE``).
* A name that is not a valid identifier (one starting with a digit, say) or that is a
  keyword is refused rather than guessed; OCPP 2.0.1 has none.
* Class names are the schema's definition names, unchanged.
* Action members are the action name in ``UPPER_SNAKE`` (``BootNotification`` ->
  ``BOOT_NOTIFICATION``, ``Get15118EVCertificate`` -> ``GET15118_EV_CERTIFICATE``).

The generator checks every result: it must be a valid identifier, not a keyword, and
unique within its class or enum; otherwise generation fails.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable

_BOUNDARIES = (  # applied in this order
    re.compile(r"(?<=[0-9])(?=[A-Z]+[a-z])"),
    re.compile(r"(?<=[a-z])(?=[A-Z])"),
    re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])"),
)
_NOT_NAME = re.compile(r"[^0-9A-Za-z]+")
ACRONYMS = ("SoC", "IKEv2", "eMAID", "V2G")


class NamingError(ValueError):
    """A wire name has no valid, unique Python name under the documented rules."""


def words(wire: str) -> list[str]:
    """Split a wire name into words, following the module's rules."""
    text = _NOT_NAME.sub("_", wire)
    for acronym in ACRONYMS:
        text = text.replace(acronym, f"_{acronym.upper()}_")
    for boundary in _BOUNDARIES:
        text = boundary.sub("_", text)
    return [w for w in text.split("_") if w]


def snake_case(wire: str) -> str:
    """The attribute name of a wire property name."""
    return _checked("_".join(w.lower() for w in words(wire)), wire)


def upper_snake(wire: str) -> str:
    """The member name of an enumeration value or an action."""
    return _checked("_".join(w.upper() for w in words(wire)), wire)


def _checked(name: str, wire: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise NamingError(f"{wire!r} gives {name!r}, which is not a usable Python name")
    return name


def assign(
    wires: Iterable[str], convert: Callable[[str], str], what: str
) -> dict[str, str]:
    """Map each wire name to its Python name, failing loudly on a collision."""
    seen: dict[str, str] = {}
    result: dict[str, str] = {}
    for wire in wires:
        name = convert(wire)
        if name in seen:
            raise NamingError(
                f"{what}: {seen[name]!r} and {wire!r} both map to Python name {name!r}"
            )
        seen[name] = wire
        result[wire] = name
    return result
