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
    ProjectInfo,
    PyProject,
)
from chainkit.deps._requirements import PINNED

__all__ = ["collect_environment", "collect_pyproject", "project_info"]


def _requirement(text: Any, where: str, path: Path) -> Requirement:
    try:
        return Requirement(str(text))
    except InvalidRequirement:
        raise InputError(
            f"{path}: {where} is not a valid PEP 508 requirement",
            remediation="fix that entry (https://peps.python.org/pep-0508/)",
        ) from None


def _authors(entries: Any) -> tuple[tuple[str | None, str | None], ...]:
    import email.utils

    found: list[tuple[str | None, str | None]] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping):
            name, addr = entry.get("name"), entry.get("email")
            found.append(
                (name if isinstance(name, str) else None, addr if isinstance(addr, str) else None)
            )
        elif isinstance(entry, str):  # poetry: "Name <addr>"
            name, addr = email.utils.parseaddr(entry)
            found.append((name or None, addr or None))
    return tuple(p for p in found if p != (None, None))


def project_info(source: PyProject) -> ProjectInfo | None:
    """The project's own name, version, licence, authors and runtime dependencies; ``None``
    when the file names no project."""
    data = load_toml(source.path, "project file")
    project = data.get("project")
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, Mapping) else None
    table = project if isinstance(project, Mapping) else poetry
    if not isinstance(table, Mapping) or not isinstance(table.get("name"), str):
        return None
    version = table.get("version")
    licence = table.get("license")
    if isinstance(licence, Mapping):  # PEP 621 {text = ...} / {file = ...}: not an expression
        licence = None
    requires: list[str] = []
    if isinstance(project, Mapping):
        for i, entry in enumerate(project.get("dependencies") or []):
            requires.append(
                str(
                    canonicalize_name(
                        _requirement(entry, f"[project].dependencies[{i}]", source.path).name
                    )
                )
            )
    elif isinstance(poetry, Mapping) and isinstance(poetry.get("dependencies"), Mapping):
        requires = [str(canonicalize_name(n)) for n in poetry["dependencies"] if n != "python"]
    return ProjectInfo(
        name=table["name"],
        version=version if isinstance(version, str) else None,
        license=licence if isinstance(licence, str) else None,
        authors=_authors(table.get("authors")),
        requires=tuple(requires),
    )


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
                    extras=(group,) if where.startswith("[project.optional") else (),
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
