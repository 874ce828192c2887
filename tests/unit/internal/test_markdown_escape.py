"""The one Markdown escaper keeps hostile values inert."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainkit._internal.markdown import code, escape, table


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a|b", "a\\|b"),
        ("1.2.3", "1.2.3"),
        ("v1.0-rc1", "v1.0-rc1"),
        ("1. x", "1\\. x"),
        ("- x", "\\- x"),
        ("---", "\\---"),
        ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert\\(1\\)\\>"),
        ("[x](http://e)", "\\[x\\]\\(http://e\\)"),
        ("a\r\nb", "a\ufffd\ufffdb"),
        ("\x1b[31mred", "\ufffd\\[31mred"),
        ("&lt;", "\\&lt;"),
    ],
)
def test_escape_examples(value: str, expected: str) -> None:
    assert escape(value) == expected


@given(st.text())
def test_escaped_value_stays_in_its_cell(value: str) -> None:
    out = escape(value)
    assert "\n" not in out and "\r" not in out
    # every pipe is escaped, so a GFM table row keeps its column count
    assert re.search(r"(?<!\\)\|", out.replace("\\\\", "")) is None
    rendered = table(["a", "b"], [[value, "x"]]).splitlines()[-1]
    assert rendered.endswith(" | x |")


@given(st.text())
def test_code_span_cannot_be_closed_from_inside(value: str) -> None:
    out = code(value)
    fence = re.match(r"`+", out)
    assert fence is not None
    inner = out[len(fence.group()) : -len(fence.group())]
    assert fence.group() not in inner


def test_table_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError, match="2 columns"):
        table(["a", "b"], [["only one"]])
