"""``sbom merge``: several SBOMs as one.

Components are deduplicated by purl (a component without a purl keeps its own reference,
prefixed by its document's position); every input's ``bom-ref``s are rewritten to those keys,
so the dependency graph of each input is kept and the graphs join where they share
components. The inputs' root components become components of the merged SBOM. Versions of
one package (the same purl without its version) that differ between inputs are reported as
conflicts; both are kept. The result is written with the highest spec version of the inputs
and validated like every SBOM chainkit writes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chainkit.sbom._build import timestamp_from
from chainkit.sbom._diff import source_of
from chainkit.sbom._read import Sbom, SbomComponent
from chainkit.sbom._validate import validate_json

__all__ = ["Conflict", "MergeResult", "merge_sboms"]


@dataclass(frozen=True)
class Conflict:
    """Inputs that disagree about a package.

    ``kind`` is ``version`` (several versions of one package: both kept, a warning: merging
    the SBOMs of several projects normally holds several versions), or, blocking (exit 1),
    ``source`` (one name and version from different sources, such as PyPI and a git fork:
    both kept under their own purls), ``hashes`` or ``licenses`` (one purl with different
    hashes or licences: the first input's copy is kept)."""

    subject: str
    kind: str
    values: tuple[str, ...]

    @property
    def blocking(self) -> bool:
        return self.kind != "version"


@dataclass(frozen=True)
class MergeResult:
    document: bytes
    conflicts: tuple[Conflict, ...]
    components: int
    vulnerabilities: int = 0

    @property
    def blocking(self) -> bool:
        return any(c.blocking for c in self.conflicts)


_MERGED_REF = re.compile(r"sbom[1-9][0-9]*:.+", re.DOTALL)


def _key(component: SbomComponent, position: int, *, alone: bool) -> str:
    """The merged ``bom-ref``: the purl, else the component's own reference prefixed by its
    document's position. Merging one SBOM alone keeps a reference that already has that form
    (a merge's own output), so merging a merged SBOM again changes nothing."""
    if component.purl:
        return component.purl
    ref = component.bom_ref
    if alone and isinstance(ref, str) and _MERGED_REF.fullmatch(ref):
        return ref
    return f"sbom{position}:{ref or component.name}"


def _hashes(component: SbomComponent) -> tuple[str, ...]:
    raw = component.raw.get("hashes") if isinstance(component.raw, dict) else None
    return tuple(
        sorted(
            f"{h.get('alg')}:{str(h.get('content', '')).lower()}"
            for h in (raw if isinstance(raw, list) else [])
            if isinstance(h, dict)
        )
    )


def _identity(component: SbomComponent) -> str:
    """name@version, whatever the purl's type and qualifiers."""
    from packageurl import PackageURL

    try:
        purl = PackageURL.from_string(component.purl or "")
        name = f"{purl.namespace}/{purl.name}" if purl.namespace else str(purl.name)
    except ValueError:
        name = component.name
    return f"{name.lower()}@{component.version or ''}"


def _vulnerabilities(sboms: Sequence[Sbom], refs_of: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Every input's vulnerabilities, deduplicated by id and source, ``affects`` remapped to
    the merged ``bom-ref``s (an entry whose component is not in the SBOM is dropped)."""
    merged: dict[str, dict[str, Any]] = {}
    for sbom, refs in zip(sboms, refs_of, strict=True):
        entries = sbom.document.get("vulnerabilities") if isinstance(sbom.document, dict) else None
        for raw in entries if isinstance(entries, list) else []:
            if not isinstance(raw, dict):
                continue
            vuln = copy.deepcopy(raw)
            vuln.pop("bom-ref", None)  # unique per document only; nothing in a merge refers to it
            affects = []
            for target in vuln.get("affects", []):
                if isinstance(target, dict) and target.get("ref") in refs:
                    affects.append({**target, "ref": refs[target["ref"]]})
            key = json.dumps([vuln.get("id"), vuln.get("source")], sort_keys=True)
            if key in merged:
                have = merged[key].setdefault("affects", [])
                have.extend(a for a in affects if a not in have)
                continue
            if affects:
                vuln["affects"] = affects
            else:
                vuln.pop("affects", None)
            merged[key] = vuln
    for vuln in merged.values():
        if "affects" in vuln:
            vuln["affects"] = sorted(vuln["affects"], key=lambda a: json.dumps(a, sort_keys=True))
    return [merged[k] for k in sorted(merged)]


def merge_sboms(
    sboms: Sequence[Sbom],
    *,
    reproducible: bool = False,
    source_date_epoch: str | None = None,
    tool_version: str = "0",
) -> MergeResult:
    when = timestamp_from(source_date_epoch, reproducible=reproducible)
    spec = max((s.spec for s in sboms), key=lambda v: tuple(int(p) for p in v.split(".")))
    components: dict[str, dict[str, Any]] = {}
    depends: dict[str, set[str]] = {}
    versions: dict[str, set[str]] = {}
    sources: dict[str, set[str]] = {}
    kept: dict[str, SbomComponent] = {}
    differing: list[Conflict] = []
    refs_of: list[dict[str, str]] = []
    for position, sbom in enumerate(sboms, start=1):
        refs: dict[str, str] = {}
        refs_of.append(refs)
        members = ([sbom.root] if sbom.root is not None else []) + list(sbom.components)
        for component in members:
            key = _key(component, position, alone=len(sboms) == 1)
            if component.bom_ref is not None:
                refs[component.bom_ref] = key
            if key not in components:
                raw = copy.deepcopy(component.raw)
                raw.pop("components", None)
                raw["bom-ref"] = key
                components[key] = raw
                kept[key] = component
            else:
                first = kept[key]
                for kind, a, b in (
                    ("hashes", _hashes(first), _hashes(component)),
                    ("licenses", tuple(sorted(first.licenses)), tuple(sorted(component.licenses))),
                ):
                    if a and b and a != b:
                        differing.append(Conflict(key, kind, (" ".join(a), " ".join(b))))
            if component.purl:
                bare = component.purl.split("@", 1)[0].split("?", 1)[0]
                versions.setdefault(bare, set()).add(component.version or "")
                sources.setdefault(_identity(component), set()).add(source_of(component))
        for ref, children in sbom.dependencies.items():
            if ref not in refs:
                continue
            mapped = depends.setdefault(refs[ref], set())
            mapped.update(refs[c] for c in children if c in refs)
    for key in components:
        depends.setdefault(key, set())
    conflicts = (
        *(
            Conflict(bare, "version", tuple(sorted(v)))
            for bare, v in sorted(versions.items())
            if len(v) > 1
        ),
        *(
            Conflict(identity, "source", tuple(sorted(s)))
            for identity, s in sorted(sources.items())
            if len(s) > 1
        ),
        *sorted(set(differing), key=lambda c: (c.subject, c.kind, c.values)),
    )
    vulnerabilities = _vulnerabilities(sboms, refs_of)
    document: dict[str, Any] = {
        "$schema": f"http://cyclonedx.org/schema/bom-{spec}.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "serialNumber": f"urn:uuid:{uuid.UUID(int=0)}",
        "version": 1,
        "metadata": {
            "timestamp": when.isoformat(),
            "tools": {
                "components": [{"type": "application", "name": "chainkit", "version": tool_version}]
            },
        },
        "components": [components[k] for k in sorted(components)],
        "dependencies": [
            {"ref": k, "dependsOn": sorted(v)} if v else {"ref": k}
            for k, v in sorted(depends.items())
        ],
    }
    if vulnerabilities:
        document["vulnerabilities"] = vulnerabilities
    if reproducible or source_date_epoch:
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        serial = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:chainkit:sbom:sha256:{digest}")
    else:
        serial = uuid.uuid4()
    document["serialNumber"] = f"urn:uuid:{serial}"
    validate_json(document, spec, what="the merged SBOM")
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return MergeResult(
        text.encode("utf-8"), tuple(conflicts), len(components), len(vulnerabilities)
    )
