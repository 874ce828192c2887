"""in-toto statements come from bundles anyone can upload: every malformed or ambiguous
one is a StatementFormatError (a failed verification), never a crash or a guess."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainkit.attestation import (
    MAX_STATEMENT_BYTES,
    STATEMENT_TYPE,
    StatementFormatError,
    Subject,
    parse_statement,
)
from chainkit.errors import ExitCode

A = "a" * 64


def doc(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": "w.whl", "digest": {"sha256": A}}],
        "predicateType": "https://example.com/p",
        "predicate": {},
    }
    data.update(overrides)
    return data


def test_a_well_formed_statement_parses() -> None:
    statement = parse_statement(json.dumps(doc()).encode())
    assert statement.subjects == (Subject("w.whl", A),)
    assert statement.predicate_type == "https://example.com/p"


def test_other_digests_and_resource_descriptor_fields_are_allowed() -> None:
    subject = {"name": "w.whl", "digest": {"sha256": A, "sha512": "f" * 128}, "uri": "x"}
    assert parse_statement(json.dumps(doc(subject=[subject]))).digests() == {"w.whl": A}


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b"null",
        json.dumps(doc(_type="https://in-toto.io/Statement/v0.1")).encode(),
        json.dumps(doc(subject=[])).encode(),
        json.dumps(doc(subject={"name": "w.whl"})).encode(),
        json.dumps(doc(subject=["w.whl"])).encode(),
        json.dumps(doc(subject=[{"name": "", "digest": {"sha256": A}}])).encode(),
        json.dumps(doc(subject=[{"name": 1, "digest": {"sha256": A}}])).encode(),
        json.dumps(doc(subject=[{"name": "w.whl"}])).encode(),
        json.dumps(doc(subject=[{"name": "w.whl", "digest": A}])).encode(),
        json.dumps(doc(subject=[{"name": "w.whl", "digest": {"sha512": "f" * 128}}])).encode(),
        json.dumps(doc(subject=[{"name": "w.whl", "digest": {"sha256": A.upper()}}])).encode(),
        json.dumps(doc(subject=[{"name": "w.whl", "digest": {"sha256": A + "\n"}}])).encode(),
        json.dumps(doc(subject=[{"name": "w.whl", "digest": {"sha256": 1}}])).encode(),
        json.dumps(doc(subject=[{"name": "w", "digest": {"sha256": A}, "evil": 1}])).encode(),
        json.dumps(doc(subject=[{"name": "w", "digest": {"sha256": A}}] * 2)).encode(),
        json.dumps(doc(predicate=[])).encode(),
        json.dumps(doc(predicateType=None)).encode(),
        json.dumps({**doc(), "extra": 1}).encode(),
        # a second "subject" key: parsers disagree on which one wins, so neither is taken
        b'{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p",'
        b'"predicate":{},"subject":[{"name":"w","digest":{"sha256":"' + A.encode() + b'"}}]}',
        b'{"_type":"https://in-toto.io/Statement/v1","subject":NaN}',
        b"[" * 10_000 + b"]" * 10_000,
        b" " * (MAX_STATEMENT_BYTES + 1),
    ],
)
def test_hostile_statements_are_refused(payload: bytes) -> None:
    with pytest.raises(StatementFormatError) as exc:
        parse_statement(payload, source="statement")
    assert exc.value.exit_code == ExitCode.FINDINGS
    assert len(exc.value.message) < 400  # bounded, whatever the input


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(payload: bytes) -> None:
    try:
        statement = parse_statement(payload)
    except StatementFormatError:
        return
    assert statement.subjects  # anything accepted has at least one subject
