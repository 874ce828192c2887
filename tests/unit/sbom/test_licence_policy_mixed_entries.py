"""A denied SPDX licence is reported whatever other (non-SPDX) entries a component lists."""

from __future__ import annotations

from typing import Any

from chainkit.sbom._check import CheckOptions, check_sbom
from chainkit.sbom._licenses import evaluate, parse_allow_list
from chainkit.sbom._read import parse_sbom

MIT = parse_allow_list(("MIT",))


def _sbom(licenses: list[dict[str, Any]]) -> Any:
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
                    "version": "1.0",
                    "purl": "pkg:pypi/a@1.0",
                    "licenses": licenses,
                }
            ],
        },
        source="test",
    )


GPL_AND_TEXT = [{"license": {"id": "GPL-3.0-only"}}, {"license": {"name": "see LICENSE file"}}]


def test_evaluate_reports_denied_and_unknown_entries_separately() -> None:
    verdict = evaluate(("GPL-3.0-only", "see LICENSE file"), MIT)
    assert (verdict.allowed, verdict.denied, verdict.unknown) == (
        False,
        ("GPL-3.0-only",),
        ("see LICENSE file",),
    )


def test_a_free_text_entry_does_not_hide_a_denied_licence() -> None:
    result = check_sbom(_sbom(GPL_AND_TEXT), CheckOptions(allow_licenses=MIT))
    assert [f.rule.id for f in result.findings] == ["LICENSE-NOT-ALLOWED"]
    assert "GPL-3.0-only" in result.findings[0].message
    assert result.unchecked_components == ("a 1.0",)


def test_with_deny_unknown_both_are_reported() -> None:
    options = CheckOptions(allow_licenses=MIT, deny_unknown_licenses=True)
    result = check_sbom(_sbom(GPL_AND_TEXT), options)
    assert sorted(f.rule.id for f in result.findings) == ["LICENSE-NOT-ALLOWED", "LICENSE-UNKNOWN"]
    assert result.unchecked_components == ()


def test_an_allowed_licence_plus_free_text_is_no_denial_but_is_named_unchecked() -> None:
    licenses = [{"license": {"id": "MIT"}}, {"license": {"name": "LicenseRef-Custom"}}]
    result = check_sbom(_sbom(licenses), CheckOptions(allow_licenses=MIT))
    assert result.findings == ()
    assert result.unchecked_components == ("a 1.0",)
