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
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chainkit.sbom._build import timestamp_from
from chainkit.sbom._read import Sbom, SbomComponent
from chainkit.sbom._validate import validate_json

__all__ = ["MergeResult", "merge_sboms"]


@dataclass(frozen=True)
class MergeResult:
    document: bytes
    conflicts: tuple[tuple[str, tuple[str, ...]], ...]
    """(purl without version, the versions seen) for each package with several versions."""
    components: int


def _key(component: SbomComponent, position: int) -> str:
    if component.purl:
        return component.purl
    return f"sbom{position}:{component.bom_ref or component.name}"


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
    for position, sbom in enumerate(sboms, start=1):
        refs: dict[str, str] = {}
        members = ([sbom.root] if sbom.root is not None else []) + list(sbom.components)
        for component in members:
            key = _key(component, position)
            if component.bom_ref is not None:
                refs[component.bom_ref] = key
            if key not in components:
                raw = copy.deepcopy(component.raw)
                raw.pop("components", None)
                raw["bom-ref"] = key
                components[key] = raw
            if component.purl:
                bare = component.purl.split("@", 1)[0]
                versions.setdefault(bare, set()).add(component.version or "")
        for ref, children in sbom.dependencies.items():
            if ref not in refs:
                continue
            mapped = depends.setdefault(refs[ref], set())
            mapped.update(refs[c] for c in children if c in refs)
    for key in components:
        depends.setdefault(key, set())
    conflicts = tuple(
        (bare, tuple(sorted(v))) for bare, v in sorted(versions.items()) if len(v) > 1
    )
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
    if reproducible or source_date_epoch:
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        serial = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:chainkit:sbom:sha256:{digest}")
    else:
        serial = uuid.uuid4()
    document["serialNumber"] = f"urn:uuid:{serial}"
    validate_json(document, spec, what="the merged SBOM")
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return MergeResult(text.encode("utf-8"), conflicts, len(components))
