"""Licence policy on SPDX expressions, and licences/people from core metadata."""

from __future__ import annotations

import pytest

from chainkit.sbom._inventory import Person, licenses_from_metadata, people
from chainkit.sbom._licenses import evaluate, parse_allow_list

ALLOWED = parse_allow_list(("MIT", "Apache-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"))


@pytest.mark.parametrize(
    ("expression", "allowed"),
    [
        ("MIT", True),
        ("mit", True),
        ("MIT OR GPL-3.0-only", True),
        ("GPL-3.0-only OR MIT", True),
        ("MIT AND GPL-3.0-only", False),
        ("MIT AND (Apache-2.0 OR GPL-3.0-only)", True),
        ("(MIT AND GPL-3.0-only) OR Apache-2.0", True),
        ("GPL-2.0-only WITH Classpath-exception-2.0", True),
        ("GPL-2.0-only", False),
        ("Apache-2.0 WITH LLVM-exception", True),
        ("BSD-3-Clause", False),
    ],
)
def test_expressions_are_allowed_when_satisfiable_with_allowed_licences(
    expression: str, allowed: bool
) -> None:
    verdict = evaluate((expression,), ALLOWED)
    assert (verdict.allowed, verdict.unknown) == (allowed, ())


@pytest.mark.parametrize("text", ["BSD License", "LicenseRef-Proprietary", "(MIT", "MIT OR"])
def test_what_is_not_spdx_is_unknown_and_never_allowed(text: str) -> None:
    assert evaluate((text,), ALLOWED).unknown == (text,)
    assert not evaluate((text,), ALLOWED).allowed


def test_several_licence_entries_must_all_be_allowed() -> None:
    assert evaluate(("MIT", "Apache-2.0"), ALLOWED).allowed
    assert not evaluate(("MIT", "GPL-3.0-only"), ALLOWED).allowed


def test_no_licence_is_unknown() -> None:
    assert evaluate((), None).unknown == ("(none)",)


def test_allow_list_entries_must_be_single_licences() -> None:
    with pytest.raises(ValueError, match=r"MIT OR Apache-2\.0"):
        parse_allow_list(("MIT OR Apache-2.0",))


def test_pep_639_expression_comes_first_then_classifiers_then_license() -> None:
    mit = "License :: OSI Approved :: MIT License"
    assert licenses_from_metadata("Apache-2.0", [mit], "BSD") == ("Apache-2.0", ())
    assert licenses_from_metadata(None, [mit, "Topic :: X"], "BSD") == (None, ("MIT",))
    assert licenses_from_metadata(None, [], "BSD") == (None, ("BSD",))
    assert licenses_from_metadata(None, [], "line one\nline two") == (None, ())
    assert licenses_from_metadata(None, [], "UNKNOWN") == (None, ())
    bsd = "License :: OSI Approved :: BSD License"
    assert licenses_from_metadata(None, [bsd], None) == (None, ("BSD License",))


def test_people_from_author_fields() -> None:
    assert people("Ada", "ada@example.com") == (Person("Ada", "ada@example.com"),)
    assert people(None, "Ada <ada@example.com>, Bob <bob@example.com>") == (
        Person("Ada", "ada@example.com"),
        Person("Bob", "bob@example.com"),
    )
    assert people(None, "Ada <not an address>") == (Person("Ada", None),)
    assert people("UNKNOWN", None) == ()
