"""in-toto Statement v1: the one parser of statements and their subjects.

A statement reaches chainkit as the payload of a DSSE envelope in a bundle that
anyone may have uploaded to a release. It is read strictly: duplicate keys,
non-finite numbers, unknown top-level keys, a missing or malformed subject and a
``sha256`` that is not 64 lowercase hex digits are all :class:`StatementFormatError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from chainkit._internal.strict import DocumentError, Obj, load_json
from chainkit.attestation._errors import StatementFormatError

__all__ = [
    "MAX_STATEMENT_BYTES",
    "PAYLOAD_TYPE",
    "STATEMENT_TYPE",
    "Statement",
    "Subject",
    "parse_statement",
    "statement_bytes",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
"""The DSSE payload type of an in-toto statement."""
MAX_STATEMENT_BYTES = 1 << 20
"""A statement larger than this is refused (a backfill statement is a few KiB)."""

_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
_STATEMENT_KEYS = ("_type", "subject", "predicateType", "predicate")
# in-toto ResourceDescriptor fields; only name and digest are required by a statement
_SUBJECT_KEYS = ("name", "digest", "uri", "content", "downloadLocation", "mediaType", "annotations")
_SUBJECT_OPTIONAL = ("uri", "content", "downloadLocation", "mediaType", "annotations")


@dataclass(frozen=True)
class Subject:
    """One statement subject: a name and the sha256 of its bytes."""

    name: str
    sha256: str

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a subject has a name")
        if not _HEX64.match(self.sha256):
            raise ValueError(f"not a lowercase sha256 hex digest: {self.sha256!r}")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "digest": {"sha256": self.sha256}}


@dataclass(frozen=True)
class Statement:
    """A parsed in-toto Statement v1. ``predicate`` is left to the predicate's own parser."""

    predicate_type: str
    subjects: tuple[Subject, ...]
    predicate: Mapping[str, Any]

    def digests(self) -> dict[str, str]:
        """Subject name -> sha256 (names are unique in a parsed statement)."""
        return {s.name: s.sha256 for s in self.subjects}

    def to_json(self) -> dict[str, Any]:
        return {
            "_type": STATEMENT_TYPE,
            "subject": [s.to_json() for s in self.subjects],
            "predicateType": self.predicate_type,
            "predicate": dict(self.predicate),
        }


def _fail(exc: DocumentError) -> StatementFormatError:
    return StatementFormatError(f"malformed in-toto statement: {exc}")


def _subject(data: Any, where: str) -> Subject:
    obj = Obj(data, where, _SUBJECT_KEYS, error=_fail, optional=_SUBJECT_OPTIONAL)
    name = obj.text("name", max_len=1024)
    if not name:
        raise obj.fail("name", "a non-empty string")
    digest = obj.raw("digest")
    if not isinstance(digest, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in digest.items()
    ):
        raise obj.fail("digest", "an object of algorithm -> hex digest")
    sha256 = digest.get("sha256")
    if sha256 is None or not _HEX64.match(sha256):
        raise _fail(DocumentError(f"{where}.digest.sha256", "must be 64 lowercase hex digits"))
    return Subject(name=name, sha256=sha256)


def parse_statement(payload: bytes | str, *, source: str = "statement") -> Statement:
    """Parse a DSSE payload as an in-toto Statement v1 (at least one subject, unique names).

    Raises :class:`StatementFormatError` for anything else.
    """
    try:
        data = load_json(payload, source=source, max_bytes=MAX_STATEMENT_BYTES)
    except DocumentError as exc:
        raise _fail(exc) from None
    obj = Obj(data, source, _STATEMENT_KEYS, error=_fail)
    if obj.raw("_type") != STATEMENT_TYPE:
        raise obj.fail("_type", repr(STATEMENT_TYPE))
    predicate_type = obj.text("predicateType", max_len=1024)
    predicate = obj.raw("predicate")
    if not isinstance(predicate, Mapping):
        raise obj.fail("predicate", "an object")
    subjects = obj.items("subject", _subject)
    if not subjects:
        raise obj.fail("subject", "a non-empty list")
    seen: set[str] = set()
    for i, subject in enumerate(subjects):
        if subject.name in seen:
            raise _fail(DocumentError(f"{source}.subject[{i}].name", "is a duplicate"))
        seen.add(subject.name)
    return Statement(
        predicate_type=predicate_type,
        subjects=subjects,
        predicate=MappingProxyType(dict(predicate)),
    )


def statement_bytes(statement: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON of a statement (sorted keys): the DSSE payload to sign."""
    return json.dumps(statement, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )
