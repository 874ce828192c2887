"""Artifact attestations: create one, list them by subject digest, serve their bundles.

- ``POST /repos/{o}/{r}/attestations`` stores ``{"bundle": <Sigstore bundle>}`` and answers
  ``201 {"id": N}`` (a new id for every POST). Only v0.3 bundles holding a DSSE envelope
  with an in-toto Statement v1 are accepted; the statement's subjects (at most 1024, no
  duplicates), an SLSA v1 predicate's ``buildType``, and the leaf certificate's source
  repository (which must be this repository) are checked as GitHub does. Anything else
  is ``422``. The signature is not verified (GitHub's behaviour there is not known).
- ``GET /{repos/{o}/{r} | orgs/{org} | users/{u}}/attestations/{subject_digest}`` lists
  the attestations with a subject of that digest, newest first, in ``before``/``after``
  cursor pages, optionally filtered by ``predicate_type`` (``provenance``, ``sbom``,
  ``release`` or an exact type); no match is ``404``.
- ``bundle_url`` is a signed ``/storage/attestations/{repo_id}/{id}.json.sn`` URL serving
  the bundle snappy-compressed, without a token (as GitHub's blob storage).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509

from chainkit._internal.strict import DocumentError, load_json
from chainkit.sandbox._github._exchange import Call, Exchange, Response, error, not_found
from chainkit.sandbox._github._paging import per_page
from chainkit.sandbox._github._store import Row, now_iso
from chainkit.sandbox._sigstore import _der

__all__ = ["OPS", "bundle", "snappy_compress"]

Handler = Callable[[Exchange, Call], Response]

BUNDLE_MEDIA_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
    }
)
IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
SLSA_V1 = "https://slsa.dev/provenance/v1"
ACTIONS_BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1"
MAX_SUBJECTS = 1024
MAX_BODY = 32 * 1024 * 1024
"""A 16 MB predicate, base64-encoded in the envelope, plus the rest of the bundle."""
SOURCE_REPOSITORY_OID = "1.3.6.1.4.1.57264.1.12"
PREDICATE_SHORTHANDS: Mapping[str, frozenset[str]] = {
    "provenance": frozenset({SLSA_V1}),
    "release": frozenset({"https://in-toto.io/attestation/release/v0.1"}),
    "sbom": frozenset(
        {
            "https://spdx.dev/Document",
            "https://spdx.dev/Document/v2.2",
            "https://spdx.dev/Document/v2.3",
            "https://cyclonedx.org/bom",
            "https://cyclonedx.org/bom/v1.4",
            "https://cyclonedx.org/bom/v1.5",
            "https://cyclonedx.org/bom/v1.6",
        }
    ),
}
_DIGEST_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}:[0-9a-f]{1,256}$")
_HEX_RE = re.compile(r"^[0-9a-f]{1,256}$")
_ALG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_HEX_LENGTHS = {"sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}
_CURSOR_PREFIX = "attestation:"


class _Invalid(Exception):
    """A bundle GitHub would refuse; the message is GitHub's ``Invalid Argument - ...``."""


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise _Invalid(f"Invalid Argument - {message}")


def _b64(value: Any, what: str) -> bytes:
    _need(isinstance(value, str) and bool(value), f"{what} must be base64")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"Invalid Argument - {what} must be base64") from None


def _statement(envelope: Any) -> Mapping[str, Any]:
    _need(isinstance(envelope, dict), "bundle must contain a DSSE envelope")
    _need(envelope.get("payloadType") == IN_TOTO_PAYLOAD, f"payloadType must be {IN_TOTO_PAYLOAD}")
    sigs = envelope.get("signatures")
    _need(
        isinstance(sigs, list)
        and len(sigs) == 1
        and isinstance(sigs[0], dict)
        and bool(_b64(sigs[0].get("sig"), "signature")),
        "the envelope must carry exactly one signature",
    )
    try:
        statement = load_json(_b64(envelope.get("payload"), "payload"), source="payload")
    except DocumentError as exc:
        raise _Invalid(f"Invalid Argument - statement is not JSON: {exc.detail}") from None
    _need(isinstance(statement, dict), "statement must be a JSON object")
    assert isinstance(statement, dict)
    _need(statement.get("_type") == STATEMENT_V1, f"statement _type must be {STATEMENT_V1}")
    pt = statement.get("predicateType")
    _need(isinstance(pt, str) and bool(pt) and len(pt) <= 1024, "predicateType is required")
    return statement


