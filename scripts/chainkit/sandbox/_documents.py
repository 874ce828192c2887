"""The sandbox's own input files (seeds, fault specs): read bounded, parsed strictly as
JSON (``.json``) or YAML, every failure a :class:`SandboxUsageError` (exit 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit._internal.strict import DocumentError, load_json, load_yaml
from chainkit.sandbox._errors import SandboxUsageError

__all__ = ["MAX_DOCUMENT_BYTES", "read_document"]

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""A seed or fault spec larger than this is refused (asset contents are generated)."""


def read_document(path: Path, what: str, *, remediation: str, hint: str) -> Any:
    """The JSON or YAML document in ``path`` (a ``what``: "seed file", "fault spec");
    ``remediation`` for a file that cannot be read, ``hint`` for one that does not parse."""
    try:
        text = read_bounded(path, MAX_DOCUMENT_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise SandboxUsageError(f"{what} not found: {path}", remediation=remediation) from None
    except (OSError, UnicodeDecodeError, TooLargeError) as exc:
        problem = f"cannot read {what} {path}: {exc}"
        raise SandboxUsageError(problem, remediation=remediation) from None
    try:
        if path.suffix.lower() == ".json":
            return load_json(text, source=str(path))
        return load_yaml(text, source=str(path))
    except DocumentError as exc:
        detail = exc.detail.splitlines()[0] if exc.detail else type(exc).__name__
        raise SandboxUsageError(
            f"{what} {path} is not valid YAML/JSON: {detail}", remediation=hint
        ) from None
