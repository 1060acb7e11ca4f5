"""The generated ``__init__`` accepts and refuses exactly what the field validators do.

Every message and datatype class (but ``CustomDataType``) has an ``__init__`` written
by the code generator: it accepts the usual values with an inline check and asks the
field's validator about every other one.  Here each field of each class met in valid
payloads of all 128 schemas is given probe values around its rule (lengths, ranges,
infinities, wrong types, subclasses, naive and offset date-times ...): the
constructor must raise ``ValidationError`` exactly when the validator refuses the
value, and otherwise keep the very object it was given.
"""

from __future__ import annotations

import enum
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import oracle
import pytest
from hypothesis import given, settings
from schema_strategies import payloads

import ocpp201
from ocpp201 import JSON_NULL, ValidationError
from ocpp201._schema import (
    AnyJson,
    ArrayOf,
    Boolean,
    DateTime,
    EnumOf,
    FieldSpec,
    Integer,
    Number,
    ObjectOf,
    String,
)
from ocpp201.datatypes import CustomDataType


class _Text(str):
    pass


class _Float(float):
    pass


class _Other(enum.Enum):
    X = "Accepted"


_UTC_NOON = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)


class _When(datetime):
    pass


def _probes(spec: FieldSpec, current: Any) -> list[Any]:
    """Values on both sides of ``spec``'s rule, and a few of the wrong type."""
    probes: list[Any] = [None, object(), True, 0, 1.5, "", [], current]
    if isinstance(spec, String):
        n = spec.max_length or 30
        probes += ["x" * n, "x" * (n + 1), _Text("x"), "é" * n]
    elif isinstance(spec, Integer | Number):
        for bound in (spec.minimum, spec.maximum):
            if bound is not None:
                probes += [bound, bound - 1, bound + 1, float(bound)]
        probes += [-1, 2**70, 1.0, math.inf, -math.inf, math.nan, _Float(2.5)]
    elif isinstance(spec, Boolean):
        probes += [False, 1]
    elif isinstance(spec, DateTime):
        probes += [
            _UTC_NOON,
            _UTC_NOON.replace(tzinfo=None),
            _UTC_NOON.astimezone(timezone(timedelta(hours=1))),
            _UTC_NOON.replace(tzinfo=timezone(timedelta(seconds=30))),
            _When(2024, 5, 1, tzinfo=timezone.utc),
            "2024-05-01T12:00:00Z",
        ]
    elif isinstance(spec, EnumOf):
        member = next(iter(spec.enum))
        probes += [member, member.value, _Other.X]
    elif isinstance(spec, ObjectOf):
        probes += [CustomDataType(vendor_id="v")]
    elif isinstance(spec, ArrayOf):
        probes += [[None], [object()], [current]]
    elif isinstance(spec, AnyJson):
        probes += [JSON_NULL, {"a": [1, None]}, math.nan, {1: 2}]
    return probes


def _validator_accepts(obj: Any, attribute: Any, value: Any) -> bool:
    try:
        attribute.validator(obj, attribute, value)
    except ValidationError:
        return False
    return True