def _subject_digests(statement: Mapping[str, Any]) -> list[str]:
    subjects = statement.get("subject")
    _need(isinstance(subjects, list) and bool(subjects), "statement has no subject")
    assert isinstance(subjects, list)
    _need(len(subjects) <= MAX_SUBJECTS, f"at most {MAX_SUBJECTS} subjects are allowed")
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    digests: list[str] = []
    for s in subjects:
        _need(isinstance(s, dict), "each subject must be an object")
        name, digest = s.get("name", ""), s.get("digest")
        _need(isinstance(name, str), "subject name must be a string")
        _need(isinstance(digest, dict) and bool(digest), "each subject needs a digest")
        for alg, value in digest.items():
            _need(
                bool(_ALG_RE.match(alg))
                and isinstance(value, str)
                and bool(_HEX_RE.match(value))
                and len(value) == _HEX_LENGTHS.get(alg, len(value)),
                f"invalid {alg} digest in subject",
            )
            digests.append(f"{alg}:{value}")
        key = (name, tuple(sorted(digest.items())))
        _need(key not in seen, "duplicate subject in statement")
        seen.add(key)
    return list(dict.fromkeys(digests))


def _check_predicate(statement: Mapping[str, Any]) -> None:
    if statement["predicateType"] != SLSA_V1:
        return
    predicate = statement.get("predicate")
    build = predicate.get("buildDefinition") if isinstance(predicate, dict) else None
    build_type = build.get("buildType") if isinstance(build, dict) else None
    _need(
        build_type == ACTIONS_BUILD_TYPE,
        f"SLSA provenance v1 must have buildType {ACTIONS_BUILD_TYPE}",
    )


def _leaf_certificate(material: Any) -> x509.Certificate:
    _need(isinstance(material, dict), "bundle has no verificationMaterial")
    raw: Any = None
    cert = material.get("certificate")
    if isinstance(cert, dict):
        raw = cert.get("rawBytes")
    chain = material.get("x509CertificateChain")
    if raw is None and isinstance(chain, dict) and isinstance(chain.get("certificates"), list):
        first = chain["certificates"][0] if chain["certificates"] else None
        raw = first.get("rawBytes") if isinstance(first, dict) else None
    _need(raw is not None, "bundle has no signing certificate")
    try:
        return x509.load_der_x509_certificate(_b64(raw, "certificate"))
    except ValueError:
        raise _Invalid("Invalid Argument - the signing certificate is not DER X.509") from None


def _source_repository(cert: x509.Certificate) -> str | None:
    try:
        ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(SOURCE_REPOSITORY_OID))
    except (x509.ExtensionNotFound, ValueError):
        return None
    value = ext.value
    if not isinstance(value, x509.UnrecognizedExtension):
        return None
    try:
        tlv, end = _der.parse(value.value)
        if tlv.tag != 0x0C or end != len(value.value):
            return None
        return tlv.content.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def validate_bundle(bundle: Any, repo: Row) -> tuple[str, list[str]]:
    """(predicate type, subject digests) of an acceptable bundle; raises ``_Invalid``."""
    _need(isinstance(bundle, dict), "bundle must be a JSON object")
    _need(bundle.get("mediaType") in BUNDLE_MEDIA_TYPES, "unsupported bundle mediaType")
    _need("messageSignature" not in bundle, "bundle must contain a DSSE envelope")
    statement = _statement(bundle.get("dsseEnvelope"))
    digests = _subject_digests(statement)
    _check_predicate(statement)
    source = _source_repository(_leaf_certificate(bundle.get("verificationMaterial")))
    want = f"https://github.com/{repo['owner']}/{repo['name']}"
    _need(source is not None, "the signing certificate names no source repository")
    assert source is not None
    _need(source.casefold() == want.casefold(), f"values do not match: {source} != {want}")
    return str(statement["predicateType"]), digests


def _create(ex: Exchange, call: Call) -> Response:
    assert call.repo is not None
    data, bad = ex.json_body(call.kind, limit=MAX_BODY)
    if bad is not None:
        return bad
    if "bundle" not in data:
        return error(422, 'Invalid request.\n\n"bundle" wasn\'t supplied.', call.kind)
    try:
        predicate_type, digests = validate_bundle(data["bundle"], call.repo)
    except _Invalid as exc:
        return error(422, str(exc), call.kind)
    encoded = json.dumps(data["bundle"], separators=(",", ":"), ensure_ascii=False).encode()
    ident = ex.store.attestations.add(
        call.repo["id"],
        bundle=encoded,
        predicate_type=predicate_type,
        digests=digests,
        created_at=now_iso(),
    )
    return Response(201, {"id": ident})


# ---------------------------------------------------------------------------- listing


