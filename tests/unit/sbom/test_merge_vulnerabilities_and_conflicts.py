"""``sbom merge`` keeps every input's vulnerabilities (``affects`` remapped, deduplicated by id
and source) and reports one purl with different hashes or licences as a conflict."""

from __future__ import annotations

import json
from typing import Any

from chainkit.sbom._merge import merge_sboms
from chainkit.sbom._read import parse_sbom
from chainkit.sbom._validate import validate_json

A = "pkg:pypi/a@1.0"
B = "pkg:pypi/b@2.0"


def _sbom(components: list[dict[str, Any]], **extra: Any) -> Any:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components}
    return parse_sbom({**doc, **extra}, source="test")


def _component(name: str, version: str, ref: str, **extra: Any) -> dict[str, Any]:
    purl = f"pkg:pypi/{name}@{version}"
    return {
        "type": "library",
        "bom-ref": ref,
        "name": name,
        "version": version,
        "purl": purl,
        **extra,
    }


def _vuln(vid: str, ref: str) -> dict[str, Any]:
    return {"bom-ref": f"v-{ref}", "id": vid, "source": {"name": "OSV"}, "affects": [{"ref": ref}]}


def test_vulnerabilities_are_carried_over_remapped_and_deduplicated() -> None:
    first = _sbom(
        [_component("a", "1.0", "first-a"), _component("b", "2.0", "first-b")],
        vulnerabilities=[_vuln("GHSA-1", "first-a"), _vuln("GHSA-2", "first-b")],
    )
    second = _sbom(
        [_component("a", "1.0", "second-a")],
        vulnerabilities=[_vuln("GHSA-1", "second-a"), _vuln("GHSA-3", "second-a")],
    )
    result = merge_sboms([first, second])
    document = json.loads(result.document)
    validate_json(document, "1.6", what="merged")
    found = {v["id"]: [a["ref"] for a in v["affects"]] for v in document["vulnerabilities"]}
    assert found == {"GHSA-1": [A], "GHSA-2": [B], "GHSA-3": [A]}
    assert result.vulnerabilities == 3
    assert result.conflicts == ()


def test_the_same_id_from_another_source_is_kept_apart() -> None:
    first = _sbom([_component("a", "1.0", "a")], vulnerabilities=[_vuln("CVE-1", "a")])
    other = {**_vuln("CVE-1", "a"), "source": {"name": "NVD"}}
    second = _sbom([_component("a", "1.0", "a")], vulnerabilities=[other])
    document = json.loads(merge_sboms([first, second]).document)
    assert sorted(v["source"]["name"] for v in document["vulnerabilities"]) == ["NVD", "OSV"]


def test_one_purl_with_different_hashes_or_licences_is_a_blocking_conflict() -> None:
    first = _sbom(
        [
            _component(
                "a",
                "1.0",
                "a",
                hashes=[{"alg": "SHA-256", "content": "a" * 64}],
                licenses=[{"license": {"id": "MIT"}}],
            )
        ]
    )
    second = _sbom(
        [
            _component(
                "a",
                "1.0",
                "a",
                hashes=[{"alg": "SHA-256", "content": "b" * 64}],
                licenses=[{"license": {"id": "GPL-3.0-only"}}],
            )
        ]
    )
    result = merge_sboms([first, second])
    assert [(c.subject, c.kind) for c in result.conflicts] == [(A, "hashes"), (A, "licenses")]
    assert result.blocking
    (kept,) = json.loads(result.document)["components"]
    assert kept["hashes"] == [{"alg": "SHA-256", "content": "a" * 64}]  # the first input's


def test_versions_alone_are_a_warning_not_a_blocking_conflict() -> None:
    result = merge_sboms(
        [_sbom([_component("a", "1.0", "a")]), _sbom([_component("a", "2.0", "a")])]
    )
    assert [(c.subject, c.kind, c.values) for c in result.conflicts] == [
        ("pkg:pypi/a", "version", ("1.0", "2.0"))
    ]
    assert not result.blocking


def test_a_copy_without_hashes_is_no_conflict() -> None:
    hashed = _component("a", "1.0", "a", hashes=[{"alg": "SHA-256", "content": "a" * 64}])
    result = merge_sboms([_sbom([hashed]), _sbom([_component("a", "1.0", "a")])])
    assert result.conflicts == ()
