"""Hostile installed metadata: control characters never reach an SBOM, and never crash the
writers (an input error, exit 2, not an internal error)."""

from __future__ import annotations

import json

import pytest

from chainkit.sbom._build import BuildOptions, build_document
from chainkit.sbom._errors import InvalidSbomError, SbomInputError
from chainkit.sbom._inventory import Inventory, Package, Person
from chainkit.sbom._probe import parse_probe


def _probe(**fields: object) -> dict[str, object]:
    return {"prefix": "/venv", "markers": {}, "distributions": [{**fields}]}


@pytest.mark.parametrize("version", ["2.0\x0b", "2.0\x00", "\x1b[31m2.0", "2.0\x85", "2.0\n"])
def test_a_version_with_control_characters_is_an_input_error(version: str) -> None:
    with pytest.raises(SbomInputError, match="control characters") as caught:
        parse_probe(_probe(name="evil", version=version))
    assert "\x1b" not in str(caught.value) and "\x00" not in str(caught.value)


def test_a_name_with_control_characters_is_an_input_error() -> None:
    with pytest.raises(SbomInputError, match="control characters"):
        parse_probe(_probe(name="ev\x01il", version="1.0"))


def test_control_characters_are_stripped_from_free_text_fields() -> None:
    (dist,) = parse_probe(
        _probe(
            name="ok",
            version="1.0",
            Author="A\x1b[2Jlice\x00",
            License="MIT\x0b",
            Classifier=["License :: OSI Approved :: MIT License\x01"],
            **{"Requires-Dist": ["idna\x9b"], "Author-email": "a@example.org\x07"},
        )
    ).distributions
    assert (dist.author, dist.license, dist.classifiers, dist.requires, dist.author_email) == (
        "A[2Jlice",
        "MIT",
        ("License :: OSI Approved :: MIT License",),
        ("idna",),
        "a@example.org",
    )


def test_an_xml_sbom_that_cannot_carry_a_field_is_an_invalid_sbom_not_a_crash() -> None:
    package = Package(name="a", version="1.0", authors=(Person("x\x01y"),))
    inventory = Inventory(None, (package,), (), "environment")
    with pytest.raises(InvalidSbomError, match="XML"):
        build_document(inventory, BuildOptions(fmt="xml"))
    # JSON can escape it; the document is still valid
    document = json.loads(build_document(inventory, BuildOptions(fmt="json")))
    assert document["components"][0]["authors"] == [{"name": "x\x01y"}]