def _cursor(ident: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{ident}".encode()).decode().rstrip("=")


def _from_cursor(value: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    number = text[len(_CURSOR_PREFIX) :]
    if not text.startswith(_CURSOR_PREFIX) or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


def _bundle_sig(key: str, attestation_id: int) -> str:
    mac = hmac.new(key.encode(), f"attestation:{attestation_id}".encode(), "sha256")
    return mac.hexdigest()[:40]


def _item(ex: Exchange, base: str, row: Row) -> dict[str, Any]:
    url = (
        f"{base}/storage/attestations/{row['repo_id']}/{row['id']}.json.sn"
        f"?sig={_bundle_sig(ex.store.storage_key, row['id'])}"
    )
    return {
        "bundle": json.loads(ex.store.attestations.bundle(row["id"])),
        "repository_id": row["repo_id"],
        "bundle_url": url,
        "initiator": row["initiator"],
    }


def _predicate_filter(call: Call) -> frozenset[str] | None:
    wanted = call.param("predicate_type")
    if not wanted:
        return None
    return PREDICATE_SHORTHANDS.get(wanted, frozenset({wanted}))


def _visible_repos(ex: Exchange, call: Call) -> list[Row] | None:
    """The repositories a list covers, or None for an unknown owner."""
    if call.repo is not None:
        return [call.repo]
    repos = ex.store.repos(call.target["owner"])
    if not repos:
        return None
    return [r for r in repos if call.caller.authenticated or not r["private"]]


def _list(ex: Exchange, call: Call) -> Response:
    repos = _visible_repos(ex, call)
    digest = call.target["digest"]
    if repos is None or not _DIGEST_RE.match(digest):
        return not_found(call.kind)
    rows = ex.store.attestations.for_digest(
        [r["id"] for r in repos], digest, _predicate_filter(call)
    )
    if not rows:
        return not_found(call.kind)
    size, _explicit = per_page(call.query)
    after, before = call.param("after"), call.param("before")
    start, stop = 0, len(rows)
    ids = [r["id"] for r in rows]  # descending
    if after or before:
        cursor = _from_cursor(after or before)
        if cursor is None:
            return error(400, "Invalid cursor", call.kind)
        if after:
            start = next((i for i, x in enumerate(ids) if x < cursor), len(rows))
        else:
            stop = next((i for i, x in enumerate(ids) if x <= cursor), len(rows))
            start = max(0, stop - size)
    stop = min(stop, start + size)
    page = rows[start:stop]
    resp = Response(200, {"attestations": [_item(ex, call.base, r) for r in page]})
    links = []
    extra = f"&predicate_type={call.param('predicate_type')}" if _predicate_filter(call) else ""
    url = f"{call.base}{call.raw_path}?per_page={size}"
    if page and start > 0:
        links.append(f'<{url}&before={_cursor(page[0]["id"])}{extra}>; rel="prev"')
    if page and stop < len(rows):
        links.append(f'<{url}&after={_cursor(page[-1]["id"])}{extra}>; rel="next"')
    if links:
        resp.headers["link"] = ", ".join(links)
    return resp


# ---------------------------------------------------------------------------- bundle URL


def snappy_compress(data: bytes) -> bytes:
    """Snappy block format with literals only: valid for any decoder, no compression."""
    out = bytearray()
    n = len(data)
    while True:  # uncompressed length, as a little-endian base-128 varint
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            break
    for start in range(0, len(data), 65536):
        chunk = data[start : start + 65536]
        if len(chunk) <= 60:
            out.append((len(chunk) - 1) << 2)
        else:
            out.append(61 << 2)  # literal, length-1 in the next two bytes
            out += (len(chunk) - 1).to_bytes(2, "little")
        out += chunk
    return bytes(out)


def bundle(ex: Exchange, call: Call) -> Response:
    """``GET /storage/attestations/{repo_id}/{id}.json.sn?sig=``: the bundle (no token)."""
    ident, repo_id = call.target.get("attestation_id"), call.target.get("repo_id")
    row = ex.store.attestations.get(ident) if ident else None
    if (
        row is None
        or row["repo_id"] != repo_id
        or not hmac.compare_digest(_bundle_sig(ex.store.storage_key, row["id"]), call.param("sig"))
    ):
        return Response.text(403, "AuthenticationFailed: signature invalid or blob gone")
    resp = Response(200, snappy_compress(ex.store.attestations.bundle(row["id"])), raw=True)
    resp.headers["content-type"] = "application/octet-stream"
    return resp


OPS: dict[str, Handler] = {
    "create-attestation": _create,
    "list-attestations": _list,
    "list-org-attestations": _list,
    "list-user-attestations": _list,
}
