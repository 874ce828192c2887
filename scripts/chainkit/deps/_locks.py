"""Lock files: ``pylock.toml`` (PEP 751), ``uv.lock`` and ``poetry.lock``.

Each package becomes a :class:`Dependency` with its version, its hashes (wheels and sdist),
its source when it does not come from a package index, its group membership where the lock
file records it, and the line of its ``name = ...`` entry. Dependency edges come from the
packages' ``dependencies`` tables.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from chainkit.deps._common import display, load_toml
from chainkit.deps._errors import InputError
from chainkit.deps._model import (
    MAIN_GROUP,
    Artifact,
    Collected,
    Declared,
    Dependency,
    Edge,
    LockFile,
    PackageSource,
)

__all__ = ["LOCK_FILE_NAMES", "collect_lock", "is_lock_file"]

LOCK_FILE_NAMES = ("pylock.toml", "uv.lock", "poetry.lock")
# PEP 508 names (core metadata "Name"); anything else is not a package a lock can hold.
_VALID_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?")
_NAME_LINE = re.compile(r'^name\s*=\s*"([^"]+)"')


def is_lock_file(path: Path) -> bool:
    name = path.name
    return (name.startswith("pylock.") and name.endswith(".toml")) or name in LOCK_FILE_NAMES


def _package_lines(path: Path) -> dict[str, int]:
    """canonical name -> line of ``name = "..."`` in a ``[[package]]``/``[[packages]]`` table."""
    lines: dict[str, int] = {}
    in_package = False
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = text.strip()
        if stripped.startswith("["):
            in_package = stripped in {"[[package]]", "[[packages]]"}
            continue
        m = _NAME_LINE.match(stripped)
        if in_package and m:
            lines.setdefault(canonicalize_name(m.group(1)), number)
            in_package = False
    return lines


def _bad_lock(path: Path, what: str) -> InputError:
    return InputError(
        f"{path} is not a valid lock file: {what}",
        remediation="regenerate it with its tool (uv lock, poetry lock, pip lock)",
    )


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# Source kinds the lock formats define; anything else is reported as "other", so no text of
# a lock file reaches a report or a log through a skip reason.
_UV_SOURCES = frozenset({"editable", "git", "path", "directory", "url", "virtual"})
_POETRY_SOURCES = frozenset({"git", "directory", "file", "url"})


def _known(kind: Any, known: frozenset[str]) -> str:
    # a kind that is not a string (a TOML array or table) is "other" too, not a TypeError
    return kind if isinstance(kind, str) and kind in known else "other"


def _is_version(value: Any) -> bool:
    from packaging.version import InvalidVersion, Version

    if not isinstance(value, str):
        return False
    try:
        Version(value)
    except InvalidVersion:
        return False
    return True


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _packages(path: Path, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    packages = data.get(key)
    if not isinstance(packages, list):
        raise _bad_lock(path, f"expected [[{key}]] tables")
    for i, pkg in enumerate(packages):
        if not isinstance(pkg, Mapping) or not isinstance(pkg.get("name"), str):
            raise _bad_lock(path, f"[[{key}]] #{i + 1} without a name")
        if not _VALID_NAME.fullmatch(pkg["name"]):
            raise _bad_lock(path, f"[[{key}]] #{i + 1}: not a valid package name")
    return packages


def _uv_hashes(pkg: Mapping[str, Any]) -> tuple[str, ...]:
    files = [_table(pkg.get("sdist")), *map(_table, _list(pkg.get("wheels")))]
    return tuple(h for f in files if (h := _text(f.get("hash"))))


def _uv_artifacts(pkg: Mapping[str, Any]) -> tuple[Artifact, ...]:
    files = [_table(pkg.get("sdist")), *map(_table, _list(pkg.get("wheels")))]
    return tuple(
        Artifact(url, (h,) if (h := _text(f.get("hash"))) else ())
        for f in files
        if (url := _text(f.get("url")))
    )


def _pylock_artifacts(pkg: Mapping[str, Any]) -> tuple[Artifact, ...]:
    files = [
        _table(pkg.get("sdist")),
        _table(pkg.get("archive")),
        *map(_table, _list(pkg.get("wheels"))),
    ]
    return tuple(
        Artifact(
            url,
            tuple(
                f"{alg}:{value}"
                for alg, value in sorted(_table(f.get("hashes")).items())
                if isinstance(value, str)
            ),
        )
        for f in files
        if (url := _text(f.get("url")))
    )


_PYPI_INDEXES = frozenset({"https://pypi.org/simple", "https://pypi.python.org/simple"})


def _registry(url: str | None) -> PackageSource | None:
    """An index other than PyPI's, else ``None``."""
    if url is None or url.rstrip("/") in _PYPI_INDEXES:
        return None
    return PackageSource("registry", url)


