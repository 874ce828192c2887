"""chainkit's schema validator rejects what cyclonedx-python-lib's validator rejects.

The only difference between the two is the ``iri-reference`` format check (a compiled
regular expression instead of ``rfc3987_syntax``'s Earley parser); it is compared with the
reference on generated strings and on a corpus, and whole documents are compared on a corpus
of invalid SBOMs.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from hypothesis import example, given
from hypothesis import strategies as st
from rfc3987_syntax import is_valid_syntax

from chainkit.sbom import InvalidSbomError, validate_document
from chainkit.sbom._iri import is_iri_reference

# Characters where IRI grammar decisions happen: delimiters, percent, non-ASCII (ucschar,
# iprivate, excluded ranges), spaces and brackets.
_ALPHABET = "aZ09:/?#[]@!$&'()*+,;=%-._~ <>\"{}|\\^`vA.\u00e9\ue000\U000f0000\ufdd0\u0085\t"
_IRIS = st.text(alphabet=_ALPHABET, max_size=24)
_URLISH = st.builds(
    lambda scheme, host, rest: f"{scheme}://{host}{rest}",
    st.sampled_from(["http", "https", "git+ssh", "x-1.2", "1http"]),
    st.text(alphabet="abc.1:[]@%v0fF", max_size=16),
    st.text(alphabet=_ALPHABET, max_size=16),
)


def _reference(value: str) -> bool:
    return bool(is_valid_syntax("iri_reference", value))


@given(st.one_of(_IRIS, _URLISH))
@example("http://[::1]/")  # the reference's IPv6 rule is stricter than RFC 3986: followed
@example("http://[1:2:3:4:5:6:7::]/")
@example("http://[v1.x]/")
@example("http://[1::2::3]/")
@example("http://user@host:port/")
@example("pkg:pypi/requests@2.32.0")
@example("http://x/?\ue000")
@example("http://x/\ue000")
@example("?\U000f0000")  # RFC 3987 iprivate beyond the BMP: the reference refuses it
@example("\U00010000")
@example("http://ex.com/%zz")
def test_iri_reference_agrees_with_rfc3987_syntax(value: str) -> None:
    assert is_iri_reference(value) == _reference(value)


def test_iri_reference_agrees_on_the_lock_file_assets_urls() -> None:
    """One URL per package of the real lock files (the reference takes ~0.1 s per URL)."""
    import re
    from pathlib import Path

    assets = Path(__file__).resolve().parents[2] / "assets" / "sbom"
    urls: dict[str, str] = {}
    for lock in sorted(assets.glob("*/*.lock")) + sorted(assets.glob("*/pylock*.toml")):
        for url in re.findall(r'(?<![\w-])url = "(https://[^"]+)"', lock.read_text()):
            urls.setdefault(url.rsplit("/", 1)[-1].split("-", 1)[0], url)
    assert len(urls) > 20
    for url in sorted(urls.values()):
        assert is_iri_reference(url) and _reference(url), url


def _valid() -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2024-01-01T00:00:00Z",
            "authors": [{"name": "A", "email": "a@example.com"}],
        },
        "components": [
            {
                "type": "library",
                "bom-ref": "pkg:pypi/a@1",
                "name": "a",
                "version": "1",
                "purl": "pkg:pypi/a@1",
                "hashes": [{"alg": "SHA-256", "content": "0" * 64}],
                "licenses": [{"expression": "MIT OR Apache-2.0"}],
                "externalReferences": [{"type": "website", "url": "https://example.com/a"}],
            }
        ],
        "dependencies": [{"ref": "pkg:pypi/a@1"}],
    }


def _mutated(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_valid())
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()
_REF = "externalReferences"
INVALID = {
    "iri with space": (("components", 0, _REF, 0, "url"), "https://exa mple.com/"),
    "iri with bad percent": (("components", 0, _REF, 0, "url"), "https://example.com/%zz"),
    "iri with angle bracket": (("components", 0, _REF, 0, "url"), "https://e.com/<x>"),
    "iri beyond the bmp": (("components", 0, _REF, 0, "url"), "https://e.com/\U00010000"),
    "iri with compressed ipv6": (("components", 0, _REF, 0, "url"), "http://[::1]/"),
    "iri with non-numeric port": (("components", 0, _REF, 0, "url"), "http://h:port/"),
    "bad timestamp": (("metadata", "timestamp"), "yesterday"),
    "bad email": (("metadata", "authors", 0, "email"), "not an address"),
    "bad serial": (("serialNumber",), "urn:uuid:nope"),
    "unknown hash algorithm": (("components", 0, "hashes", 0, "alg"), "CRC32"),
    "short hash": (("components", 0, "hashes", 0, "content"), "00"),
    "unknown component type": (("components", 0, "type"), "plugin"),
    "missing name": (("components", 0, "name"), _DELETE),
    "name of wrong type": (("components", 0, "name"), 7),
    "unknown property": (("components", 0, "colour"), "blue"),
    "unknown spdx id": (("components", 0, "licenses"), [{"license": {"id": "Not-A-Licence"}}]),
    "dependency without ref": (("dependencies", 0), {"dependsOn": []}),
    "version zero": (("version",), 0),
}


@pytest.mark.parametrize("spec", ["1.5", "1.6"])
@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_documents_are_rejected_by_both_validators(case: str, spec: str) -> None:
    path, value = INVALID[case]
    doc = _mutated(path, value)
    doc["specVersion"] = spec
    reference = JsonStrictValidator(SchemaVersion.from_version(spec)).validate_str(json.dumps(doc))
    assert reference is not None, f"the reference accepts {case}"
    with pytest.raises(InvalidSbomError, match=f"not valid CycloneDX {spec}"):
        validate_document(doc, spec)


@pytest.mark.parametrize("spec", ["1.5", "1.6"])
def test_the_valid_document_passes_both_validators(spec: str) -> None:
    doc = _valid()
    doc["specVersion"] = spec
    reference = JsonStrictValidator(SchemaVersion.from_version(spec)).validate_str(json.dumps(doc))
    assert reference is None
    validate_document(doc, spec)  # raises when invalid


def test_errors_name_the_place_never_the_value() -> None:
    doc = _mutated(("components", 0, _REF, 0, "url"), "https://exa mple.com/CANARY")
    with pytest.raises(InvalidSbomError) as raised:
        validate_document(doc, "1.6")
    assert "$.components[0].externalReferences[0].url: fails 'anyOf'" in raised.value.message
    assert "CANARY" not in raised.value.render()
