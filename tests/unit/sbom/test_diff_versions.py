"""``sbom diff``: PEP 440 equality first; versions that are not PEP 440 have no order."""

from __future__ import annotations

from typing import Any

import pytest

from chainkit.sbom._diff import diff_sboms
from chainkit.sbom._read import parse_sbom


def _sbom(version: str) -> Any:
    return parse_sbom(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "components": [
                {
                    "type": "library",
                    "bom-ref": "a",
                    "name": "a",
                    "version": version,
                    "purl": f"pkg:pypi/a@{version}",
                }
            ],
        },
        source="test",
    )


@pytest.mark.parametrize(("old", "new"), [("1.0", "1.0.0"), ("1.0.0", "1.0"), ("1.0", "v1.0")])
def test_pep440_equal_versions_are_no_change_either_way(old: str, new: str) -> None:
    assert diff_sboms(_sbom(old), _sbom(new)).changes == ()


@pytest.mark.parametrize(("old", "new"), [("1.0", "2.0"), ("2.0", "1.0")])
def test_pep440_order_gives_up_or_down(old: str, new: str) -> None:
    kind = "upgraded" if new > old else "downgraded"
    assert [c.kind for c in diff_sboms(_sbom(old), _sbom(new)).changes] == [kind]


@pytest.mark.parametrize(("old", "new"), [("abc", "abd"), ("abd", "abc"), ("1.0", "foo")])
def test_versions_that_are_not_pep440_are_changed_neither_up_nor_down(old: str, new: str) -> None:
    assert [c.kind for c in diff_sboms(_sbom(old), _sbom(new)).changes] == ["changed"]