def _objects(value: Any) -> list[Any]:
    """``value`` and every attrs object inside it."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif attrs.has(type(item)):
            found.append(item)
            stack.extend(getattr(item, a.name) for a in attrs.fields(type(item)))
    return found


def _check_constructor(obj: Any) -> None:
    cls = type(obj)
    if cls is CustomDataType:
        return  # attrs' own __init__ (its extra keys)
    assert "__init__" in vars(cls) and cls.__init__.__module__ == cls.__module__
    fields = attrs.fields(cls)
    for attribute in fields:
        for probe in _probes(attribute.validator, getattr(obj, attribute.name)):
            kwargs = {a.name: getattr(obj, a.name) for a in fields}
            kwargs[attribute.name] = probe
            expected = _validator_accepts(obj, attribute, probe)
            try:
                built = cls(**kwargs)
            except ValidationError as exc:
                assert not expected, (cls.__name__, attribute.name, probe, exc)
                assert exc.problems[0].path == f"{cls.__name__}.{attribute.name}"
                continue
            assert expected, (cls.__name__, attribute.name, probe)
            assert type(built) is cls
            assert getattr(built, attribute.name) is probe


@pytest.mark.parametrize("name", oracle.SCHEMA_NAMES)
def test_constructors_refuse_what_the_validators_refuse(name: str) -> None:
    cls = getattr(ocpp201.messages, name)

    @given(payload=payloads(name))
    @settings(max_examples=3)
    def check(payload: dict[str, Any]) -> None:
        for obj in _objects(ocpp201.from_payload(cls, payload)):
            _check_constructor(obj)

    check()


def test_a_subclass_is_built_as_itself() -> None:
    """The generated __init__ stores a subclass instance's fields one by one."""

    @attrs.define(kw_only=True)
    class Stamped(ocpp201.messages.HeartbeatResponse):
        note: str = "n"

    class Plain(ocpp201.messages.HeartbeatResponse):
        pass

    plain = Plain(current_time=_UTC_NOON)
    assert type(plain) is Plain and plain.current_time is _UTC_NOON
    plain.extra_attribute = 1  # a subclass without slots keeps its __dict__
    stamped = Stamped(current_time=_UTC_NOON, note="x")
    assert type(stamped) is Stamped and stamped.note == "x"
    with pytest.raises(ValidationError):
        Plain(current_time=_UTC_NOON.replace(tzinfo=None))


def test_a_subclass_gets_no_hidden_subclass() -> None:
    """Building an instance of a user's subclass makes no class of its own: no
    ``__init_subclass__`` runs, ``__subclasses__()`` stays as it was."""

    class Final(ocpp201.messages.HeartbeatResponse):
        def __init_subclass__(cls, **kwargs: Any) -> None:
            raise TypeError("Final may not be subclassed")

    built = Final(current_time=_UTC_NOON)
    assert type(built) is Final
    assert Final.__subclasses__() == []


def test_a_subclass_redefining_a_field_is_checked_by_the_base_validator() -> None:
    """As with attrs' own __init__: the base class's __init__ checks the base
    class's fields."""

    @attrs.define(kw_only=True, init=False)
    class Loose(ocpp201.messages.HeartbeatResponse):
        current_time: Any = attrs.field(validator=attrs.validators.instance_of(str))

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)

    with pytest.raises(ValidationError, match="expected a datetime"):
        Loose(current_time="noon")


def test_validators_switched_off_are_off_in_the_generated_init_too() -> None:
    with attrs.validators.disabled():
        built = ocpp201.messages.HeartbeatResponse(current_time="not a datetime")
    assert built.current_time == "not a datetime"


def test_a_refused_value_is_stored_before_the_check_as_attrs_does() -> None:
    """attrs' __init__ stores every field, then runs the validators: a subclass
    that catches the error still has all its fields set."""

    class Lenient(ocpp201.messages.HeartbeatResponse):
        def __init__(self, **kwargs: Any) -> None:
            try:
                super().__init__(**kwargs)
            except ValidationError:
                self.refused = True

    built = Lenient(current_time="noon", custom_data=None)
    assert built.refused and built.current_time == "noon"
    assert "current_time='noon'" in repr(built)


def test_a_subclass_is_checked_on_what_it_stored() -> None:
    """As attrs' __init__ does, the fields are checked as read back after being
    stored: here a subclass's property makes a naive datetime UTC."""
    slot = ocpp201.messages.HeartbeatResponse.current_time  # the slot's descriptor

    class AutoUTC(ocpp201.messages.HeartbeatResponse):
        @property  # type: ignore[override]
        def current_time(self) -> datetime:
            return slot.__get__(self)  # type: ignore[no-any-return]

        @current_time.setter
        def current_time(self, value: datetime) -> None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            slot.__set__(self, value)

    built = AutoUTC(current_time=_UTC_NOON.replace(tzinfo=None))
    assert built.current_time == _UTC_NOON