def _uv_source(source: Mapping[str, Any]) -> PackageSource | None:
    """uv's ``source = {...}``: ``git = "URL?rev=…#COMMIT"``, ``directory``/``path``/
    ``editable``/``virtual`` (a path), ``url`` (an archive), ``registry`` (an index)."""
    if (git := _text(source.get("git"))) is not None:
        url, _, commit = git.partition("#")
        return PackageSource("vcs", url.split("?", 1)[0], commit or None, "git")
    for kind in ("directory", "path", "editable", "virtual"):
        if (path := _text(source.get(kind))) is not None:
            return PackageSource(kind, path)
    if (archive := _text(source.get("url"))) is not None:
        return PackageSource("url", archive)
    return _registry(_text(source.get("registry")))


def _poetry_source(source: Mapping[str, Any]) -> PackageSource | None:
    """poetry's ``[package.source]``: ``type`` git/directory/file/url with ``url`` (git's
    ``resolved_reference`` is the commit); ``legacy``: an index other than PyPI."""
    kind, url = _text(source.get("type")), _text(source.get("url"))
    if kind is None:
        return None
    if kind == "git":
        return PackageSource("vcs", url, _text(source.get("resolved_reference")), "git")
    if kind == "legacy":
        return _registry(url)
    if kind in ("directory", "file", "url"):
        return PackageSource({"file": "path"}.get(kind, kind), url)
    return PackageSource("other", url)


def _pylock_source(pkg: Mapping[str, Any]) -> PackageSource | None:
    """PEP 751: ``vcs`` (``type``, ``url`` or ``path``, ``commit-id``), ``directory``
    (``path``), ``archive`` (``url`` or ``path``), else ``index`` (an index other than
    PyPI)."""
    vcs = _table(pkg.get("vcs"))
    if vcs:
        where = _text(vcs.get("url")) or _text(vcs.get("path"))
        return PackageSource("vcs", where, _text(vcs.get("commit-id")), _text(vcs.get("type")))
    if "directory" in pkg:
        return PackageSource("directory", _text(_table(pkg["directory"]).get("path")))
    if "archive" in pkg:
        archive = _table(pkg["archive"])
        return PackageSource("url", _text(archive.get("url")) or _text(archive.get("path")))
    return _registry(_text(pkg.get("index")))


def _groups_by_reachability(
    roots: Iterable[tuple[str, str]], edges: Iterable[Edge]
) -> dict[str, set[str]]:
    """canonical name -> groups, propagating each root edge's group along the graph."""
    children: dict[str, list[str]] = {}
    for edge in edges:
        children.setdefault(edge.parent, []).append(edge.child)
    groups: dict[str, set[str]] = {}
    for start, group in roots:
        stack = [start]
        while stack:
            name = stack.pop()
            have = groups.setdefault(name, set())
            if group in have:
                continue
            have.add(group)
            stack.extend(children.get(name, ()))
    return groups


def _uv(path: Path, data: Mapping[str, Any]) -> tuple[list[Dependency], list[Edge]]:
    if "version" not in data:
        raise _bad_lock(path, "expected 'version' and [[package]] tables (uv.lock)")
    packages = _packages(path, data, "package")
    edges: list[Edge] = []
    roots: list[tuple[str, str]] = []
    extra_roots: list[tuple[str, str]] = []
    project_names: set[str] = set()
    for pkg in packages:
        parent = canonicalize_name(pkg["name"])
        source = _table(pkg.get("source"))
        is_project = bool({"editable", "virtual"} & set(source))
        if is_project:
            project_names.add(parent)
        tables: list[tuple[str | None, bool, list[Any]]] = [
            (None, False, _list(pkg.get("dependencies")))
        ]
        for key in ("optional-dependencies", "dev-dependencies"):
            extra = key == "optional-dependencies"
            tables += [(str(g), extra, _list(v)) for g, v in _table(pkg.get(key)).items()]
        for group, extra, entries in tables:
            for entry in map(_table, entries):
                child = _text(entry.get("name"))
                if child is None:
                    continue
                edge = Edge(
                    parent,
                    canonicalize_name(child),
                    group,
                    _text(entry.get("marker")),
                    parent_version=_text(pkg.get("version")),
                    child_version=_text(entry.get("version")),
                    extra=extra,
                )
                edges.append(edge)
                if is_project:
                    roots.append((edge.child, group or MAIN_GROUP))
                    if extra and group is not None:
                        extra_roots.append((edge.child, group))
    runtime_edges = [e for e in edges if e.group is None]
    groups = _groups_by_reachability(roots, runtime_edges)
    extras = _groups_by_reachability(extra_roots, runtime_edges)
    deps: list[Dependency] = []
    for pkg in packages:
        source = _table(pkg.get("source"))
        kinds = sorted(set(source) - {"registry"})
        name = canonicalize_name(pkg["name"])
        deps.append(
            Dependency(
                name=pkg["name"],
                version=_text(pkg.get("version")),
                hashes=_uv_hashes(pkg),
                artifacts=_uv_artifacts(pkg),
                groups=tuple(sorted(groups.get(name, ()))),
                extras=tuple(sorted(extras.get(name, ()))),
                source=_uv_source(source),
                origin=f"uv source: {_known(kinds[0], _UV_SOURCES)}" if kinds else None,
            )
        )
    return deps, edges


