"""The one way chainkit reads a Sigstore bundle.

Bundles come from release assets, state directories and local files: all hostile.
:func:`load_bundle` refuses oversized input and turns every parse failure
(JSON, schema, media type, certificate, log entry) into :class:`InvalidBundleError`
naming the ``source``. Nothing else in chainkit should call ``Bundle.from_json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chainkit.signing._errors import InvalidBundleError
from chainkit.signing._facts import CertificateFacts

if TYPE_CHECKING:
    from sigstore.models import Bundle

__all__ = ["MAX_BUNDLE_BYTES", "LogPosition", "bundle_facts", "load_bundle", "log_position"]

MAX_BUNDLE_BYTES = 1 << 20
"""A bundle is a few KiB; anything over 1 MiB is refused unread."""

_MAX_DETAIL = 200


def _detail(exc: BaseException) -> str:
    """A parser's message on one line: what failed and where (pydantic names the field on
    the lines after its summary), bounded and without control characters."""
    lines = [
        " ".join(line.split())
        for line in str(exc).splitlines()
        if line.strip() and "errors.pydantic.dev" not in line
    ]
    first = "; ".join(lines[:5]) or type(exc).__name__
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in first)
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def load_bundle(data: bytes, *, source: str) -> Bundle:
    """Parse ``data`` as a Sigstore bundle (v0.1-v0.3 JSON); ``source`` names it in errors.

    Raises :class:`InvalidBundleError` (a verification failure, exit 1) for anything
    that is not a well-formed bundle with a signing certificate and a log entry.
    """
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle

    if len(data) > MAX_BUNDLE_BYTES:
        raise InvalidBundleError(
            f"{source} is not a valid Sigstore bundle: larger than {MAX_BUNDLE_BYTES} bytes"
        )
    try:
        return Bundle.from_json(data)
    # sigstore wraps pydantic's errors in InvalidBundle; certificate and base64 decoding
    # raise ValueError/TypeError from cryptography and the standard library.
    except (SigstoreError, ValueError, TypeError) as exc:
        raise InvalidBundleError(
            f"{source} is not a valid Sigstore bundle: {_detail(exc)}"
        ) from exc


def bundle_facts(bundle: Bundle) -> CertificateFacts:
    """Who the bundle's certificate says signed (unverified until a verifier says so)."""
    return CertificateFacts.from_certificate(bundle.signing_certificate)


@dataclass(frozen=True)
class LogPosition:
    """Where the bundle's signature is in the transparency log."""

    log_index: int
    integrated_time: int | None


def _int(value: Any) -> int | None:
    # protobuf JSON writes int64 as strings
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return None


def log_position(bundle: Bundle, *, source: str = "bundle") -> LogPosition:
    """The log index and integrated time of the bundle's (single) transparency-log entry.

    Read from the bundle's public JSON form (sigstore-python has no public accessor).
    """
    try:
        entries = json.loads(bundle.to_json())["verificationMaterial"]["tlogEntries"]
        entry = entries[0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InvalidBundleError(f"{source} has no transparency-log entry") from exc
    index = _int(entry.get("logIndex", "0")) if isinstance(entry, dict) else None
    if index is None:
        raise InvalidBundleError(f"{source} has a malformed transparency-log entry")
    integrated = _int(entry.get("integratedTime"))
    return LogPosition(log_index=index, integrated_time=integrated or None)
