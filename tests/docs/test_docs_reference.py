"""The generated message reference: up to date, complete, and its examples valid.

Every example payload on the pages must be accepted by ``from_payload`` *and* by the
official schema (jsonschema, the oracle of the conformance tests), every "common
error" must really be refused, and the Python shown must build the example.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import oracle
import pytest

from codegen.docs import main as docs_main
from ocpp201 import Action, datatypes, enums, from_payload, to_payload
from ocpp201.cli.validate import check_text

ROOT = Path(__file__).resolve().parent.parent.parent
REFERENCE = ROOT / "docs" / "reference"
BLOCK = re.compile(r"```(json|python)\n(.*?)```", re.S)


def sections(page: Path) -> dict[str, list[tuple[str, str]]]:
    """The fenced blocks of a page, by the ``##`` section they are in."""
    out: dict[str, list[tuple[str, str]]] = {}
    for part in re.split(r"^## ", page.read_text(encoding="utf-8"), flags=re.M)[1:]:
        title = part.split("\n", 1)[0]
        out[title] = BLOCK.findall(part)
    return out


def test_the_pages_are_up_to_date() -> None:
    assert docs_main(["--check"]) == 0, "run `python -m codegen.docs`"


def test_every_action_datatype_and_enum_has_its_page() -> None:
    actions = {p.stem for p in (REFERENCE / "actions").glob("*.md")} - {"index"}
    assert actions == {a.value for a in Action}
    assert len(actions) == 64
    names = {p.stem for p in (REFERENCE / "datatypes").glob("*.md")} - {"index"}
    assert names == set(datatypes.__all__)
    names = {p.stem for p in (REFERENCE / "enums").glob("*.md")} - {"index"}
    assert names == set(enums.__all__)
    index = (REFERENCE / "actions" / "index.md").read_text(encoding="utf-8")
    for action in Action:
        assert f"]({action.value}.md)" in index


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_action_page_examples_are_valid_and_errors_refused(action: Action) -> None:
    found = sections(REFERENCE / "actions" / f"{action.value}.md")
    for kind, cls in (("Request", action.request), ("Response", action.response)):
        (blocks,) = [b for t, b in found.items() if t.startswith(f"{kind}: ")]
        (payload_text, frame_text, python_text) = (text for _, text in blocks)
        payload = json.loads(payload_text)
        assert oracle.is_valid(cls.__name__, payload), oracle.describe(
            oracle.errors(cls.__name__, payload)
        )
        obj = from_payload(cls, payload)
        frame = json.loads(frame_text)
        assert frame[-1] == payload
        if kind == "Request":
            assert frame[:3] == [2, "19223201", action.value]
            assert check_text(frame_text).valid
        namespace: dict[str, Any] = {}
        exec(python_text, namespace)
        built = namespace[kind.lower()]
        assert built == obj
        assert to_payload(built) == payload
    errors = found["Common errors"]
    assert len(errors) >= 4
    for (_, sent), (_, answer) in zip(errors[::2], errors[1::2], strict=False):
        message = json.loads(sent)
        if message[0] != 2:
            continue  # the response mutation has no answer block
        (result,) = check_text(sent).results
        assert result.status == "invalid"
        assert answer.strip() == result.answer
        if message[2] == action.value:  # a payload mutation: the oracle agrees
            assert not oracle.is_valid(action.request.__name__, message[3])


def _definitions_holding(name: str) -> dict[str, Any]:
    for schema_name in oracle.SCHEMA_NAMES:
        schema = oracle.load_schema(schema_name)
        if name in schema.get("definitions", {}):
            return schema
    raise AssertionError(f"no schema defines {name}")


@pytest.mark.parametrize("name", sorted(datatypes.__all__))
def test_datatype_page_example_is_valid(name: str) -> None:
    found = sections(REFERENCE / "datatypes" / f"{name}.md")
    ((_, text),) = found["Example"]
    payload = json.loads(text)
    from_payload(getattr(datatypes, name), payload)
    schema = _definitions_holding(name)
    sub = {
        "$schema": schema["$schema"],
        "definitions": schema["definitions"],
        "$ref": f"#/definitions/{name}",
    }
    jsonschema.Draft6Validator(sub, format_checker=oracle.FORMAT_CHECKER).validate(
        payload
    )


def test_enum_pages_list_every_value() -> None:
    for name in enums.__all__:
        text = (REFERENCE / "enums" / f"{name}.md").read_text(encoding="utf-8")
        for member in getattr(enums, name):
            assert f"| `{member.value}` | `{name}.{member.name}` |" in text
