"""An invalid PEP 639 ``License-Expression`` is never written: classifiers/``License`` are
used instead, and the fallback is noted."""

from __future__ import annotations

import logging

import pytest

from chainkit.sbom._inventory import licenses_from_metadata
from chainkit.sbom._licenses import valid_expression

MIT_CLASSIFIER = "License :: OSI Approved :: MIT License"


@pytest.mark.parametrize(
    "text",
    [
        "MIT",
        "mit",
        "MIT OR Apache-2.0",
        "GPL-2.0-only WITH Classpath-exception-2.0",
        "LicenseRef-Proprietary",
        "MIT AND LicenseRef-x.y-1",
    ],
)
def test_valid_expressions(text: str) -> None:
    assert valid_expression(text)


@pytest.mark.parametrize(
    "text", ["MIT OR OR", "(MIT", "MIT OR", "Foo-Bar", "MIT WITH Foo", "MIT AND (", "BSD License"]
)
def test_invalid_expressions(text: str) -> None:
    assert not valid_expression(text)


def test_an_invalid_expression_falls_back_to_classifiers_and_is_noted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="chainkit.sbom"):
        found = licenses_from_metadata("MIT OR OR", [MIT_CLASSIFIER], None, what="x 1.0")
    assert found == (None, ("MIT",))
    assert "x 1.0: License-Expression is not a valid SPDX expression" in caplog.text


def test_an_invalid_expression_without_classifiers_falls_back_to_license() -> None:
    assert licenses_from_metadata("MIT OR OR", [], "MIT License") == (None, ("MIT License",))
    assert licenses_from_metadata("MIT OR OR", [], None) == (None, ())


def test_a_valid_expression_is_kept() -> None:
    assert licenses_from_metadata(" MIT OR Apache-2.0 ", [MIT_CLASSIFIER], None) == (
        "MIT OR Apache-2.0",
        (),
    )
