"""Reading an SBOM someone else may have written: bounded, strict JSON, schema-validated.

:func:`load_sbom` reads at most :data:`MAX_SBOM_BYTES`, parses with
:func:`chainkit._internal.strict.load_json` (duplicate keys, non-finite numbers and nesting
deeper than 64 are refused), requires ``bomFormat: CycloneDX`` and a spec version chainkit
reads, and validates the document against that version's schema before any field is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit._internal.strict import DocumentError, load_json
from chainkit.sbom._errors import SbomInputError
from chainkit.sbom._validate import SPEC_VERSIONS, validate_json

__all__ = ["MAX_SBOM_BYTES", "Sbom", "SbomComponent", "load_sbom", "parse_sbom"]

MAX_SBOM_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SbomComponent:
    """The fields of one component that ``check``, ``diff`` and ``merge`` use."""

    bom_ref: str | None
    name: str
    version: str | None
    purl: str | None
    supplier: str | None
    has_author: bool
    licenses: tuple[str, ...]
    """SPDX expressions, SPDX ids or licence names, as the SBOM gives them."""
    raw: Any

    @property
    def identifier(self) -> str | None:
        """The unique identifier NTIA asks for: a valid purl (whose version, when it has one,
        is the component's), else a CPE or SWID tag id."""
        if self.purl and self.purl_valid:
            return self.purl
        if isinstance(self.raw, dict):
            cpe = _stripped(self.raw.get("cpe"))
            swid = self.raw.get("swid")
            if cpe is not None:
                return cpe
            if isinstance(swid, dict) and (tag := _stripped(swid.get("tagId"))) is not None:
                return tag
        return None

    @property
    def purl_valid(self) -> bool:
        """Whether ``purl`` parses as a package URL and names the component's version."""
        from packageurl import PackageURL

        if not self.purl:
            return False
        try:
            parsed = PackageURL.from_string(self.purl)
        except ValueError:
            return False
        return not (parsed.version and self.version and parsed.version != self.version)


@dataclass(frozen=True)
class Sbom:
    source: str
    spec: str
    serial: str | None
    timestamp: str | None
    sbom_authors: tuple[str, ...]
    """Who made the SBOM: ``metadata.authors``, else ``metadata.tools``."""
    root: SbomComponent | None
    components: tuple[SbomComponent, ...]
    dependencies: dict[str, tuple[str, ...]]
    vulnerabilities: tuple[tuple[str, tuple[str, ...]], ...]
    """(id, affected bom-refs) for each vulnerability."""
    document: Any


def _licenses(entries: Any) -> tuple[str, ...]:
    found: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("expression"), str):
            found.append(entry["expression"])
        licence = entry.get("license")
        if isinstance(licence, dict):
            value = licence.get("id") or licence.get("name")
            if isinstance(value, str):
                found.append(value)
    return tuple(found)


def _stripped(value: Any) -> str | None:
    """``value`` without surrounding white space, ``None`` when it is not a non-blank string."""
    return value.strip() or None if isinstance(value, str) else None


def named(entity: Any) -> str | None:
    """An organisation or contact's non-blank name, else its non-blank e-mail address (an
    entry with neither names nobody)."""
    if not isinstance(entity, dict):
        return None
    found = _stripped(entity.get("name")) or _stripped(entity.get("email"))
    if found is None:
        contacts = entity.get("contact")
        for contact in contacts if isinstance(contacts, list) else []:
            found = found or named(contact)
    return found


def _component(raw: dict[str, Any]) -> SbomComponent:
    authors = raw.get("authors")
    has_author = (
        any(named(a) for a in (authors if isinstance(authors, list) else []))
        or _stripped(raw.get("author")) is not None
        or _stripped(raw.get("publisher")) is not None
    )
    return SbomComponent(
        bom_ref=raw.get("bom-ref"),
        name=_stripped(raw.get("name")) or "",
        version=_stripped(raw.get("version")),
        purl=_stripped(raw.get("purl")),
        supplier=named(raw.get("supplier")),
        has_author=has_author,
        licenses=_licenses(raw.get("licenses")),
        raw=raw,
    )


def _flatten(components: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = list(components) if isinstance(components, list) else []
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            found.append(item)
            nested = item.get("components")
            if isinstance(nested, list):
                stack.extend(nested)
    return found


def parse_sbom(document: Any, *, source: str) -> Sbom:
    """A parsed JSON document as an :class:`Sbom` (:class:`SbomInputError` unless valid)."""
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise SbomInputError(
            f"{source} is not a CycloneDX JSON document (no bomFormat: CycloneDX)",
            remediation="pass a CycloneDX JSON SBOM (e.g. from chainkit sbom generate)",
        )
    spec = document.get("specVersion")
    if spec not in SPEC_VERSIONS:
        raise SbomInputError(
            f"{source}: CycloneDX spec version not supported",
            remediation=f"chainkit reads CycloneDX {', '.join(SPEC_VERSIONS)} JSON",
        )
    validate_json(document, spec, what=source)
    metadata = document.get("metadata", {})
    authors = [named(a) for a in metadata.get("authors", [])]
    tools = metadata.get("tools", [])
    tool_names = (
        [_stripped(t.get("name")) for t in tools]
        if isinstance(tools, list)
        else [
            _stripped(t.get("name"))
            for t in [*tools.get("components", []), *tools.get("services", [])]
        ]
    )
    makers = tuple(n for n in authors if n) or tuple(n for n in tool_names if n)
    root_raw = metadata.get("component")
    deps: dict[str, tuple[str, ...]] = {}
    for entry in document.get("dependencies", []):
        deps[entry["ref"]] = tuple(entry.get("dependsOn", []))
    vulns = tuple(
        (str(v.get("id", "")), tuple(a["ref"] for a in v.get("affects", [])))
        for v in document.get("vulnerabilities", [])
    )
    return Sbom(
        source=source,
        spec=spec,
        serial=document.get("serialNumber"),
        timestamp=metadata.get("timestamp"),
        sbom_authors=makers,
        root=_component(root_raw) if isinstance(root_raw, dict) else None,
        components=tuple(_component(c) for c in _flatten(document.get("components"))),
        dependencies=deps,
        vulnerabilities=vulns,
        document=document,
    )


def load_sbom(path: Path) -> Sbom:
    """The SBOM at ``path``; :class:`SbomInputError` (exit 2) for anything but a readable,
    valid CycloneDX 1.5/1.6 JSON document."""
    try:
        data = read_bounded(path, MAX_SBOM_BYTES)
    except TooLargeError:
        raise SbomInputError(
            f"{path} is larger than {MAX_SBOM_BYTES} bytes", remediation="pass an SBOM file"
        ) from None
    except OSError as exc:
        raise SbomInputError(
            f"cannot read {path}: {exc.strerror or type(exc).__name__}",
            remediation="check the path",
        ) from None
    try:
        document = load_json(data, source=str(path), max_bytes=MAX_SBOM_BYTES)
    except DocumentError as exc:
        raise SbomInputError(str(exc), remediation="pass a CycloneDX JSON SBOM") from None
    return parse_sbom(document, source=str(path))