def _poetry(path: Path, data: Mapping[str, Any]) -> tuple[list[Dependency], list[Edge]]:
    packages = _packages(path, data, "package")
    legacy_files = _table(_table(data.get("metadata")).get("files"))  # lock format 1.x
    deps: list[Dependency] = []
    edges: list[Edge] = []
    for pkg in packages:
        parent = canonicalize_name(pkg["name"])
        kind = _table(pkg.get("source")).get("type")
        files = _list(pkg.get("files")) or _list(legacy_files.get(pkg["name"]))
        groups = [str(g) for g in _list(pkg.get("groups"))]
        category = _text(pkg.get("category"))  # poetry < 1.2: "main" or "dev"
        if not groups and category is not None:
            groups = [category]
        deps.append(
            Dependency(
                name=pkg["name"],
                version=_text(pkg.get("version")),
                hashes=tuple(h for f in map(_table, files) if (h := _text(f.get("hash")))),
                groups=tuple(groups),
                source=_poetry_source(_table(pkg.get("source"))),
                origin=None
                if kind in (None, "legacy")
                else f"poetry source: {_known(kind, _POETRY_SOURCES)}",
            )
        )
        for child, spec in _table(pkg.get("dependencies")).items():
            marker = _text(spec.get("markers")) if isinstance(spec, Mapping) else None
            edges.append(
                Edge(
                    parent,
                    canonicalize_name(str(child)),
                    None,
                    marker,
                    parent_version=_text(pkg.get("version")),
                )
            )
    return deps, edges


def _pylock_hashes(pkg: Mapping[str, Any]) -> tuple[str, ...]:
    files = [
        _table(pkg.get("sdist")),
        _table(pkg.get("archive")),
        *map(_table, _list(pkg.get("wheels"))),
    ]
    return tuple(
        f"{alg}:{value}"
        for f in files
        for alg, value in sorted(_table(f.get("hashes")).items())
        if isinstance(value, str)
    )


def _pylock(path: Path, data: Mapping[str, Any]) -> tuple[list[Dependency], list[Edge]]:
    if not isinstance(data.get("lock-version"), str) or not isinstance(data.get("packages"), list):
        raise _bad_lock(path, "expected lock-version and [[packages]] (PEP 751)")
    if not _is_version(data["lock-version"]):
        raise _bad_lock(path, "lock-version is not a version")
    packages = _packages(path, data, "packages")
    for i, pkg in enumerate(packages):
        # pip-audit reads pylock.toml itself and would quote a bad version in its error
        if "version" in pkg and not _is_version(pkg["version"]):
            raise _bad_lock(path, f"[[packages]] #{i + 1}: version is not a PEP 440 version")
    deps: list[Dependency] = []
    edges: list[Edge] = []
    for pkg in packages:
        origin = next((k for k in ("vcs", "directory", "archive") if k in pkg), None)
        deps.append(
            Dependency(
                name=pkg["name"],
                version=_text(pkg.get("version")),
                hashes=_pylock_hashes(pkg),
                artifacts=_pylock_artifacts(pkg),
                marker=_text(pkg.get("marker")),
                source=_pylock_source(pkg),
                origin=None if origin is None else f"pylock: {origin}",
            )
        )
        parent = canonicalize_name(pkg["name"])
        for entry in map(_table, _list(pkg.get("dependencies"))):
            child = _text(entry.get("name"))
            if child is not None:
                edges.append(
                    Edge(
                        parent,
                        canonicalize_name(child),
                        parent_version=_text(pkg.get("version")),
                        child_version=_text(entry.get("version")),
                    )
                )
    return deps, edges


def collect_lock(source: LockFile) -> Collected:
    path = source.path
    if not is_lock_file(path):
        raise InputError(
            f"{path}: not a lock file chainkit reads",
            remediation=f"pass one of {', '.join(LOCK_FILE_NAMES)} (or pylock.<name>.toml)",
        )
    data = load_toml(path, "lock file")
    if path.name == "uv.lock":
        kind, (deps, edges) = "uv.lock", _uv(path, data)
    elif path.name == "poetry.lock":
        kind, (deps, edges) = "poetry.lock", _poetry(path, data)
    else:
        kind, (deps, edges) = "pylock", _pylock(path, data)
    shown = display(path)
    lines = _package_lines(path)
    located = tuple(
        dataclasses.replace(d, declared=(Declared(shown, lines.get(d.canonical_name, 1)),))
        for d in deps
    )
    return Collected(
        source=source,
        kind=kind,
        label=shown,
        files=(path,),
        dependencies=located,
        edges=tuple(edges),
        default_location=Declared(shown, 1),
    )
