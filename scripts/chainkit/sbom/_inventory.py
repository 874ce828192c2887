"""What an SBOM describes, before it is CycloneDX: packages, their metadata and the graph.

Sources (:class:`EnvironmentSource`, :class:`RequirementsSource`, :class:`LockSource`,
:class:`ProjectSource`) become an :class:`Inventory`. Lock files, requirements and
``pyproject.toml`` are read by :func:`chainkit.deps.collect` (hashes, groups, lock-graph
edges); environments by the probe run in the target interpreter (metadata, ``Requires-Dist``
with markers evaluated for that interpreter).
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from chainkit import deps
from chainkit._internal.output import printable
from chainkit.sbom._errors import SbomInputError
from chainkit.sbom._licenses import valid_expression
from chainkit.sbom._probe import InstalledDist, probe

Edge = tuple[str, str | None, str, str | None]
_log = logging.getLogger("chainkit.sbom")

__all__ = [
    "Edge",
    "EnvironmentSource",
    "Inventory",
    "LockSource",
    "Package",
    "Person",
    "ProjectSource",
    "RequirementsSource",
    "SbomSource",
    "collect_inventory",
]


@dataclass(frozen=True)
class EnvironmentSource:
    """The distributions installed for ``python`` (default: the running interpreter)."""

    python: Path | None = None


@dataclass(frozen=True)
class RequirementsSource:
    """A requirements file; ``metadata_from`` as for :class:`LockSource`."""

    path: Path
    metadata_from: Path | None = None


@dataclass(frozen=True)
class LockSource:
    """``uv.lock``, ``pylock.toml``/``pylock.<name>.toml`` or ``poetry.lock``.

    ``metadata_from``: an interpreter whose installed distributions supply licences,
    supplier and authors for the packages installed there at exactly the locked version
    (lock files carry no such metadata)."""

    path: Path
    metadata_from: Path | None = None


@dataclass(frozen=True)
class ProjectSource:
    """A project directory (or its ``pyproject.toml``): the root component from
    ``pyproject.toml``, the packages from its lock file; ``metadata_from`` as for
    :class:`LockSource`."""

    path: Path
    metadata_from: Path | None = None


SbomSource = EnvironmentSource | RequirementsSource | LockSource | ProjectSource


@dataclass(frozen=True)
class Person:
    name: str | None
    email: str | None = None


@dataclass(frozen=True)
class Package:
    """One component. ``licenses`` is one SPDX expression (PEP 639) or the names the
    classifiers and ``License`` give; ``groups`` as :class:`chainkit.deps.Dependency`."""

    name: str
    version: str | None
    hashes: tuple[str, ...] = ()
    license_expression: str | None = None
    license_names: tuple[str, ...] = ()
    supplier: str | None = None
    authors: tuple[Person, ...] = ()
    groups: tuple[str, ...] = ()
    dev: bool = False
    """Only in non-main groups (an extra or a dependency/dev group): scope ``optional``."""
    dev_only: bool = False
    """Only in dependency/dev groups (not an extra's): what ``--no-dev`` leaves out."""
    origin: str | None = None
    record_sha256: str | None = None
    """Environments: SHA-256 of the installed ``RECORD`` (not an artifact hash)."""
    artifacts: tuple[deps.Artifact, ...] = ()
    """Lock files: each sdist/wheel URL with its hashes."""
    source: deps.PackageSource | None = None
    """Lock files: where a package that is not from PyPI comes from (VCS, path, URL, another
    index)."""

    @property
    def key(self) -> str:
        return str(canonicalize_name(self.name))


@dataclass(frozen=True)
class Inventory:
    """``root`` (the project, when known), the packages, and the graph: edges
    ``(parent, parent version, child, child version)`` between canonical names (``""`` is the
    root); a version is ``None`` when the edge holds for every version of that name."""

    root: Package | None
    packages: tuple[Package, ...]
    edges: tuple[Edge, ...]
    kind: str
    inputs: tuple[str, ...] = field(default=())
    graph_known: bool = True
    """Whether the source records each package's dependencies (lock graphs, ``Requires-Dist``).
    When not (requirements files, a ``pylock.toml`` without ``dependencies``), JSON output
    keeps only the non-empty ``dependencies`` entries: an empty one claims "depends on
    nothing"."""


def _sorted_edges(edges: Iterable[Edge]) -> tuple[Edge, ...]:
    return tuple(sorted(set(edges), key=lambda e: tuple(part or "" for part in e)))


# -- licences ------------------------------------------------------------------------

_CLASSIFIER_SPDX = {
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: BSD License": None,  # which BSD is not said
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: Zope Public License": None,
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
}
_MAX_LICENSE_TEXT = 120


def licenses_from_metadata(
    expression: str | None,
    classifiers: Iterable[str],
    license_field: str | None,
    *,
    what: str = "a distribution",
) -> tuple[str | None, tuple[str, ...]]:
    """PEP 639 ``License-Expression`` first (when it is a valid SPDX expression: an invalid
    one is noted on the log and never written), then ``License ::`` classifiers, then
    ``License`` (when it is one short line: a full licence text is not a name)."""
    if expression and expression.strip():
        if valid_expression(expression.strip()):
            return expression.strip(), ()
        _log.warning(
            "%s: License-Expression is not a valid SPDX expression; "
            "the licence is taken from its classifiers or License field instead",
            what,
        )
    names: list[str] = []
    for classifier in classifiers:
        if not classifier.startswith("License ::"):
            continue
        spdx = _CLASSIFIER_SPDX.get(classifier)
        names.append(spdx or classifier.rsplit(" :: ", 1)[-1])
    if names:
        return None, tuple(dict.fromkeys(names))
    text = (license_field or "").strip()
    if text and "\n" not in text and len(text) <= _MAX_LICENSE_TEXT and text != "UNKNOWN":
        return None, (text,)
    return None, ()


# -- people --------------------------------------------------------------------------

_EMAIL = re.compile(r"[^@\s<>\"(),;:]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def people(names: str | None, emails: str | None) -> tuple[Person, ...]:
    """``Author``/``Author-email`` (``Name <addr>, ...``) as people; an address that is not
    a plain e-mail address is dropped (it would not pass the schema)."""
    found: list[Person] = []
    for name, addr in email.utils.getaddresses([emails]) if emails else []:
        valid = addr if _EMAIL.fullmatch(addr) else None
        if name or valid:
            found.append(Person(name.strip() or None, valid))
    name = (names or "").strip()
    if name and name != "UNKNOWN" and "\n" not in name:
        unnamed = [p for p in found if p.name is None]
        if len(unnamed) == 1 and len(found) == 1:  # Author + Author-email of one person
            return (Person(name, unnamed[0].email),)
        if not any(p.name == name for p in found):
            found.insert(0, Person(name))
    return tuple(found)


def _supplier(dist: InstalledDist) -> str | None:
    for person in (
        *people(dist.maintainer, dist.maintainer_email),
        *people(dist.author, dist.author_email),
    ):
        if person.name:
            return person.name
    return None


# -- environments --------------------------------------------------------------------


def _evaluates(marker: Marker | None, env: dict[str, str]) -> bool:
    if marker is None:
        return True
    try:
        return marker.evaluate({**env, "extra": ""})
    except (UndefinedComparison, UndefinedEnvironmentName, InvalidMarker):
        return False


def _environment(source: EnvironmentSource) -> Inventory:
    python = source.python or Path(sys.executable)
    probed = probe(python)
    seen: dict[str, InstalledDist] = {}
    for dist in probed.distributions:
        seen.setdefault(str(canonicalize_name(dist.name)), dist)  # first on sys.path wins
    packages: list[Package] = []
    edges: list[Edge] = []
    for key, dist in sorted(seen.items()):
        expression, names = licenses_from_metadata(
            dist.license_expression,
            dist.classifiers,
            dist.license,
            what=printable(f"{dist.name} {dist.version}"),
        )
        packages.append(
            Package(
                name=dist.name,
                version=dist.version,
                license_expression=expression,
                license_names=names,
                supplier=_supplier(dist),
                authors=people(dist.author, dist.author_email),
                record_sha256=dist.record_sha256,
            )
        )
        for text in dist.requires:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            child = str(canonicalize_name(req.name))
            if child in seen and child != key and _evaluates(req.marker, probed.markers):
                edges.append((key, None, child, None))
    return Inventory(None, tuple(packages), _sorted_edges(edges), "environment")


# -- files read by chainkit.deps ----------------------------------------------------


def _root_from_pyproject(path: Path) -> tuple[Package | None, tuple[str, ...]]:
    """The root component and its direct runtime dependencies' canonical names."""
    info = deps.project_info(deps.PyProject(path))
    if info is None:
        return None, ()
    authors = tuple(
        Person(name, addr if addr and _EMAIL.fullmatch(addr) else None)
        for name, addr in info.authors
    )
    expression: str | None = None
    names: tuple[str, ...] = ()
    if info.license:
        expression, names = licenses_from_metadata(info.license, (), info.license, what=str(path))
    root = Package(
        name=info.name,
        version=info.version,
        license_expression=expression,
        license_names=names,
        supplier=next((a.name for a in authors if a.name), None),
        authors=authors,
    )
    return root, info.requires


def _from_collected(
    collected: deps.Collected, root: Package | None, direct: tuple[str, ...]
) -> Inventory:
    packages: list[Package] = []
    project_keys: set[str] = set()
    # requirements' named URL lines (name @ URL) are listed with their source, never as PyPI
    for dep in (*collected.dependencies, *collected.direct):
        is_project = dep.origin in ("uv source: editable", "uv source: virtual") or (
            root is not None and dep.canonical_name == root.key
        )
        if dep.origin == "pylock: directory" and dep.version is None:
            is_project = True
        if is_project:
            project_keys.add(dep.canonical_name)
            if root is None:
                root = Package(name=dep.name, version=dep.version)
            continue
        packages.append(
            Package(
                name=dep.name,
                version=dep.version,
                hashes=dep.hashes,
                groups=dep.groups,
                dev=dep.dev,
                dev_only=dep.dev_only,
                origin=dep.origin,
                artifacts=dep.artifacts,
                source=dep.source,
            )
        )
    present = {p.key for p in packages}
    edges: set[Edge] = set()
    root_children: set[tuple[str, str | None]] = {(d, None) for d in direct if d in present}
    for edge in collected.edges:
        if edge.child not in present:
            continue
        if edge.parent in project_keys:
            if edge.group is None or edge.extra:  # runtime and extras; not dev groups
                root_children.add((edge.child, edge.child_version))
        elif edge.parent in present and edge.parent != edge.child:
            edges.add((edge.parent, edge.parent_version, edge.child, edge.child_version))
    if root is not None:
        if not root_children:  # no declared roots: the packages nothing depends on
            have_parent = {e[2] for e in edges}
            root_children = {
                (p.key, None) for p in packages if p.key not in have_parent and not p.dev
            }
        edges.update(("", None, child, version) for child, version in root_children)
    graph_known = collected.kind in ("uv.lock", "poetry.lock") or (
        collected.kind == "pylock" and bool(collected.edges)
    )
    return Inventory(
        root,
        tuple(packages),
        _sorted_edges(edges),
        collected.kind,
        tuple(str(f) for f in collected.files),
        graph_known=graph_known,
    )


def _pyproject_beside(path: Path) -> Path | None:
    candidate = path.parent / "pyproject.toml"
    return candidate if candidate.is_file() else None


def _with_metadata(inventory: Inventory, python: Path | None) -> Inventory:
    """Licences, supplier and authors from ``python``'s environment for each package installed
    there at exactly its version; other packages are left as they are."""
    if python is None:
        return inventory
    installed: dict[tuple[str, str], InstalledDist] = {}
    for found in probe(python).distributions:
        installed.setdefault((str(canonicalize_name(found.name)), found.version), found)
    packages = []
    for package in inventory.packages:
        dist = installed.get((package.key, package.version or ""))
        if dist is None:
            packages.append(package)
            continue
        expression, names = licenses_from_metadata(
            dist.license_expression,
            dist.classifiers,
            dist.license,
            what=printable(f"{dist.name} {dist.version}"),
        )
        packages.append(
            dataclasses.replace(
                package,
                license_expression=expression,
                license_names=names,
                supplier=_supplier(dist),
                authors=people(dist.author, dist.author_email),
            )
        )
    return dataclasses.replace(inventory, packages=tuple(packages))


def collect_inventory(source: SbomSource) -> Inventory:
    """The packages of ``source``; :class:`SbomInputError` (or ``deps.InputError``) when it
    cannot be read."""
    if isinstance(source, EnvironmentSource):
        return _environment(source)
    return _with_metadata(_collect_files(source), source.metadata_from)


def _collect_files(source: RequirementsSource | LockSource | ProjectSource) -> Inventory:
    if isinstance(source, RequirementsSource):
        collected = deps.collect(deps.Requirements((source.path,)))
        return _from_collected(collected, None, ())
    if isinstance(source, LockSource):
        if not source.path.is_file():
            raise SbomInputError(
                f"no lock file at {source.path}",
                remediation="pass the path of a uv.lock, pylock.toml or poetry.lock",
            )
        pyproject = _pyproject_beside(source.path)
        root, direct = _root_from_pyproject(pyproject) if pyproject else (None, ())
        return _from_collected(deps.collect(deps.LockFile(source.path)), root, direct)
    path = source.path
    if path.is_file() and path.name == "pyproject.toml":
        path = path.parent
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file():
        raise SbomInputError(
            f"no pyproject.toml in {path}",
            remediation="pass a project directory, or use `sbom generate lock FILE`",
        )
    root, direct = _root_from_pyproject(pyproject)
    locks = [s for s in deps.discover(path, locked=True) if isinstance(s, deps.LockFile)]
    if len(locks) > 1:
        names = ", ".join(p.path.name for p in locks)
        raise SbomInputError(
            f"{path} has several lock files ({names})",
            remediation="name one with `chainkit sbom generate lock FILE`",
        )
    return _from_collected(deps.collect(locks[0]), root, direct)
