"""RFC 3987 ``IRI-reference`` as one compiled regular expression.

jsonschema checks the ``iri-reference`` format with ``rfc3987_syntax``, an Earley parser
(lark) that takes milliseconds per value; a CycloneDX document carries one or more URLs per
component, so validating an SBOM of a hundred packages took seconds. This module writes the
same grammar (RFC 3987 section 2.2, with RFC 3986's IPv6 and IPvFuture literals) as a regular
expression, built rule by rule from the ABNF below so it can be read against the RFC, and
follows the reference where it is stricter than the RFC (IPv6 literals, characters beyond
the Basic Multilingual Plane). The
unit tests compare it with ``rfc3987_syntax`` on generated strings and on a corpus.
"""

from __future__ import annotations

import re

__all__ = ["is_iri_reference"]

_ALPHA = "A-Za-z"
_DIGIT = "0-9"
_HEX = "0-9A-Fa-f"
# ucschar and iprivate as the reference has them: the Basic Multilingual Plane ranges only.
# RFC 3987 also admits the supplementary planes (U+10000 and up); the reference refuses them,
# and so does this check, so that every SBOM chainkit accepts passes the reference too.
_UCSCHAR = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
_IPRIVATE = "\ue000-\uf8ff"
_SUB_DELIMS = "!$&'()*+,;="
_IUNRESERVED = f"{_ALPHA}{_DIGIT}\\-._~{_UCSCHAR}"
_UNRESERVED = f"{_ALPHA}{_DIGIT}\\-._~"

_PCT = f"%[{_HEX}]{{2}}"
# ipchar = iunreserved / pct-encoded / sub-delims / ":" / "@"
_IPCHAR = f"(?:[{_IUNRESERVED}{re.escape(_SUB_DELIMS)}:@]|{_PCT})"
_ISEGMENT = f"{_IPCHAR}*"
_ISEGMENT_NZ = f"{_IPCHAR}+"
# isegment-nz-nc = 1*( iunreserved / pct-encoded / sub-delims / "@" )
_ISEGMENT_NZ_NC = f"(?:[{_IUNRESERVED}{re.escape(_SUB_DELIMS)}@]|{_PCT})+"

_IPATH_ABEMPTY = f"(?:/{_ISEGMENT})*"
_IPATH_ABSOLUTE = f"/(?:{_ISEGMENT_NZ}(?:/{_ISEGMENT})*)?"
_IPATH_NOSCHEME = f"{_ISEGMENT_NZ_NC}(?:/{_ISEGMENT})*"
_IPATH_ROOTLESS = f"{_ISEGMENT_NZ}(?:/{_ISEGMENT})*"
_IPATH_EMPTY = ""

_DEC_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_IPV4 = f"{_DEC_OCTET}(?:\\.{_DEC_OCTET}){{3}}"
_H16 = f"[{_HEX}]{{1,4}}"
_LS32 = f"(?:{_H16}:{_H16}|{_IPV4})"
# IPv6 as ``rfc3987_syntax`` (the reference jsonschema uses) writes it: "::" stands for
# exactly one elided group. That is stricter than RFC 3986 ("[::1]" is refused); it is kept
# so that every SBOM chainkit accepts also passes the reference validator.
_IPV6 = (
    "(?:"
    + "|".join(
        [
            f"(?:{_H16}:){{6}}{_LS32}",
            f"::(?:{_H16}:){{5}}{_LS32}",
            f"{_H16}::(?:{_H16}:){{4}}{_LS32}",
            f"{_H16}:{_H16}::(?:{_H16}:){{3}}{_LS32}",
            f"(?:{_H16}:){{2}}{_H16}::(?:{_H16}:){{2}}{_LS32}",
            f"(?:{_H16}:){{3}}{_H16}::{_H16}:{_LS32}",
            f"(?:{_H16}:){{4}}{_H16}::{_LS32}",
            f"(?:{_H16}:){{5}}{_H16}::{_H16}",
            f"(?:{_H16}:){{6}}{_H16}::",
        ]
    )
    + ")"
)
_IPVFUTURE = f"v[{_HEX}]+\\.[{_UNRESERVED}{re.escape(_SUB_DELIMS)}:]+"
_IP_LITERAL = f"\\[(?:{_IPV6}|{_IPVFUTURE})\\]"
# ireg-name = *( iunreserved / pct-encoded / sub-delims )  (IPv4address is a subset)
_IREG_NAME = f"(?:[{_IUNRESERVED}{re.escape(_SUB_DELIMS)}]|{_PCT})*"
_IHOST = f"(?:{_IP_LITERAL}|{_IREG_NAME})"
_IUSERINFO = f"(?:[{_IUNRESERVED}{re.escape(_SUB_DELIMS)}:]|{_PCT})*"
_IAUTHORITY = f"(?:{_IUSERINFO}@)?{_IHOST}(?::[{_DIGIT}]*)?"

_SCHEME = f"[{_ALPHA}][{_ALPHA}{_DIGIT}+\\-.]*"
_IQUERY = f"(?:{_IPCHAR}|[{_IPRIVATE}/?])*"
_IFRAGMENT = f"(?:{_IPCHAR}|[/?])*"

_IHIER_PART = (
    f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_ROOTLESS}|{_IPATH_EMPTY})"
)
_IRELATIVE_PART = (
    f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_NOSCHEME}|{_IPATH_EMPTY})"
)
_TAIL = f"(?:\\?{_IQUERY})?(?:#{_IFRAGMENT})?"
_IRI = f"{_SCHEME}:{_IHIER_PART}{_TAIL}"
_IRELATIVE_REF = f"{_IRELATIVE_PART}{_TAIL}"

_IRI_REFERENCE = re.compile(f"(?:{_IRI}|{_IRELATIVE_REF})")


def is_iri_reference(value: object) -> bool:
    """Whether ``value`` is an RFC 3987 ``IRI-reference`` (non-strings pass, as in jsonschema)."""
    if not isinstance(value, str):
        return True
    return _IRI_REFERENCE.fullmatch(value) is not None
