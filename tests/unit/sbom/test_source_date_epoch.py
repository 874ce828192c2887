"""SOURCE_DATE_EPOCH as the reproducible-builds spec defines it: ASCII digits only."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chainkit.sbom._build import timestamp_from
from chainkit.sbom._errors import SbomInputError


def test_digits_are_seconds_since_1970() -> None:
    assert timestamp_from("1700000000", reproducible=True) == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    "text",
    ["-1", "+5", "1_700_000_000", " 1700000000 ", "1700000000\n", "\uff11\uff17", "0x10", "1e9"],
)
def test_anything_but_ascii_digits_is_an_input_error(text: str) -> None:
    with pytest.raises(SbomInputError, match="SOURCE_DATE_EPOCH"):
        timestamp_from(text, reproducible=True)
