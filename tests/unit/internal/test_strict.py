"""The strict reader refuses what chainkit never writes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chainkit._internal.strict import DocumentError, Obj, dataclass_keys, load_json, load_yaml


@dataclass(frozen=True)
class _Thing:
    name: str
    fail_on: str
    size: int


def _err(e: DocumentError) -> Exception:
    return ValueError(str(e))


def test_keys_come_from_the_dataclass() -> None:
    assert dataclass_keys(_Thing, rename={"fail_on": "fail-on"}) == ("name", "fail-on", "size")
    r = Obj.of(
        {"name": "x", "fail-on": "high", "size": 3},
        "doc",
        _Thing,
        error=_err,
        rename={"fail_on": "fail-on"},
    )
    assert (r.text("name"), r.integer("size")) == ("x", 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "fail-on": "h"}, "missing 'size'"),
        ({"name": "x", "fail-on": "h", "size": 1, "extra": 1}, "unknown 'extra'"),
        ([], "must be an object"),
    ],
)
def test_wrong_keys_name_the_place(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Obj.of(data, "doc.things[2]", _Thing, error=_err, rename={"fail_on": "fail-on"})


def test_wrong_types_name_the_key() -> None:
    r = Obj({"size": True, "name": 3}, "doc", ("size", "name"), error=_err)
    with pytest.raises(ValueError, match=r"doc\.size: must be an integer"):
        r.integer("size")
    with pytest.raises(ValueError, match=r"doc\.name: must be a string"):
        r.text("name")


def test_json_refuses_duplicates_and_constants() -> None:
    with pytest.raises(DocumentError, match="duplicate key 'a'"):
        load_json('{"a": 1, "a": 2}', source="plan.json")
    with pytest.raises(DocumentError, match="NaN is not JSON"):
        load_json('{"a": NaN}', source="plan.json")
    with pytest.raises(DocumentError, match="deeper than"):
        load_json("[" * 100 + "]" * 100, source="plan.json")


def test_yaml_refuses_alias_bombs_tags_and_duplicates() -> None:
    bomb = 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n'
    with pytest.raises(DocumentError, match="aliases are not accepted"):
        load_yaml(bomb, source="seed.yaml")
    with pytest.raises(DocumentError, match="not valid YAML"):
        load_yaml("a: !!python/object/apply:os.system ['true']", source="seed.yaml")
    with pytest.raises(DocumentError, match="duplicate key 'a'"):
        load_yaml("a: 1\na: 2\n", source="seed.yaml")
    assert load_yaml("a: [1, 2]\n", source="seed.yaml") == {"a": [1, 2]}


def test_numbers_chainkit_never_writes_are_refused() -> None:
    with pytest.raises(DocumentError, match="out of range"):
        load_json('{"a": 1e400}', source="plan.json")
    with pytest.raises(DocumentError, match="more than 30 digits"):
        load_json('{"a": ' + "9" * 5000 + "}", source="plan.json")
    with pytest.raises(DocumentError, match=r"more than 30 digits|not valid YAML"):
        load_yaml("a: " + "9" * 5000 + "\n", source="seed.yaml")
    with pytest.raises(DocumentError, match="not accepted"):
        load_yaml("a: .nan\n", source="seed.yaml")


def test_impossible_times_and_trailing_newlines_are_refused() -> None:
    import re

    r = Obj({"t": "2026-13-01T00:00:00Z", "h": "ab\n"}, "plan", ("t", "h"), error=_err)
    with pytest.raises(ValueError, match=r"plan\.t: must be a real UTC time"):
        r.time("t")
    with pytest.raises(ValueError, match=r"plan\.h: must be a string of the right form"):
        r.text("h", pattern=re.compile(r"^[a-z]+$"))


@pytest.mark.parametrize("value", [True, 1.0, "1"])
def test_choice_is_typed_bool_and_float_are_not_int(value: object) -> None:
    from chainkit._internal.strict import DocumentError, Obj

    obj = Obj({"version": value}, "doc", ("version",), error=lambda e: e)
    with pytest.raises(DocumentError, match=r"doc\.version"):
        obj.choice("version", (1,))
    assert Obj({"v": 1}, "doc", ("v",), error=lambda e: e).choice("v", (1,)) == 1
