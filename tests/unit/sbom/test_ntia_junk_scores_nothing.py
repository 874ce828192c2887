"""NTIA elements that are blank, malformed or inconsistent are not present."""

from __future__ import annotations

from typing import Any

import pytest

from chainkit.sbom._check import CheckOptions, check_sbom
from chainkit.sbom._read import parse_sbom

# what the reviewer scored 100%: blank strings, a purl that is not one, a duplicated
# bom-ref, an author with no name, a dependency on a ref that does not exist
JUNK = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "metadata": {"timestamp": "2024-01-01T00:00:00Z", "authors": [{"name": " "}]},
    "components": [
        {
            "type": "library",
            "bom-ref": "x",
            "name": " ",
            "version": " ",
            "purl": "not-a-purl",
            "supplier": {"name": " "},
        },
        {
            "type": "library",
            "bom-ref": "x",
            "name": "other",
            "version": "\t",
            "purl": " ",
            "authors": [{}],
        },
    ],
    "dependencies": [{"ref": "x", "dependsOn": ["does-not-exist"]}],
}


def _component(**fields: Any) -> dict[str, Any]:
    return {
        "type": "library",
        "bom-ref": "a",
        "name": "a",
        "version": "1.0",
        "purl": "pkg:pypi/a@1.0",
        "supplier": {"name": "A Corp"},
        **fields,
    }


def _check(components: list[dict[str, Any]], **extra: Any) -> Any:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"timestamp": "2024-01-01T00:00:00Z", "authors": [{"name": "me"}]},
        "components": components,
        "dependencies": [{"ref": c["bom-ref"]} for c in components],
        **extra,
    }
    return check_sbom(parse_sbom(doc, source="test"), CheckOptions())


def test_the_reviewers_junk_sbom_scores_only_its_timestamp_and_one_real_name() -> None:
    result = check_sbom(parse_sbom(JUNK, source="junk"), CheckOptions())
    # 2 components x 5 + 2; present: the timestamp and the name "other"
    assert (result.present, result.total) == (2, 12)
    assert [g.missing for g in result.components] == [
        ("supplier", "name", "version", "unique identifier", "dependency relationships"),
        ("supplier", "version", "unique identifier", "dependency relationships"),
    ]
    assert result.document_missing == ("author",)
    assert [f.rule.id for f in result.findings] == ["SBOM-INCONSISTENT", "SBOM-INCONSISTENT"]


def test_a_complete_component_scores_full_marks() -> None:
    result = _check([_component()])
    assert (result.score, result.findings) == (100.0, ())


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({"name": "  "}, "name"),
        ({"version": "\n"}, "version"),
        ({"supplier": {"name": " "}}, "supplier"),
        ({"supplier": {}, "authors": [{}]}, "supplier"),
        ({"supplier": {}, "authors": [{"name": " ", "phone": "1"}]}, "supplier"),
        ({"purl": "not-a-purl"}, "unique identifier"),
        ({"purl": "pkg:pypi/a@2.0"}, "unique identifier"),  # not the component's version
        ({"purl": " "}, "unique identifier"),
    ],
)
def test_blank_or_malformed_elements_are_missing(fields: dict[str, Any], missing: str) -> None:
    (gaps,) = _check([_component(**fields)]).components
    assert gaps.missing == (missing,)


def test_an_author_email_is_enough_and_a_purl_without_version_is_valid() -> None:
    component = _component(supplier=None, authors=[{"email": "a@example.org"}], purl="pkg:pypi/a")
    del component["supplier"]
    assert _check([component]).components == ()


def test_metadata_authors_without_a_name_fall_back_to_tools() -> None:
    tools = {"components": [{"type": "application", "name": " "}]}
    metadata = {"timestamp": "2024-01-01T00:00:00Z", "authors": [{}], "tools": tools}
    assert _check([_component()], metadata=metadata).document_missing == ("author",)


def test_a_dangling_dependency_is_a_finding_and_the_relationship_is_missing() -> None:
    result = _check([_component()], dependencies=[{"ref": "a", "dependsOn": ["nowhere"]}])
    assert [f.rule.id for f in result.findings] == ["SBOM-INCONSISTENT"]
    assert result.components[0].missing == ("dependency relationships",)
