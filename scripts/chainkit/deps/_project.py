"""A ``pyproject.toml`` (PEP 621 dependencies, optional dependencies, PEP 735 groups) and
the running environment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from chainkit.deps._common import display, load_toml
from chainkit.deps._errors import InputError
from chainkit.deps._model import (
    MAIN_GROUP,
    Collected,
    Declared,
    Dependency,
    Edge,
    Environment,
    PyProject,
)
from chainkit.deps._requirements import PINNED

__all__ = ["collect_environment", "collect_pyproject"]


def _requirement(text: Any, where: str, path: Path) -> Requirement:
    try:
        return Requirement(str(text))
    except InvalidRequirement:
        raise InputError(
            f"{path}: {where} is not a valid PEP 508 requirement",
            remediation="fix that entry (https://peps.python.org/pep-0508/)",
        ) from None


def collect_pyproject(source: PyProject) -> Collected:
    path = source.path
    data = load_toml(path, "project file")
    project = data.get("project")
    if not isinstance(project, Mapping):
        raise InputError(
            f"{path} has no [project] table",
            remediation="audit its lock file with --locked, or a requirements file with -r",
        )
    shown = display(path)
    text = path.read_text(encoding="utf-8").splitlines()
    deps_line = next(
        (i for i, t in enumerate(text, start=1) if t.strip().startswith("dependencies")), 1
    )
    tables: list[tuple[str, str, Any]] = [
        (MAIN_GROUP, "[project].dependencies", project.get("dependencies"))
    ]
    optional = project.get("optional-dependencies")
    for extra, entries in (optional if isinstance(optional, Mapping) else {}).items():
        tables.append((str(extra), f"[project.optional-dependencies].{extra}", entries))
    groups = data.get("dependency-groups")
    for group, entries in (groups if isinstance(groups, Mapping) else {}).items():
        tables.append((str(group), f"[dependency-groups].{group}", entries))
    deps: list[Dependency] = []
    for group, where, entries in tables:
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, str):
                continue  # PEP 735 {include-group = ...} tables
            req = _requirement(entry, f"{where}[{i}]", path)
            line = next((n for n, t in enumerate(text, start=1) if f'"{entry}"' in t), deps_line)
            spec = str(req.specifier)
            deps.append(
                Dependency(
                    name=req.name,
                    version=pinned.group(1) if (pinned := PINNED.match(spec)) else None,
                    specifier=spec,
                    marker=str(req.marker) if req.marker is not None else None,
                    groups=(group,),
                    origin="url" if req.url else None,
                    declared=(Declared(shown, line),),
                )
            )
    return Collected(
        source=source,
        kind="pyproject",
        label=shown,
        files=(path,),
        dependencies=tuple(deps),
        default_location=Declared(shown, deps_line),
    )


def collect_environment(source: Environment) -> Collected:
    """Installed distributions (``importlib.metadata``), with ``Requires-Dist`` edges."""
    import sys
    from importlib import metadata

    deps: dict[str, Dependency] = {}
    edges: list[Edge] = []
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or canonicalize_name(name) in deps:
            continue  # the first on sys.path wins, as for imports
        deps[canonicalize_name(name)] = Dependency(name=name, version=dist.version)
        for text in dist.requires or []:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue  # metadata of an installed distribution; nothing to fix here
            marker = str(req.marker) if req.marker is not None else None
            edges.append(Edge(canonicalize_name(name), canonicalize_name(req.name), None, marker))
    return Collected(
        source=source,
        kind="environment",
        label=sys.prefix,
        files=(),
        dependencies=tuple(sorted(deps.values(), key=lambda d: d.canonical_name)),
        edges=tuple(edges),
    )
