"""Schema validation of CycloneDX documents, fast enough to run on every SBOM.

The schema, its referenced schemas (SPDX ids, JSF, cryptography definitions) and the
validator class (Draft 7) are cyclonedx-python-lib's own; only the ``iri-reference`` format
check is replaced by :func:`chainkit.sbom._iri.is_iri_reference`, a compiled regular
expression for the grammar ``rfc3987_syntax`` parses with an Earley parser. Every other
format (``date-time``, ``idn-email``, ``uri``) keeps jsonschema's checker. The compiled
validator is built once per spec version.

XML documents are validated by cyclonedx-python-lib's XSD validator (lxml).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from chainkit.sbom._errors import InvalidSbomError
from chainkit.sbom._iri import is_iri_reference

__all__ = ["SPEC_VERSIONS", "schema_errors", "validate_json", "validate_xml"]

SPEC_VERSIONS = ("1.5", "1.6")
_MAX_REPORTED = 5


@functools.cache
def _validator(spec: str) -> Any:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON, CRYPTOGRAPHY_DEFS, JSF, SPDX_JSON
    from jsonschema import FormatChecker
    from jsonschema.validators import Draft7Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    def load(path: str) -> Any:
        return json.loads(Path(path).read_text(encoding="utf-8"))

    schema_file = BOM_JSON[SchemaVersion.from_version(spec)]
    prefix = "http://cyclonedx.org/schema/"
    registry: Any = Registry().with_resources(
        [
            (f"{prefix}spdx.SNAPSHOT.schema.json", DRAFT7.create_resource(load(SPDX_JSON))),
            (
                f"{prefix}cryptography-defs.SNAPSHOT.schema.json",
                DRAFT7.create_resource(load(CRYPTOGRAPHY_DEFS)),
            ),
            (f"{prefix}jsf-0.82.SNAPSHOT.schema.json", DRAFT7.create_resource(load(JSF))),
        ]
    )
    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft7Validator.FORMAT_CHECKER.checkers)
    checker.checkers["iri-reference"] = (is_iri_reference, ())
    return Draft7Validator(load(str(schema_file)), registry=registry, format_checker=checker)


def _where(path: Any) -> str:
    """A JSON path; keys come from the document, so long ones are cut."""

    def key(part: object) -> str:
        text = str(part)
        return text if len(text) <= 40 else text[:37] + "..."

    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{key(p)}" for p in path)
    return f"${parts}"


def schema_errors(document: Any, spec: str) -> list[str]:
    """Where ``document`` breaks the CycloneDX ``spec`` schema (a few places, each as a JSON
    path and the schema keyword; never the offending value)."""
    if spec not in SPEC_VERSIONS:
        return [f"$.specVersion: chainkit reads CycloneDX {', '.join(SPEC_VERSIONS)}"]
    errors = []
    for error in _validator(spec).iter_errors(document):
        errors.append(f"{_where(error.absolute_path)}: fails '{error.validator}'")
        if len(errors) >= _MAX_REPORTED:
            break
    return sorted(errors)


def validate_json(document: Any, spec: str, *, what: str) -> None:
    """:class:`InvalidSbomError` unless ``document`` is valid CycloneDX ``spec``."""
    errors = schema_errors(document, spec)
    if errors:
        raise InvalidSbomError(
            f"{what} is not valid CycloneDX {spec}: {'; '.join(errors)}",
            remediation="this is a bug when chainkit generated it; otherwise fix or "
            "regenerate the SBOM",
        )


def validate_xml(text: str, spec: str, *, what: str) -> None:
    from cyclonedx.schema import OutputFormat, SchemaVersion
    from cyclonedx.validation import make_schemabased_validator

    validator = make_schemabased_validator(OutputFormat.XML, SchemaVersion.from_version(spec))
    try:
        failed = validator.validate_str(text) is not None
    except (ValueError, SyntaxError):  # lxml's XMLSyntaxError is a SyntaxError
        failed = True
    if failed:
        raise InvalidSbomError(
            f"{what} is not valid CycloneDX {spec} XML",
            remediation="this is a bug in chainkit; please report it",
        )
