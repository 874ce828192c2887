"""The small DER writer/reader behind the TSA and the Fulcio extensions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chainkit.sandbox._sigstore import _der


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "020100"),
        (127, "02017f"),
        (128, "02020080"),
        (256, "02020100"),
        (2**63, "0209008000000000000000"),
    ],
)
def test_integer(value: int, encoded: str) -> None:
    assert _der.integer(value).hex() == encoded


def test_negative_integer_is_refused() -> None:
    with pytest.raises(ValueError):
        _der.integer(-1)


def test_oid_and_strings() -> None:
    assert _der.oid("1.2.840.113549.1.7.2").hex() == "06092a864886f70d010702"
    assert _der.oid("1.3.6.1.4.1.57264.2").hex() == "06092b0601040183bf3002"
    assert _der.utf8_string("ab").hex() == "0c026162"
    assert _der.generalized_time(datetime(2030, 1, 2, 3, 4, 5, 678, tzinfo=timezone.utc)) == (
        b"\x18\x0f20300102030405Z"
    )


@pytest.mark.parametrize("size", [0, 127, 128, 255, 256, 70000])
def test_lengths_round_trip(size: int) -> None:
    element = _der.octet_string(b"x" * size)
    parsed, end = _der.parse(element)
    assert (parsed.tag, parsed.content, end) == (0x04, b"x" * size, len(element))


def test_set_of_is_sorted_and_children_parse() -> None:
    encoded = _der.set_of(_der.integer(2), _der.integer(1))
    assert [c.content for c in _der.parse(encoded)[0].children()] == [b"\x01", b"\x02"]


@pytest.mark.parametrize("data", [b"\x30", b"\x30\x05\x02\x01", b"\x1f\x01\x00", b"\x30\x85\x00"])
def test_malformed_input_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        _der.parse(data)
